"""Current New API's own upstream model updates (docs/contracts/newapi-upstream-updates.md).

A mixin of `NewApiBackend`. The server checks each watched channel's upstream on a schedule (and
on demand) and keeps, in the channel's `settings`, the models the upstream added and removed;
these calls ask it to check now, apply or ignore what it found, for one channel or all. Servers
without the routes (before 2026, One API, forks) never get here: the client probes for them at
connect and leaves `Operation.UPSTREAM_UPDATES` out.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ...errors import BadResponse
from ..base import Capabilities, Operation
from ..wire_values import as_int, as_list

DETECT = "/api/channel/upstream_updates/detect"
APPLY = "/api/channel/upstream_updates/apply"
DETECT_ALL = "/api/channel/upstream_updates/detect_all"
APPLY_ALL = "/api/channel/upstream_updates/apply_all"
SYSTEM_TASK = "/api/system-task/{task_id}"
UPSTREAM_TIMEOUT = 120.0
"""A check waits for the channel's upstream to list its models."""
APPLY_ALL_TIMEOUT = 600.0
"""Apply-all answers when every watched channel was written."""


@dataclass(frozen=True, slots=True)
class UpstreamCheck:
    """What one check found: models to add and to remove, and when (Unix seconds)."""

    channel_id: int
    add: tuple[str, ...]
    remove: tuple[str, ...]
    checked_at: int | None


@dataclass(frozen=True, slots=True)
class UpstreamApplied:
    """What one apply did, and what stays pending; `models` is the channel's list afterwards."""

    channel_id: int
    added: tuple[str, ...]
    removed: tuple[str, ...]
    ignored: tuple[str, ...]
    remaining_add: tuple[str, ...]
    remaining_remove: tuple[str, ...]
    models: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ApplyAllReport:
    channels: int
    added: int
    removed: int
    failed_ids: tuple[int, ...]
    applied: tuple[UpstreamApplied, ...]


@dataclass(frozen=True, slots=True)
class SystemTask:
    """A server-side background task (`/api/system-task/:id`): its status and, when done, its result."""

    task_id: str
    status: str
    result: Any = None
    error: str = ""

    @property
    def finished(self) -> bool:
        return self.status in ("succeeded", "failed")


def _names(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def applied_from_wire(data: Mapping[str, Any], channel_id: int) -> UpstreamApplied:
    """One channel's apply result; lenient (`wire_values`): an odd field reads as absent."""
    models = data.get("models")
    return UpstreamApplied(
        channel_id=as_int(data.get("id")) or as_int(data.get("channel_id")) or channel_id,
        added=_names(data.get("added_models")),
        removed=_names(data.get("removed_models")),
        ignored=_names(data.get("ignored_models")),
        remaining_add=_names(data.get("remaining_models")),
        remaining_remove=_names(data.get("remaining_remove_models")),
        models=tuple(m for m in str(models).split(",") if m) if isinstance(models, str) else (),
    )


def apply_all_report(data: Mapping[str, Any]) -> ApplyAllReport:
    """The apply-all answer's `data`; lenient (`wire_values`): an odd count reads as 0, an odd id is left out."""
    failed = (as_int(i) for i in as_list(data.get("failed_channel_ids")))
    return ApplyAllReport(
        channels=as_int(data.get("processed_channels")) or 0,
        added=as_int(data.get("added_models")) or 0,
        removed=as_int(data.get("removed_models")) or 0,
        failed_ids=tuple(i for i in failed if i is not None),
        applied=tuple(
            applied_from_wire(r, as_int(r.get("channel_id")) or 0)
            for r in as_list(data.get("results"))
            if isinstance(r, Mapping)
        ),
    )


class _Caller(Protocol):
    capabilities: Capabilities
    _call: Callable[..., Awaitable[dict[str, Any]]]


class NewApiUpstream:
    """Detect and apply upstream model changes; mixed into `NewApiBackend`."""

    async def detect_upstream_updates(self: _Caller, channel_id: int) -> UpstreamCheck:
        """Check one channel's upstream now (manual: nothing is applied, even with auto sync on)."""
        self.capabilities.require(Operation.UPSTREAM_UPDATES)
        body = await self._call(
            "POST",
            DETECT,
            json_body={"id": channel_id},
            timeout=UPSTREAM_TIMEOUT,
            action=f"check the upstream models of channel {channel_id}",
        )
        data = body.get("data")
        if not isinstance(data, dict):
            raise BadResponse("The upstream check answered without a data object.")
        checked = data.get("last_check_time")
        return UpstreamCheck(
            channel_id=channel_id,
            add=_names(data.get("add_models")),
            remove=_names(data.get("remove_models")),
            checked_at=int(checked) if isinstance(checked, int) and checked else None,
        )

    async def apply_upstream_updates(
        self: _Caller,
        channel_id: int,
        *,
        add: Sequence[str] = (),
        remove: Sequence[str] = (),
        ignore: Sequence[str] = (),
    ) -> UpstreamApplied:
        """Add, remove or ignore models among those the server found; others are not touched.

        The server takes only names it found (an add wins over a remove of the same name) and moves
        ignored ones to the channel's ignore list.
        """
        self.capabilities.require(Operation.UPSTREAM_UPDATES)
        body = await self._call(
            "POST",
            APPLY,
            json_body={
                "id": channel_id,
                "add_models": list(add),
                "remove_models": list(remove),
                "ignore_models": list(ignore),
            },
            action=f"apply the upstream model changes of channel {channel_id}",
        )
        data = body.get("data")
        if not isinstance(data, dict):
            raise BadResponse("The upstream apply answered without a data object.")
        return applied_from_wire(data, channel_id)

    async def apply_all_upstream_updates(self: _Caller) -> ApplyAllReport:
        """Apply everything found on every enabled, watched channel (nothing is ignored)."""
        self.capabilities.require(Operation.UPSTREAM_UPDATES)
        body = await self._call(
            "POST", APPLY_ALL, timeout=APPLY_ALL_TIMEOUT, action="apply every channel's upstream model changes"
        )
        data = body.get("data")
        if not isinstance(data, dict):
            raise BadResponse("The apply-all answer had no data object.")
        return apply_all_report(data)

    async def start_upstream_check_all(self: _Caller) -> str:
        """Queue the server's check of every watched channel (a system task); returns its task id.

        Raises `RequestRejected` (HTTP 409) while a check task is already queued or running.
        """
        self.capabilities.require(Operation.UPSTREAM_UPDATES)
        body = await self._call("POST", DETECT_ALL, action="start the server's upstream model check")
        data = body.get("data")
        if not isinstance(data, dict) or not data.get("task_id"):
            raise BadResponse("The check-all answer carried no task id.")
        return str(data["task_id"])

    async def system_task(self: _Caller, task_id: str) -> SystemTask:
        """One background task's state (root only on the server)."""
        body = await self._call("GET", SYSTEM_TASK.format(task_id=task_id), action=f"read task {task_id}")
        data = body.get("data")
        if not isinstance(data, dict):
            raise BadResponse("The task answer had no data object.")
        return SystemTask(
            str(data.get("task_id") or task_id),
            str(data.get("status") or ""),
            data.get("result"),
            str(data.get("error") or ""),
        )
