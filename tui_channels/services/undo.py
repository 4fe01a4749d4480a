"""Undo a journalled write: put back its "before" values once the server shows it still holds the
"after" ones, or say clearly why not.

Three kinds of undo, whatever backend the site runs (all through the `Backend` interface):

- values (an edit, a status, a tag, a tag edit, a batch update): each channel is read again; one
  that still holds the entry's "after" values gets its "before" values back (a status through
  `set_status`, a tag alone through `set_tag` where the server has it, anything else through
  `update_channel` as an edit would send it); one that already holds the "before" values is left
  alone; one that holds anything else, or is gone, refuses the whole undo, naming what differs.
  A secret the write changed with them (a key) is never journalled, so it cannot go back: the
  other fields do, and the plan and every result say that the key stays as it is;
- a create (or a server-side copy): the channel is deleted, to the trash first, if it still holds
  the values it was created with (or those the same create set right after, such as the status
  Octopus drops); a later edit, by anyone, refuses it;
- a delete: the channels are created again from their trash records (with new ids), previewed
  like a restore, if they are not on the server any more; the site is listed again right before
  the creates (`CreateRun`), and a channel recreated meanwhile (same name, or same base URL and
  key) leaves its row alone, with the reason.

Every check reads the server's current records (`read_current`: one GET per channel, one listing
for many), never a list the app loaded earlier, and the check runs again just before the writes,
so an undo confirmed after a pause still refuses a channel that changed meanwhile; one that is by
then where the undo would put it (set back by someone else, or a created channel deleted) is
skipped, not failed.

Every check is of the channel the entry wrote, not of whatever holds its id now: a later delete of
that id in the journal, or a different identity (`identity`), refuses it; a delete's undo never
takes another channel at that id for the deleted one.

Model groups (Octopus) are undone the same three ways: an edit puts the group's former settings
and members back, a create deletes the group (to the group trash first), a delete creates it again
from the journalled settings when every member's channel is still there and no group took its name.

What cannot be undone says why: a failed write, the server's own model sync, maintenance and
multi-key actions, and a write that changed nothing but secrets (keys, key lists, headers), since
the journal never holds one. Every write an undo sends is journalled as an undo
of the entry (`recorder.acting`).
"""

from __future__ import annotations

import asyncio
import enum
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..backends.base import Backend, Capabilities, Operation
from ..errors import ChannelsError
from ..model_groups import ModelGroup
from ..models import Channel, ChannelStatus
from ..wording import agrees, plural
from . import trash
from .change_values import decoded, group_values, group_with, same, values_of
from .group_transfer import trash_groups
from .channel_plan import ChannelPlan, RowState
from .current import read_current
from .journal import Change, Entry
from .recorder import acting, one_batch
from .results import ChannelResult, Outcome
from .revealed_keys import with_keys
from .history import change_text, short
from .identity import CREATE_OPS, DELETE_OPS, ended_since, identity_problem, same_channel
from .transfer import TrashedChannel, plan_transfer, trashed_channels

VALUE_OPS = frozenset(
    {"update", "status", "tag", "tag_status", "tag_edit", "batch_update", "upstream_apply", "upstream_apply_all"}
)
GROUP_OPS = frozenset({"group_create", "group_update", "group_delete"})
NOT_UNDOABLE = {
    "server_sync": "the server synced these models itself, and its next sync would undo an undo; "
    "change the channels' sync settings or edit their models instead",
    "fix_abilities": "rebuilding the server's routing table changes no channel setting",
    "test_all": "a server-side test changes no setting (channels it disabled can be enabled with +)",
    "multi_key": "the journal holds no keys, and a key action does not say what each key was before; "
    "use the key manager (M) instead",
}
SECRETS_NOT_KEPT = "the journal never keeps secrets"


class UndoRefused(ChannelsError):
    title = "Cannot undo"


class UndoKind(enum.Enum):
    VALUES = "values"
    DELETE_CREATED = "delete_created"
    RECREATE_DELETED = "recreate_deleted"
    RECREATE_GROUP = "recreate_group"


@dataclass(frozen=True, slots=True)
class GroupUndo:
    """The model group of a group undo: as the server holds it now (None once deleted), and what goes back."""

    group: ModelGroup | None
    change: Change


@dataclass(frozen=True, slots=True)
class ChannelUndo:
    """One channel of a values undo: as the server holds it now, and what goes back."""

    channel: Channel
    change: Change
    already_undone: bool = False
    expected: Mapping[str, Any] = field(default_factory=dict)
    """The values the server must still hold for the undo to go ahead (checked again on apply)."""


