"""Undo through the Backend interface on every emulated backend: values put back after the server is
checked, deletes created again from the trash, creates deleted to the trash, and every refusal
with its reason. The "other admin" who changes a channel meanwhile is a second, unjournalled client."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from tui_channels.backends.base import Operation
from tui_channels.demo.gateway import DemoGateway
from tui_channels.models import Channel, ChannelSpec, ChannelStatus
from tui_channels.services import trash
from tui_channels.services.batch import BatchRun, BatchSettings
from tui_channels.services.creation import create_channel
from tui_channels.services.channel_plan import CreateRun, RowState, creation_settings
from tui_channels.services.journal import Entry
from tui_channels.services.results import Outcome
from tui_channels.services.undo import UndoKind, UndoRefused, apply_undo, plan_undo, tally

from .backend_helpers import FLAVORS, UndoSubject, undo_subject


Subject = UndoSubject


async def _subject(gateway: DemoGateway, flavor: str, monkeypatch: pytest.MonkeyPatch) -> Subject:
    return await undo_subject(gateway, flavor, monkeypatch, prefix="undo")


@pytest.fixture(params=FLAVORS)
async def subject(request: pytest.FixtureRequest, gateway: DemoGateway, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Subject]:
    made = await _subject(gateway, request.param, monkeypatch)
    yield made
    await made.close()


async def test_an_edit_is_put_back_and_the_undo_is_journalled(subject: Subject) -> None:
    channel = subject.channels[0]
    await subject.backend.update_channel(channel, {"name": channel.name + "-edited"})
    edit = subject.last()
    plan = await plan_undo(subject.backend, edit)
    results = await apply_undo(subject.backend, plan, site=subject.site.name)
    assert [r.outcome for r in results] == [Outcome.OK]
    assert (await subject.other.get_channel(channel.id)).name == channel.name
    undo = subject.last()
    assert (undo.undoes, undo.action, undo.changes[0].after) == (edit.id, "undo", {"name": channel.name})


async def test_a_status_change_is_put_back(subject: Subject) -> None:
    channel = subject.channels[1]
    await subject.backend.set_status(channel.id, not channel.status.is_enabled)
    plan = await plan_undo(subject.backend, subject.last())
    await apply_undo(subject.backend, plan, site=subject.site.name)
    assert (await subject.other.get_channel(channel.id)).status.is_enabled is channel.status.is_enabled


async def test_a_channel_changed_since_is_refused_naming_what_differs(subject: Subject) -> None:
    channel = subject.channels[0]
    edited = await subject.backend.update_channel(channel, {"name": channel.name + "-mine"})
    await subject.other.update_channel(edited, {"name": channel.name + "-theirs"})
    with pytest.raises(UndoRefused, match="changed since.*-theirs"):
        await plan_undo(subject.backend, subject.last())


async def test_a_channel_deleted_since_is_refused(subject: Subject) -> None:
    if not subject.backend.capabilities.supports(Operation.DELETE):
        pytest.skip("this server cannot delete channels")
    # An untagged channel: One Hub and Done Hub refuse edits inside a tag whose members' types differ.
    channel = ([c for c in subject.channels[2:] if not c.tag] or subject.channels[2:])[0]
    await subject.backend.update_channel(channel, {"name": channel.name + "-x"})
    await subject.other.delete_channel(channel.id)
    with pytest.raises(UndoRefused, match="not on the server any more"):
        await plan_undo(subject.backend, subject.last())


async def test_an_undo_done_already_is_refused(subject: Subject) -> None:
    channel = subject.channels[0]
    await subject.backend.update_channel(channel, {"name": channel.name + "-once"})
    edit = subject.last()
    await apply_undo(subject.backend, await plan_undo(subject.backend, edit), site=subject.site.name)
    with pytest.raises(UndoRefused, match=f"nothing to put back: #{channel.id} .*changed back since"):
        await plan_undo(subject.backend, edit)
    with pytest.raises(UndoRefused, match=f"undone already: #{channel.id} .*undone by entry"):
        await plan_undo(subject.backend, edit, journal=subject.entries())


async def test_a_changed_key_cannot_be_put_back(subject: Subject) -> None:
    channel = subject.channels[0]
    key_field = "keys" if subject.backend.capabilities.field("key").kind.value == "key_list" else "key"
    if key_field == "keys":
        pytest.skip("a key list is edited as a list")
    await subject.backend.update_channel(channel, {"key": "sk-undo-new-key-0123456789"})
    with pytest.raises(UndoRefused, match="it changed only key, and the journal never keeps secrets"):
        await plan_undo(subject.backend, subject.last())


async def test_a_created_channel_is_deleted_to_the_trash_if_unchanged(
    gateway: DemoGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = await _subject(gateway, "octopus-current", monkeypatch)
    try:
        source = made.channels[0]
        spec_name = source.name + "-new"
        created = await made.backend.create_channel(
            _spec_from(source, spec_name, key="sk-undo-created-0123456789")
        )
        plan = await plan_undo(made.backend, made.last())
        assert plan.kind is UndoKind.DELETE_CREATED and "Delete" in plan.describe()
        results = await apply_undo(made.backend, plan, site=made.site.name)
        assert [r.outcome for r in results] == [Outcome.OK]
        assert created.id not in {c.id for c in await made.other.list_channels()}
        [record] = [r for r in trash.read() if r["channel"]["id"] == created.id]
        assert record["reason"] == "undo" and record["site"] == made.site.name
        assert made.last().op == "delete" and made.last().undoes is not None
    finally:
        await made.session.disconnect()
        await made.other.close()


async def test_a_created_channel_changed_since_is_not_deleted(gateway: DemoGateway, monkeypatch: pytest.MonkeyPatch) -> None:
    made = await _subject(gateway, "newapi", monkeypatch)
    try:
        created = await made.backend.create_channel(_spec_from(made.channels[0], "undo-made", key="sk-undo-0123456789abc"))
        entry = made.last()
        await made.other.update_channel(created, {"priority": 42})
        with pytest.raises(UndoRefused, match="changed since it was created.*priority is 42"):
            await plan_undo(made.backend, entry)
    finally:
        await made.session.disconnect()
        await made.other.close()


async def _delete_like_the_app(made: Subject, channel: Channel) -> Entry:
    trash.append([channel], site=made.site.name, capabilities=made.backend.capabilities)
    await made.backend.delete_channel(channel.id)
    return made.last()


async def test_a_delete_is_undone_from_the_trash_with_the_key_octopus_returned(
    gateway: DemoGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = await _subject(gateway, "octopus-current", monkeypatch)
    try:
        channel = made.channels[3]
        entry = await _delete_like_the_app(made, channel)
        plan = await plan_undo(made.backend, entry)
        assert plan.kind is UndoKind.RECREATE_DELETED and plan.restore is not None
        assert [row.state for row in plan.restore.rows] == [RowState.READY]
        settings = creation_settings(BatchSettings())
        await BatchRun(plan.restore.placeholders(), CreateRun(made.backend, plan.restore, undoes=entry.id), settings).run()
        [back] = [c for c in await made.other.list_channels() if c.name == channel.name]
        assert back.key == channel.key and back.id != channel.id
        assert (made.last().op, made.last().undoes) == ("create", entry.id)
        with pytest.raises(UndoRefused, match="undone already.*same base URL and key"):
            await plan_undo(made.backend, entry)
    finally:
        await made.session.disconnect()
        await made.other.close()


async def test_a_new_api_delete_needs_its_key_supplied(gateway: DemoGateway, monkeypatch: pytest.MonkeyPatch) -> None:
    made = await _subject(gateway, "newapi", monkeypatch)
    try:
        entry = await _delete_like_the_app(made, made.channels[0])
        plan = await plan_undo(made.backend, entry)
        assert plan.restore is not None
        assert "supply it" in plan.restore.rows[0].reason
    finally:
        await made.session.disconnect()
        await made.other.close()


async def test_a_delete_without_a_trash_record_is_refused(gateway: DemoGateway, monkeypatch: pytest.MonkeyPatch) -> None:
    made = await _subject(gateway, "octopus-legacy", monkeypatch)
    try:
        await made.backend.delete_channel(made.channels[0].id)
        with pytest.raises(UndoRefused, match="trash holds no record"):
            await plan_undo(made.backend, made.last())
    finally:
        await made.session.disconnect()
        await made.other.close()


async def test_a_tag_edit_puts_back_each_channels_own_values(gateway: DemoGateway, monkeypatch: pytest.MonkeyPatch) -> None:
    made = await _subject(gateway, "newapi", monkeypatch)
    try:
        first, second = made.channels[0], made.channels[1]
        await made.backend.update_channel(first, {"priority": 3})
        await made.backend.update_channel(second, {"priority": 8})
        await made.backend.set_tag([first.id, second.id], "undo-tag")
        tagging = made.last()
        await made.backend.edit_tag("undo-tag", {"priority": 50, "new_tag": "undo-renamed"})
        plan = await plan_undo(made.backend, made.last())
        await apply_undo(made.backend, plan, site=made.site.name)
        now = {c.id: c for c in await made.other.list_channels()}
        assert (now[first.id].priority, now[second.id].priority) == (3, 8)
        assert now[first.id].tag == now[second.id].tag == "undo-tag"
        await apply_undo(made.backend, await plan_undo(made.backend, tagging), site=made.site.name)
        now = {c.id: c for c in await made.other.list_channels()}
        assert (now[first.id].tag, now[second.id].tag) == (first.tag, second.tag)
    finally:
        await made.session.disconnect()
        await made.other.close()


async def test_a_tag_wide_disable_enables_only_the_channels_it_disabled(
    gateway: DemoGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = await _subject(gateway, "newapi", monkeypatch)
    try:
        first, second = made.channels[0], made.channels[1]
        await made.backend.set_tag([first.id, second.id], "undo-status")
        await made.backend.set_status(first.id, True)
        await made.backend.set_status(second.id, False)
        await made.backend.set_tag_status("undo-status", False)
        plan = await plan_undo(made.backend, made.last())
        assert [item.channel.id for item in plan.channels] == [first.id], "the disabled one did not change"
        results = await apply_undo(made.backend, plan, site=made.site.name)
        assert [r.outcome for r in results] == [Outcome.OK]
        now = {c.id: c for c in await made.other.list_channels()}
        assert now[first.id].status is ChannelStatus.ENABLED and now[second.id].status.is_disabled
    finally:
        await made.session.disconnect()
        await made.other.close()


async def test_what_cannot_be_undone_says_why(gateway: DemoGateway, monkeypatch: pytest.MonkeyPatch) -> None:
    made = await _subject(gateway, "octopus-current", monkeypatch)
    try:
        await made.backend.server_sync()
        with pytest.raises(UndoRefused, match="synced these models itself"):
            await plan_undo(made.backend, made.last())
        with pytest.raises(Exception):
            await made.backend.update_channel(made.channels[0], {"match_regex": "("})
        failed = made.last()
        assert not failed.ok
        with pytest.raises(UndoRefused, match="this write failed"):
            await plan_undo(made.backend, failed)
    finally:
        await made.session.disconnect()
        await made.other.close()


def _spec_from(channel: Channel, name: str, *, key: str) -> ChannelSpec:
    return ChannelSpec(name=name, type=channel.type.code, key=key, base_url=channel.base_url, models=("gpt-4o",))


async def test_a_channel_created_disabled_on_octopus_can_be_undone(
    gateway: DemoGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Octopus stores a new channel enabled and the tool then disables it (a second entry): the
    create's undo knows the channel as the tool left it."""
    made = await _subject(gateway, "octopus-current", monkeypatch)
    try:
        spec = _spec_from(made.channels[0], "undo-created-off", key="sk-undo-off-0123456789")
        spec.status = ChannelStatus.MANUALLY_DISABLED
        created = await create_channel(made.backend, spec)
        journal = made.entries()
        assert [e.op for e in journal] == ["create", "status"]
        with pytest.raises(UndoRefused, match="changed since it was created.*status"):
            await plan_undo(made.backend, journal[0])
        plan = await plan_undo(made.backend, journal[0], journal=journal)
        await apply_undo(made.backend, plan, site=made.site.name)
        assert created.id not in {c.id for c in await made.other.list_channels()}
    finally:
        await made.session.disconnect()
        await made.other.close()


