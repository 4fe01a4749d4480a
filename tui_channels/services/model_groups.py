"""What groups mean for channels: who routes where, what a change strands, members to add or check.

Pure functions over loaded channels and groups (docs/contracts/octopus-groups.md): the groups
screen, the channel actions and the command line share them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from ..model_groups import GroupMember, GroupSpec, ModelGroup
from ..models import Channel
from ..validation import check_name


@dataclass(frozen=True, slots=True)
class Membership:
    """A channel's place in one group: its members there, and whether one of them serves now."""

    group: ModelGroup
    members: tuple[GroupMember, ...]
    serving: bool
    """False for a standby member of a group that routes to its active member only."""


def serving_members(group: ModelGroup, spec: GroupSpec) -> tuple[GroupMember, ...]:
    """The members the group routes to: the active one in a manual group, else all of them."""
    if spec.mode(group.mode).uses_active_member:
        active = group.active_member
        return (active,) if active is not None else ()
    return group.members


def memberships(channel_id: int, groups: Iterable[ModelGroup], spec: GroupSpec) -> list[Membership]:
    """Every group with a member on this channel, by group name."""
    found = []
    for group in groups:
        members = tuple(m for m in group.members if m.channel_id == channel_id)
        if members:
            serving = any(m.channel_id == channel_id for m in serving_members(group, spec))
            found.append(Membership(group, members, serving))
    return sorted(found, key=lambda m: m.group.name.casefold())


def describe_memberships(found: Sequence[Membership], spec: GroupSpec) -> list[str]:
    """One line per group: its name, mode, the channel's models there and whether it serves."""
    lines = []
    for membership in found:
        group = membership.group
        models = ", ".join(m.model for m in membership.members)
        state = "" if membership.serving else "  (standby: the group routes to another active member)"
        lines.append(f"{group.name}  [{spec.mode(group.mode).label}]  via {models}{state}")
    return lines


def stranded(
    groups: Iterable[ModelGroup], channels: Iterable[Channel], going: set[int], spec: GroupSpec, *, site: str = ""
) -> list[str]:
    """Groups that serve now and would serve no enabled channel once the `going` channels are
    disabled or deleted: one readable line each (group name, on `site` when given, and why)."""
    enabled = {c.id for c in channels if c.status.is_enabled}
    names = {c.id: c.name for c in channels}
    warnings = []
    for group in sorted(groups, key=lambda g: g.name.casefold()):
        serving = [m for m in serving_members(group, spec) if m.channel_id in enabled]
        if not serving or any(m.channel_id not in going for m in serving):
            continue
        last = sorted({names.get(m.channel_id, f"#{m.channel_id}") for m in serving})
        channels_named = ", ".join(last)
        where = f"{group.name} on {site}" if site else group.name
        if spec.mode(group.mode).uses_active_member:
            warnings.append(
                f"{where}: routes only to {channels_named} (its active member); it would fail every request"
            )
        else:
            members = "is its last enabled member" if len(last) == 1 else "are its last enabled members"
            warnings.append(f"{where}: {channels_named} {members}; it would fail every request")
    return warnings


def model_pairs(channels: Iterable[Channel]) -> list[tuple[Channel, str]]:
    """Every (channel, model) a group member can be, channels by id, models in their order."""
    return [(c, model) for c in sorted(channels, key=lambda c: c.id) for model in c.models]


def matcher(pattern: str, *, regex: bool) -> re.Pattern[str]:
    """The web panel's rule: a regular expression (searched), or the text as a case-insensitive substring.

    Raises `ValueError` with the reason when the regular expression does not compile.
    """
    if not regex:
        return re.compile(re.escape(pattern.strip()), re.IGNORECASE)
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"{pattern!r} is not a valid regular expression ({exc})") from None


def matching_members(
    group: ModelGroup, channels: Iterable[Channel], pattern: str, *, regex: bool, spec: GroupSpec
) -> list[GroupMember]:
    """The members "add every available model that matches" would add: models of any channel
    (enabled or not, as the web panel does) matching `pattern`, not in the group yet, priorities
    continuing after the group's highest, weight 1."""
    if not pattern.strip():
        return []
    rule = matcher(pattern, regex=regex)
    present = {m.key for m in group.members}
    priority = max((m.priority for m in group.members), default=0)
    added = []
    for channel, model in model_pairs(channels):
        if (channel.id, model) in present or not rule.search(model):
            continue
        priority += 1
        added.append(GroupMember(channel.id, model, priority=priority, weight=1))
        present.add((channel.id, model))
    return added


def default_pattern(group: ModelGroup, spec: GroupSpec) -> tuple[str, bool]:
    """What "add matching" starts from: the group's stored pattern (a regex), else its name (text)."""
    if spec.has_pattern and group.pattern.strip():
        return group.pattern, True
    return group.name, False


def member_problems(group: ModelGroup, channels: Iterable[Channel]) -> list[str]:
    """Members whose channel does not exist or does not offer the model (current Octopus refuses
    them; legacy stores them and routes nowhere with them)."""
    by_id = {c.id: c for c in channels}
    problems = []
    for member in group.members:
        channel = by_id.get(member.channel_id)
        if channel is None:
            problems.append(f"{member.model} on channel #{member.channel_id}: the channel does not exist")
        elif member.model not in channel.models:
            problems.append(f"{member.model} on {channel.name}: the channel does not offer this model")
    return problems


def group_problems(
    group: ModelGroup, channels: Iterable[Channel], spec: GroupSpec, taken: Iterable[str]
) -> list[str]:
    """Why a group cannot be saved as it stands: name, timeout, pattern, members, active member."""
    problems = []
    name = group.name.strip()
    if not name:
        problems.append("A group needs a name: the model name clients will send.")
    elif name in set(taken):
        problems.append(f"Another group is already named {name!r}; group names must be unique.")
    else:
        try:
            check_name(name)
        except ValueError as problem:
            problems.append(f"The group name {problem}.")
    if group.timeout is not None and group.timeout < spec.timeout_minimum:
        problems.append(f"The timeout must be {spec.timeout_minimum} s or more.")
    if spec.has_pattern and group.pattern:
        try:
            matcher(group.pattern, regex=True)
        except ValueError as exc:
            problems.append(f"The name pattern {exc}.")
    problems.extend(member_problems(group, channels))
    if spec.mode(group.mode).uses_active_member and group.members and group.active_member is None:
        problems.append("A manual group routes to its active member only: choose one (the * key).")
    return problems


def renumbered(members: Sequence[GroupMember]) -> tuple[GroupMember, ...]:
    """Members with priorities 1, 2, 3… in the order given (how the web panels number them)."""
    return tuple(replace(m, priority=position) for position, m in enumerate(members, start=1))


def names_by_id(channels: Iterable[Channel]) -> Mapping[int, str]:
    return {c.id: c.name for c in channels}
