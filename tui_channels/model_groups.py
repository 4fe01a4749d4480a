"""Groups that route one external model name to channel models (Octopus groups), as plain data.

A client sends the group's name as its `model`; the gateway picks one of the group's members, each
a model of a channel, by the group's mode. Backends translate their wire records into these
objects and back (docs/contracts/octopus-groups.md); `GroupSpec` says what a server's groups have.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

ModeValue = int | str
"""A server's own mode value: an int on legacy Octopus (1-4), a string on current (`manual`, `failover`)."""


@dataclass(frozen=True, slots=True)
class GroupMode:
    """One way a server's groups pick a member."""

    value: ModeValue
    label: str
    short: str = ""
    """A word or two for narrow lists ("failover"); the label when empty."""
    uses_priority: bool = False
    """Members are tried in ascending priority order."""
    uses_weight: bool = False
    """Members share traffic by weight."""
    uses_active_member: bool = False
    """Only one chosen member serves (current Octopus `manual`)."""


@dataclass(frozen=True, slots=True)
class GroupSpec:
    """What a server's groups have: their modes and which settings exist."""

    modes: tuple[GroupMode, ...]
    default_mode: ModeValue
    has_pattern: bool
    """Groups store a name pattern (legacy Octopus `match_regex`)."""
    has_weight: bool
    timeout_label: str
    timeout_minimum: int
    """The smallest timeout the server accepts (0 where 0 means no limit)."""

    def mode(self, value: ModeValue) -> GroupMode:
        """The mode for `value`; a value the server stores but does not define gets its own entry."""
        found = next((m for m in self.modes if m.value == value), None)
        return found or GroupMode(value, f"Unknown ({value})", f"mode {value}")


@dataclass(frozen=True, slots=True)
class GroupMember:
    """One channel model in a group. `id` is the server's member id, None until it is saved."""

    channel_id: int
    model: str
    priority: int = 0
    weight: int = 1
    id: int | None = None

    @property
    def key(self) -> tuple[int, str]:
        """What makes a member unique in its group: the channel and the model."""
        return (self.channel_id, self.model)


@dataclass(frozen=True, slots=True)
class ModelGroup:
    """A group as the app sees it; `raw` keeps the server's record (settings the app does not edit).

    `timeout` is the first-token timeout in seconds (None where unset), `pattern` the name pattern
    (legacy only), `active` the key (channel id, model) of the member a manual group routes to
    (current only; None when none is chosen).
    """

    id: int | None
    name: str
    mode: ModeValue
    members: tuple[GroupMember, ...] = ()
    timeout: int | None = None
    pattern: str = ""
    active: tuple[int, str] | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)

    @property
    def active_member(self) -> GroupMember | None:
        return next((m for m in self.members if m.key == self.active), None)

    def member(self, key: tuple[int, str]) -> GroupMember | None:
        return next((m for m in self.members if m.key == key), None)

    def ordered(self) -> tuple[GroupMember, ...]:
        """Members by ascending priority, then id (how the server lists and tries them)."""
        return tuple(sorted(self.members, key=lambda m: (m.priority, m.id if m.id is not None else 1 << 62)))
