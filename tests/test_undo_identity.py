"""Undo acts on the channel its entry wrote, never on another that took its id since (New API, One API
and Veloera on SQLite give the highest id again once its channel is deleted), and a channel already
where an undo would put it (someone set it back meanwhile) is left alone as skipped, not failed.
The "other admin" is a second, unjournalled client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from tui_channels.backends.base import Operation
from tui_channels.demo.gateway import EMULATED_FLAVORS, NEWAPI_FLAVORS, DemoGateway
from tui_channels.models import Channel, ChannelSpec
from tui_channels.services import trash
from tui_channels.services.creation import create_channel
from tui_channels.services.journal import Entry
from tui_channels.services.recorder import one_batch
from tui_channels.services.results import Outcome
from tui_channels.services.undo import (
    UndoKind,
    UndoRefused,
    apply_batch_undo,
    apply_undo,
    plan_batch_undo,
    plan_undo,
    tally,
)

from .backend_helpers import UndoSubject, connected_site, undo_subject


@pytest.fixture(params=NEWAPI_FLAVORS)
async def reusing(request: pytest.FixtureRequest, gateway: DemoGateway, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[UndoSubject]:
    """A site whose server gives an id again (the New API family on SQLite)."""
    made = await undo_subject(gateway, request.param, monkeypatch, prefix="undo-id")
    yield made
    await made.close()


@pytest.fixture(params=EMULATED_FLAVORS)
async def subject(request: pytest.FixtureRequest, gateway: DemoGateway, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[UndoSubject]:
    made = await undo_subject(gateway, request.param, monkeypatch, prefix="undo-skip")
    yield made
    await made.close()


def _spec(like: Channel, name: str) -> ChannelSpec:
    return ChannelSpec(name=name, type=like.type.code, key="sk-undo-id-0123456789abcdef", base_url=like.base_url, models=("gpt-4o",))


@pytest.mark.parametrize("flavor", EMULATED_FLAVORS)
async def test_the_demo_gives_an_id_again_only_where_the_real_server_does(gateway: DemoGateway, flavor: str) -> None:
    """New API, One API and Veloera keep channels in `id integer PRIMARY KEY` (no AUTOINCREMENT): a
    new channel gets the highest id plus one, the deleted highest's id again. The others never
    give an id twice (AUTOINCREMENT, PostgreSQL serial)."""
    site, backend = await connected_site(gateway, flavor, channels=4, prefix="undo-id-demo")
    try:
        if not backend.capabilities.supports(Operation.DELETE):
            pytest.skip("this server cannot delete channels")
        highest = max(await backend.list_channels(), key=lambda c: c.id)
        await backend.delete_channel(highest.id)
        created = await create_channel(backend, _spec(highest, "undo-id-demo-new"))
        assert (created.id == highest.id) is (flavor in NEWAPI_FLAVORS)
    finally:
        await backend.close()


@dataclass
class Reused:
    channel: Channel
    """The channel the entries wrote, deleted since."""
    disable: Entry
    delete: Entry
    other: Channel
    """A new channel at the same id, which another admin disabled."""


async def _reuse(made: UndoSubject) -> Reused:
    """The trial's steps: disable the channel with the highest id, delete it (to the trash first, as
    the app does), create a new one (it gets the same id), and another admin disables that one."""
    channel = max(made.channels, key=lambda c: c.id)
    if not channel.status.is_enabled:
        await made.other.set_status(channel.id, True)
    channel = await made.backend.get_channel(channel.id)
    await made.backend.set_status(channel.id, False)
    disable = made.last()
    trash.append([channel], site=made.site.name, capabilities=made.backend.capabilities)
    await made.backend.delete_channel(channel.id)
    delete = made.last()
    other = await create_channel(made.backend, _spec(channel, "undo-id-other"))
    assert other.id == channel.id
    await made.other.set_status(other.id, False)
    return Reused(channel, disable, delete, other)


async def test_undo_refuses_a_channel_that_took_the_id_of_one_deleted_since(reusing: UndoSubject) -> None:
    made = await _reuse(reusing)
    pattern = (
        f"#{made.channel.id} is now undo-id-other, not {made.channel.name}: "
        f"the channel was deleted since \\(entry {made.delete.id}\\)"
    )
    with pytest.raises(UndoRefused, match=pattern):
        await plan_undo(reusing.backend, made.disable, journal=reusing.entries())
    assert (await reusing.other.get_channel(made.other.id)).status.is_disabled


async def test_without_the_journal_the_identity_tells_the_channels_apart(reusing: UndoSubject) -> None:
    """The delete and create made by another tool: the entry's creation time tells the channel is not
    the one it wrote."""
    made = await _reuse(reusing)
    with pytest.raises(UndoRefused, match=f"#{made.channel.id} is now undo-id-other, not {made.channel.name}: another channel took its id"):
        await plan_undo(reusing.backend, made.disable, journal=[made.disable])
    assert (await reusing.other.get_channel(made.other.id)).status.is_disabled


async def test_an_entry_journalled_before_identities_is_refused_by_the_later_delete(reusing: UndoSubject) -> None:
    made = await _reuse(reusing)
    old = made.disable.model_copy(
        update={"v": 1, "changes": tuple(c.model_copy(update={"created": None}) for c in made.disable.changes)}
    )
    journal = [old if e.id == old.id else e for e in reusing.entries()]
    with pytest.raises(UndoRefused, match=f"the channel was deleted since \\(entry {made.delete.id}\\)"):
        await plan_undo(reusing.backend, old, journal=journal)


async def test_a_delete_undo_does_not_take_the_channel_at_its_id_for_the_deleted_one(reusing: UndoSubject) -> None:
    made = await _reuse(reusing)
    plan = await plan_undo(reusing.backend, made.delete, journal=reusing.entries())
    assert plan.kind is UndoKind.RECREATE_DELETED and plan.restore is not None
    assert [row.spec.name for row in plan.restore.rows] == [made.channel.name]


async def test_a_channel_that_takes_the_id_after_the_check_is_left_alone(reusing: UndoSubject) -> None:
    """The undo was checked; before it writes, another admin deletes the channel and creates another
    at its id: the write is not sent."""
    channel = max(reusing.channels, key=lambda c: c.id)
    if not channel.status.is_enabled:
        await reusing.other.set_status(channel.id, True)
    await reusing.backend.set_status(channel.id, False)
    plan = await plan_undo(reusing.backend, reusing.last(), journal=reusing.entries())
    await reusing.other.delete_channel(channel.id)
    other = await create_channel(reusing.other, _spec(channel, "undo-id-later"))
    await reusing.other.set_status(other.id, False)
    results = await apply_undo(reusing.backend, plan, site=reusing.site.name)
    assert [r.outcome for r in results] == [Outcome.FAILED]
    assert f"another channel holds #{channel.id} now (undo-id-later)" in results[0].message
    assert (await reusing.other.get_channel(other.id)).status.is_disabled


async def _enabled(made: UndoSubject) -> list[Channel]:
    """Two channels, enabled (by the other admin where they were not), as the session reads them now.
    Untagged ones first: One Hub and Done Hub refuse edits inside a tag whose members' types differ."""
    picked = sorted(made.channels, key=lambda c: bool(c.tag))[:2]
    for channel in picked:
        if not channel.status.is_enabled:
            await made.other.set_status(channel.id, True)
    return [await made.backend.get_channel(c.id) for c in picked]