@dataclass
class UndoPlan:
    """What undoing `entry` will do, checked against the server."""

    entry: Entry
    kind: UndoKind
    channels: list[ChannelUndo] = field(default_factory=list)
    restore: ChannelPlan | None = None
    """For a delete: the restore preview of the trashed channels."""
    groups: list[GroupUndo] = field(default_factory=list)

    @property
    def pending(self) -> list[ChannelUndo]:
        return [c for c in self.channels if not c.already_undone]

    @property
    def what(self) -> str:
        """What the undo deletes, creates or puts back, counted: "2 channels", "group fast"."""
        if self.groups:
            return ", ".join(f"group {g.change.name}" for g in self.groups)
        if self.restore is not None:
            return plural(len(self.restore.rows), "channel")
        return plural(len(self.pending), "channel")

    @property
    def not_restorable(self) -> list[str]:
        """The secret fields the entry changed on the channels it puts back, which stay as they are."""
        if self.kind is not UndoKind.VALUES:
            return []
        return sorted({name for item in self.pending for name in item.change.withheld})

    def secrets_note(self) -> str:
        """"The key cannot be restored: …", or "" when the entry changed no secret."""
        return secrets_note(self.not_restorable)

    def describe(self) -> str:
        """What will happen, one line per channel (for a confirmation), after what cannot be put
        back (a secret), so a long list never pushes that out of sight."""
        if self.kind is UndoKind.RECREATE_DELETED and self.restore is not None:
            return "\n".join(f"Create {row.spec.name} again ({row.origin}, from the trash)" for row in self.restore.rows)
        lines = [self.secrets_note()] if self.secrets_note() else []
        for undo in self.groups:
            label = f"group #{undo.change.id} {undo.change.name}"
            if self.kind is UndoKind.DELETE_CREATED:
                lines.append(f"Delete {label} (it goes to the group trash first)")
            elif self.kind is UndoKind.RECREATE_GROUP:
                members = len((undo.change.before or {}).get("members") or [])
                lines.append(f"Create group {undo.change.name} again ({plural(members, 'member')})")
            else:
                lines.append(f"{label}: {change_text(undo.change, reverse=True)}")
        for item in self.channels:
            label = f"#{item.channel.id} {item.channel.name}"
            if self.kind is UndoKind.DELETE_CREATED:
                lines.append(f"Delete {label} (its record goes to the trash first)")
            elif item.already_undone:
                lines.append(f"{label}: already as before, left alone")
            else:
                lines.append(f"{label}: {change_text(item.change, reverse=True, secrets=False)}")
        return "\n".join(lines)


def secrets_note(names: Sequence[str]) -> str:
    """Why the named secret fields stay as they are after an undo, and what to do; "" for none."""
    if not names:
        return ""
    it = "it stays" if len(names) == 1 else "they stay"
    return (
        f"The {' and '.join(names)} cannot be restored: {SECRETS_NOT_KEPT}, so {it} as now "
        "(edit the channel to set it)."
    )


def refusal(entry: Entry) -> str | None:
    """Why `entry` cannot be undone whatever the server holds, or None."""
    if not entry.ok:
        return (
            f"this write failed ({entry.error or 'no reason given'}), so the journal records no change; "
            "read the channel to see what the server holds"
        )
    if entry.op in NOT_UNDOABLE:
        return NOT_UNDOABLE[entry.op]
    if entry.op not in VALUE_OPS | CREATE_OPS | DELETE_OPS | GROUP_OPS:
        return f"the journal knows no way to undo {entry.op.replace('_', ' ')}"
    if entry.op in GROUP_OPS:
        return _group_refusal(entry)
    channels = [c for c in entry.changes if c.of == "channel"]
    if not channels or any(c.id is None for c in channels):
        return "the journal does not know which channels this write changed"
    if entry.op in VALUE_OPS:
        if any(c.before is None or c.after is None for c in channels):
            return "the journal lacks the values before or after this write"
        secret = sorted({name for c in channels for name in c.withheld})
        if secret and not any(_changed(c) for c in channels):
            return (
                f"it changed only {', '.join(secret)}, and {SECRETS_NOT_KEPT} (a secret cannot be put back); "
                "edit the channel instead"
            )
    if entry.op in CREATE_OPS and any(not c.after for c in channels):
        return "the journal lacks the values it was created with, so it cannot tell whether it changed since"
    return None


def _changed(change: Change) -> bool:
    """Whether the change holds a field whose value differs before and after (a secret is not held)."""
    before, after = change.before or {}, change.after or {}
    return any(not same(before.get(name), after.get(name)) for name in {*before, *after})


def _group_refusal(entry: Entry) -> str | None:
    groups = [c for c in entry.changes if c.of == "group"]
    if len(groups) != 1 or groups[0].id is None:
        return "the journal does not know which group this write changed"
    change = groups[0]
    if change.withheld:
        return f"it changed {', '.join(change.withheld)}, which the journal could not keep"
    needed = {"group_create": change.after, "group_update": change.before and change.after, "group_delete": change.before}
    if not needed[entry.op]:
        return "the journal lacks the group's settings before or after this write"
    return None


