"""Property-based tests of AxonHub's wire parsing: whatever a server answers, parsing is lenient,
ids come from global ids only, keys never come back empty, and an aggregate sent back whole never
carries a field the input lacks without saying so."""

from __future__ import annotations

from typing import Any

from graphql import build_schema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui_channels.backends.axonhub.schema import as_input
from tui_channels.backends.axonhub.wire import channel_from_wire, channel_id, keys_of, split_keys
from tui_channels.channel_types import AXONHUB_TYPES
from tui_channels.demo.axonhub.schema import CURRENT

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
FIELDS = st.sampled_from(
    ["name", "type", "status", "baseURL", "supportedModels", "tags", "credentials", "settings",
     "disabledAPIKeys", "errorMessage", "createdAt", "remark"]
)
SETTINGS_INPUT = build_schema(CURRENT).get_type("ChannelSettingsInput")
LOADED_MACHINE = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=150)
"""The suite shares two cores with other work: no per-example deadline, no speed health check."""


@LOADED_MACHINE
@given(number=st.integers(min_value=0, max_value=2**53), record=st.dictionaries(FIELDS, JSON))
def test_any_record_with_a_global_id_parses_and_keeps_the_record(number: int, record: dict[str, Any]) -> None:
    record = {**record, "id": f"gid://axonhub/Channel/{number}"}
    channel = channel_from_wire(record, AXONHUB_TYPES)
    assert channel.id == number
    assert channel.raw == record
    assert all(isinstance(m, str) for m in channel.models)
    assert channel.key is None or channel.key


@LOADED_MACHINE
@given(st.text(max_size=40) | st.integers() | st.none())
def test_an_id_that_is_not_a_global_id_is_refused(value: Any) -> None:
    text = str(value)
    try:
        number = channel_id(value)
    except ValueError:
        return
    assert text.startswith("gid://axonhub/") and text.endswith(f"/{number}")


@LOADED_MACHINE
@given(credentials=JSON)
def test_keys_are_never_empty_and_never_repeated(credentials: Any) -> None:
    keys = keys_of({"credentials": credentials})
    assert all(isinstance(k, str) and k for k in keys)
    assert len(keys) == len(set(keys))


@LOADED_MACHINE
@given(st.text(max_size=60))
def test_split_keys_is_idempotent_and_yields_no_blank_key(text: str) -> None:
    keys = split_keys(text)
    assert all(k and not any(c.isspace() or c == "," for c in k) for k in keys)
    assert split_keys(" ".join(keys)) == keys


@LOADED_MACHINE
@given(value=st.dictionaries(st.text(max_size=20), JSON, max_size=6))
def test_an_aggregate_sent_back_holds_only_input_fields_and_names_what_it_leaves(value: dict[str, Any]) -> None:
    lost: list[str] = []
    try:
        shaped = as_input(value, SETTINGS_INPUT, "settings", lost)
    except (AttributeError, TypeError):
        return
    assert set(shaped) <= set(SETTINGS_INPUT.fields)
    for name, item in value.items():
        if name not in SETTINGS_INPUT.fields and item not in (None, "", [], {}, False, 0):
            assert f"settings.{name}" in lost
