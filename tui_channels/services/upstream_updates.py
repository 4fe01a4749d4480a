"""The server's own upstream model findings (current New API): review, apply or ignore, check again.

New API checks the upstream of each watched channel itself and keeps the models it added and
removed (docs/contracts/newapi-upstream-updates.md). An upstream that lists nothing (a refused key
can answer so) makes the server (2026-08) find every model of the channel removed: applying that
would leave the channel without models, so those removals stay pending and an apply that would
empty a channel is refused (`leaves_no_models`), per channel or for all. This module turns those
findings into per-model decisions (apply the change, ignore an added model for good, or leave it
pending), and runs the checks and the applies channel by channel through the batch engine, each
result with the channel's models before and after, and the channel as the server now holds it.
"""

from __future__ import annotations

import asyncio
import enum
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..backends.base import Backend
from ..errors import NotFound, PermissionDenied, RequestTimeout
from ..models import Channel
from ..wording import plural
from .batch import Operation as BatchOperation
from .batch import failed, succeeded
from .current import SharedRead
from .results import ChannelResult
from .sync import diff_text
from .upstream_models import EMPTY_UPSTREAM

LEFT_AS_IT_IS = (
    f"{EMPTY_UPSTREAM}; applying what the server found would leave the channel without models, "
    "so it is left as it is"
)


class Decision(str, enum.Enum):
    APPLY = "apply"
    IGNORE = "ignore"
    """Added models only: the server puts them on the channel's ignore list."""
    LEAVE = "leave"
    """Stays pending on the server."""


@dataclass(frozen=True, slots=True)
class ModelChange:
    """One model the server found: added (`True`) or removed upstream, and what to do with it."""

    channel_id: int
    model: str
    added: bool
    decision: Decision = Decision.APPLY

    def cycled(self) -> ModelChange:
        """The next decision: apply → ignore → leave for an added model, apply ↔ leave for a removed one."""
        order = [Decision.APPLY, Decision.IGNORE, Decision.LEAVE] if self.added else [Decision.APPLY, Decision.LEAVE]
        following = order[(order.index(self.decision) + 1) % len(order)] if self.decision in order else order[0]
        return ModelChange(self.channel_id, self.model, self.added, following)


def with_findings(channels: Iterable[Channel]) -> list[Channel]:
    """The channels with pending upstream changes, by id."""
    return sorted((c for c in channels if c.upstream is not None and c.upstream.pending), key=lambda c: c.id)


def leaves_no_models(channel: Channel, add: Iterable[str], remove: Iterable[str]) -> bool:
    """Whether adding `add` and removing `remove` would leave a channel that has models with none."""
    gone = set(remove)
    return bool(channel.models) and not list(add) and all(m in gone for m in channel.models)


def stripped(channels: Iterable[Channel]) -> list[Channel]:
    """The channels whose findings, applied whole, would leave them without models."""
    return [
        c
        for c in with_findings(channels)
        if c.upstream is not None and leaves_no_models(c, c.upstream.added, c.upstream.removed)
    ]


def proposed(channels: Iterable[Channel]) -> list[ModelChange]:
    """Every pending change of these channels, each to be applied unless the user decides otherwise;
    the removals of a channel they would leave without models are left pending."""
    channels = list(channels)
    changes = []
    emptied = {c.id for c in stripped(channels)}
    for channel in with_findings(channels):
        assert channel.upstream is not None
        removal = Decision.LEAVE if channel.id in emptied else Decision.APPLY
        changes += [ModelChange(channel.id, m, True) for m in channel.upstream.added]
        changes += [ModelChange(channel.id, m, False, removal) for m in channel.upstream.removed]
    return changes


@dataclass(frozen=True, slots=True)
class ChannelDecisions:
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.add or self.remove or self.ignore)


