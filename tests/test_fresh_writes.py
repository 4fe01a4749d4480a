"""Every write that changes or deletes existing channels starts from the server, not from the list the
app loaded earlier (trial round 3): on every emulated backend, "another admin" (a second client,
over HTTP) changes a channel after the app listed it, then the app writes, and the server, the
journal's "before", the trash and the undo show what the server held just before the write."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from tui_channels.backends.base import Operation
from tui_channels.demo.gateway import DemoGateway
from tui_channels.models import Channel, ChannelStatus
from tui_channels.services import bulk, sync, trash
from tui_channels.services.batch import BatchRun, BatchSettings
from tui_channels.services.channel_plan import CreateRun, RowState, creation_settings
from tui_channels.services.results import ChannelResult, Outcome
from tui_channels.services.server_edit import ChangedOnServer, edit_channel
from tui_channels.services.status_change import StatusChange, undo_operation
from tui_channels.services.undo import plan_undo

from .backend_helpers import FLAVORS, UndoSubject, undo_subject

WRITES = BatchSettings(concurrency=2, read_only=False)


@pytest.fixture(params=FLAVORS)
async def subject(request: pytest.FixtureRequest, gateway: DemoGateway, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[UndoSubject]:
    made = await undo_subject(gateway, request.param, monkeypatch, prefix="fresh")
    yield made
    await made.close()


def enabled_one(subject: UndoSubject) -> Channel:
    return next(c for c in subject.channels if c.status.is_enabled)


def auto_disable(subject: UndoSubject, channel_id: int) -> None:
    """What the gateway does after upstream failures (no admin route sets it): status 3 in its table."""
    rows = getattr(getattr(subject.site.server, "table", None), "rows", None)
    if not rows or "status" not in rows[channel_id]:
        pytest.skip("this server has no auto-disabled status of its own")
    rows[channel_id]["status"] = 3


async def status_batch(subject: UndoSubject, channels: list[Channel], enabled: bool) -> tuple[list, StatusChange]:
    """The app's enable / disable of `channels` as it listed them, recorded for ctrl+z."""
    change = StatusChange("Enable" if enabled else "Disable")
    operation = change.journalled(bulk.set_status(subject.backend, enabled, channels))
    results = await BatchRun(channels, operation, WRITES, on_result=change.recorder(channels)).run()
    return results, change


async def test_a_disable_leaves_a_channel_another_admin_disabled_and_journals_nothing(subject: UndoSubject) -> None:
    listed = enabled_one(subject)
    await subject.other.set_status(listed.id, False)
    written = len(subject.entries())
    results, change = await status_batch(subject, [listed], False)
    assert [(r.outcome, r.message) for r in results] == [(Outcome.SKIPPED, "already disabled")]
    assert len(subject.entries()) == written
    assert not len(change)


async def test_a_disable_never_writes_over_a_channel_the_gateway_auto_disabled(subject: UndoSubject) -> None:
    listed = enabled_one(subject)
    auto_disable(subject, listed.id)
    results, _change = await status_batch(subject, [listed], False)
    assert [(r.outcome, r.message) for r in results] == [(Outcome.SKIPPED, "already auto-disabled")]
    assert subject.site.server.record(listed.id)["status"] == 3


async def test_an_enable_journals_the_servers_status_and_its_undo_disables_again(subject: UndoSubject) -> None:
    listed = enabled_one(subject)
    await subject.other.set_status(listed.id, False)
    results, change = await status_batch(subject, [listed], True)
    assert [r.outcome for r in results] == [Outcome.OK]
    assert (await subject.other.get_channel(listed.id)).status is ChannelStatus.ENABLED
    entry = subject.last()
    assert entry.op == "status" and entry.changes[0].before == {"status": "manually_disabled"}
    assert change.before == {listed.id: ChannelStatus.MANUALLY_DISABLED}

    plan = change.undo_plan({listed.id: await subject.backend.get_channel(listed.id)})
    await BatchRun(list(plan.restore), undo_operation(subject.backend, plan), WRITES).run()
    assert (await subject.other.get_channel(listed.id)).status is ChannelStatus.MANUALLY_DISABLED


