"""Every write that changes or deletes existing channels starts from the server, not from the list the
app loaded earlier (trial round 3): on every emulated backend, "another admin" (a second client,
over HTTP) changes a channel after the app listed it, then the app writes, and the server, the
journal's "before", the trash and the undo show what the server held just before the write."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tui_channels.demo.gateway import DemoGateway
from tui_channels.models import Channel, ChannelStatus
from tui_channels.services import bulk
from tui_channels.services.batch import BatchRun, BatchSettings
from tui_channels.services.results import Outcome
from tui_channels.services.status_change import StatusChange, undo_operation

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
