"""Property-based tests of Claude Code Hub's wire parsing and mapping: whatever a server answers,
records parse leniently or are refused with `ValueError`; model rules, groups and read-to-write
mapping round-trip; and nothing built from a record carries a field the write schema lacks."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui_channels.backends.claudecodehub.problems import problem_of
from tui_channels.backends.claudecodehub.wire import (
    NOT_NULLABLE,
    READ_TO_WRITE,
    ProviderPatch,
    allowed_models,
    channel_from_wire,
    checked_key,
    exact_models,
    group_tag,
    groups_of,
    other_rules,
    write_fields,
)
from tui_channels.channel_types import CLAUDECODEHUB_TYPES
from tui_channels.errors import RequestRejected
from tui_channels.models import split_list

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
READ_FIELDS = st.sampled_from(sorted(READ_TO_WRITE) + ["maskedKey", "providerVendorId", "createdAt", "statistics"])
MATCH = st.sampled_from(["exact", "prefix", "suffix", "contains", "regex"])
RULE = st.text(max_size=10) | st.fixed_dictionaries({"matchType": MATCH, "pattern": st.text(min_size=1, max_size=10)})
NAME = st.text(alphabet=st.characters(blacklist_characters=",\n"), min_size=1, max_size=12).filter(str.strip)
LOADED_MACHINE = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=150)
"""The suite shares two cores with other work: no per-example deadline, no speed health check."""


def essentials(number: int, enabled: bool, kind: str) -> dict[str, Any]:
    return {"id": number, "name": "p", "url": "https://x.example", "isEnabled": enabled, "providerType": kind}


@LOADED_MACHINE
@given(
    number=st.integers(min_value=1, max_value=2**53),
    enabled=st.booleans(),
    kind=st.text(max_size=20),
    extra=st.dictionaries(READ_FIELDS, JSON),
)
def test_a_record_with_its_essentials_parses_whatever_else_it_holds(
    number: int, enabled: bool, kind: str, extra: dict[str, Any]
) -> None:
    record = {**extra, **essentials(number, enabled, kind)}
    channel = channel_from_wire(record, CLAUDECODEHUB_TYPES)
    assert channel.id == number and channel.raw == record and channel.status.is_enabled is enabled
    assert all(isinstance(m, str) and m for m in channel.models)
    assert channel.groups and all(isinstance(g, str) and g for g in channel.groups)
    assert isinstance(channel.weight, int) and isinstance(channel.priority, int)
    assert channel.key is None
    assert channel.all_models is (not channel.raw.get("allowedModels") or not isinstance(channel.raw.get("allowedModels"), list))


@LOADED_MACHINE
@given(record=st.dictionaries(st.sampled_from(["id", "name", "url", "isEnabled", "providerType"]), JSON))
def test_a_record_without_usable_essentials_is_refused_with_value_error(record: dict[str, Any]) -> None:
    try:
        channel = channel_from_wire(record, CLAUDECODEHUB_TYPES)
    except ValueError:
        return
    assert isinstance(record["id"], int) and channel.id == record["id"] > 0


@LOADED_MACHINE
@given(rules=st.lists(JSON | RULE, max_size=8))
def test_exact_models_are_names_without_blanks_or_repeats(rules: list[Any]) -> None:
    names = exact_models(rules)
    assert all(isinstance(n, str) and n.strip() == n and n for n in names)
    assert len(names) == len(set(names))


@LOADED_MACHINE
@given(models=st.lists(NAME, max_size=6), rules=st.lists(RULE, max_size=6))
def test_a_models_edit_keeps_every_pattern_rule_and_exactly_the_chosen_names(models: list[str], rules: list[Any]) -> None:
    sent = allowed_models(models, rules)
    if sent is None:
        assert not split_list(",".join(models)) and not other_rules(rules)
        return
    assert exact_models(sent) == split_list(",".join(models))
    assert other_rules(sent) == other_rules(rules)


@LOADED_MACHINE
@given(groups=st.lists(NAME, max_size=5))
def test_groups_round_trip_through_the_group_tag(groups: list[str]) -> None:
    expected = split_list(",".join(groups)) or ("default",)
    assert groups_of(group_tag(groups)) == expected


@LOADED_MACHINE
@given(record=st.dictionaries(READ_FIELDS, JSON))
def test_settings_carried_to_a_new_provider_only_use_write_fields(record: dict[str, Any]) -> None:
    fields = write_fields(record)
    assert set(fields) <= set(ProviderPatch.model_fields)
    assert not any(fields[name] is None for name in fields if name in NOT_NULLABLE)
    assert "name" not in fields and "url" not in fields


@LOADED_MACHINE
@given(prefix=st.text(max_size=6), suffix=st.text(max_size=6), mark=st.sampled_from(["•", "[REDACTED]", "REDACTED:REDACTED@"]))
def test_a_masked_or_redacted_key_is_never_accepted(prefix: str, suffix: str, mark: str) -> None:
    with pytest.raises(RequestRejected):
        checked_key(prefix + mark + suffix)


@LOADED_MACHINE
@given(body=JSON, content_type=st.sampled_from(["application/problem+json", "application/json", "text/plain"]))
def test_any_error_body_is_read_as_a_problem_or_as_none(body: Any, content_type: str) -> None:
    request = httpx.Request("GET", "http://cch.example/api/v1/providers")
    response = httpx.Response(400, json=body, headers={"content-type": content_type}, request=request)
    problem = problem_of(response)
    assert problem is None or isinstance(problem.error_code, str)
