"""Octopus group records in and out, both generations (docs/contracts/octopus-groups.md §2-§3).

Legacy groups have an int mode (round robin, random, failover, weighted), a name pattern, a
first-token timeout and weighted members; current groups have a `manual` / `failover` mode, an
active member and a relay config. Updates send only what changed; two traps of the real servers
shape them: a legacy member update writes priority *and* weight (a field left out becomes 0), and
a current relay config is replaced whole (a field left out is reset).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...model_groups import GroupMember, GroupMode, GroupSpec, ModelGroup

LEGACY_SPEC = GroupSpec(
    modes=(
        GroupMode(1, "Round robin", "round robin"),
        GroupMode(2, "Random", "random"),
        GroupMode(3, "Failover by priority", "failover", uses_priority=True),
        GroupMode(4, "Weighted", "weighted", uses_weight=True),
    ),
    default_mode=1,
    has_pattern=True,
    has_weight=True,
    timeout_label="First-token timeout (s, 0 = none)",
    timeout_minimum=0,
)

CURRENT_SPEC = GroupSpec(
    modes=(
        GroupMode("manual", "Manual: the active member only", "manual", uses_active_member=True),
        GroupMode("failover", "Failover by priority", "failover", uses_priority=True),
    ),
    default_mode="manual",
    has_pattern=False,
    has_weight=False,
    timeout_label="First-token timeout (s)",
    timeout_minimum=1,
)

GROUP_SPECS: dict[str, GroupSpec] = {"octopus-legacy": LEGACY_SPEC, "octopus-current": CURRENT_SPEC}
"""The groups of each Octopus flavor (for groups read from files, the trash or another site)."""

TIMEOUT_SETTING = "member_stream_first_event_timeout_seconds"
DEFAULT_RELAY_CONFIG: dict[str, int] = {
    "member_max_attempts": 2,
    "member_retry_interval_seconds": 3,
    "member_non_stream_response_timeout_seconds": 120,
    TIMEOUT_SETTING: 30,
    "member_cooldown_seconds": 60,
    "member_affinity_seconds": 300,
}
"""What a current server gives a new group (model/group.go DefaultGroupRelayConfig)."""


def _int(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def group_from_wire(record: Mapping[str, Any], *, legacy: bool) -> ModelGroup:
    """A neutral group from a listed (or saved) record; members by ascending priority, then id."""
    listed = ModelGroup(
        id=None,
        name="",
        mode=0,
        members=tuple(
            GroupMember(
                channel_id=_int(item.get("channel_id")),
                model=str(item.get("model_name") or ""),
                priority=_int(item.get("priority")),
                weight=_int(item.get("weight"), 1) if legacy else 1,
                id=_int(item.get("id")) or None,
            )
            for item in record.get("items") or []
            if isinstance(item, Mapping)
        ),
    )
    members = listed.ordered()
    if legacy:
        return ModelGroup(
            id=int(record["id"]),
            name=str(record.get("name") or ""),
            mode=_int(record.get("mode")),
            members=members,
            timeout=_int(record.get("first_token_time_out")) or None,
            pattern=str(record.get("match_regex") or ""),
            raw=dict(record),
        )
    relay = record.get("relay_config") if isinstance(record.get("relay_config"), Mapping) else {}
    active_id = _int(record.get("active_item_id"))
    return ModelGroup(
        id=int(record["id"]),
        name=str(record.get("name") or ""),
        mode=str(record.get("mode") or CURRENT_SPEC.default_mode),
        members=members,
        timeout=_int(relay.get(TIMEOUT_SETTING)) or None,
        active=next((m.key for m in members if m.id == active_id), None) if active_id else None,
        raw=dict(record),
    )


def _relay_config(group: ModelGroup) -> dict[str, Any]:
    """The whole relay config: the record's own (or the defaults), with the group's timeout."""
    base = group.raw.get("relay_config") if isinstance(group.raw.get("relay_config"), Mapping) else None
    config = {**DEFAULT_RELAY_CONFIG, **(base or {})}
    if group.timeout is not None:
        config[TIMEOUT_SETTING] = group.timeout
    return config


def _item(member: GroupMember, *, legacy: bool) -> dict[str, Any]:
    item: dict[str, Any] = {
        "channel_id": member.channel_id,
        "model_name": member.model,
        "priority": member.priority,
    }
    if legacy:
        item["weight"] = member.weight
    return item


def create_body(group: ModelGroup, *, legacy: bool) -> dict[str, Any]:
    """The record for a new group; the server fills in ids (and, current, no active member yet)."""
    body: dict[str, Any] = {"name": group.name.strip(), "mode": group.mode}
    if legacy:
        body.update(
            match_regex=group.pattern,
            first_token_time_out=group.timeout or 0,
            session_keep_time=_int(group.raw.get("session_keep_time")),
        )
    else:
        body["relay_config"] = _relay_config(group)
    body["items"] = [_item(m, legacy=legacy) for m in group.members]
    return body


def update_body(old: ModelGroup, new: ModelGroup, *, legacy: bool) -> dict[str, Any]:
    """`id` plus only what changed; members are matched by (channel, model), not by position."""
    body: dict[str, Any] = {"id": old.id}
    if new.name.strip() != old.name:
        body["name"] = new.name.strip()
    if new.mode != old.mode:
        body["mode"] = new.mode
    if legacy:
        if new.pattern != old.pattern:
            body["match_regex"] = new.pattern
        if (new.timeout or 0) != (old.timeout or 0):
            body["first_token_time_out"] = new.timeout or 0
    elif new.timeout != old.timeout:
        body["relay_config"] = _relay_config(new)
    body.update(member_changes(old.members, new.members, legacy=legacy))
    return body


def member_changes(
    old: tuple[GroupMember, ...], new: tuple[GroupMember, ...], *, legacy: bool
) -> dict[str, list[Any]]:
    """`items_to_add` / `items_to_update` / `items_to_delete` turning `old` into `new`.

    A legacy update carries priority and weight both, as the server writes both columns.
    """
    existing = {m.key: m for m in old}
    wanted = {m.key for m in new}
    add, update = [], []
    for member in new:
        before = existing.get(member.key)
        if before is None:
            add.append(_item(member, legacy=legacy))
        elif member.priority != before.priority or (legacy and member.weight != before.weight):
            change: dict[str, Any] = {"id": before.id, "priority": member.priority}
            if legacy:
                change["weight"] = member.weight
            update.append(change)
    delete = [m.id for m in old if m.key not in wanted and m.id is not None]
    changes: dict[str, list[Any]] = {}
    for name, values in (("items_to_add", add), ("items_to_update", update), ("items_to_delete", delete)):
        if values:
            changes[name] = values
    return changes


def active_item_id(saved: ModelGroup, wanted: tuple[int, str] | None) -> int | None:
    """The member id to make active after a save, or None when the server already has it."""
    if wanted is None:
        return 0 if _int(saved.raw.get("active_item_id")) else None
    member = saved.member(wanted)
    if member is None or member.id is None or member.id == _int(saved.raw.get("active_item_id")):
        return None
    return member.id