async def plan_undo(
    backend: Backend,
    entry: Entry,
    *,
    journal: Sequence[Entry] = (),
    current: Mapping[int, Channel] | None = None,
) -> UndoPlan:
    """Check `entry` against the server and say what undoing it will do.

    `journal` is the site's other entries, so a refusal can name the later entry to undo first,
    and a create recognises the writes the same create made right after it (the same batch);
    `current` is the entry's channels as just read from the server (`read_current`; read here
    when not given): never a list loaded earlier. A delete's undo lists the site's channels and
    reads the trash. Raises `UndoRefused` with the reason, or a backend error when the server
    cannot be read.
    """
    reason = refusal(entry)
    if reason is not None:
        raise UndoRefused(f"Entry {entry.id} cannot be undone: {reason}.")
    if entry.op in DELETE_OPS:
        return await _plan_recreate(backend, entry, journal)
    if entry.op in GROUP_OPS:
        return await _plan_group(backend, entry)
    changes = [c for c in entry.changes if c.of == "channel"]
    if current is None:
        current = await read_current(backend, [c.id for c in changes if c.id is not None])
    problems: list[str] = []
    items: list[ChannelUndo] = []
    for change in changes:
        channel = current.get(change.id) if change.id is not None else None
        if channel is None:
            ended = ended_since(journal, entry, change.id)
            by = f" (deleted by entry {ended.id})" if ended is not None and ended.op in DELETE_OPS else ""
            problems.append(f"#{change.id} {change.name} is not on the server any more{by}")
            continue
        other = identity_problem(entry, change, channel, journal)
        if other:
            problems.append(other)
            continue
        item, problem = _check(backend.capabilities, entry, change, channel, journal)
        items.append(item)
        if problem:
            problems.append(problem)
    if problems:
        raise UndoRefused(f"Entry {entry.id} cannot be undone: " + "; ".join(problems[:5]) + _more(problems) + ".")
    kind = UndoKind.DELETE_CREATED if entry.op in CREATE_OPS else UndoKind.VALUES
    plan = UndoPlan(entry, kind, items)
    if kind is UndoKind.VALUES and not plan.pending:
        if any(written_back(c.before or {}) != dict(c.before or {}) for c in changes):
            raise UndoRefused(
                f"Entry {entry.id} has nothing to put back: its channels hold what an undo would write "
                "(disabled by hand: the gateway alone can mark a channel auto-disabled)."
            )
        unchecked = sorted({name for c in changes for name in c.withheld})
        note = f" ({' and '.join(unchecked)} not compared: {SECRETS_NOT_KEPT})" if unchecked else ""
        found = [_as_before(backend.capabilities, entry, item, journal) for item in plan.channels]
        undone = all(text.endswith(")") and "(undone by entry" in text for text in found)
        why = "is undone already" if undone else "has nothing to put back"
        raise UndoRefused(f"Entry {entry.id} {why}: " + "; ".join(found[:5]) + _more(found) + f"{note}.")
    return plan


def _as_before(capabilities: Capabilities, entry: Entry, item: ChannelUndo, journal: Sequence[Entry]) -> str:
    """"#9 openai-sg-05: already enabled (changed since by entry 13)": a channel that holds its values
    from before `entry` again, and what put them back: its undo, a later entry of the journal, or a
    change the journal does not know (made on the server, or by another tool)."""
    change = item.change
    names = list(change.before or {})
    held = _held(capabilities, change, item.channel)
    later = [
        other
        for other in journal
        if other.site == entry.site
        and other.id > entry.id
        and other.ok
        and any(c.of == "channel" and c.id == change.id and set(c.after or {}) & set(names) for c in other.changes)
    ]
    if not _changed(change):
        how = "this write changed nothing"
    elif not later:
        how = "changed back since"
    elif later[-1].undoes == entry.id:
        how = f"undone by entry {later[-1].id}"
    else:
        how = f"changed since by entry {later[-1].id}"
    return f"#{change.id} {change.name}: already {held} ({how})"


def _held(capabilities: Capabilities, change: Change, channel: Channel) -> str:
    """What `channel` holds of the fields `change` set before: "enabled" for a status alone, else
    "back to priority 0, weight 1"."""
    names = list(change.before or {})
    now = values_of(capabilities, channel, names).values
    if names == ["status"]:
        return short(now.get("status"))
    return "back to " + ", ".join(f"{name} {short(now.get(name))}" for name in names[:3])


def holds_before(capabilities: Capabilities, change: Change, channel: Channel) -> bool:
    """Whether `channel` holds what undoing `change` would write: its "before" values, or what an
    undo writes for them (disabled by hand for auto-disabled)."""
    before = change.before or {}
    now = values_of(capabilities, channel, list(before)).values
    return any(all(same(now.get(n), v) for n, v in values.items()) for values in (before, written_back(before)))


def _check(
    capabilities: Capabilities, entry: Entry, change: Change, channel: Channel, journal: Sequence[Entry]
) -> tuple[ChannelUndo, str]:
    """One channel against the entry: what its undo does, and why it cannot ("" when it can)."""
    label = f"#{change.id} {change.name}"
    expected = dict(change.after or {})
    if entry.op in CREATE_OPS:
        for own in _same_create(journal, entry, change.id):
            expected.update(own.after or {})
        now = values_of(capabilities, channel, list(expected)).values
        differs = _differences(expected, now)
        item = ChannelUndo(channel, change, expected=expected)
        if differs:
            return item, f"{label} changed since it was created ({differs}){_undo_first(journal, entry, change, now)}"
        return item, ""
    now = values_of(capabilities, channel, [*(change.before or {}), *expected]).values
    if holds_before(capabilities, change, channel):
        return ChannelUndo(channel, change, already_undone=True, expected=expected), ""
    differs = _differences(expected, now)
    item = ChannelUndo(channel, change, expected=expected)
    if differs:
        return item, f"{label} changed since ({differs}){_undo_first(journal, entry, change, now)}"
    return item, ""


