"""The backend contract: the same tests against every emulated backend flavor, over real HTTP.

Each family's own suite covers its wire details; this one proves that the app can rely on what
`backends.base.Backend` promises whatever the site runs: listing, reading, creating in the chosen
status, editing one field without touching the others, status changes, search, delete (or a clear
reason why not), tests, model fetches, and `NotSupported` with the capabilities' reason for what a
server lacks.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

import pytest

from tui_channels.backends.base import COLUMNS_ALL, Backend, BackendBase, Capabilities, Operation
from tui_channels.backends.registry import create_backend, family_of, type_catalog
from tui_channels.config import SiteProfile
from tui_channels.demo.gateway import DemoGateway, DemoSite
from tui_channels.errors import AnswerTooLarge, NotFound, NotSupported, RequestRejected
from tui_channels.models import Channel, ChannelSpec, ChannelStatus
from tui_channels.services.connectivity import connectivity_operation
from tui_channels.services.creation import create_channel
from tui_channels.services.base_urls import for_site
from tui_channels.services.key_import import openai_type
from tui_channels.services.results import Outcome

from .backend_helpers import FAST_RETRY, FLAVORS, connected_site, profile_of

SEEDED = 12
_names = itertools.count(1)

OPTIONAL_METHODS: dict[Operation, str] = {
    Operation.DELETE_DISABLED: "delete_disabled",
    Operation.BALANCE: "update_balance",
    Operation.BALANCE_ALL: "update_all_balances",
    Operation.GROUPS: "list_groups",
    Operation.COPY: "copy_channel",
    Operation.BATCH_TAG: "set_tag",
    Operation.TAG_STATUS: "set_tag_status",
    Operation.TEST_ALL: "test_all",
    Operation.TAG_EDIT: "edit_tag",
    Operation.MODEL_CATALOG: "model_catalog",
    Operation.MODELS_ENABLED: "enabled_models",
    Operation.FIX_ABILITIES: "fix_abilities",
    Operation.SERVER_SYNC: "server_sync",
    Operation.REVEAL_KEY: "reveal_key",
    Operation.BATCH_UPDATE: "update_channels",
}
"""Operations whose method `BackendBase` refuses unless a backend implements it."""


@dataclass
class Subject:
    site: DemoSite
    backend: Backend
    capabilities: Capabilities
    upstream_url: str

    def spec(self, *, status: ChannelStatus = ChannelStatus.ENABLED) -> ChannelSpec:
        """A channel that works against the fake upstream, in the site's own terms."""
        return ChannelSpec(
            name=f"contract-{next(_names)}",
            type=openai_type(self.capabilities),
            key="sk-contract-0123456789abcdef",
            base_url=for_site(self.capabilities, f"{self.upstream_url}/p/openai/v1"),
            models=("gpt-4o", "gpt-4o-mini"),
            status=status,
        )


@pytest.fixture(params=FLAVORS)
async def subject(request: pytest.FixtureRequest, gateway: DemoGateway) -> AsyncIterator[Subject]:
    site, backend = await connected_site(gateway, request.param, channels=SEEDED, prefix="contract")
    yield Subject(site, backend, backend.capabilities, gateway.upstream_url)
    await backend.close()


async def test_connect_describes_the_server(subject: Subject) -> None:
    capabilities = subject.capabilities
    assert capabilities.kind is subject.site.kind
    assert family_of(capabilities.kind).kind is capabilities.kind
    assert len(capabilities.types) > 0
    assert {"name", "type", "key", "status"} <= {spec.name for spec in capabilities.fields}
    assert capabilities.columns <= set(COLUMNS_ALL)
    assert {"id", "name", "type", "status"} <= capabilities.columns


async def test_only_operations_the_backend_implements_are_claimed(subject: Subject) -> None:
    for operation, method in OPTIONAL_METHODS.items():
        if subject.capabilities.supports(operation):
            implemented = inspect.getattr_static(type(subject.backend), method)
            assert implemented is not inspect.getattr_static(BackendBase, method), f"{operation} claimed, not implemented"


