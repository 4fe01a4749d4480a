"""The batch engine: one operation over many channels, bounded, paced, capped and cancellable.

Every bulk action (tests, model sync, balances, enable/disable, tags, deletes, imports) runs
through `BatchRun`, so they all share the same guarantees:

- at most `concurrency` channels in flight;
- the site's request budget (see `backends.ratelimit`) paces every request, and the progress says
  so while it holds the batch ("waiting for the request budget, resumes in 37 s");
- retries belong to the HTTP layer (`backends.http`), which alone knows whether the server acted
  on a request; the engine gives each channel an allowance of `max_attempts - 1` retries over all
  its requests, so nothing multiplies across layers;
- an auth failure, or a server that rate-limits for longer than the client accepts, stops the whole
  batch, since every channel would fail: the rest end "not started", with the reason;
- a per-channel timeout, so one slow upstream never stalls the batch; its clock stops while
  the channel's requests wait for the budget or the server's `Retry-After`, and those waits are
  not part of the channel's reported time;
- `cancel()` stops new work at once; read-only operations in flight are interrupted, writes are
  let finish, so every channel ends either done or untouched;
- one `ChannelResult` per channel, delivered as it arrives and in input order at the end; an
  unexpected error (a bug) fails that channel with one line, never the whole batch;
- the writes it sends share one batch id in the history journal, so they can be undone together;
- the garbage collector makes no full collection, and fewer young ones, while it runs (`collector`).

No Textual here: the app and the CLI both drive it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace

from ..backends.http import RetryAllowance, format_wait, retry_allowance
from ..backends.ratelimit import Pacer, Pause, waiting_hook
from ..collector import batch_collections
from ..errors import AuthError, ChannelsError, PermissionDenied, RateLimited, describe
from ..models import Channel
from ..wording import aside
from .recorder import one_batch
from .results import ChannelResult, Outcome

Operation = Callable[[Channel], Awaitable[ChannelResult]]
"""Does the work for one channel; returns its result or raises a `ChannelsError`."""

FATAL = (AuthError, PermissionDenied, RateLimited)
"""Errors every other channel would meet too: they stop the batch."""
TICK = 1.0
"""Seconds between progress reports while nothing finishes (a wait counting down, the ETA)."""


@dataclass(frozen=True, slots=True)
class BatchSettings:
    """How a batch runs; `read_only` operations may be interrupted on cancel.

    `max_attempts` caps the sends of failing requests per channel, over all its requests: the
    HTTP layer retries transient faults at most `max_attempts - 1` times for one channel.
    """

    concurrency: int = 4
    channel_timeout: float = 90.0
    max_attempts: int = 3
    read_only: bool = True


@dataclass(frozen=True, slots=True)
class BatchProgress:
    """A snapshot for progress bars: counts, rate, ETA and why the batch is held, if it is."""

    total: int
    done: int
    ok: int
    failed: int
    skipped: int
    elapsed: float
    in_flight: int = 0
    eta: float | None = None
    """Seconds left: the slower of the rate so far and the work still queued or in flight."""
    pause: Pause | None = None
    """Set while every channel in flight waits for the request budget or a server's 429."""

    @property
    def rate(self) -> float:
        """Channels finished per second so far."""
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0


def estimate_eta(
    *,
    remaining: int,
    rate: float,
    mean_work: float | None,
    in_flight_work: Sequence[float],
    concurrency: int,
    pause_left: float | None = None,
) -> float | None:
    """Seconds until `remaining` channels are done; None while there is nothing to go by.

    Two views, the slower wins: the rate so far (channels per second), and the work left — each
    channel still queued takes `mean_work` seconds, each one in flight the rest of it (at least a
    second), shared by `concurrency` workers; a wait in progress comes on top of the latter.
    """
    if remaining <= 0:
        return 0.0
    estimates = []
    if rate > 0:
        estimates.append(remaining / rate)
    if mean_work is not None:
        queued = max(0, remaining - len(in_flight_work))
        flying = [max(mean_work - spent, 1.0) for spent in in_flight_work]
        work = (queued * mean_work + sum(flying)) / max(1, concurrency)
        estimates.append(max(work, max(flying, default=0.0)) + (pause_left or 0.0))
    if not estimates:
        return pause_left
    return max(1.0, *estimates)


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