def written_back(before: Mapping[str, Any]) -> dict[str, Any]:
    """The values an undo writes for `before`: a status that was auto-disabled goes back as disabled
    by hand (only the gateway marks a channel auto-disabled), so a channel disabled by hand already
    holds what its undo would write, and is left alone: nothing to put back."""
    values = dict(before)
    if values.get("status") == ChannelStatus.AUTO_DISABLED.value:
        values["status"] = ChannelStatus.MANUALLY_DISABLED.value
    return values


def _same_create(journal: Sequence[Entry], entry: Entry, channel_id: int | None) -> list[Change]:
    """The channel's changes written by the create itself right after it (in its batch: the status
    or key states a server dropped on create, set by `creation.create_channel`), oldest first.
    A later edit is not one of them: it makes the channel differ from what was created."""
    if entry.batch is None:
        return []
    return [
        change
        for other in journal
        if other.site == entry.site and other.id > entry.id and other.ok and other.batch == entry.batch
        and other.undoes is None and other.op in ("status", "update")
        for change in other.changes
        if change.of == "channel" and change.id == channel_id and change.after is not None
    ]


def _undo_first(journal: Sequence[Entry], entry: Entry, change: Change, now: Mapping[str, Any]) -> str:
    """", changed by entry 14: undo that first" when a later entry of the tool left the values the server holds."""
    names = [n for n, v in (change.after or {}).items() if not same(now.get(n), v)]
    for other in reversed(journal):
        if other.site != entry.site or other.id <= entry.id or not other.ok:
            continue
        for later in other.changes:
            if later.of == "channel" and later.id == change.id and any(
                n in (later.after or {}) and same(now.get(n), (later.after or {})[n]) for n in names
            ):
                return f", changed by entry {other.id}: undo that first"
    return ""


def _differences(expected: Mapping[str, Any], now: Mapping[str, Any]) -> str:
    differing = [name for name, value in expected.items() if not same(now.get(name), value)]
    return ", ".join(f"{name} is {short(now.get(name))}, not {short(expected[name])}" for name in differing[:3])


def said_once(reasons: Sequence[str], one: str, many: str) -> list[str]:
    """Each distinct reason once, in the order first given, with how many `one`s / `many` gave it
    when more than one did: "a delete is undone on its own (2 entries)", not the clause twice."""
    counts: dict[str, int] = {}
    for reason in reasons:
        counts[reason] = counts.get(reason, 0) + 1
    return [reason if n == 1 else f"{reason} ({plural(n, one, many)})" for reason, n in counts.items()]


def _more(problems: Sequence[str], shown: int = 5) -> str:
    """The tail of a list cut after its first `shown` items: "; and N more", or nothing."""
    return f"; and {len(problems) - shown} more" if len(problems) > shown else ""


async def _plan_recreate(backend: Backend, entry: Entry, journal: Sequence[Entry]) -> UndoPlan:
    changes = [c for c in entry.changes if c.of == "channel" and c.id is not None]
    now = await read_current(backend, [c.id for c in changes if c.id is not None])
    trashed = trashed_channels(trash.read())
    found = {change.id: trashed_record(entry, change, trashed) for change in changes}
    still = [
        now[c.id] for c in changes if c.id in now and _still_there(entry, c, found[c.id], now[c.id], journal)
    ]
    if still:
        names = ", ".join(f"#{c.id} {c.name}" for c in still)
        raise UndoRefused(f"Entry {entry.id} cannot be undone: {names} is still on the server, so there is nothing to restore.")
    missing = [f"#{c.id} {c.name}" for c in changes if found[c.id] is None]
    if missing:
        raise UndoRefused(
            f"Entry {entry.id} cannot be undone: the trash holds no record of {', '.join(missing)} "
            "deleted then, so it cannot be created again."
        )
    items = [(record.channel, record.origin) for record in found.values() if record is not None]
    channels = await backend.list_channels()
    title = f"Undo entry {entry.id}: create {plural(len(items), 'deleted channel')} again on {entry.site}"
    plan = plan_transfer(items, backend.capabilities, channels, site=entry.site, title=title, action="undo")
    if all(row.state is RowState.PRESENT for row in plan.rows):
        raise UndoRefused(f"Entry {entry.id} is undone already: {blocked_rows(plan)}.")
    return UndoPlan(entry, UndoKind.RECREATE_DELETED, restore=plan)


