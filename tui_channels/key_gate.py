"""Keys are handled one at a time, each on a ready screen: typing ahead never lands where it was not meant.

Textual hands a key to the focused widget when the key arrives, but resolves the screen's (non-priority)
bindings only when the key bubbles back up to the app, and a binding's effects (a pushed dialog, a
moved focus) land later still. In a burst, the next keys were handed to the same widget before the
first one had done anything: `m` and typing at once left the typed keys resolved against a dialog
that was not mounted yet, or typed into whichever of its widgets Textual focused before the dialog's
own `on_mount` chose one; `/` then `s` switched sites instead of typing into the search box.

`KeyGate` hands a key on only once the previous one is done (it has travelled from the widget it was
given to up to the app, or was consumed on the way, and whatever its binding queued has run) and the
top screen is settled (mounted, and the focus its `on_mount` and Textual's auto-focus chose is set).
Keys that arrive meanwhile wait, in order. So every key acts where the focus is when it is handled,
exactly as if it had been typed a moment later.
"""

from __future__ import annotations

import time
from weakref import WeakSet

from textual import events
from textual.app import App
from textual.message_pump import MessagePump
from textual.screen import Screen
from textual.timer import Timer

STUCK_SECONDS = 1.0
"""A key still travelling after this long (its widget went away mid-way) no longer holds the others."""
POLL_SECONDS = 0.02
"""While keys wait, how often the gate checks whether the top screen is mounted yet."""


class KeyGate(App[None]):
    """An app whose keys reach a mounted screen one at a time, in the order they were typed."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._waiting_keys: list[events.Key] = []
        self._key_in_flight: events.Key | None = None
        self._in_flight_since = 0.0
        self._poll: Timer | None = None
        self._settled: WeakSet[Screen[object]] = WeakSet()
        self._settling: WeakSet[Screen[object]] = WeakSet()

    @property
    def holding_keys(self) -> bool:
        """True while a key is being handled or typed keys wait for their turn."""
        return self._key_in_flight is not None or bool(self._waiting_keys)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded:
            self._waiting_keys.append(event)
            await self._hand_on_keys()
            return
        await super().on_event(event)

    async def _hand_on_keys(self) -> None:
        """Hand on the next waiting key if the previous one is done and the top screen is ready."""
        if self._key_in_flight is not None and time.monotonic() - self._in_flight_since > STUCK_SECONDS:
            self._key_in_flight = None
        while self._waiting_keys and self._key_in_flight is None and self._screen_settled():
            key = self._waiting_keys.pop(0)
            target: MessagePump = self.focused or self.screen
            self._key_in_flight = key
            self._in_flight_since = time.monotonic()
            await super().on_event(key)
            self._when_done(key, [target, *target.ancestors])
        self._keep_polling(bool(self._waiting_keys))

    def _screen_settled(self) -> bool:
        """True once the top screen is mounted and has had its focus set; else start settling it."""
        screen = self.screen
        if screen in self._settled:
            return True
        if screen.is_mounted and screen not in self._settling:
            self._settling.add(screen)
            # Behind the screen's resume (Textual's auto-focus), then behind the focus its on_mount asked for.
            screen.call_later(self.call_later, self._settle, screen)
        return False

    async def _settle(self, screen: Screen[object]) -> None:
        self._settled.add(screen)
        await self._hand_on_keys()

    def _when_done(self, key: events.Key, path: list[MessagePump]) -> None:
        """Follow `key` up `path` (the widget it went to, then each ancestor up to the app) one
        message queue at a time, behind the key itself; then, behind whatever its binding queued on
        the app, let the next key go."""
        if not path:
            self.call_later(self._done, key)
            return
        hop, rest = path[0], path[1:]
        if not hop.call_later(self._when_done, key, rest):
            self._when_done(key, rest)

    async def _done(self, key: events.Key) -> None:
        if self._key_in_flight is key:
            self._key_in_flight = None
        await self._hand_on_keys()

    def _keep_polling(self, waiting: bool) -> None:
        """Poll while keys wait (for a screen still mounting); stop once none does."""
        if waiting and self._poll is None:
            self._poll = self.set_interval(POLL_SECONDS, self._hand_on_keys)
        elif not waiting and self._poll is not None:
            self._poll.stop()
            self._poll = None
