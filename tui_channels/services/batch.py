"""The batch engine: one operation over many channels, bounded, paced, retried and cancellable.

Every bulk action (tests, model sync, balances, enable/disable, tags, deletes, imports) runs
through `BatchRun`, so they all share the same guarantees:

- at most `concurrency` channels in flight;
- the site's request budget (see `backends.ratelimit`) paces every request;
- a 429 or a transient failure (5xx, connection drop) is retried with back-off, honouring the
  server's `Retry-After`; an auth failure stops the whole batch, since every channel would fail;
- a per-channel timeout, so one slow upstream never stalls the batch; its clock stops while
  the channel's requests queue for the site's request budget, so pacing is never a timeout;
- `cancel()` stops new work at once; read-only operations in flight are interrupted, writes are
  let finish, so every channel ends either done or untouched;
- one `ChannelResult` per channel, delivered as it arrives and in input order at the end; an
  unexpected error (a bug) fails that channel with one line, never the whole batch;
- the writes it sends share one batch id in the history journal, so they can be undone together.

No Textual here: the app and the CLI both drive it.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace

from ..backends.ratelimit import waiting_for_budget
from ..errors import (
    AuthError,
    ChannelsError,
    PermissionDenied,
    RateLimited,
    ServerError,
    Unreachable,
    describe,
)
from ..models import Channel
from .recorder import one_batch
from .results import ChannelResult, Outcome

Operation = Callable[[Channel], Awaitable[ChannelResult]]
"""Does the work for one channel; returns its result or raises a `ChannelsError`."""

TRANSIENT = (RateLimited, ServerError, Unreachable)
FATAL = (AuthError, PermissionDenied)


@dataclass(frozen=True, slots=True)
class BatchSettings:
    """How a batch runs; `read_only` operations may be interrupted on cancel."""

    concurrency: int = 4
    channel_timeout: float = 90.0
    max_attempts: int = 3
    backoff_base: float = 1.0
    backoff_max: float = 120.0
    read_only: bool = True


@dataclass(frozen=True, slots=True)
class BatchProgress:
    """A snapshot for progress bars: counts, rate and an ETA."""

    total: int
    done: int
    ok: int
    failed: int
    skipped: int
    elapsed: float

    @property
    def rate(self) -> float:
        """Channels finished per second so far."""
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left at the current rate; None until there is a rate."""
        if self.done == 0 or self.rate == 0:
            return None
        return (self.total - self.done) / self.rate

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0


def format_eta(seconds: float | None) -> str:
    """Seconds left as "45s", "3m07s" or "2h05m"; "–" while unknown."""
    if seconds is None:
        return "–"
    seconds = int(seconds + 0.5)
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


ResultCallback = Callable[[ChannelResult], None]
ProgressCallback = Callable[[BatchProgress], None]


