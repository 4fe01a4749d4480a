"""Groups out to files and the trash, and back in (or over to another site), members mapped by name.

A group's members point at channels by id, and ids mean nothing on another site or after a channel
is restored (it comes back with a new id, and the server dropped it from every group when it was
deleted). So an exported or trashed group keeps each member's channel *name*, and a restore or copy
maps members to the target's channels by name, keeps those whose channel offers the model there,
and reports the rest (docs/contracts/octopus-groups.md §4, §7). Modes are carried between the two
Octopus generations as closely as they allow, with what is lost said.
"""

from __future__ import annotations

import enum
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from ..backends.base import Backend, Capabilities
from ..backends.octopus.groups import GROUP_SPECS
from ..config import data_dir, write_atomic
from ..errors import ChannelsError
from ..model_groups import GroupMember, GroupSpec, ModelGroup, ModeValue
from ..models import Channel
from ..wording import plural
from .model_groups import renumbered

GROUP_TRASH_FILE = "group-trash.jsonl"
GROUPS_FORMAT = "tui-channels/groups"


class GroupFileError(ChannelsError):
    title = "Group file problem"


class ExportedMember(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel_id: int
    channel_name: str | None
    """None when the member's channel no longer existed (legacy servers keep such members)."""
    model: str
    priority: int
    weight: int


class ExportedGroup(BaseModel):
    """One group in a file or the trash: its settings, its members with channel names, its record."""

    model_config = ConfigDict(extra="forbid")

    name: str
    mode: int | str
    timeout: int | None = None
    pattern: str = ""
    active: ExportedMember | None = None
    members: list[ExportedMember]
    record: dict[str, Any]


class GroupExport(BaseModel):
    """`tui-channels groups export --json`: a site's groups on their own."""

    model_config = ConfigDict(extra="forbid")

    format: str = GROUPS_FORMAT
    version: int = 1
    site: str
    flavor: str
    exported_at: datetime
    groups: list[ExportedGroup]


def exported_group(group: ModelGroup, names: Mapping[int, str]) -> ExportedGroup:
    def member(m: GroupMember) -> ExportedMember:
        return ExportedMember(
            channel_id=m.channel_id,
            channel_name=names.get(m.channel_id),
            model=m.model,
            priority=m.priority,
            weight=m.weight,
        )

    active = group.active_member
    return ExportedGroup(
        name=group.name,
        mode=group.mode,
        timeout=group.timeout,
        pattern=group.pattern,
        active=member(active) if active is not None else None,
        members=[member(m) for m in group.members],
        record=dict(group.raw),
    )


def groups_of_channels(groups: Iterable[ModelGroup], channel_ids: set[int]) -> list[ModelGroup]:
    """The groups with at least one member on these channels (what an export of them carries)."""
    return [g for g in groups if any(m.channel_id in channel_ids for m in g.members)]


def groups_for_export(
    groups: Iterable[ModelGroup] | None, chosen: Iterable[Channel], every_channel: Iterable[Channel]
) -> list[ExportedGroup]:
    """The groups that go into an export of `chosen`: those with a member among them, every member
    named after its channel among all the site's channels (so a restore can map it back)."""
    if not groups:
        return []
    names = {c.id: c.name for c in every_channel}
    return [exported_group(g, names) for g in groups_of_channels(groups, {c.id for c in chosen})]


def export_groups(
    site: str, flavor: str, groups: Iterable[ModelGroup], channels: Iterable[Channel]
) -> GroupExport:
    names = {c.id: c.name for c in channels}
    return GroupExport(
        site=site,
        flavor=flavor,
        exported_at=datetime.now(UTC).replace(microsecond=0),
        groups=[exported_group(g, names) for g in groups],
    )


# -- the group trash -------------------------------------------------------------------------------


def group_trash_path() -> Path:
    return data_dir() / GROUP_TRASH_FILE


@dataclass(frozen=True, slots=True)
class TrashedGroup:
    """A deleted group: what it was, on which site and server flavor, and when it went."""

    group: ExportedGroup
    site: str
    flavor: str
    deleted_at: str


def trash_groups(
    groups: Iterable[ModelGroup], channels: Iterable[Channel], *, site: str, flavor: str, path: Path | None = None
) -> Path:
    """Append one JSON line per group to `group-trash.jsonl` (0600), before the delete is sent.

    Raises `GroupFileError` when it cannot be written: the caller must then delete nothing.
    """
    target = path or group_trash_path()
    names = {c.id: c.name for c in channels}
    moment = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    lines = "".join(
        json.dumps(
            {
                "version": 1,
                "deleted_at": moment,
                "site": site,
                "flavor": flavor,
                "group": exported_group(g, names).model_dump(),
            },
            ensure_ascii=False,
        )
        + "\n"
        for g in groups
    )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(descriptor, "a", encoding="utf-8") as handle:
            handle.write(lines)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise GroupFileError(
            f"Could not write the group trash {target} ({exc.strerror or exc}). Nothing was deleted; "
            "check that the data folder is writable (or set TUI_CHANNELS_DATA_DIR)."
        ) from None
    return target


def read_group_trash(path: Path | None = None, *, site: str | None = None) -> list[TrashedGroup]:
    """Every deleted group, newest first; empty when none was ever deleted.

    With `site`, only the groups deleted from that site (the file holds every site's).
    """
    source = path or group_trash_path()
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise GroupFileError(f"Could not read the group trash {source} ({exc.strerror or exc}).") from None
    trashed = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            group = ExportedGroup.model_validate(record["group"])
        except (ValueError, KeyError, TypeError, ValidationError):
            raise GroupFileError(f"Line {number} of {source} is not a group trash record.") from None
        if site is not None and record.get("site") != site:
            continue
        trashed.append(
            TrashedGroup(
                group,
                str(record.get("site") or "?"),
                str(record.get("flavor") or ""),
                str(record.get("deleted_at") or ""),
            )
        )
    return trashed[::-1]


def write_group_export(export: GroupExport, path: Path) -> None:
    try:
        write_atomic(path, export.model_dump_json(indent=2) + "\n")
    except OSError as exc:
        raise GroupFileError(f"Cannot write {path}: {exc.strerror or type(exc).__name__}.") from None


# -- carrying a group to a site ---------------------------------------------------------------------


def carried_mode(group: ExportedGroup, source: GroupSpec | None, target: GroupSpec) -> tuple[ModeValue, str]:
    """The target's mode for the group's mode, and what is lost on the way ("" when nothing)."""
    if any(mode.value == group.mode for mode in target.modes):
        return group.mode, ""
    label = source.mode(group.mode).label if source is not None else str(group.mode)
    failover = next(m for m in target.modes if m.uses_priority)
    if source is not None and source.mode(group.mode).uses_active_member:
        return failover.value, f"mode {label} becomes {failover.label}, with the active member tried first"
    return failover.value, f"mode {label} has no equivalent here; it becomes {failover.label}"


@dataclass(frozen=True, slots=True)
class CarriedGroup:
    """A group shaped for the target site, the members that could not be mapped, and the losses."""

    group: ModelGroup
    unmapped: tuple[str, ...]
    losses: tuple[str, ...]


def carry_group(
    exported: ExportedGroup,
    source: GroupSpec | None,
    target: GroupSpec,
    channels: Sequence[Channel],
    *,
    same_site: bool,
) -> CarriedGroup:
    """Map the members to the target's `channels` by channel name (or, on the site it came from, by
    id when that channel still has the name), keep those whose channel offers the model."""
    by_name = {c.name: c for c in channels}
    by_id = {c.id: c for c in channels}
    mode, lost_mode = carried_mode(exported, source, target)
    members, unmapped = [], []
    ordered = sorted(exported.members, key=lambda m: (m.priority, m.channel_id))
    if exported.active is not None and lost_mode.endswith("tried first"):
        active = (exported.active.channel_id, exported.active.model)
        ordered.sort(key=lambda m: (m.channel_id, m.model) != active)
    for member in ordered:
        channel = by_id.get(member.channel_id) if same_site else None
        if channel is None or channel.name != member.channel_name:
            channel = by_name.get(member.channel_name or "")
        if channel is None:
            where = member.channel_name or f"#{member.channel_id} (a channel already gone)"
            unmapped.append(f"{member.model} on {where}: no channel of that name here")
        elif member.model not in channel.models:
            unmapped.append(f"{member.model} on {channel.name}: that channel does not offer the model here")
        else:
            members.append(GroupMember(channel.id, member.model, member.priority, member.weight or 1))
    losses = [lost_mode] if lost_mode else []
    if (
        source is not None
        and source.has_weight
        and not target.has_weight
        and any(m.weight not in (0, 1) for m in exported.members)
    ):
        losses.append("member weights (this server's groups have none)")
    if exported.pattern and not target.has_pattern:
        losses.append(f"the name pattern {exported.pattern!r}")
    active = None
    if exported.active is not None and any(m.uses_active_member for m in target.modes):
        wanted = exported.active.channel_name
        active = next(
            (m.key for m in members if m.model == exported.active.model and by_id[m.channel_id].name == wanted),
            None,
        )
    target_mode = target.mode(mode)
    if target_mode.uses_active_member and active is None and members:
        active = members[0].key
    if lost_mode.endswith("tried first"):
        members = list(renumbered(members))
    same_shape = source is target
    group = ModelGroup(
        id=None,
        name=exported.name,
        mode=mode,
        members=tuple(members),
        timeout=max(exported.timeout, target.timeout_minimum) if exported.timeout else None,
        pattern=exported.pattern if target.has_pattern else "",
        active=active,
        raw=(
            {k: v for k, v in exported.record.items() if k not in ("id", "items", "active_item_id")}
            if same_shape
            else {}
        ),
    )
    return CarriedGroup(group, tuple(unmapped), tuple(losses))


class GroupRowState(str, enum.Enum):
    READY = "ready"
    PRESENT = "already present"
    BLOCKED = "blocked"


@dataclass(frozen=True, slots=True)
class PlannedGroup:
    """One group a restore or copy would create, and why it would not."""

    carried: CarriedGroup
    origin: str
    reason: str = ""
    present: bool = False

    @property
    def state(self) -> GroupRowState:
        if self.present:
            return GroupRowState.PRESENT
        return GroupRowState.BLOCKED if self.reason else GroupRowState.READY

    @property
    def name(self) -> str:
        return self.carried.group.name


def plan_groups(
    items: Sequence[tuple[ExportedGroup, str, str]],
    target: Capabilities,
    channels: Sequence[Channel],
    existing: Iterable[ModelGroup],
    *,
    site: str,
) -> list[PlannedGroup]:
    """Plan each (group, site it came from, its flavor) on `site`: ready, already present (a group
    of that name exists) or blocked (no member could be mapped)."""
    taken = {g.name for g in existing}
    spec = target.groups
    if spec is None:
        raise GroupFileError(
            f"{site} has no groups ({target.flavor_label}); groups can only go to an Octopus site."
        )
    rows = []
    for exported, origin_site, flavor in items:
        carried = carry_group(exported, GROUP_SPECS.get(flavor), spec, channels, same_site=origin_site == site)
        reason = ""
        if not carried.group.members and exported.members:
            reason = "none of its members could be mapped to a channel here"
        rows.append(
            PlannedGroup(
                carried, f"{exported.name} on {origin_site}", reason=reason, present=exported.name in taken
            )
        )
        taken.add(exported.name)
    return rows


async def plan_groups_now(
    backend: Backend,
    items: Sequence[tuple[ExportedGroup, str, str]],
    target: Capabilities,
    *,
    site: str,
) -> list[PlannedGroup]:
    """`plan_groups` against the site's channels and groups as the server holds them now: both are
    listed again here, never taken from a list loaded earlier (right after a delete, the list being
    reloaded still holds the deleted group, and its restore would be planned as already present).

    Raises a `ChannelsError` when a listing fails, `GroupFileError` when the site has no groups.
    """
    channels = await backend.list_channels()
    groups = await backend.list_model_groups()  # type: ignore[attr-defined]
    return plan_groups(items, target, channels, groups, site=site)


async def group_now(backend: Backend, group_id: int | None) -> ModelGroup | None:
    """The group with this id as the server holds it now (`list_model_groups`), or None once gone."""
    groups = await backend.list_model_groups()  # type: ignore[attr-defined]
    return next((g for g in groups if g.id == group_id), None)


@dataclass(frozen=True, slots=True)
class GroupOutcome:
    name: str
    created: bool
    message: str


async def create_groups(backend: Backend, rows: Sequence[PlannedGroup]) -> list[GroupOutcome]:
    """Create the ready rows one by one; every row gets an outcome (skipped rows say why)."""
    outcomes = []
    for row in rows:
        if row.state is not GroupRowState.READY:
            outcomes.append(
                GroupOutcome(
                    row.name, False, f"skipped: {row.state.value}" + (f" ({row.reason})" if row.reason else "")
                )
            )
            continue
        try:
            saved = await backend.create_model_group(row.carried.group)  # type: ignore[attr-defined]
        except ChannelsError as error:
            outcomes.append(GroupOutcome(row.name, False, error.message))
            continue
        note = f"{plural(len(saved.members), 'member')}"
        if row.carried.unmapped:
            note += f"; {len(row.carried.unmapped)} not mapped"
        outcomes.append(GroupOutcome(row.name, True, f"created with {note}"))
    return outcomes