async def _plan_group(backend: Backend, entry: Entry) -> UndoPlan:
    """A group undo, checked against the server's groups (and channels, for members)."""
    [change] = [c for c in entry.changes if c.of == "group"]
    label = f"group #{change.id} {change.name}"
    groups = {g.id: g for g in await backend.list_model_groups()}
    now = groups.get(change.id)
    refused = f"Entry {entry.id} cannot be undone: "
    if entry.op == "group_delete":
        before = change.before or {}
        if now is not None:
            raise UndoRefused(f"{refused}{label} is still on the server, so there is nothing to create again.")
        taken = next((g for g in groups.values() if g.name == before.get("name")), None)
        if taken is not None:
            raise UndoRefused(f"{refused}a group named {taken.name} is on the server now (#{taken.id}).")
        present = {c.id for c in await backend.list_channels()}
        gone = sorted({int(m[0]) for m in before.get("members") or [] if int(m[0]) not in present})
        if gone:
            names = ", ".join(f"#{i}" for i in gone[:5])
            whose = agrees(len(gone), "its member's channel", "its members' channels")
            raise UndoRefused(f"{refused}{whose} {names} {agrees(len(gone), 'is', 'are')} not on the server any more.")
        return UndoPlan(entry, UndoKind.RECREATE_GROUP, groups=[GroupUndo(None, change)])
    if now is None:
        raise UndoRefused(f"{refused}{label} is not on the server any more.")
    values = group_values(now).values
    if entry.op == "group_update" and all(same(values.get(n), v) for n, v in (change.before or {}).items()):
        raise UndoRefused(f"Entry {entry.id} is undone already: the server holds the group's settings from before it.")
    differs = _differences(change.after or {}, values)
    if differs:
        since = "since it was created" if entry.op == "group_create" else "since"
        raise UndoRefused(f"{refused}{label} changed {since} ({differs}).")
    if entry.op == "group_create":
        return UndoPlan(entry, UndoKind.DELETE_CREATED, groups=[GroupUndo(now, change)])
    return UndoPlan(entry, UndoKind.VALUES, groups=[GroupUndo(now, change)])


def _still_there(
    entry: Entry, change: Change, record: TrashedChannel | None, now: Channel, journal: Sequence[Entry]
) -> bool:
    """Whether `now`, at the id a delete entry names, is the channel it deleted (the delete did not
    take), not another one given that id since: the same creation time (the change's, or the trash
    record's), else no later create at that id and the same name."""
    created = change.created if change.created is not None else record.channel.created_time if record else None
    if created is not None and now.created_time is not None:
        return created == now.created_time
    later = ended_since(journal, entry, change.id)
    return later is None and now.name == (record.channel.name if record else change.name)


def trashed_record(entry: Entry, change: Change, trashed: Sequence[TrashedChannel]) -> TrashedChannel | None:
    """The newest trash record of the channel this entry deleted, saved before the delete was sent."""
    deleted_at = entry.at.strftime("%Y-%m-%dT%H:%M:%SZ")
    for item in trashed:
        if item.origin.site == entry.site and item.channel.id == change.id and item.deleted_at <= deleted_at:
            return item
    return None


def blocked_rows(plan: ChannelPlan) -> str:
    """Why the rows of a recreate that will not be created are held back, or ""."""
    held = [row for row in plan.rows if row.state is not RowState.READY]
    return "; ".join(f"{row.spec.name}: {row.reason}" for row in held)


async def apply_undo(
    backend: Backend, plan: UndoPlan, *, site: str, current: Mapping[int, Channel] | None = None
) -> list[ChannelResult]:
    """Send the undo (journalled as an undo of the entry); one result per channel.

    Each channel is read again first (`current`, when the caller has just read them): one that
    no longer holds what the plan checked fails with the reason and is left as it is. A recreate
    goes through `CreateRun` by the caller (it is a batch of creates with a preview); this
    handles values and deletes of created channels.
    """
    results = []
    pending = [item for item in plan.channels if not item.already_undone]
    if pending and current is None:
        current = await read_current(backend, [item.channel.id for item in pending])
    groups = {g.id: g for g in await backend.list_model_groups()} if plan.groups else {}
    with acting("undo", undoes=plan.entry.id):
        for undo in plan.groups:
            results.append(await _undo_group(backend, plan, undo, groups, site=site))
        for item in plan.channels:
            channel, change = item.channel, item.change
            if item.already_undone:
                results.append(_result(channel, Outcome.SKIPPED, "already as before"))
                continue
            assert current is not None
            now = current.get(channel.id)
            left = _left_alone(backend.capabilities, plan, item, now)
            if left is not None:
                results.append(left)
                continue
            assert now is not None
            try:
                if plan.kind is UndoKind.DELETE_CREATED:
                    await _delete_to_trash(backend, now, site=site)
                    message = "deleted (its record is in the trash)"
                else:
                    await _put_back(backend, now, change)
                    message = change_text(change, reverse=True, secrets=False)
                    if change.withheld:
                        message += f"; {' and '.join(change.withheld)} not restored ({SECRETS_NOT_KEPT})"
            except ChannelsError as error:
                results.append(_result(channel, Outcome.FAILED, error.message))
                continue
            results.append(_result(channel, Outcome.OK, message))
    return results


def _left_alone(capabilities: Capabilities, plan: UndoPlan, item: ChannelUndo, now: Channel | None) -> ChannelResult | None:
    """The result for a channel that changed since the undo was checked (`now`: read again just
    before the write), or None to write it. One already where the undo would put it (set back by
    someone else meanwhile, or deleted, for a created channel) is skipped, not failed."""
    channel = item.channel
    if plan.kind is UndoKind.DELETE_CREATED and (now is None or not same_channel(channel, now)):
        return _result(channel, Outcome.SKIPPED, "already deleted (since the undo was checked): left alone")
    moved = moved_since(capabilities, item.expected, now, planned=channel)
    if not moved:
        return None
    renamed = "name" in item.expected
    if (
        plan.kind is UndoKind.VALUES
        and now is not None
        and same_channel(channel, now, renamed=renamed)
        and holds_before(capabilities, item.change, now)
    ):
        held = _held(capabilities, item.change, now)
        return _result(channel, Outcome.SKIPPED, f"already {held} (set so since the undo was checked): left alone")
    return _result(channel, Outcome.FAILED, moved)