def untagged(subject: UndoSubject) -> Channel:
    """A channel outside any tag: One Hub and Done Hub refuse edits inside a tag whose members' types differ."""
    return ([c for c in subject.channels if not c.tag] or subject.channels)[0]


def other_models(channel: Channel) -> list[str]:
    return [*channel.models[:1], "fresh-model-x"]


async def test_an_edit_keeps_what_another_admin_changed_in_a_field_it_does_not_touch(subject: UndoSubject) -> None:
    listed = untagged(subject)
    await subject.other.update_channel(listed, {"name": listed.name + "-theirs"})
    models = other_models(listed)
    await edit_channel(subject.backend, listed, {"models": models})
    now = await subject.other.get_channel(listed.id)
    assert now.name == listed.name + "-theirs"
    assert list(now.models) == models
    entry = subject.last()
    assert entry.op == "update" and entry.changes[0].name == listed.name + "-theirs"
    assert set(entry.changes[0].before) == {"models"}


async def test_an_edit_of_a_field_another_admin_changed_is_refused_naming_both_values(subject: UndoSubject) -> None:
    listed = untagged(subject)
    await subject.other.update_channel(listed, {"name": listed.name + "-theirs"})
    written = len(subject.entries())
    with pytest.raises(ChangedOnServer) as refused:
        await edit_channel(subject.backend, listed, {"name": listed.name + "-mine"})
    assert refused.value.message == (
        f"name changed on the server since you opened the form: {listed.name}-theirs, was {listed.name}; reload with r"
    )
    assert (await subject.other.get_channel(listed.id)).name == listed.name + "-theirs"
    assert len(subject.entries()) == written


async def test_an_edit_another_admin_made_already_sends_nothing(subject: UndoSubject) -> None:
    listed = untagged(subject)
    await subject.other.update_channel(listed, {"name": listed.name + "-same"})
    written = len(subject.entries())
    saved = await edit_channel(subject.backend, listed, {"name": listed.name + "-same"})
    assert saved.name == listed.name + "-same"
    assert len(subject.entries()) == written


async def test_a_sync_apply_refuses_a_channel_whose_models_changed_since_the_preview(subject: UndoSubject) -> None:
    listed = untagged(subject)
    planned = ChannelResult(
        listed.id, listed.name, Outcome.OK, old_models=listed.models, new_models=(*listed.models, "fresh-synced")
    )
    await subject.other.update_channel(listed, {"models": other_models(listed)})
    [result] = await BatchRun([listed], sync.apply_operation(subject.backend, {listed.id: planned}), WRITES).run()
    assert result.outcome is Outcome.FAILED
    assert result.message.startswith("models changed on the server since the preview: ")
    assert result.message.endswith("; preview again")
    assert list((await subject.other.get_channel(listed.id)).models) == other_models(listed)


ROTATED = "sk-freshROTATEDkey999888777666555BBB"


async def test_a_delete_trashes_and_journals_the_channel_as_the_server_holds_it(subject: UndoSubject) -> None:
    if not subject.backend.capabilities.supports(Operation.DELETE):
        pytest.skip("this server cannot delete channels")
    listed = untagged(subject)
    await subject.other.update_channel(listed, {"name": listed.name + "-theirs"})
    held, _trashed = await bulk.trash_as_held(subject.backend, [listed], site=subject.site.name)
    [result] = await BatchRun(held, bulk.delete(subject.backend), WRITES).run()
    assert result.ok
    [record] = [r for r in trash.read() if r["site"] == subject.site.name]
    assert record["channel"]["name"] == listed.name + "-theirs"
    entry = subject.last()
    assert entry.op == "delete" and entry.changes[0].before["name"] == listed.name + "-theirs"


