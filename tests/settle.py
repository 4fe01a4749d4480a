"""Waiting for the app by its state instead of by the machine's idleness.

Textual's Pilot waits after every key and in `pause()` with `wait_for_idle`, which compares the
process's CPU time with the wall clock and calls the app idle once the process stops using the CPU.
That is a guess about time: on a loaded machine a starved process looks idle while its work is still
queued (a test then read a screen mid-update), and a busy one (the in-process demo gateway answering
a batch) makes every key wait up to a second. `settle` instead waits until every message queued on
the app and on the top screen's widgets has been handled, round after round while handling them
queues more, then brings layout and paint up to date. `conftest.py` puts it in `wait_for_idle`'s place.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress

from textual._context import active_app
from textual.app import App
from textual.message_pump import MessagePump

MAX_ROUNDS = 20
"""Rounds of "handle what is queued" before giving up on a queue that never empties (an animation)."""
ROUND_TIMEOUT = 10.0
"""A round whose callbacks never all run (a widget removed mid-round) stops waiting after this long."""


async def settle(app: App) -> None:
    """Return once the app has handled what was queued, and what that queued in turn."""
    for _ in range(MAX_ROUNDS):
        if _stopping(app):
            return
        try:
            screen = app.screen
        except Exception:
            return
        pumps: list[MessagePump] = [app, *screen.walk_children(with_self=True)]
        await _one_round(app, pumps)
        if all(pump._message_queue.empty() for pump in pumps):
            break
    with suppress(Exception):
        app.screen._on_timer_update()


def _stopping(app: App) -> bool:
    """A crashed or closing app handles nothing more: waiting for its queues would only time out
    (a test of a crash pressed a key and waited `ROUND_TIMEOUT` a round, twenty rounds a key)."""
    return app._exception is not None or app._closing or app._closed


async def _one_round(app: App, pumps: list[MessagePump]) -> None:
    """Queue a callback behind whatever each pump has queued; wait until they have all run, or
    until the app crashes."""
    done = asyncio.Event()
    waiting = 0

    def ran() -> None:
        nonlocal waiting
        waiting -= 1
        if waiting == 0:
            done.set()

    for pump in pumps:
        if pump.call_later(ran):
            waiting += 1
    if waiting:
        finished = asyncio.ensure_future(done.wait())
        crashed = asyncio.ensure_future(app._exception_event.wait())
        try:
            await asyncio.wait({finished, crashed}, timeout=ROUND_TIMEOUT, return_when=asyncio.FIRST_COMPLETED)
        finally:
            finished.cancel()
            crashed.cancel()


async def settle_active_app(min_sleep: float = 0.0, max_sleep: float = 1.0) -> None:
    """`wait_for_idle`'s signature, waiting on the running app's state (the arguments are ignored)."""
    await asyncio.sleep(0)
    app = active_app.get(None)
    if app is not None:
        await settle(app)