async def test_column_labels_and_ranges_describe_what_the_site_shows(subject: Subject) -> None:
    capabilities = subject.capabilities
    assert set(capabilities.column_labels) <= capabilities.columns
    for spec in capabilities.fields:
        if spec.minimum is not None and spec.maximum is not None:
            assert spec.minimum <= spec.maximum, spec.name


async def test_records_turn_back_into_the_same_channels(subject: Subject) -> None:
    """Exports, the trash and restores rebuild channels from their records with the flavor's type list."""
    family = family_of(subject.capabilities.kind)
    catalog = type_catalog(subject.capabilities.kind, subject.capabilities.flavor)
    for channel in await subject.backend.list_channels():
        rebuilt = family.channel_from_wire(channel.raw, catalog)
        assert rebuilt.type.code == channel.type.code and rebuilt.type.known
        assert replace(rebuilt, raw={}, type=channel.type) == replace(channel, raw={})


async def test_list_returns_every_channel_once_and_reports_progress(subject: Subject) -> None:
    progress: list[tuple[int, int | None]] = []
    channels = await subject.backend.list_channels(on_progress=lambda done, total: progress.append((done, total)))
    ids = [c.id for c in channels]
    assert len(ids) == SEEDED == len(set(ids))
    assert all(isinstance(i, int) for i in ids)
    assert progress and progress[-1][0] == SEEDED


async def test_get_answers_the_channel_as_listed(subject: Subject) -> None:
    listed = (await subject.backend.list_channels())[3]
    read = await subject.backend.get_channel(listed.id)
    assert (read.id, read.name, read.type.code, read.status, read.models) == (
        listed.id,
        listed.name,
        listed.type.code,
        listed.status,
        listed.models,
    )


@pytest.mark.parametrize("status", [ChannelStatus.ENABLED, ChannelStatus.MANUALLY_DISABLED])
async def test_create_makes_one_channel_in_the_chosen_status(subject: Subject, status: ChannelStatus) -> None:
    """Through the create path every screen and command uses: some servers drop the status (Octopus
    stores every new channel enabled), and `services.creation` sets it again and verifies it."""
    spec = subject.spec(status=status)
    created = await create_channel(subject.backend, spec)
    assert created.name == spec.name
    assert created.status.is_enabled is status.is_enabled
    listed = [c for c in await subject.backend.list_channels() if c.name == spec.name]
    assert [c.id for c in listed] == [created.id]
    assert listed[0].status.is_enabled is status.is_enabled
    assert set(listed[0].models) == set(spec.models)


async def test_editing_one_field_leaves_every_other_field_as_it_was(subject: Subject) -> None:
    created = await subject.backend.create_channel(subject.spec())
    before = await subject.backend.get_channel(created.id)
    renamed = f"{before.name}-renamed"
    await subject.backend.update_channel(before, {"name": renamed})
    after = await subject.backend.get_channel(created.id)
    assert after.name == renamed
    assert (after.type.code, after.status, after.base_url, after.models, after.key, after.tag) == (
        before.type.code,
        before.status,
        before.base_url,
        before.models,
        before.key,
        before.tag,
    )
    kept = {k: v for k, v in before.raw.items() if k not in ("name", "updatedAt", "updated_at", "updated_time")}
    assert {k: after.raw.get(k) for k in kept} == kept


async def test_status_changes_round_trip(subject: Subject) -> None:
    created = await subject.backend.create_channel(subject.spec())
    await subject.backend.set_status(created.id, False)
    assert (await subject.backend.get_channel(created.id)).status.is_disabled
    await subject.backend.set_status(created.id, True)
    assert (await subject.backend.get_channel(created.id)).status.is_enabled