def moved_since(
    capabilities: Capabilities, expected: Mapping[str, Any], now: Channel | None, *, planned: Channel | None = None
) -> str:
    """Why a channel checked for an undo cannot be undone any more, read again just before the
    write (`now`, None when it is gone): it is not the channel checked (`planned`: another took its
    id), or it no longer holds the `expected` values. "" when it can. Every undo checks with it
    right before writing: the history's, `history undo` and ctrl+z's."""
    if now is None:
        return "not on the server any more: left alone"
    if planned is not None and not same_channel(planned, now, renamed="name" in expected):
        return f"another channel holds #{now.id} now ({now.name}): left alone"
    values = values_of(capabilities, now, list(expected)).values
    differs = _differences(expected, values)
    return f"changed since the undo was checked ({differs}): left alone" if differs else ""


async def _undo_group(
    backend: Backend, plan: UndoPlan, undo: GroupUndo, groups: Mapping[int | None, ModelGroup], *, site: str
) -> ChannelResult:
    """One group's undo, checked again against `groups` (the server's, just listed)."""
    change = undo.change
    name = f"group {change.name}"
    try:
        if plan.kind is UndoKind.RECREATE_GROUP:
            before = change.before or {}
            taken = next((g for g in groups.values() if g.name == before.get("name")), None)
            if taken is not None and not _differences(before, group_values(taken).values):
                why = f"already on the server again, as before (#{taken.id}): left alone"
                return ChannelResult(taken.id or 0, name, Outcome.SKIPPED, why)
            if taken is not None:
                return ChannelResult(change.id or 0, name, Outcome.FAILED, f"a group named {taken.name} is on the server now (#{taken.id}): left alone")
            blank = ModelGroup(None, str(before.get("name") or change.name), before.get("mode", 0))
            saved = await backend.create_model_group(group_with(blank, before))
            return ChannelResult(saved.id or 0, name, Outcome.OK, f"created again as group #{saved.id}")
        assert undo.group is not None and undo.group.id is not None
        now = groups.get(undo.group.id)
        if now is None and plan.kind is UndoKind.DELETE_CREATED:
            return ChannelResult(undo.group.id, name, Outcome.SKIPPED, "already deleted (since the undo was checked): left alone")
        if now is None:
            return ChannelResult(undo.group.id, name, Outcome.FAILED, "not on the server any more: left alone")
        differs = _differences(change.after or {}, group_values(now).values)
        if differs and plan.kind is UndoKind.VALUES and not _differences(change.before or {}, group_values(now).values):
            why = "already as before (set so since the undo was checked): left alone"
            return ChannelResult(undo.group.id, name, Outcome.SKIPPED, why)
        if differs:
            return ChannelResult(undo.group.id, name, Outcome.FAILED, f"changed since the undo was checked ({differs}): left alone")
        if plan.kind is UndoKind.DELETE_CREATED:
            flavor = backend.capabilities.flavor
            trash_groups([now], await backend.list_channels(), site=site, flavor=flavor)
            await backend.delete_model_group(undo.group.id)
            return ChannelResult(undo.group.id, name, Outcome.OK, "deleted (it is in the group trash)")
        await backend.update_model_group(now, group_with(now, change.before or {}))
        return ChannelResult(undo.group.id, name, Outcome.OK, change_text(change, reverse=True))
    except ChannelsError as error:
        return ChannelResult(change.id or 0, name, Outcome.FAILED, error.message)


async def _put_back(backend: Backend, channel: Channel, change: Change) -> None:
    capabilities: Capabilities = backend.capabilities
    before = dict(change.before or {})
    status = before.pop("status", None)
    if set(before) == {"tag"} and capabilities.supports(Operation.BATCH_TAG):
        await backend.set_tag([channel.id], before["tag"] or None)  # type: ignore[attr-defined]
    elif before:
        await backend.update_channel(channel, {n: decoded(capabilities, n, v) for n, v in before.items()})
    if status is not None:
        await backend.set_status(channel.id, status == "enabled")


async def _delete_to_trash(backend: Backend, channel: Channel, *, site: str) -> None:
    [kept] = await with_keys(backend, [channel])
    trashed = trash.append([kept], site=site, capabilities=backend.capabilities, reason="undo")
    try:
        await backend.delete_channel(channel.id)
    except ChannelsError as error:
        trash.mark_not_deleted(trashed.entries.values(), reason=error.message)
        raise


def _result(channel: Channel, outcome: Outcome, message: str) -> ChannelResult:
    return ChannelResult(channel_id=channel.id, name=channel.name, outcome=outcome, message=message)


# -- a whole batch ---------------------------------------------------------------------------


@dataclass
class BatchUndo:
    """Undoing every entry of one batch, newest first: the plans that passed their checks, and the
    entries refused with their reasons."""

    batch: str
    plans: list[UndoPlan]
    refused: list[tuple[Entry, str]]

    @property
    def deletes(self) -> int:
        """How many channels and groups the undo deletes (what it created)."""
        return sum(len(p.channels) + len(p.groups) for p in self.plans if p.kind is UndoKind.DELETE_CREATED)