def by_channel(changes: Iterable[ModelChange]) -> dict[int, ChannelDecisions]:
    """The decisions per channel, as `apply` takes them; channels where everything stays pending are left out."""
    found: dict[int, dict[str, list[str]]] = {}
    for change in changes:
        lists = found.setdefault(change.channel_id, {"add": [], "remove": [], "ignore": []})
        if change.decision is Decision.APPLY:
            lists["add" if change.added else "remove"].append(change.model)
        elif change.decision is Decision.IGNORE and change.added:
            lists["ignore"].append(change.model)
    decided = {i: ChannelDecisions(tuple(l["add"]), tuple(l["remove"]), tuple(l["ignore"])) for i, l in found.items()}
    return {i: d for i, d in decided.items() if not d.empty}


def describe(changes: Sequence[ModelChange]) -> str:
    """One line: how many models are added, removed, ignored, left pending, over how many channels."""
    count = {d: 0 for d in Decision}
    added = removed = 0
    for change in changes:
        count[change.decision] += 1
        if change.decision is Decision.APPLY:
            added += change.added
            removed += not change.added
    channels = len({c.channel_id for c in changes})
    return (
        f"{plural(channels, 'channel')}: add {added:,}, remove {removed:,}, ignore {count[Decision.IGNORE]:,}, "
        f"leave {count[Decision.LEAVE]:,} pending"
    )


Saved = Callable[[Channel], None]


def apply_operation(
    backend: Backend, decisions: Mapping[int, ChannelDecisions], on_saved: Saved | None = None
) -> BatchOperation:
    """Apply one channel's decisions on the server, then read the channel back (models and findings).
    Each channel is read from the server when the first apply is about to go (one read for all of
    them), so the check and the journal's "before" are the models the server holds, not the rows:
    decisions that would leave the channel without models fail without reaching the server, and a
    channel deleted since fails, saying so."""
    current = SharedRead(backend, decisions)

    async def apply(listed: Channel) -> ChannelResult:
        chosen = decisions[listed.id]
        channel = await current.get(listed.id)
        if channel is None:
            return failed(listed, "no longer on the server (deleted since it was listed); nothing was applied")
        if leaves_no_models(channel, chosen.add, chosen.remove):
            return failed(channel, LEFT_AS_IT_IS, old_models=channel.models, new_models=channel.models)
        done = await backend.apply_upstream_updates(  # type: ignore[attr-defined]
            channel.id, add=chosen.add, remove=chosen.remove, ignore=chosen.ignore
        )
        saved = await backend.get_channel(channel.id)
        if on_saved is not None:
            on_saved(saved)
        message = diff_text(channel.models, saved.models)
        if done.ignored:
            message += f", {len(done.ignored)} ignored"
        return succeeded(channel, message, old_models=channel.models, new_models=saved.models)

    return apply


def check_operation(backend: Backend, on_saved: Saved | None = None) -> BatchOperation:
    """Ask the server to check one channel's upstream now, then read the channel back."""

    async def check(channel: Channel) -> ChannelResult:
        found = await backend.detect_upstream_updates(channel.id)  # type: ignore[attr-defined]
        saved = await backend.get_channel(channel.id)
        if on_saved is not None:
            on_saved(saved)
        text = f"found +{len(found.add)} −{len(found.remove)}" if found.add or found.remove else "nothing to change"
        return succeeded(channel, text)

    return check


async def wait_for_task(backend: Backend, task_id: str, *, timeout: float = 1800.0, interval: float = 2.0) -> Any:
    """Poll a system task until it ends; None when the account may not read tasks (not root).

    Raises `RequestTimeout` when it is still running after `timeout` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            task = await backend.system_task(task_id)  # type: ignore[attr-defined]
        except (PermissionDenied, NotFound):
            return None
        if task.finished:
            return task
        if time.monotonic() > deadline:
            raise RequestTimeout(f"The server's task {task_id} is still {task.status} after {timeout:g} s.")
        await asyncio.sleep(interval)


def upstream_summary(result: object) -> str:
    """The check task's result in one line."""
    if not isinstance(result, dict):
        return "The server finished checking."
    return (
        f"{plural(result.get('checked_channels', 0), 'channel')} checked: "
        f"{result.get('changed_channels', 0)} with changes "
        f"(+{result.get('detected_add_models', 0)} −{result.get('detected_remove_models', 0)}), "
        f"{result.get('failed_channels', 0)} failed"
    )