async def test_an_edit_can_change_the_status(subject: Subject) -> None:
    created = await subject.backend.create_channel(subject.spec())
    saved = await subject.backend.update_channel(created, {"status": ChannelStatus.MANUALLY_DISABLED})
    assert saved.status.is_disabled
    assert (await subject.backend.get_channel(created.id)).status.is_disabled


async def test_search_finds_a_channel_by_name(subject: Subject) -> None:
    """By the server where it can search, else by the client over the full list."""
    created = await subject.backend.create_channel(subject.spec())
    assert created.id in {c.id for c in await subject.backend.search_channels(created.name)}


async def test_delete_or_the_reason_why_not(subject: Subject) -> None:
    created = await subject.backend.create_channel(subject.spec())
    if not subject.capabilities.supports(Operation.DELETE):
        with pytest.raises(NotSupported) as refused:
            await subject.backend.delete_channel(created.id)
        assert refused.value.message == subject.capabilities.unsupported_reason(Operation.DELETE)
        return
    await subject.backend.delete_channel(created.id)
    with pytest.raises(NotFound):
        await subject.backend.get_channel(created.id)


async def test_a_working_channel_passes_its_test(subject: Subject) -> None:
    created = await subject.backend.create_channel(subject.spec())
    result = await subject.backend.test_channel(created)
    assert result.ok, result.message


async def test_a_failing_upstream_is_a_failed_result_not_an_error(subject: Subject) -> None:
    """A failed result of the connectivity test: Octopus answers a refused key with an empty model
    list, which the test service (`services.upstream_models`) counts as a failure like any other."""
    spec = subject.spec()
    spec.key = "sk-invalid-0123456789abcdef"
    created = await subject.backend.create_channel(spec)
    result = await connectivity_operation(subject.backend)(created)
    assert result.outcome is Outcome.FAILED
    assert "sk-invalid-0123456789abcdef" not in result.message


async def test_fetch_models_or_the_reason_why_not(subject: Subject) -> None:
    created = await subject.backend.create_channel(subject.spec())
    if not subject.capabilities.supports(Operation.FETCH_MODELS):
        with pytest.raises(NotSupported) as refused:
            await subject.backend.fetch_models(created)
        assert refused.value.message == subject.capabilities.unsupported_reason(Operation.FETCH_MODELS)
        return
    assert "gpt-4o" in await subject.backend.fetch_models(created)


async def test_a_field_the_server_lacks_is_refused_and_nothing_changes(subject: Subject) -> None:
    names = {spec.name for spec in subject.capabilities.fields}
    missing = next((n for n in ("priority", "weight", "groups") if n not in names), None)
    if missing is None:
        pytest.skip("this flavor has priority, weight and groups")
    created: Channel = await subject.backend.create_channel(subject.spec())
    value = ("vip",) if missing == "groups" else 5
    with pytest.raises((NotSupported, RequestRejected)):
        await subject.backend.update_channel(created, {missing: value})
    assert (await subject.backend.get_channel(created.id)).name == created.name


async def test_operations_the_server_lacks_raise_not_supported_with_the_reason(subject: Subject) -> None:
    capabilities = subject.capabilities
    if capabilities.supports(Operation.BALANCE):
        pytest.skip("this flavor has balances")
    with pytest.raises(NotSupported) as refused:
        await subject.backend.update_balance(1)  # type: ignore[attr-defined]
    assert refused.value.message == capabilities.unsupported_reason(Operation.BALANCE)


async def test_list_returns_exactly_the_stored_channels(subject: Subject) -> None:
    channels = await subject.backend.list_channels()
    assert sorted(c.id for c in channels) == subject.site.server.channel_ids()


async def test_a_missing_channel_is_not_found(subject: Subject) -> None:
    with pytest.raises(NotFound):
        await subject.backend.get_channel(987654)


