"""Undo of model group writes (Octopus, both generations) and of applied New API upstream model
updates: put back after the server is checked, refused with the reason when it changed since.
The "other admin" is a second, unjournalled client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from tui_channels.backends.base import Backend
from tui_channels.demo.gateway import DemoGateway
from tui_channels.demo.newapi.upstream_updates import CHECK, store_settings
from tui_channels.model_groups import GroupMember, ModelGroup
from tui_channels.services.group_transfer import group_trash_path
from tui_channels.services.results import Outcome
from tui_channels.services.undo import UndoKind, UndoRefused, apply_undo, plan_undo

from .backend_helpers import UndoSubject, undo_subject


class Subject(UndoSubject):
    def group(self, name: str) -> ModelGroup:
        spec = self.backend.capabilities.groups
        assert spec is not None
        members = tuple(GroupMember(c.id, c.models[0], priority=i) for i, c in enumerate(self.channels[:2]))
        return ModelGroup(None, name, spec.default_mode, members)


async def _subject(gateway: DemoGateway, flavor: str, monkeypatch: pytest.MonkeyPatch) -> Subject:
    return await undo_subject(gateway, flavor, monkeypatch, prefix="undo-group", kind=Subject)


@pytest.fixture(params=["octopus-current", "octopus-legacy"])
async def subject(
    request: pytest.FixtureRequest, gateway: DemoGateway, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Subject]:
    made = await _subject(gateway, request.param, monkeypatch)
    yield made
    await made.close()


async def _named(backend: Backend, name: str) -> ModelGroup | None:
    return next((g for g in await backend.list_model_groups() if g.name == name), None)


async def test_a_group_edit_is_put_back(subject: Subject) -> None:
    saved = await subject.backend.create_model_group(subject.group("undo-edit"))
    edited = replace(saved, name="undo-edited", members=saved.members[:1])
    await subject.backend.update_model_group(saved, edited)
    entry = subject.last()
    assert entry.op == "group_update" and entry.changes[0].of == "group"
    assert entry.changes[0].before is not None and set(entry.changes[0].before) == {"name", "members"}
    plan = await plan_undo(subject.backend, entry)
    assert plan.kind is UndoKind.VALUES and "group" in plan.describe()
    results = await apply_undo(subject.backend, plan, site=subject.site.name)
    assert [r.outcome for r in results] == [Outcome.OK]
    now = await _named(subject.other, "undo-edit")
    assert now is not None and {m.key for m in now.members} == {m.key for m in saved.members}
    undo = subject.last()
    assert (undo.undoes, undo.op) == (entry.id, "group_update")
    with pytest.raises(UndoRefused, match="undone already"):
        await plan_undo(subject.backend, entry)


async def test_a_group_changed_since_is_refused(subject: Subject) -> None:
    saved = await subject.backend.create_model_group(subject.group("undo-changed"))
    await subject.backend.update_model_group(saved, replace(saved, name="undo-changed-2"))
    entry = subject.last()
    [now] = [g for g in await subject.other.list_model_groups() if g.id == saved.id]
    await subject.other.update_model_group(now, replace(now, name="someone-else"))
    with pytest.raises(UndoRefused, match="changed since.*name is someone-else"):
        await plan_undo(subject.backend, entry)


async def test_a_group_changed_after_the_check_is_left_alone(subject: Subject) -> None:
    saved = await subject.backend.create_model_group(subject.group("undo-late"))
    await subject.backend.update_model_group(saved, replace(saved, name="undo-late-2"))
    plan = await plan_undo(subject.backend, subject.last())
    [now] = [g for g in await subject.other.list_model_groups() if g.id == saved.id]
    await subject.other.update_model_group(now, replace(now, name="someone-late"))
    [result] = await apply_undo(subject.backend, plan, site=subject.site.name)
    assert result.outcome is Outcome.FAILED and "changed since the undo was checked (name is someone-late" in result.message
    assert await _named(subject.other, "someone-late") is not None


async def test_a_group_set_back_after_the_check_is_skipped_not_failed(subject: Subject) -> None:
    """Another admin puts the group back while the undo is confirmed: it is where the undo would
    put it, so it is left alone as skipped, not failed."""
    saved = await subject.backend.create_model_group(subject.group("undo-back"))
    await subject.backend.update_model_group(saved, replace(saved, name="undo-back-2"))
    plan = await plan_undo(subject.backend, subject.last())
    [now] = [g for g in await subject.other.list_model_groups() if g.id == saved.id]
    await subject.other.update_model_group(now, replace(now, name="undo-back"))
    [result] = await apply_undo(subject.backend, plan, site=subject.site.name)
    assert (result.outcome, result.message) == (
        Outcome.SKIPPED, "already as before (set so since the undo was checked): left alone"
    )


async def test_a_created_group_deleted_after_the_check_is_skipped_not_failed(subject: Subject) -> None:
    saved = await subject.backend.create_model_group(subject.group("undo-gone"))
    plan = await plan_undo(subject.backend, subject.last())
    await subject.other.delete_model_group(saved.id)
    [result] = await apply_undo(subject.backend, plan, site=subject.site.name)
    assert (result.outcome, result.message) == (
        Outcome.SKIPPED, "already deleted (since the undo was checked): left alone"
    )


async def test_a_created_group_is_deleted_to_the_group_trash(subject: Subject) -> None:
    await subject.backend.create_model_group(subject.group("undo-created"))
    plan = await plan_undo(subject.backend, subject.last())
    assert plan.kind is UndoKind.DELETE_CREATED and plan.what == "group undo-created"
    results = await apply_undo(subject.backend, plan, site=subject.site.name)
    assert [r.outcome for r in results] == [Outcome.OK]
    assert await _named(subject.other, "undo-created") is None
    assert "undo-created" in group_trash_path().read_text(encoding="utf-8")


async def test_a_deleted_group_is_created_again_and_refused_when_its_name_is_taken(subject: Subject) -> None:
    saved = await subject.backend.create_model_group(subject.group("undo-deleted"))
    await subject.backend.delete_model_group(saved.id)
    entry = subject.last()
    assert entry.op == "group_delete" and entry.changes[0].before["name"] == "undo-deleted"
    blocker = await subject.other.create_model_group(subject.group("undo-deleted"))
    with pytest.raises(UndoRefused, match="a group named undo-deleted is on the server now"):
        await plan_undo(subject.backend, entry)
    await subject.other.delete_model_group(blocker.id)
    plan = await plan_undo(subject.backend, entry)
    assert plan.kind is UndoKind.RECREATE_GROUP
    results = await apply_undo(subject.backend, plan, site=subject.site.name)
    assert [r.outcome for r in results] == [Outcome.OK], results
    again = await _named(subject.other, "undo-deleted")
    assert again is not None and {m.key for m in again.members} == {m.key for m in saved.members}
    assert subject.last().undoes == entry.id


async def test_a_deleted_group_whose_channel_is_gone_is_refused(subject: Subject) -> None:
    saved = await subject.backend.create_model_group(subject.group("undo-orphan"))
    await subject.backend.delete_model_group(saved.id)
    entry = subject.last()
    await subject.other.delete_channel(subject.channels[0].id)
    with pytest.raises(UndoRefused, match=f"its member.s channel #{subject.channels[0].id} is not on the server"):
        await plan_undo(subject.backend, entry)


async def test_an_applied_upstream_update_is_undone(gateway: DemoGateway, monkeypatch: pytest.MonkeyPatch) -> None:
    made = await _subject(gateway, "newapi", monkeypatch)
    try:
        channel = made.channels[0]
        row = made.site.server.store[channel.id]
        key = f"sk-undo-upstream-{made.site.name}"
        gateway.upstream.key_models[key] = ["gpt-4o", "o3"]
        row.update(status=1, type=1, key=key, models="gpt-4o,gone-model", model_mapping="")
        store_settings(row, {CHECK: True})
        await made.backend.detect_upstream_updates(channel.id)
        await made.backend.list_channels()
        await made.backend.apply_upstream_updates(channel.id, add=["o3"], remove=["gone-model"])
        entry = made.last()
        assert entry.op == "upstream_apply"
        assert entry.changes[0].before == {"models": ["gpt-4o", "gone-model"]}
        assert entry.changes[0].after == {"models": ["gpt-4o", "o3"]}
        plan = await plan_undo(made.backend, entry)
        await apply_undo(made.backend, plan, site=made.site.name)
        assert made.site.server.record(channel.id)["models"].split(",") == ["gpt-4o", "gone-model"]
    finally:
        await made.session.disconnect()
        await made.other.close()
