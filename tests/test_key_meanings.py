"""A key keeps its meaning from screen to screen: `u` undoes wherever it is bound, `/` searches or
filters, `?` is help, `-` turns off. A screen that gives one of these keys another job fails here."""

from __future__ import annotations

import re

from textual.binding import Binding

from tui_channels.screens.main import MainScreen
from tui_channels.widgets.channel_table import ChannelTable

from .test_keys import pushable_screens

MEANINGS = {
    "u": r"undo",
    "U": r"undo",
    "ctrl+z": r"undo",
    "slash": r"focus_(search|filter)",
    "question_mark": r"help|dismiss",
    "minus": r"disable|clear",
    "plus": r"enable",
}
"""Key -> what every action bound to it does (a pattern over the action's name)."""


def every_binding() -> list[tuple[str, str, str]]:
    """(owner, key, action) of every binding of every screen and of the channel table."""
    owners = [*pushable_screens(), MainScreen, ChannelTable]
    found = []
    for owner in owners:
        for cls in owner.__mro__:
            for binding in cls.__dict__.get("BINDINGS", []):
                if isinstance(binding, Binding):
                    found += [(cls.__name__, key.strip(), binding.action) for key in binding.key.split(",")]
    return found


def test_each_reserved_key_means_the_same_on_every_screen():
    wrong = [
        f"{owner}: {key} -> {action}"
        for owner, key, action in every_binding()
        if key in MEANINGS and not re.search(MEANINGS[key], action.removeprefix("unsupported("))
    ]
    assert not wrong, "keys bound to another meaning:\n" + "\n".join(sorted(set(wrong)))


def test_u_is_bound_where_there_is_something_to_undo():
    undo_keys = {(owner, action) for owner, key, action in every_binding() if key == "u"}
    assert ("ChannelActions", "undo_status") in undo_keys
    assert ("HistoryScreen", "undo") in undo_keys