async def test_a_rename_leaves_the_server_record_as_it_was(subject: Subject) -> None:
    """What the server stored, not what the client reports: an update that zeroes what it was not
    sent (One Hub with `models`) would show here."""
    created = await subject.backend.create_channel(subject.spec())
    channel = {c.id: c for c in await subject.backend.list_channels()}[created.id]
    before = subject.site.server.record(created.id)
    await subject.backend.update_channel(channel, {"name": "renamed-by-contract"})
    after = subject.site.server.record(created.id)
    volatile = {"name", "updatedAt", "updated_at", "updated_time"}
    assert after["name"] == "renamed-by-contract"
    assert {k: v for k, v in after.items() if k not in volatile} == {k: v for k, v in before.items() if k not in volatile}


async def test_a_models_edit_keeps_the_key_the_name_and_the_status(subject: Subject) -> None:
    spec = subject.spec(status=ChannelStatus.MANUALLY_DISABLED)
    created = await create_channel(subject.backend, spec)
    channel = {c.id: c for c in await subject.backend.list_channels()}[created.id]
    saved = await subject.backend.update_channel(channel, {"models": ("gpt-4.1",)})
    assert saved.models == ("gpt-4.1",)
    again = {c.id: c for c in await subject.backend.list_channels()}[created.id]
    assert (again.models, again.name, again.status.is_disabled) == (("gpt-4.1",), spec.name, True)
    if subject.capabilities.supports(Operation.REVEAL_KEY):
        assert await subject.backend.reveal_key(created.id) == spec.key  # type: ignore[attr-defined]
    else:
        assert spec.key in str(subject.site.server.record(created.id))


async def test_several_channels_are_deleted_at_once(subject: Subject) -> None:
    if not subject.capabilities.supports(Operation.DELETE):
        pytest.skip("this flavor cannot delete")
    first, second, *_ = subject.site.server.channel_ids()
    assert await subject.backend.delete_channels([first, second]) == 2
    assert not {first, second} & set(subject.site.server.channel_ids())


async def test_a_test_with_a_chosen_model(subject: Subject) -> None:
    created = await subject.backend.create_channel(subject.spec())
    result = await subject.backend.test_channel(created, "gpt-4o-mini")
    assert result.ok, result.message


async def test_an_operation_the_server_lacks_says_so_before_any_request(subject: Subject) -> None:
    backend, capabilities = subject.backend, subject.capabilities
    calls = {
        Operation.COPY: lambda: backend.copy_channel(1),
        Operation.BATCH_TAG: lambda: backend.set_tag([1], "x"),
        Operation.TAG_STATUS: lambda: backend.set_tag_status("x", True),
        Operation.TAG_EDIT: lambda: backend.edit_tag("x", {"priority": 1}),
        Operation.BALANCE: lambda: backend.update_balance(1),
        Operation.TEST_ALL: lambda: backend.test_all(),
        Operation.DELETE_DISABLED: lambda: backend.delete_disabled(),
        Operation.MODEL_CATALOG: lambda: backend.model_catalog(),
    }
    sent = sum(subject.site.stats.by_path.values())
    for operation in (op for op in calls if not capabilities.supports(op)):
        with pytest.raises(NotSupported) as refused:
            await calls[operation]()
        assert refused.value.message == capabilities.unsupported_reason(operation)
    assert sum(subject.site.stats.by_path.values()) == sent


@pytest.mark.parametrize("flavor", FLAVORS)
async def test_an_answer_past_the_sites_size_cap_is_dropped_unread(gateway: DemoGateway, flavor: str) -> None:
    """Every family builds its client with the site's `max_answer_mb`."""
    site = gateway.add_flavor(f"contract-cap-{flavor}-{next(_names)}", flavor, channels=2)
    profile = SiteProfile(**{**profile_of(site).model_dump(), "max_answer_mb": 1})
    backend = create_backend(profile, site.secret, retry=FAST_RETRY)
    try:
        await backend.connect()
        huge = site.faults.add("huge_body", "*", times=None, size=8 * 2**20)
        with pytest.raises(AnswerTooLarge, match="more than 1 MB"):
            await backend.list_channels()
        assert huge.sent < 8 * 2**20
    finally:
        await backend.close()