async def test_a_status_set_back_meanwhile_is_skipped_not_failed(subject: UndoSubject) -> None:
    channel = (await _enabled(subject))[0]
    await subject.backend.set_status(channel.id, False)
    plan = await plan_undo(subject.backend, subject.last(), journal=subject.entries())
    await subject.other.set_status(channel.id, True)
    results = await apply_undo(subject.backend, plan, site=subject.site.name)
    assert [(r.outcome, r.message) for r in results] == [
        (Outcome.SKIPPED, "already enabled (set so since the undo was checked): left alone")
    ]
    assert tally([(plan, results)]) == "nothing changed; 1 channel already as before"


async def test_values_set_back_meanwhile_are_skipped_not_failed(subject: UndoSubject) -> None:
    channel = (await _enabled(subject))[0]
    await subject.backend.update_channel(channel, {"name": channel.name + "-renamed"})
    plan = await plan_undo(subject.backend, subject.last(), journal=subject.entries())
    await subject.other.update_channel(await subject.other.get_channel(channel.id), {"name": channel.name})
    results = await apply_undo(subject.backend, plan, site=subject.site.name)
    assert [(r.outcome, r.message) for r in results] == [
        (Outcome.SKIPPED, f"already back to name {channel.name} (set so since the undo was checked): left alone")
    ]


async def test_a_batch_undo_counts_a_channel_set_back_meanwhile_as_skipped(subject: UndoSubject) -> None:
    first, second = (await _enabled(subject))[:2]
    with one_batch():
        await subject.backend.set_status(first.id, False)
        await subject.backend.set_status(second.id, False)
    undo = await plan_batch_undo(subject.backend, subject.last(), subject.entries())
    await subject.other.set_status(first.id, True)
    done = await apply_batch_undo(subject.backend, undo, site=subject.site.name)
    outcomes = {r.channel_id: r.outcome for _plan, results in done for r in results}
    assert outcomes == {first.id: Outcome.SKIPPED, second.id: Outcome.OK}
    assert "failed" not in tally(done)


async def test_a_created_channel_deleted_meanwhile_is_skipped_not_failed(subject: UndoSubject) -> None:
    if not subject.backend.capabilities.supports(Operation.DELETE):
        pytest.skip("this server cannot delete channels")
    created = await create_channel(subject.backend, _spec(subject.channels[0], "undo-skip-made"))
    entries = [e for e in subject.entries() if e.op in ("create", "copy")]
    plan = await plan_undo(subject.backend, entries[-1], journal=subject.entries())
    await subject.other.delete_channel(created.id)
    results = await apply_undo(subject.backend, plan, site=subject.site.name)
    assert [(r.outcome, r.message) for r in results] == [
        (Outcome.SKIPPED, "already deleted (since the undo was checked): left alone")
    ]