def pause_text(pause: Pause) -> str:
    """ "waiting for the request budget, resumes in 37 s" (or at 14:05:10 when it is far off)."""
    left = pause.seconds_left()
    if left is None:
        return pause.reason
    if left < 120:
        return f"{pause.reason}, resumes in {max(1, round(left))} s"
    until = time.strftime("%H:%M:%S", time.localtime(pause.resumes_at))
    return f"{pause.reason}, resumes at {until} (in {format_wait(left)})"


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
    ) -> None:
        self.channels = list(channels)
        self.operation = operation
        self.settings = settings or BatchSettings()
        self._on_result = on_result
        self._on_progress = on_progress
        self._results: dict[int, ChannelResult] = {}
        self._outcomes: dict[Outcome, int] = dict.fromkeys(Outcome, 0)
        self._worked = 0
        self._work_seconds = 0.0
        """Running counts over `_results` (channels that did any work, and their seconds), so a
        progress report per finished channel costs the same at the last channel as at the first."""
        self._cancelled = asyncio.Event()
        self._stop_reason = ""
        self._in_flight: dict[int, asyncio.Task[ChannelResult]] = {}
        self._clocks: dict[int, _ChannelClock] = {}
        self._started = 0.0
        self._pacers: dict[int, Pacer] = {}
        self.paced = 0.0
        """Wall seconds (to the `TICK`) the batch was held by the request budget or a server's 429."""
        self._pacer_seen: Pacer | None = None

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    @property
    def stop_reason(self) -> str:
        """Why the batch stopped early ("" when it ran to the end)."""
        return self._stop_reason

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
        now = time.monotonic()
        elapsed = now - self._started if self._started else 0.0
        done = len(self._results)
        pause = self.pause()
        flying = [clock.work(now) for clock in self._clocks.values()]
        eta = estimate_eta(
            remaining=len(self.channels) - done,
            rate=done / elapsed if elapsed > 0 else 0.0,
            mean_work=self._work_seconds / self._worked if self._worked else None,
            in_flight_work=flying,
            concurrency=self.settings.concurrency,
            pause_left=pause.seconds_left() if pause is not None else None,
        )
        return BatchProgress(
            total=len(self.channels),
            done=done,
            ok=self._outcomes[Outcome.OK],
            failed=self._outcomes[Outcome.FAILED],
            skipped=self._outcomes[Outcome.SKIPPED],
            elapsed=elapsed,
            in_flight=len(self._in_flight),
            eta=eta,
            pause=pause,
        )

    def pause(self) -> Pause | None:
        """Why the batch is held, when every channel in flight is waiting; None otherwise."""
        if not self._pacers or len(self._pacers) < len(self._in_flight):
            return None
        for pacer in self._pacers.values():
            pause = pacer.pause()
            if pause is not None:
                return pause
        return None

    def pacing_summary(self) -> str:
        """One line for reports on how long the batch was held and what the budget learned; "" if never."""
        if self._pacer_seen is None or self.paced < 1:
            return ""
        text = f"Waited {format_wait(self.paced)} for the request budget or the server's rate limit (HTTP 429)"
        learned = self._pacer_seen.describe()
        return f"{text}; budget now {learned}." if learned else f"{text}."

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
        ticker = asyncio.create_task(self._tick())
        try:
            with batch_collections():
                await asyncio.gather(*workers)
        except asyncio.CancelledError:
            self.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            raise
        finally:
            ticker.cancel()
            self._finish_untouched()
        return [self._results[position] for position in range(len(self.channels))]

    async def _tick(self) -> None:
        """Every `TICK` seconds: count the time the batch is held, and report progress so that
        waits count down and the ETA moves between results."""
        last = time.monotonic()
        while True:
            await asyncio.sleep(TICK)
            now = time.monotonic()
            if self.pause() is not None:
                self.paced += now - last
            last = now
            if self._on_progress is not None:
                self._on_progress(self.progress())

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
        clock = _ChannelClock(self, position)
        allowance = RetryAllowance(max(0, self.settings.max_attempts - 1))
        task = asyncio.create_task(self._attempt(channel, clock, allowance))
        self._in_flight[position] = task
        self._clocks[position] = clock
        try:
            result = await task
        except asyncio.CancelledError:
            if self._cancelled.is_set() and self.settings.read_only:
                return self._result(channel, Outcome.CANCELLED, self._stop_reason, allowance, clock)
            raise
        except TimeoutError:
            message = f"no answer within {self.settings.channel_timeout:g} s (per-channel timeout)"
            return self._result(channel, Outcome.FAILED, message, allowance, clock)
        except FATAL as error:
            self.cancel(f"stopped: {error.title.lower()} {aside(error.message)}")
            return self._result(channel, Outcome.FAILED, error.message, allowance, clock)
        except ChannelsError as error:
            return self._result(channel, Outcome.FAILED, error.message, allowance, clock)
        except Exception as error:
            return self._result(channel, Outcome.FAILED, describe(error)[1], allowance, clock)
        finally:
            self._in_flight.pop(position, None)
            self._clocks.pop(position, None)
        return replace(result, attempts=1 + allowance.used, duration=clock.work(time.monotonic()))

    async def _attempt(self, channel: Channel, clock: _ChannelClock, allowance: RetryAllowance) -> ChannelResult:
        async with asyncio.timeout(self.settings.channel_timeout) as deadline:
            clock.deadline = deadline
            waiting_hook.set(clock.waiting)
            retry_allowance.set(allowance)
            try:
                return await self.operation(channel)
            finally:
                clock.deadline = None

    def _paced(self, position: int, pacer: Pacer | None) -> None:
        """A channel starts (`pacer`) or stops (None) waiting for what holds its requests back."""
        if pacer is not None:
            self._pacers[position] = pacer
            self._pacer_seen = pacer
        else:
            self._pacers.pop(position, None)

    def _result(
        self, channel: Channel, outcome: Outcome, message: str, allowance: RetryAllowance, clock: _ChannelClock
    ) -> ChannelResult:
        return ChannelResult(
            channel_id=channel.id,
            name=channel.name,
            outcome=outcome,
            message=message,
            attempts=1 + allowance.used,
            duration=clock.work(time.monotonic()),
        )

    def _record(self, position: int, result: ChannelResult) -> None:
        self._results[position] = result
        self._outcomes[result.outcome] += 1
        if result.attempts:
            self._worked += 1
            self._work_seconds += result.duration
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


