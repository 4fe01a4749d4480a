"""No answer a server can give makes a wire parser raise anything but the project's own errors.

Hypothesis feeds arbitrary JSON to every parser that reads what a gateway sends, at two levels:

- **Records**: every backend family's record reader (`BackendFamily.read_channel` over its
  `channel_from_wire`), taken from the registry, so a new family is covered without a change
  here; the New API and Octopus parsers themselves, which refuse a record with `BadRecord`; and
  the other pure wire parsers listed in `PARSERS`. A new backend adds each of its parsers there:
  **one line each**.
- **Over real sockets**: the demo gateway answers a made-up channel list (the right envelope
  around arbitrary pages and records, or arbitrary JSON), and the real client connects and lists.
  `LISTINGS` has one line per backend generation: the demo site to start, the list route, and the
  envelope; a new backend adds its line.

Each property accepts two outcomes only: a result of the right shape, or a `ChannelsError`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tui_channels.backends.newapi import upstream as newapi_upstream
from tui_channels.backends.newapi import wire as newapi_wire
from tui_channels.backends.octopus import wire as octopus_wire
from tui_channels.backends.registry import FAMILIES, create_backend
from tui_channels.demo.faults import FaultKind
from tui_channels.demo.gateway import DemoGateway, DemoSite
from tui_channels.errors import ChannelsError
from tui_channels.models import Channel, ChannelStatus, TypeCatalog

from .ui_helpers import demo_profile

LOADED_MACHINE = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    max_examples=100,
)
"""The suite shares two cores with other work: no per-example deadline, no speed health check."""
OVER_SOCKETS = settings(LOADED_MACHINE, max_examples=25)

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-3, max_value=10**6).map(str)
    | st.floats(allow_nan=False)
    | st.text(max_size=16)
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=16,
)
FIELD_NAMES = sorted(
    {
        *("id", "name", "type", "status", "key", "base_url", "models", "group", "priority", "weight", "tag"),
        *("balance", "response_time", "test_time", "used_quota", "created_time", "channel_info"),
        *("enabled", "model", "custom_model", "base_urls", "keys", "stats", "delay", "url", "channel_key"),
        *("multi_key_size", "multi_key_status_list", "is_multi_key", "items", "total", "page_size"),
        *("baseURL", "supportedModels", "credentials", "tags", "url", "isEnabled", "providerType", "allowedModels"),
        *("channel_id", "failed_channel_ids", "results", "processed_channels", "added_models", "removed_models"),
    }
)
RECORDS = st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=6), JSON, max_size=12)
"""Objects that look like channel records: the fields servers send, each with any JSON value."""
ANYTHING = JSON | RECORDS

NO_TYPES = TypeCatalog([], numbering="none")


def mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


PARSERS: list[tuple[str, Callable[[Any], Any]]] = [
    ("New API channel record", lambda value: newapi_wire.channel_from_wire(value, NO_TYPES)),
    ("Octopus channel record", lambda value: octopus_wire.channel_from_wire(value, NO_TYPES)),
    ("New API model list", newapi_wire.model_ids),
    ("New API multi-key counts", lambda value: newapi_wire.multi_key_counts(mapping(value))),
    ("Octopus preferred base URL", lambda value: octopus_wire.preferred_url(mapping(value))),
    ("Octopus preferred key", lambda value: octopus_wire.preferred_key(mapping(value))),
    ("New API upstream apply answer", lambda value: newapi_upstream.applied_from_wire(mapping(value), 1)),
    ("New API upstream apply-all answer", lambda value: newapi_upstream.apply_all_report(mapping(value))),
]
"""Wire parsers other than the record parsers, one line each: (what it reads, the parser)."""

def check_channel(channel: Channel) -> None:
    """The neutral model's promises, whatever the record held."""
    assert isinstance(channel, Channel)
    assert isinstance(channel.id, int) and not isinstance(channel.id, bool)
    assert isinstance(channel.name, str) and isinstance(channel.base_url, str)
    assert isinstance(channel.status, ChannelStatus)
    assert all(isinstance(name, str) and name for name in channel.models)
    assert all(isinstance(name, str) and name for name in channel.groups)
    for number in (channel.priority, channel.weight, channel.response_time_ms, channel.test_time, channel.used_quota):
        assert number is None or (isinstance(number, int) and not isinstance(number, bool))
    assert channel.balance is None or isinstance(channel.balance, float)
    assert channel.key is None or isinstance(channel.key, str)
    assert channel.tag is None or isinstance(channel.tag, str)


@pytest.mark.parametrize("kind", list(FAMILIES), ids=lambda kind: kind.value)
@LOADED_MACHINE
@given(record=ANYTHING)
def test_every_family_reads_any_record_or_refuses_it_with_our_error(kind: Any, record: Any) -> None:
    try:
        channel = FAMILIES[kind].read_channel(record, NO_TYPES)
    except ChannelsError:
        return
    check_channel(channel)


@pytest.mark.parametrize(("what", "parser"), PARSERS, ids=[what for what, _ in PARSERS])
@LOADED_MACHINE
@given(value=ANYTHING)
def test_every_wire_parser_reads_anything_or_refuses_it_with_our_error(
    what: str, parser: Callable[[Any], Any], value: Any
) -> None:
    try:
        parser(value)
    except ChannelsError:
        pass


@LOADED_MACHINE
@given(record=RECORDS, channel_id=st.integers(min_value=0, max_value=2**53) | st.integers(0, 10**6).map(str))
def test_a_record_with_a_usable_id_is_never_skipped(record: dict[str, Any], channel_id: Any) -> None:
    """Leniency where the meaning is clear: any record with an id reads, on both families."""
    record = {**record, "id": channel_id}
    for parser in (newapi_wire.channel_from_wire, octopus_wire.channel_from_wire):
        channel = parser(record, NO_TYPES)
        check_channel(channel)
        assert channel.id == int(channel_id)


