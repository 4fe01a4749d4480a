"""The emulated server's `/api` rate limiter, as the real New API family limits per client IP.

Read from the servers' `middleware/rate-limit.go` and `common/rate-limit.go` (newapi.md §6):

- `memory` (every stock install, no Redis): a log of the last N *accepted* request times in whole
  Unix seconds; a request passes while the log has room or its oldest entry is at least W seconds
  old. A refused request is not recorded. Legacy builds answer 429 with an empty body and no
  `Retry-After`; current builds add `Retry-After: W` (the whole window, since the in-memory
  limiter does not know the time left).
- `redis` on current builds: a fixed window (INCR with an expiry of W), refused requests counted
  too, answering `Retry-After` with the seconds left in the window. Legacy Redis keeps a list of
  accepted times and behaves like `memory`.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

LIMITERS = ("memory", "redis")


class AcceptedLog:
    """The in-memory limiter: at most `count` accepted requests per `window` seconds (whole seconds)."""

    def __init__(self, count: int, window: float, *, clock: Callable[[], float] = time.time) -> None:
        self.count = count
        self.window = window
        self._clock = clock
        self._logs: dict[str, deque[int]] = {}

    def hit(self, client: str) -> bool:
        """Count one request; True when it is allowed."""
        now = int(self._clock())
        log = self._logs.setdefault(client, deque())
        if len(log) < self.count:
            log.append(now)
            return True
        if now - log[0] >= self.window:
            log.popleft()
            log.append(now)
            return True
        return False


class FixedWindow:
    """Current New API with Redis: `count` requests per fixed `window`, refusals counted too."""

    def __init__(self, count: int, window: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.count = count
        self.window = window
        self._clock = clock
        self._windows: dict[str, tuple[float, int]] = {}

    def hit(self, client: str) -> bool:
        now = self._clock()
        started, seen = self._windows.get(client, (now, 0))
        if now - started >= self.window:
            started, seen = now, 0
        self._windows[client] = (started, seen + 1)
        return seen < self.count

    def seconds_left(self, client: str) -> int:
        started, _ = self._windows.get(client, (self._clock(), 0))
        return max(1, math.ceil(self.window - (self._clock() - started)))


class RateLimiter:
    """The limiter of one emulated server and the `Retry-After` its generation sends with a 429."""

    def __init__(self, count: int, window: float, *, current: bool, limiter: str = "memory") -> None:
        if limiter not in LIMITERS:
            raise ValueError(f"unknown rate limiter {limiter!r}; choose one of {', '.join(LIMITERS)}")
        self.current = current
        self.window = window
        self._fixed = FixedWindow(count, window) if current and limiter == "redis" else None
        self._log = AcceptedLog(count, window)
        self.refused = 0
        """How many requests were answered 429, for tests and benchmarks."""

    def check(self, client: str) -> dict[str, str] | None:
        """None when the request may pass, else the headers of the 429 answer."""
        if self._fixed is not None:
            if self._fixed.hit(client):
                return None
            self.refused += 1
            return {"Retry-After": str(self._fixed.seconds_left(client))}
        if self._log.hit(client):
            return None
        self.refused += 1
        return {"Retry-After": str(int(self.window))} if self.current else {}
