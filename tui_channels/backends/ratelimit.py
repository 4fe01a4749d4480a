"""A client-side request budget per site, so batches stay under the gateway's own rate limit.

New API counts every `/api` request per client IP in a fixed window (180 or 360 per 180 s by
default); a batch that ignores this earns a run of 429s. The budget allows at most `limit`
requests in any `window` seconds (bursts are fine until the window is full), and a 429 pauses
every request of the site at once, not only the one that was refused.

Code that times work which sends requests (the batch engine's per-channel timeout) sets
`waiting_for_budget` to a context-manager factory; `acquire()` runs inside it, so that time spent
queueing for the budget is not counted against the work.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from contextvars import ContextVar

waiting_for_budget: ContextVar[Callable[[], AbstractContextManager[None]] | None] = ContextVar(
    "waiting_for_budget", default=None
)
"""A factory of the context `acquire()` waits in, for the current task; None when nobody times it."""


class RequestBudget:
    """At most `limit` requests in any sliding `window`; shared by every request to one site."""

    def __init__(self, limit: int, window: float) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a request budget needs a positive limit and window")
        self.limit = limit
        self.window = window
        self._sent: deque[float] = deque()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()
        self.waited = 0.0
        """Seconds requests spent waiting for the budget, for reports and benchmarks."""

    async def acquire(self) -> None:
        """Wait until one more request fits in the window (and any 429 pause is over)."""
        hook = waiting_for_budget.get()
        with hook() if hook is not None else nullcontext():
            async with self._lock:
                while True:
                    now = time.monotonic()
                    while self._sent and now - self._sent[0] >= self.window:
                        self._sent.popleft()
                    wait = max(
                        self._paused_until - now,
                        self._sent[0] + self.window - now if len(self._sent) >= self.limit else 0.0,
                    )
                    if wait <= 0:
                        self._sent.append(now)
                        return
                    self.waited += wait
                    await asyncio.sleep(wait)

    def pause(self, seconds: float) -> None:
        """Hold every request for `seconds` (the server just answered 429)."""
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)
