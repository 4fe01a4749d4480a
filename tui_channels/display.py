"""Text from a server, made safe to draw in one line of a list.

A hostile or broken server can send a channel name of thousands of characters, with line breaks,
terminal control characters, a bidi override (U+202E turns the rest of the line around) or
zero-width characters. Lists draw such a name through `one_line`: every such character shows as
U+FFFD (visible, so two names that differ only by it never look alike), and the name is cut.
"""

from __future__ import annotations

import unicodedata

NAME_LIMIT = 64
"""The most characters of a name a list line shows (then "…")."""
SHOWN_FOR_HIDDEN = "\ufffd"


def one_line(text: object, limit: int = NAME_LIMIT) -> str:
    """`text` on one line: control, line-break and invisible formatting characters as U+FFFD,
    cut to `limit` characters with "…"."""
    shown = "".join(SHOWN_FOR_HIDDEN if _hidden(char) else char for char in str(text))
    return shown if len(shown) <= limit else f"{shown[: limit - 1]}…"


def _hidden(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp")
