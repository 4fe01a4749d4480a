"""A request budget per site that learns the gateway's real rate limit from its 429s.

New API-family servers limit every `/api` request per client IP (newapi.md §6). The stock limit
depends on the generation (legacy 180, current 360, One API 480 requests per 180 s) and operators
change it. The in-memory limiter every stock install uses is a sliding log of *accepted* requests:
a request passes when fewer than N accepted requests are younger than W seconds; a refusal is not
recorded. It answers 429 with an empty body, without `Retry-After` before 2026-08 builds and with
the whole window as `Retry-After` since.

The budget is the same kind of sliding window on our side: at most `limit` requests in any
`window` seconds, starting from what the detected generation allows, and corrected by the server:

- a refused request gives its place back (only accepted requests count, as on the server);
- a 429 sets the limit to the number of our requests the server accepted in the window, since
  that is the count it refused at (multiplicative decrease to the observed rate);
- with `Retry-After`, everything waits that long and the window is at least that long; without it,
  the budget holds every request and probes with one at a time, 1 s apart or 5 % of the time
  probed so far, until the server accepts one. The limit and window are then the
  fastest pair consistent with every request the server accepted (a request accepted at `t` means
  fewer than `limit` were accepted in the `window` before `t`), so requests sent long before a
  burst cannot make the budget slower than the server;
- every window without a 429 gives back one request of the limit (additive increase) up to the
  limit it started from, so a limit shrunk by someone else's traffic on the same IP recovers.

A server that asks to wait longer than `max_wait` seconds is not waited for: every request of the
site fails at once with `RateLimited` until that time, so a batch stops cleanly instead of stalling.

Code that times work (the batch engine) sets `waiting_hook` to a context-manager factory; a wait
for the budget runs inside `hook(budget)`, whose `pause()` says why and until when, so that waits
are shown on progress lines and not counted as the work's time.
"""

from __future__ import annotations

import asyncio
import enum
import time
from collections import deque
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Protocol

from ..errors import RateLimited
from ..wording import plural

DEFAULT_MAX_WAIT = 300.0
"""Seconds of waiting a server may ask for (`Retry-After`) before its site's requests fail instead."""
PROBE_GAP = 1.0
"""Seconds between probes at least, while the window of a server without `Retry-After` is unknown."""
PROBE_STEP = 0.05
"""Probes are at most this fraction of the time waited so far apart: the window is learned within 5 %."""
MIN_WINDOW = 1.0
RATE_TOLERANCE = 0.9
"""Of the pairs within 10 % of the fastest consistent rate, the shortest window is taken: shorter
bursts, and a window several of the server's long is only consistent by the grain of its clock."""
CLOCK_GRAIN = 1.0
"""The servers stamp requests in whole seconds, so their window may let a request in up to 1 s early."""


@dataclass(frozen=True, slots=True)
class Pause:
    """Why a site's requests are held and, when known, the wall-clock time (`time.time()`) they resume."""

    reason: str
    resumes_at: float | None

    def seconds_left(self, now: float | None = None) -> float | None:
        if self.resumes_at is None:
            return None
        return max(0.0, self.resumes_at - (time.time() if now is None else now))


class Pacer(Protocol):
    """What holds requests back: a site's budget, or one wait a server asked for."""

    def pause(self) -> Pause | None:
        """Why requests are held right now and until when; None when they may go."""

    def describe(self) -> str:
        """The pacing in force, for reports ("" when there is nothing to say)."""


class ServerWait:
    """One wait a server asked for (429 with `Retry-After`) on a site without a budget."""

    def __init__(self, seconds: float) -> None:
        self._pause = Pause("rate limited by the server (HTTP 429), waiting as it asked", time.time() + seconds)

    def pause(self) -> Pause | None:
        return self._pause if (self._pause.seconds_left() or 0) > 0 else None

    def describe(self) -> str:
        return ""


WaitingHook = Callable[[Pacer], AbstractContextManager[None]]

waiting_hook: ContextVar[WaitingHook | None] = ContextVar("waiting_hook", default=None)
"""For the current task: the context a wait for the budget (or for a 429) runs in; None when nobody times it."""


class _Mode(enum.Enum):
    NORMAL = "normal"
    CONFIRM = "confirm"
    """A 429 lowered the limit of a known window: the next request checks that the window is right."""
    SEARCH = "search"
    """The window is unknown (or proved too short): one probe at a time until the server accepts."""


class Slot:
    """One request's place in the budget, from `acquire()` until the server's answer settles it.

    The window counts it from its `stamp`: when it was sent while in flight, when its answer came
    once answered. The server counted it somewhere in between (and a request can wait a moment
    for a connection after `acquire()`), so counting from the answer never lets the window free a
    place before the server does.
    """

    __slots__ = ("sent", "stamp", "epoch", "accepted", "provisional")

    def __init__(self, sent: float, epoch: int) -> None:
        self.sent = sent
        self.stamp = sent
        self.epoch = epoch
        self.accepted = False
        self.provisional = False
        """Counted in a limit learned while it was in flight: a refusal takes it back out."""


