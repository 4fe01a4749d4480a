"""The history journal in words: what each entry did, to which channels, and what became of it.

Shared by the history screen and `tui-channels history`, so both say the same thing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..models import ChannelStatus
from ..wording import plural
from .change_values import same
from .journal import Change, Entry, format_time
from .recorder import WRITES

_OP_LABELS = {
    "create": "create",
    "update": "edit",
    "delete": "delete",
    "delete_disabled": "delete disabled",
    "tag": "tag",
    "tag_edit": "tag edit",
    "batch_update": "edit",
    "copy": "copy",
    "server_sync": "server sync",
    "fix_abilities": "fix abilities",
    "test_all": "server test",
    "multi_key": "keys",
    "upstream_apply": "upstream apply",
    "upstream_apply_all": "upstream apply all",
    "group_create": "group create",
    "group_update": "group edit",
    "group_delete": "group delete",
}
_LIST_FIELDS = frozenset({"models", "groups", "custom_model", "manualModels"})


def action_label(entry: Entry) -> str:
    """What the user did: "edit", "disable", "import", "undo #12", "tag disable"…"""
    if entry.undoes is not None:
        return f"undo #{entry.undoes}"
    if entry.action:
        return entry.action
    enabled = entry.args.get("enabled")
    if entry.op == "status":
        return "enable" if enabled else "disable"
    if entry.op == "tag_status":
        return "tag enable" if enabled else "tag disable"
    if entry.op == "multi_key" and entry.args.get("action"):
        return f"keys: {str(entry.args['action']).replace('_', ' ')}"
    return _OP_LABELS.get(entry.op, entry.op.replace("_", " "))


ACTIONS = ("create", "import", "restore", "copy", "sync", "undo", "enable", "disable", "tag enable", "tag disable")
"""What a user does, as the journal's `action` and the history's ACTION column name it, beside the
operations (`recorder.WRITES`) and their labels."""


def op_words() -> list[str]:
    """Every word `history --op` takes: an operation, an action, or either as the history shows it."""
    words = {*WRITES.values(), *_OP_LABELS.values(), *ACTIONS}
    return sorted(words | {word.replace(" ", "_") for word in words})


def is_op(entry: Entry, word: str) -> bool:
    """Whether `entry` is of the operation or action `word` (one of `op_words`): its operation, its
    action, or the ACTION column's word ("edit", "disable", "undo")."""
    word = word.strip().lower().replace("_", " ")
    shown = "undo" if entry.undoes is not None else action_label(entry)
    return word in {entry.op.replace("_", " "), entry.action.replace("_", " "), shown, _OP_LABELS.get(entry.op, "")}


def channel_label(entry: Entry) -> str:
    """The channel an entry touched ("#5 openai-1"), or how many, or the tag for a tag-wide write."""
    groups = [c for c in entry.changes if c.of == "group"]
    if groups:
        return ", ".join(f"group {c.name or f'#{c.id}'}" for c in groups)
    channels = [c for c in entry.changes if c.of == "channel"]
    tag = entry.args.get("tag") if entry.op in ("tag_status", "tag_edit") else None
    if len(channels) == 1 and not tag:
        change = channels[0]
        return f"#{change.id} {change.name}".strip() if change.id is not None else change.name
    count = f"{len(channels)} channels" if len(channels) != 1 else "1 channel"
    if tag:
        return f"tag {tag} ({count})"
    return count if channels else ""


def change_summary(entry: Entry) -> str:
    """The change in words: one channel's fields, or what several channels had in common."""
    channels = list(entry.changes)
    if not channels:
        return _args_text(entry)
    texts = {change_text(c) for c in channels}
    if len(texts) == 1:
        return texts.pop()
    fields = sorted({name for c in channels for name in c.fields})
    counted = plural(len(channels), "channel")
    return f"{', '.join(fields)} of {counted}" if fields else counted


def _args_text(entry: Entry) -> str:
    shown = {k: v for k, v in entry.args.items() if k != "enabled"}
    return ", ".join(f"{k} {short(v)}" for k, v in shown.items())


def outcome_label(entry: Entry, undone_by: Entry | None = None) -> str:
    if not entry.ok:
        return "failed"
    if undone_by is not None:
        return f"undone #{undone_by.id}"
    return "ok"