def test_models_and_groups_given_as_lists_are_read_as_lists() -> None:
    record = {"id": "7", "name": 42, "models": ["gpt-4o", {"id": "o3"}, 5], "group": ["default", "vip"]}
    channel = newapi_wire.channel_from_wire(record, NO_TYPES)
    assert (channel.id, channel.name) == (7, "42")
    assert (channel.models, channel.groups) == (("gpt-4o", "o3", "5"), ("default", "vip"))
    octopus = octopus_wire.channel_from_wire({"id": 3, "model": ["a", "b"], "custom_model": "c"}, NO_TYPES)
    assert octopus.models == ("a", "b", "c")


def newapi_envelope(data: Any) -> Any:
    return {"success": True, "message": "", "data": data}


def octopus_envelope(data: Any) -> Any:
    return {"code": 200, "message": "success", "data": data}


PAGES = st.fixed_dictionaries(
    {"items": st.lists(RECORDS | JSON, max_size=5)},
    optional={"total": SCALARS, "page": SCALARS, "page_size": SCALARS},
)
CONNECTIONS = st.fixed_dictionaries(
    {"edges": st.lists(st.fixed_dictionaries({"node": RECORDS | JSON}) | JSON, max_size=5) | JSON},
    optional={
        "totalCount": SCALARS,
        "pageInfo": st.fixed_dictionaries({}, optional={"hasNextPage": st.booleans(), "endCursor": SCALARS}) | JSON,
    },
)
"""GraphQL connections (AxonHub): edges of nodes, a count and the cursor."""
LIST_DATA = st.lists(RECORDS | JSON, max_size=6) | PAGES | CONNECTIONS | JSON

def claudecodehub_envelope(data: Any) -> Any:
    return {"items": data}


def axonhub_envelope(data: Any) -> Any:
    return {"data": {"queryChannels": data}}


Start = Callable[[DemoGateway, str], DemoSite]
NEWAPI_LIST, OCTOPUS_LIST, CLAUDECODEHUB_LIST = "/api/channel/", "/api/v1/channel/list", "/api/v1/providers"
AXONHUB_GRAPHQL = "POST /admin/graphql"
"""AxonHub answers every query on one route: only the channel list's answer is replaced there."""

LISTINGS: list[tuple[str, Start, str, Callable[[Any], Any]]] = [
    ("newapi", lambda gw, name: gw.add_newapi(name, channels=2), NEWAPI_LIST, newapi_envelope),
    ("newapi-legacy", lambda gw, name: gw.add_newapi(name, flavor="newapi-legacy"), NEWAPI_LIST, newapi_envelope),
    ("oneapi", lambda gw, name: gw.add_newapi(name, flavor="oneapi", channels=2), NEWAPI_LIST, newapi_envelope),
    ("octopus-current", lambda gw, name: gw.add_octopus(name, channels=2), OCTOPUS_LIST, octopus_envelope),
    ("octopus-legacy", lambda gw, name: gw.add_octopus(name, generation="legacy"), OCTOPUS_LIST, octopus_envelope),
    ("claudecodehub", lambda gw, name: gw.add_claudecodehub(name, channels=2), CLAUDECODEHUB_LIST, claudecodehub_envelope),
    ("axonhub", lambda gw, name: gw.add_axonhub(name, channels=2), AXONHUB_GRAPHQL, axonhub_envelope),
]
"""One line per backend generation: (label, start its demo site, channel list route, envelope)."""


@pytest.fixture(scope="module", params=LISTINGS, ids=[listing[0] for listing in LISTINGS])
def listing(request: pytest.FixtureRequest, gateway: DemoGateway) -> tuple[DemoSite, str, Callable[[Any], Any]]:
    label, start, route, envelope = request.param
    return start(gateway, f"wire-properties-{label}"), route, envelope


@OVER_SOCKETS
@given(data=LIST_DATA, wrapped=st.booleans())
@example(data={"edges": 5, "pageInfo": []}, wrapped=True)
def test_any_channel_list_answer_lists_or_fails_with_our_error(
    listing: tuple[DemoSite, str, Callable[[Any], Any]], data: Any, wrapped: bool
) -> None:
    site, route, envelope = listing
    body = envelope(data) if wrapped else data
    fault = serve(site, route, body)
    try:
        channels, warnings = asyncio.run(_connect_and_list(site))
    except ChannelsError as error:
        assert error.message and "\n" not in error.message.strip()
        return
    finally:
        site.faults.remove(fault)
    for channel in channels:
        check_channel(channel)
    assert all(isinstance(line, str) and "\n" not in line for line in warnings)


def serve(site: DemoSite, route: str, body: Any) -> Any:
    """Have the site answer its channel list with `body`; on a GraphQL route only the list query."""
    if route != AXONHUB_GRAPHQL:
        return site.faults.add(FaultKind.BODY, route, method="GET", times=None, body=body)
    method, path = route.split()

    def listing_replaced(answer: Any) -> Any:
        data = answer.get("data") if isinstance(answer, dict) else None
        return body if isinstance(data, dict) and "queryChannels" in data else answer

    return site.faults.add(FaultKind.REWRITE, path, method=method, times=None, rewrite=listing_replaced)


async def _connect_and_list(site: DemoSite) -> tuple[list[Channel], list[str]]:
    backend = create_backend(demo_profile(site), site.secret)
    try:
        await backend.connect()
        channels = await backend.list_channels()
        return channels, list(backend.list_warnings)
    finally:
        await backend.close()