def batch_entries(journal: Sequence[Entry], entry: Entry) -> list[Entry]:
    """The entries of `entry`'s batch on every site it reached (just `entry` when it has none),
    oldest first. A batch over several sites (a fleet action) shares one id on all of them."""
    if entry.batch is None:
        return [entry]
    return [e for e in journal if e.batch == entry.batch]


def batch_sites(journal: Sequence[Entry], entry: Entry) -> dict[str, list[Entry]]:
    """The entries of `entry`'s batch by site, `entry`'s site first, the others in the order the
    batch first wrote to them."""
    found: dict[str, list[Entry]] = {entry.site: []}
    for member in batch_entries(journal, entry):
        found.setdefault(member.site, []).append(member)
    return {site: members for site, members in found.items() if members}


async def plan_batch_undo(backend: Backend, entry: Entry, journal: Sequence[Entry]) -> BatchUndo:
    """Check every entry of `entry`'s batch on `entry`'s site against that site's server (listed
    once for a large batch; `plan_fleet_undo` takes every site of the batch). A delete is left out: each shows its own restore preview (or restore them together
    from the trash with L); so is a write that failed, named with its reason. Raises `UndoRefused` when no entry of the batch can be undone."""
    members = [e for e in batch_entries(journal, entry) if e.site == entry.site]
    created = {c.id for e in members if e.ok and e.op in CREATE_OPS for c in e.changes if c.of == "channel"}
    members = [e for e in members if not (e.ok and _part_of_create(e, created))]
    ids = {c.id for e in members if e.ok for c in e.changes if c.of == "channel" and c.id is not None}
    current = await read_current(backend, ids)
    plans: list[UndoPlan] = []
    refused: list[tuple[Entry, str]] = []
    for member in reversed(members):
        if not member.ok:
            refused.append((member, f"its write failed ({member.error or 'no reason given'}), so it has nothing to undo"))
        elif member.op in DELETE_OPS:
            refused.append((member, "a delete is undone on its own, with its restore preview"))
            continue
        try:
            plans.append(await plan_undo(backend, member, journal=journal, current=current))
        except UndoRefused as error:
            refused.append((member, error.message))
    if not plans:
        reasons = said_once([reason.rstrip(".") for _, reason in refused], "entry", "entries")
        shown = "; ".join(reasons[:3]) + _more(reasons, 3)
        raise UndoRefused(f"No entry of batch {entry.batch or entry.id} can be undone: {shown}.")
    return BatchUndo(entry.batch or str(entry.id), plans, refused)


def _part_of_create(entry: Entry, created: set[int | None]) -> bool:
    """Whether a batch's entry only finished creating channels the batch created (the status a
    server dropped): deleting the channels undoes it too."""
    channels = [c.id for c in entry.changes if c.of == "channel"]
    return entry.op not in CREATE_OPS and bool(channels) and all(i in created for i in channels)


async def apply_batch_undo(backend: Backend, undo: BatchUndo, *, site: str) -> list[tuple[UndoPlan, list[ChannelResult]]]:
    """Undo each planned entry, newest first, as one batch of its own; the channels are read
    again once for all of them. Returns each plan with its results."""
    ids = {item.channel.id for plan in undo.plans for item in plan.pending}
    current = await read_current(backend, ids)
    done: list[tuple[UndoPlan, list[ChannelResult]]] = []
    with one_batch():
        for plan in undo.plans:
            done.append((plan, await apply_undo(backend, plan, site=site, current=current)))
    return done


# -- a batch over several sites ------------------------------------------------------------------

Connect = Callable[[str], Awaitable[Backend]]
"""A site's name to its connected (journalling) backend; raises `ChannelsError` with the reason a
site cannot be written (not configured any more, read-only, unreachable)."""


@dataclass
class FleetUndo:
    """Undoing one batch that reached several sites (a fleet action: one batch id on all of them):
    each site's part checked against its own server (`BatchUndo`), and the sites left alone with
    the reason (nothing there can be undone, or the site cannot be written)."""

    batch: str
    parts: dict[str, BatchUndo]
    left: dict[str, str] = field(default_factory=dict)

    @property
    def sites(self) -> int:
        return len(self.parts)

    @property
    def channels(self) -> int:
        """How many channels and groups the undo writes, on every site."""
        return sum(_writes(plan) for part in self.parts.values() for plan in part.plans)

    @property
    def deletes(self) -> int:
        return sum(part.deletes for part in self.parts.values())

    @property
    def title(self) -> str:
        """The confirmation's question: what is written, on which sites."""
        site = next(iter(self.parts)) if self.sites == 1 else f"{self.sites} sites"
        if self.deletes:
            what = plural(self.deletes, "channel or group", "channels or groups")
            return f"Undo batch {self.batch}: delete {what} it created on {site}?"
        return f"Undo batch {self.batch}: put back {plural(self.channels, 'channel')} on {site}?"

    def describe(self, lines: int = 12) -> str:
        """Counts and what is left alone first (per site, with the reason), then each site's
        channels, at most `lines` of them in all, then "and N more"."""
        head = []
        for site, part in self.parts.items():
            refused = f"; {plural(len(part.refused), 'entry', 'entries')} left alone" if part.refused else ""
            count = sum(_writes(plan) for plan in part.plans)
            head.append(f"{site}: {plural(count, 'channel')} from {plural(len(part.plans), 'entry', 'entries')}{refused}.")
        head += [f"{site}: left alone: {reason.rstrip('.')}." for site, reason in self.left.items()]
        notes = sorted({p.secrets_note() for part in self.parts.values() for p in part.plans} - {""})
        head += notes
        refusals = [
            f"  {site} entry {e.id}: {reason}" for site, part in self.parts.items() for e, reason in part.refused[:5]
        ]
        named: list[str] = []
        for site, part in self.parts.items():
            text = [
                f"  Entry {p.entry.id}: {line}"
                for p in part.plans
                for line in p.describe().splitlines()
                if line not in notes
            ]
            if self.sites > 1:
                text.insert(0, f"{site}:")
            named += text
        if len(named) > lines:
            named = [*named[:lines], f"  and {len(named) - lines} more"]
        blocks = ["\n".join(head), "\n".join(["Left alone:", *refusals]) if refusals else "", "\n".join(named)]
        return "\n\n".join(filter(None, blocks))