class RequestBudget:
    """At most `limit` requests in any sliding `window` seconds; shared by every request to one site.

    `pinned` budgets were set by hand (the site's `request_budget`): the detected generation's
    default does not replace them, but the server's 429s still correct them.
    """

    def __init__(
        self,
        limit: int,
        window: float,
        *,
        pinned: bool = False,
        max_wait: float = DEFAULT_MAX_WAIT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a request budget needs a positive limit and window")
        self.limit = limit
        self.window = float(window)
        self.ceiling = limit
        """The limit the budget started from: additive increase never goes past it."""
        self.pinned = pinned
        self.max_wait = max_wait
        self.learned = False
        """True once a 429 taught the window (it is then the server's, not a default)."""
        self.refusals = 0
        """How many 429s the server answered, for reports and benchmarks."""
        self.waited = 0.0
        """Seconds requests spent waiting for the budget (summed over requests)."""
        self._stock_window = self.window
        self._clock = clock
        self._mode = _Mode.NORMAL
        self._epoch = 0
        self._log: deque[Slot] = deque()
        self._probe: Slot | None = None
        self._next_probe = 0.0
        self._search_started = 0.0
        self._resume_at = 0.0
        self._halt: tuple[float, RateLimited] | None = None
        self._grown_at = clock()
        self._lock = asyncio.Lock()
        self._changed = asyncio.Event()

    # -- configuration -------------------------------------------------------------------------

    def adopt(self, limit: int, window: float) -> None:
        """Start from a detected server generation's stock limit, unless set by hand or already learned."""
        if self.pinned or self.learned:
            return
        self.limit = self.ceiling = limit
        self.window = self._stock_window = float(window)
        self._changed.set()

    # -- taking and settling a place -----------------------------------------------------------

    async def acquire(self) -> Slot:
        """Wait until one more request may be sent; raises `RateLimited` while the server asked for too long."""
        hook = waiting_hook.get()
        with ExitStack() as waiting:
            hooked = False

            def hold() -> None:
                nonlocal hooked
                if hook is not None and not hooked:
                    waiting.enter_context(hook(self))
                    hooked = True

            if self._lock.locked():
                hold()
            async with self._lock:
                while True:
                    now = self._clock()
                    self._raise_if_halted(now)
                    self._trim(now)
                    self._grow(now)
                    wait = self._wait_needed(now)
                    if wait <= 0:
                        return self._take(now)
                    hold()
                    self._changed.clear()
                    started = self._clock()
                    try:
                        await asyncio.wait_for(self._changed.wait(), timeout=min(wait, self.max_wait))
                    except TimeoutError:
                        pass
                    self.waited += self._clock() - started

    def accepted(self, slot: Slot) -> None:
        """The server answered the request (anything but 429): it counted it."""
        now = self._clock()
        slot.accepted = True
        slot.stamp = now
        if slot is not self._probe:
            return
        self._probe = None
        if self._mode is _Mode.SEARCH:
            self._learn(now)
        self._mode = _Mode.NORMAL
        self._epoch += 1
        self._grown_at = now
        self._changed.set()

    def refused(self, slot: Slot, retry_after: float | None) -> None:
        """The server answered 429: give the place back and learn from it (see the module docstring)."""
        now = self._clock()
        self.refusals += 1
        self._forget(slot)
        if retry_after is not None:
            self._resume_at = max(self._resume_at, now + retry_after)
        if slot.epoch != self._epoch:
            if slot.provisional:
                self.limit = max(1, self.limit - 1)
            self._changed.set()
            return
        self._grown_at = now
        if retry_after is not None:
            if self._mode is _Mode.NORMAL:
                self._lower_limit(now)
            self.window = max(self.window if self.learned else 0.0, retry_after, MIN_WINDOW)
            self.learned = True
            self._mode = _Mode.NORMAL
            self._epoch += 1
        elif self._mode is _Mode.NORMAL:
            self._lower_limit(now)
            self._start_probing(now, _Mode.CONFIRM if self.learned else _Mode.SEARCH)
        elif self._mode is _Mode.CONFIRM:
            self._start_probing(now, _Mode.SEARCH)
        else:
            self._schedule_probe(now)
        self._changed.set()

    def unsent(self, slot: Slot) -> None:
        """The request never reached the server (the connection failed): give the place back."""
        self._forget(slot)
        self._changed.set()

    def halt(self, slot: Slot, seconds: float, error: RateLimited) -> None:
        """The server refused `slot` asking to wait `seconds`, more than `max_wait`: fail every
        request with `error` until then."""
        self.refusals += 1
        self._forget(slot)
        until = self._clock() + seconds
        if self._halt is None or until > self._halt[0]:
            self._halt = (until, error)
        self._changed.set()

    # -- what progress lines show --------------------------------------------------------------

    def pause(self) -> Pause | None:
        """Why requests are held right now and until when; None when one may go at once."""
        now = self._clock()
        wall = time.time()
        if self._halt is not None and self._halt[0] > now:
            return Pause("rate limited by the server (HTTP 429) for longer than this client waits", wall + self._halt[0] - now)
        if self._resume_at > now:
            return Pause("rate limited by the server (HTTP 429), waiting as it asked", wall + self._resume_at - now)
        if self._mode is _Mode.SEARCH:
            when = None if self._probe is not None else wall + max(0.0, self._next_probe - now)
            return Pause("rate limited by the server (HTTP 429), probing its limit", when)
        wait = self._window_wait(now)
        if wait > 0:
            return Pause("waiting for the request budget", wall + wait)
        return None

    @property
    def used(self) -> int:
        """Requests counted in the current window: accepted or still in flight, never refused ones."""
        return len(self._in_window(self._clock()))

    def describe(self) -> str:
        """The budget in force, e.g. "60 requests per 31 s (learned from 3 × HTTP 429)"."""
        text = f"{plural(self.limit, 'request')} per {self.window:.0f} s"
        if self.refusals:
            text += f" (learned from {self.refusals} × HTTP 429)"
        return text

    # -- internals -----------------------------------------------------------------------------

    def _take(self, now: float) -> Slot:
        slot = Slot(now, self._epoch)
        self._log.append(slot)
        if self._mode is not _Mode.NORMAL:
            self._probe = slot
        return slot

    def _forget(self, slot: Slot) -> None:
        if slot is self._probe:
            self._probe = None
        try:
            self._log.remove(slot)
        except ValueError:
            pass

    def _raise_if_halted(self, now: float) -> None:
        if self._halt is None:
            return
        until, error = self._halt
        if until <= now:
            self._halt = None
            return
        raise RateLimited(error.message, retry_after=until - now)

    def _trim(self, now: float) -> None:
        """Keep what the learning needs: twice the generation's window, and at least the current one."""
        horizon = 2 * max(self.window, self._stock_window)
        while self._log and now - self._log[0].stamp >= horizon:
            self._log.popleft()

    def _grow(self, now: float) -> None:
        if self._mode is not _Mode.NORMAL or self.limit >= self.ceiling:
            return
        if now - self._grown_at >= self.window:
            self.limit += 1
            self._grown_at = now

    def _in_window(self, now: float) -> list[Slot]:
        return sorted((slot for slot in self._log if now - slot.stamp < self.window), key=lambda slot: slot.stamp)

    def _window_wait(self, now: float) -> float:
        """Seconds until the sliding window has room for one more request."""
        recent = self._in_window(now)
        if len(recent) < self.limit:
            return 0.0
        return recent[len(recent) - self.limit].stamp + self.window - now

    def _wait_needed(self, now: float) -> float:
        wait = max(0.0, self._resume_at - now)
        if self._mode is _Mode.NORMAL:
            return max(wait, self._window_wait(now))
        if self._probe is not None:
            return max(wait, self.max_wait)
        if self._mode is _Mode.CONFIRM:
            return max(wait, self._window_wait(now))
        return max(wait, self._next_probe - now)

    def _lower_limit(self, now: float) -> None:
        """The server refused at its count: our requests it accepted (or may still) in the window."""
        recent = self._in_window(now)
        for slot in recent:
            if not slot.accepted:
                slot.provisional = True
        self.limit = max(1, min(self.limit, len(recent)))

    def _start_probing(self, now: float, mode: _Mode) -> None:
        self._mode = mode
        self._epoch += 1
        if mode is _Mode.SEARCH:
            self._search_started = now
            self._schedule_probe(now)

    def _schedule_probe(self, now: float) -> None:
        """The next probe: 1 s on, or 5 % of the time since the search began, whichever is longer."""
        self._next_probe = now + max(PROBE_GAP, PROBE_STEP * (now - self._search_started))

    def _learn(self, now: float) -> None:
        """The fastest (limit, window) consistent with every accepted request, after a probe got through.

        The probe was accepted because the oldest request the server counted left its window: for
        each accepted request `a` that could be it, the window is `now - a` and the limit the count
        from `a` on. A pair is consistent when no accepted request saw that many in the window before
        it (less a second: the servers count whole seconds). Of the consistent pairs, the shortest
        window whose rate is within 10 % of the fastest.
        """
        times = [slot.sent for slot in self._log if slot.accepted and slot.sent < now]
        candidates = sorted(
            ((len(times) - index, now - anchor) for index, anchor in enumerate(times) if now - anchor >= MIN_WINDOW),
            key=lambda pair: pair[0] / pair[1],
            reverse=True,
        )
        consistent = [(limit, window) for limit, window in candidates if _consistent(times, limit, window - CLOCK_GRAIN)]
        if not consistent:
            return
        fastest = consistent[0][0] / consistent[0][1]
        self.limit, self.window = min(
            (pair for pair in consistent if pair[0] / pair[1] >= RATE_TOLERANCE * fastest), key=lambda pair: pair[1]
        )
        self.learned = True


def _consistent(times: list[float], limit: int, window: float) -> bool:
    """No accepted request had `limit` accepted ones in the `window` seconds before it."""
    first = 0
    for index, sent in enumerate(times):
        while sent - times[first] >= window:
            first += 1
        if index - first >= limit:
            return False
    return True