async def test_a_refusal_names_the_later_entry_to_undo_first(
    gateway: DemoGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = await _subject(gateway, "newapi", monkeypatch)
    try:
        channel = made.channels[0]
        first = await made.backend.update_channel(channel, {"priority": 3})
        await made.backend.update_channel(first, {"priority": 4})
        journal = made.entries()
        with pytest.raises(UndoRefused, match="priority is 4, not 3\\), changed by entry 2: undo that first"):
            await plan_undo(made.backend, journal[0], journal=journal)
    finally:
        await made.session.disconnect()
        await made.other.close()


async def test_a_created_channel_the_tool_edited_since_is_not_deleted(
    gateway: DemoGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A later journalled edit is a change since the create, like anyone else's: the undo refuses
    and names the entry to undo first; only what the create itself set right after it counts as
    created (see the Octopus status test above)."""
    made = await _subject(gateway, "newapi", monkeypatch)
    try:
        created = await create_channel(made.backend, _spec_from(made.channels[0], "undo-made-edited", key="sk-undo-ed-0123456789"))
        await made.backend.update_channel(created, {"priority": 42})
        journal = made.entries()
        with pytest.raises(UndoRefused, match="changed since it was created \\(priority is 42.*changed by entry 2: undo that first"):
            await plan_undo(made.backend, journal[0], journal=journal)
        assert created.id in {c.id for c in await made.other.list_channels()}
    finally:
        await made.session.disconnect()
        await made.other.close()


async def test_a_created_channel_changed_after_the_check_is_left_alone(
    gateway: DemoGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check runs again just before the delete: a change made while the confirmation was open
    keeps the channel."""
    made = await _subject(gateway, "newapi", monkeypatch)
    try:
        created = await create_channel(made.backend, _spec_from(made.channels[0], "undo-made-late", key="sk-undo-late-0123456789"))
        plan = await plan_undo(made.backend, made.last(), journal=made.entries())
        await made.other.update_channel(created, {"weight": 9})
        [result] = await apply_undo(made.backend, plan, site=made.site.name)
        assert result.outcome is Outcome.FAILED and "changed since the undo was checked (weight is 9" in result.message
        assert created.id in {c.id for c in await made.other.list_channels()}
    finally:
        await made.session.disconnect()
        await made.other.close()


async def test_an_edit_with_a_new_key_puts_back_the_rest_and_says_the_key_stays(subject: Subject) -> None:
    capabilities = subject.backend.capabilities
    if capabilities.field("key").kind.value == "key_list":
        pytest.skip("a key list is edited as a list")
    channel = subject.channels[0]
    await subject.backend.update_channel(channel, {"key": "sk-undo-rotated-0123456789", "name": channel.name + "-rotated"})
    plan = await plan_undo(subject.backend, subject.last())
    assert plan.not_restorable == ["key"]
    assert plan.describe().startswith("The key cannot be restored: the journal never keeps secrets"), (
        "what cannot be put back comes before the list of channels"
    )
    [result] = await apply_undo(subject.backend, plan, site=subject.site.name)
    assert result.outcome is Outcome.OK and "key not restored (the journal never keeps secrets)" in result.message
    assert (await subject.other.get_channel(channel.id)).name == channel.name
    stored = json.dumps(subject.site.server.record(channel.id), ensure_ascii=False)
    assert "sk-undo-rotated-0123456789" in stored or "sk-u••••••6789" in stored
    undo = subject.last().changes[0]
    assert (undo.before, undo.withheld) == ({"name": channel.name + "-rotated"}, ())


async def test_what_an_undo_did_is_counted_from_its_results(subject: Subject) -> None:
    channel = subject.channels[0]
    await subject.backend.update_channel(channel, {"name": channel.name + "-counted"})
    plan = await plan_undo(subject.backend, subject.last())
    results = await apply_undo(subject.backend, plan, site=subject.site.name)
    assert tally([(plan, results)]) == "put back 1 channel"


def test_an_undo_says_it_sets_an_auto_disabled_channel_back_to_disabled_by_hand() -> None:
    """The gateway alone marks a channel auto-disabled: an undo of a disable (a whole tag's, say)
    writes "disabled" for it, and its confirmation says so instead of promising "auto-disabled"."""
    from tui_channels.services.history import change_text
    from tui_channels.services.journal import Change

    change = Change(id=11, name="gpt-batch-65", before={"status": "auto_disabled"}, after={"status": "manually_disabled"})
    text = change_text(change, reverse=True)
    assert text.startswith("status disabled → disabled (was auto-disabled") and "→ auto-disabled" not in text
    assert change_text(change) == "status auto-disabled → disabled"