class BatchRun:
    """Runs `operation` over `channels`; await `run()`, call `cancel()` from anywhere on the loop."""

    def __init__(
        self,
        channels: Sequence[Channel],
        operation: Operation,
        settings: BatchSettings | None = None,
        *,
        on_result: ResultCallback | None = None,
        on_progress: ProgressCallback | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.channels = list(channels)
        self.operation = operation
        self.settings = settings or BatchSettings()
        self._on_result = on_result
        self._on_progress = on_progress
        self._sleep = sleep
        self._results: dict[int, ChannelResult] = {}
        self._cancelled = asyncio.Event()
        self._stop_reason = ""
        self._in_flight: dict[int, asyncio.Task[ChannelResult]] = {}
        self._started = 0.0

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def cancel(self, reason: str = "cancelled by the user") -> None:
        """Start no new channel; interrupt read-only work in flight."""
        if self._cancelled.is_set():
            return
        self._stop_reason = reason
        self._cancelled.set()
        if self.settings.read_only:
            for task in self._in_flight.values():
                task.cancel()

    def progress(self) -> BatchProgress:
        results = self._results.values()
        return BatchProgress(
            total=len(self.channels),
            done=len(self._results),
            ok=sum(r.outcome is Outcome.OK for r in results),
            failed=sum(r.outcome is Outcome.FAILED for r in results),
            skipped=sum(r.outcome is Outcome.SKIPPED for r in results),
            elapsed=time.monotonic() - self._started if self._started else 0.0,
        )

    async def run(self) -> list[ChannelResult]:
        """Process every channel; returns one result per channel, in input order."""
        self._started = time.monotonic()
        queue: asyncio.Queue[int] = asyncio.Queue()
        for position in range(len(self.channels)):
            queue.put_nowait(position)
        with one_batch():
            workers = [
                asyncio.create_task(self._worker(queue))
                for _ in range(max(1, min(self.settings.concurrency, len(self.channels))))
            ]
        try:
            await asyncio.gather(*workers)
        except asyncio.CancelledError:
            self.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            raise
        finally:
            self._finish_untouched()
        return [self._results[position] for position in range(len(self.channels))]

    async def _worker(self, queue: asyncio.Queue[int]) -> None:
        while not self._cancelled.is_set():
            try:
                position = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            result = await self._process(position)
            self._record(position, result)

    async def _process(self, position: int) -> ChannelResult:
        channel = self.channels[position]
        started = time.monotonic()
        attempts = 0
        while True:
            attempts += 1
            task = asyncio.create_task(self._attempt(channel))
            self._in_flight[position] = task
            try:
                result = await task
            except asyncio.CancelledError:
                if self._cancelled.is_set() and self.settings.read_only:
                    return self._result(channel, Outcome.CANCELLED, self._stop_reason, attempts, started)
                raise
            except TimeoutError:
                return self._result(
                    channel,
                    Outcome.FAILED,
                    f"no answer within {self.settings.channel_timeout:g} s (per-channel timeout)",
                    attempts,
                    started,
                )
            except FATAL as error:
                self.cancel(f"stopped: {error.title.lower()} ({error.message})")
                return self._result(channel, Outcome.FAILED, error.message, attempts, started)
            except TRANSIENT as error:
                if attempts >= self.settings.max_attempts or self._cancelled.is_set():
                    return self._result(channel, Outcome.FAILED, error.message, attempts, started)
                await self._back_off(error, attempts)
                continue
            except ChannelsError as error:
                return self._result(channel, Outcome.FAILED, error.message, attempts, started)
            except Exception as error:
                return self._result(channel, Outcome.FAILED, describe(error)[1], attempts, started)
            finally:
                self._in_flight.pop(position, None)
            return replace(result, attempts=attempts, duration=time.monotonic() - started)

    async def _attempt(self, channel: Channel) -> ChannelResult:
        async with asyncio.timeout(self.settings.channel_timeout) as deadline:
            clock = _StoppableDeadline(deadline)
            waiting_for_budget.set(clock.stopped)
            try:
                return await self.operation(channel)
            finally:
                clock.active = False

    async def _back_off(self, error: ChannelsError, attempt: int) -> None:
        hint = error.retry_after if isinstance(error, RateLimited) else None
        delay = hint if hint is not None else self.settings.backoff_base * 2 ** (attempt - 1)
        delay = min(delay * (1 + random.random() / 10), self.settings.backoff_max)
        try:
            await asyncio.wait_for(self._cancelled.wait(), timeout=delay)
        except TimeoutError:
            return

    def _result(
        self, channel: Channel, outcome: Outcome, message: str, attempts: int, started: float
    ) -> ChannelResult:
        return ChannelResult(
            channel_id=channel.id,
            name=channel.name,
            outcome=outcome,
            message=message,
            attempts=attempts,
            duration=time.monotonic() - started,
        )

    def _record(self, position: int, result: ChannelResult) -> None:
        self._results[position] = result
        if self._on_result is not None:
            self._on_result(result)
        if self._on_progress is not None:
            self._on_progress(self.progress())

    def _finish_untouched(self) -> None:
        """Every channel that was never started ends as cancelled, with the reason."""
        for position, channel in enumerate(self.channels):
            if position not in self._results:
                self._record(
                    position,
                    ChannelResult(
                        channel_id=channel.id,
                        name=channel.name,
                        outcome=Outcome.CANCELLED,
                        message=self._stop_reason or "not started",
                    ),
                )


class _StoppableDeadline:
    """A per-channel timeout whose clock stops while the channel's requests wait for the budget.

    Several requests of one channel may wait at once (nested), so the deadline is put back only
    when the last of them got through, pushed out by the time they waited.
    """

    def __init__(self, deadline: asyncio.Timeout) -> None:
        self._deadline = deadline
        self._waiting = 0
        self._left: float | None = None
        self.active = True

    @contextmanager
    def stopped(self) -> Iterator[None]:
        loop = asyncio.get_running_loop()
        if self.active and self._waiting == 0:
            when = self._deadline.when()
            self._left = None if when is None else when - loop.time()
            self._deadline.reschedule(None)
        self._waiting += 1
        try:
            yield
        finally:
            self._waiting -= 1
            if self.active and self._waiting == 0 and self._left is not None:
                self._deadline.reschedule(loop.time() + max(self._left, 0.0))


def skipped(channel: Channel, reason: str) -> ChannelResult:
    return ChannelResult(channel_id=channel.id, name=channel.name, outcome=Outcome.SKIPPED, message=reason)


def succeeded(channel: Channel, message: str = "", **fields: object) -> ChannelResult:
    return ChannelResult(channel_id=channel.id, name=channel.name, outcome=Outcome.OK, message=message, **fields)


def failed(channel: Channel, message: str, **fields: object) -> ChannelResult:
    return ChannelResult(
        channel_id=channel.id, name=channel.name, outcome=Outcome.FAILED, message=message, **fields
    )