def _writes(plan: UndoPlan) -> int:
    return len(plan.groups) + (len(plan.restore.rows) if plan.restore is not None else len(plan.pending))


async def plan_fleet_undo(connect: Connect, entry: Entry, journal: Sequence[Entry]) -> FleetUndo:
    """Check every site's part of `entry`'s batch against that site's own server. A site that
    cannot be written or read, or has nothing left to undo, is left alone with the reason; raises
    `UndoRefused` (with every site's reason) when no site has anything to undo."""
    parts: dict[str, BatchUndo] = {}
    left: dict[str, str] = {}
    for site, members in batch_sites(journal, entry).items():
        try:
            parts[site] = await plan_batch_undo(await connect(site), members[-1], journal)
        except ChannelsError as error:
            left[site] = error.message
    batch = entry.batch or str(entry.id)
    if not parts:
        if len(left) == 1:
            raise UndoRefused(next(iter(left.values())))
        by_reason: dict[str, list[str]] = {}
        for site, reason in left.items():
            reason = reason.removeprefix(f"No entry of batch {batch} can be undone: ")
            by_reason.setdefault(reason.rstrip("."), []).append(site)
        reasons = "; ".join(f"{', '.join(sites)}: {reason}" for reason, sites in by_reason.items())
        raise UndoRefused(f"No entry of batch {batch} can be undone on any of its {plural(len(left), 'site')}: {reasons}.")
    return FleetUndo(batch, parts, left)


@dataclass
class SiteUndone:
    """What undoing one site's part of a batch did: each plan with its results, or why the site
    could not be written at all."""

    site: str
    done: list[tuple[UndoPlan, list[ChannelResult]]] = field(default_factory=list)
    error: str = ""

    @property
    def failed(self) -> list[ChannelResult]:
        return [r for _plan, results in self.done for r in results if r.outcome is Outcome.FAILED]


async def apply_fleet_undo(connect: Connect, undo: FleetUndo) -> list[SiteUndone]:
    """Undo every site's part at once, each under its own backend (its channels read again just
    before writing, as `apply_batch_undo` does); the whole undo is one batch over its sites.
    A site that fails as a whole (unreachable) says why; the others go on."""

    async def one(site: str, part: BatchUndo) -> SiteUndone:
        try:
            return SiteUndone(site, await apply_batch_undo(await connect(site), part, site=site))
        except ChannelsError as error:
            return SiteUndone(site, error=error.message)

    with one_batch():
        tasks = [asyncio.ensure_future(one(site, part)) for site, part in undo.parts.items()]
    return list(await asyncio.gather(*tasks))


def fleet_tally(undone: Sequence[SiteUndone]) -> str:
    """One line per site of what an undo over several sites changed ("a: put back 2 channels")."""
    return "\n".join(
        f"{part.site}: {part.error.rstrip('.') if part.error else tally(part.done)}." for part in undone
    )


# -- what an undo did, in words ----------------------------------------------------------------

_DONE = {
    UndoKind.VALUES: "put back {}",
    UndoKind.DELETE_CREATED: "deleted {}",
    UndoKind.RECREATE_DELETED: "created {} again",
    UndoKind.RECREATE_GROUP: "created {} again",
}


def tally(done: Iterable[tuple[UndoPlan, Sequence[ChannelResult]]]) -> str:
    """What undoing these plans changed, counted from the results: "put back 2 channels, deleted
    1 channel; 1 already as before; 1 failed". Only a result the server took counts as changed."""
    changed: Counter[tuple[str, str]] = Counter()
    skipped = present = failed = 0
    for plan, results in done:
        noun = "group" if plan.groups else "channel"
        for result in results:
            if result.outcome is Outcome.OK:
                changed[(_DONE[plan.kind], noun)] += 1
            elif result.outcome is Outcome.FAILED:
                failed += 1
            elif plan.kind is UndoKind.RECREATE_DELETED:
                present += 1
            else:
                skipped += 1
    parts = [", ".join(verb.format(plural(count, noun)) for (verb, noun), count in changed.items()) or "nothing changed"]
    if skipped:
        parts.append(f"{plural(skipped, 'channel')} already as before")
    if present:
        parts.append(f"{plural(present, 'channel')} left alone (a channel like it is on the server)")
    if failed:
        parts.append(f"{failed:,} failed")
    return "; ".join(parts)