async def test_a_delete_keeps_the_key_rotated_since_and_its_undo_brings_that_key_back(subject: UndoSubject) -> None:
    capabilities = subject.backend.capabilities
    if not capabilities.supports(Operation.DELETE):
        pytest.skip("this server cannot delete channels")
    if not (capabilities.returns_keys or capabilities.supports(Operation.REVEAL_KEY)):
        pytest.skip("this server never returns a key: the trash cannot hold one")
    listed = untagged(subject)
    await subject.other.update_channel(await subject.other.get_channel(listed.id), {"key": ROTATED})
    held, _trashed = await bulk.trash_as_held(subject.backend, [listed], site=subject.site.name)
    await BatchRun(held, bulk.delete(subject.backend), WRITES).run()
    [record] = [r for r in trash.read() if r["site"] == subject.site.name]
    assert record["channel"]["key"] == ROTATED

    entry = subject.last()
    plan = await plan_undo(subject.backend, entry)
    assert plan.restore is not None and [row.state for row in plan.restore.rows] == [RowState.READY]
    settings = creation_settings(BatchSettings())
    await BatchRun(plan.restore.placeholders(), CreateRun(subject.backend, plan.restore, undoes=entry.id), settings).run()
    [back] = [c for c in await subject.other.list_channels() if c.name == listed.name]
    if back.key is None:
        back = replace(back, key=await subject.other.reveal_key(back.id))
    assert back.key == ROTATED


async def test_a_delete_leaves_out_a_channel_deleted_since_it_was_listed(subject: UndoSubject) -> None:
    if not subject.backend.capabilities.supports(Operation.DELETE):
        pytest.skip("this server cannot delete channels")
    listed = untagged(subject)
    await subject.other.delete_channel(listed.id)
    held, trashed = await bulk.trash_as_held(subject.backend, [listed], site=subject.site.name)
    assert held == [] and trashed.entries == {}
    assert [r for r in trash.read() if r["site"] == subject.site.name] == []


async def test_deleting_every_disabled_channel_stops_when_the_server_holds_one_more_disabled(subject: UndoSubject) -> None:
    if not subject.backend.capabilities.supports(Operation.DELETE_DISABLED):
        pytest.skip("this server cannot delete every disabled channel at once")
    confirmed = [c for c in subject.channels if c.status.is_disabled]
    listed = enabled_one(subject)
    await subject.other.set_status(listed.id, False)
    with pytest.raises(bulk.MoreDisabledNow, match=f"1 more disabled channel than you confirmed \\(#{listed.id} "):
        await bulk.disabled_now(subject.backend, confirmed)
    assert (await subject.other.get_channel(listed.id)).status.is_disabled


async def test_deleting_every_disabled_channel_trashes_only_those_still_disabled(subject: UndoSubject) -> None:
    if not subject.backend.capabilities.supports(Operation.DELETE_DISABLED):
        pytest.skip("this server cannot delete every disabled channel at once")
    confirmed = [c for c in subject.channels if c.status.is_disabled]
    if not confirmed:
        await subject.other.set_status(enabled_one(subject).id, False)
        confirmed = [c for c in await subject.backend.list_channels() if c.status.is_disabled]
    await subject.other.set_status(confirmed[0].id, True)
    now = await bulk.disabled_now(subject.backend, confirmed)
    assert confirmed[0].id not in {c.id for c in now}


@pytest.mark.parametrize("flavor", ["octopus-current"])
async def test_a_server_sync_journals_models_from_a_listing_made_right_before_it(
    gateway: DemoGateway, monkeypatch: pytest.MonkeyPatch, flavor: str
) -> None:
    made = await undo_subject(gateway, flavor, monkeypatch, prefix="fresh-sync")
    try:
        listed = made.channels[0]
        theirs = other_models(listed)
        await made.other.update_channel(listed, {"models": theirs})
        await made.backend.server_sync()
        entry = made.last()
        assert entry.op == "server_sync"
        mine = [c for c in entry.changes if c.id == listed.id]
        assert all(c.before == {"models": theirs} for c in mine)
    finally:
        await made.close()