class _ChannelClock:
    """One channel's time: its timeout and its reported duration stop while its requests wait.

    Several requests of one channel may wait at once (nested), so the clock restarts only when the
    last of them got through, and the timeout is pushed out by the time they waited.
    """

    def __init__(self, run: BatchRun, position: int) -> None:
        self._run = run
        self._position = position
        self._started = time.monotonic()
        self._waited = 0.0
        self._waiting = 0
        self._wait_started = 0.0
        self._left: float | None = None
        self.deadline: asyncio.Timeout | None = None

    def work(self, now: float) -> float:
        """Seconds of work so far: time since the start, less the waits."""
        current = now - self._wait_started if self._waiting else 0.0
        return max(0.0, now - self._started - self._waited - current)

    @contextmanager
    def waiting(self, pacer: Pacer) -> Iterator[None]:
        loop = asyncio.get_running_loop()
        if self._waiting == 0:
            self._wait_started = time.monotonic()
            self._run._paced(self._position, pacer)
            if self.deadline is not None:
                when = self.deadline.when()
                self._left = None if when is None else when - loop.time()
                self.deadline.reschedule(None)
        self._waiting += 1
        try:
            yield
        finally:
            self._waiting -= 1
            if self._waiting == 0:
                self._waited += time.monotonic() - self._wait_started
                self._run._paced(self._position, None)
                if self.deadline is not None and self._left is not None:
                    self.deadline.reschedule(loop.time() + max(self._left, 0.0))


def skipped(channel: Channel, reason: str) -> ChannelResult:
    return ChannelResult(channel_id=channel.id, name=channel.name, outcome=Outcome.SKIPPED, message=reason)


def succeeded(channel: Channel, message: str = "", **fields: object) -> ChannelResult:
    return ChannelResult(channel_id=channel.id, name=channel.name, outcome=Outcome.OK, message=message, **fields)


def failed(channel: Channel, message: str, **fields: object) -> ChannelResult:
    return ChannelResult(
        channel_id=channel.id, name=channel.name, outcome=Outcome.FAILED, message=message, **fields
    )
