"""Which channel an id names: the channel a journal entry wrote, or another one that took its id since.

New API, One API and Veloera on SQLite give a new channel the highest id plus one (their `channels`
table has `id integer` as its primary key, without AUTOINCREMENT), so once the channel with the
highest id is deleted the next one created takes its id. Octopus, One Hub, Done Hub and AxonHub
(SQLite AUTOINCREMENT) and Claude Code Hub (PostgreSQL serial) never give an id twice.

An undo must act on the channel its entry wrote, never on whatever holds the id now. It knows
that channel by the entry's journal and by its identity:

- the journal: a later entry of the site that deleted that id (or created a channel at it) means
  the entry's channel is gone, whatever holds the id now;
- the identity the change records (journal version 2): the server's creation time of the channel
  (New API family `created_time`, AxonHub `createdAt`), else its name, as the entry left it or as
  a later entry of the journal renamed it.

Entries of version 1 carry no identity: the journal's later deletes and creates still count.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from ..models import Channel
from ..redact import ELLIPSIS, mask_remembered
from .journal import Change, Entry

CREATE_OPS = frozenset({"create", "copy"})
DELETE_OPS = frozenset({"delete", "delete_disabled"})
IDENTITY_VERSION = 2
"""The first journal version whose changes carry their channel's identity."""


def same_channel(planned: Channel, now: Channel, *, renamed: bool = False) -> bool:
    """Whether `now` is the channel `planned` was (read a moment ago, at the same id): the same
    creation time where the server gives one, else the same name (`renamed`: the write being
    undone changes the name, so the name says nothing)."""
    if planned.created_time is not None and now.created_time is not None:
        return planned.created_time == now.created_time
    return renamed or planned.name == now.name


def ended_since(journal: Sequence[Entry], entry: Entry, channel_id: int | None) -> Entry | None:
    """The first later entry of `entry`'s site after which the channel `entry` wrote at `channel_id`
    is not the one there: one that deleted that id, or created a channel that got it."""
    for other in journal:
        if other.site != entry.site or other.id <= entry.id or not other.ok:
            continue
        if other.op in DELETE_OPS | CREATE_OPS and any(
            c.of == "channel" and c.id == channel_id for c in other.changes
        ):
            return other
    return None


def identity_problem(entry: Entry, change: Change, channel: Channel, journal: Sequence[Entry]) -> str:
    """Why `channel`, which holds the id `change` names now, is not the channel `entry` wrote
    ("" when it is): "#1 is now trial3-other, not trial3-a2: the channel was deleted since (entry
    17)"."""
    ended = ended_since(journal, entry, change.id)
    if ended is not None:
        how = "was deleted since" if ended.op in DELETE_OPS else "is not there: another was created at its id since"
        return f"{_now_not(change, channel)}: the channel {how} (entry {ended.id})"
    if entry.v < IDENTITY_VERSION:
        return ""
    if change.created is not None and channel.created_time is not None:
        if change.created == channel.created_time:
            return ""
        return (
            f"{_now_not(change, channel)}: another channel took its id (created {_time(channel.created_time)}, "
            f"not {_time(change.created)})"
        )
    if "name" in (change.before or {}) or "name" in (change.after or {}):
        return ""  # the write set the name: the undo's check of its values names what differs
    if any(_same_name(name, channel.name) for name in _names(entry, change, journal)):
        return ""
    return f"{_now_not(change, channel)}: renamed since, or another channel took its id"


def _now_not(change: Change, channel: Channel) -> str:
    if _same_name(change.name, channel.name):
        return f"#{change.id} {channel.name} is another channel of the same name"
    return f"#{change.id} is now {channel.name}, not {change.name}"


def _names(entry: Entry, change: Change, journal: Sequence[Entry]) -> list[str]:
    """Every name the journal knows the channel by after `entry`: the change's own, then those later
    entries of the site left it with."""
    names = [change.name]
    for other in journal:
        if other.site == entry.site and other.id > entry.id and other.ok:
            names += [c.name for c in other.changes if c.of == "channel" and c.id == change.id]
    return names


def _same_name(stored: str, now: str) -> bool:
    """A journalled name against a name read now; one the journal masked (it held a secret) matches
    any name, since what it hides cannot be compared."""
    return stored == now or stored == mask_remembered(now) or ELLIPSIS in stored


def _time(moment: int) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