def undone_by(entries: Sequence[Entry]) -> dict[tuple[str, int], Entry]:
    """(site, entry id) -> the first successful undo of it."""
    found: dict[tuple[str, int], Entry] = {}
    for entry in entries:
        if entry.undoes is not None and entry.ok:
            found.setdefault((entry.site, entry.undoes), entry)
    return found


def when(entry: Entry) -> str:
    """"2026-08-30 12:34:56" (UTC)."""
    return format_time(entry.at)[:19].replace("T", " ")


def short(value: Any, width: int = 40) -> str:
    """A value in a few words: lists joined, empty as "empty", a status by its label, cut at `width`."""
    status = next((s for s in ChannelStatus if s.value == value), None) if isinstance(value, str) else None
    if status is not None:
        return status.label
    if isinstance(value, list) and all(not isinstance(v, (dict, list)) for v in value):
        text = ", ".join(str(v) for v in value) or "none"
    elif value is None or value == "":
        text = "empty"
    else:
        text = str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


WRITTEN_BACK = "was auto-disabled: only the gateway marks a channel so"
"""Why an undo sets a channel that was auto-disabled back to disabled by hand: a client can only
enable or disable (`undo._put_back` writes `set_status(False)`)."""


def change_text(change: Change, *, reverse: bool = False, secrets: bool = True) -> str:
    """One change in words: "priority 0 → 5; models +2 −1", or the way back with `reverse` (as an
    undo writes it: a status that was auto-disabled goes back to disabled by hand); `secrets=False`
    leaves out the secret fields the change only names (an undo cannot send them)."""
    before, after = (change.after, change.before) if reverse else (change.before, change.after)
    if before is None and after is None:
        return ""
    if before is None:
        return "created"
    if after is None:
        return "deleted"
    parts = []
    for name in dict.fromkeys([*before, *after]):
        old, new = before.get(name), after.get(name)
        if same(old, new):
            continue
        if name in _LIST_FIELDS and isinstance(old, list) and isinstance(new, list):
            added = sum(1 for m in new if m not in old)
            removed = sum(1 for m in old if m not in new)
            counts = " ".join(text for text in (f"+{added}" if added else "", f"−{removed}" if removed else "") if text)
            parts.append(f"{name} {counts or 'reordered'}")
        elif reverse and name == "status" and new == ChannelStatus.AUTO_DISABLED.value:
            parts.append(f"{name} {short(old, 24)} → {ChannelStatus.MANUALLY_DISABLED.label} ({WRITTEN_BACK})")
        else:
            parts.append(f"{name} {short(old, 24)} → {short(new, 24)}")
    if secrets:
        parts += [f"{name} (secret)" for name in change.withheld]
    return "; ".join(parts) or "no change"


def detail_lines(entry: Entry) -> list[str]:
    """Every field of every channel, before and after, for the history's detail pane and the CLI."""
    lines = [
        f"Entry {entry.id} on {entry.site} ({entry.backend}), {when(entry)} UTC: {action_label(entry)}"
        + ("" if entry.ok else f" — FAILED: {entry.error}")
    ]
    shown = {k: v for k, v in entry.args.items() if k != "enabled"}
    if shown:
        lines.append("  " + ", ".join(f"{k}: {short(v, 60)}" for k, v in shown.items()))
    for change in entry.changes:
        kind = "group " if change.of == "group" else ""
        lines.append(
            f"  {kind}#{change.id} {change.name}" if change.id is not None else f"  {kind}{change.name or '(unknown)'}"
        )
        before, after = change.before, change.after
        if before is None and after is not None:
            lines += [f"    {name}: {short(value, 60)}" for name, value in after.items()]
        elif after is None and before is not None:
            lines += [f"    {name} was {short(value, 60)}" for name, value in before.items()]
        elif before is not None and after is not None:
            for name in dict.fromkeys([*before, *after]):
                lines.append(f"    {name}: {short(before.get(name), 40)} → {short(after.get(name), 40)}")
        if change.withheld:
            lines.append(f"    changed, not kept (secret): {', '.join(change.withheld)}")
    return lines
