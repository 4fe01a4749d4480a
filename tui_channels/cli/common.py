"""What every command shares: the usage error, plain-text tables and argument types.

Imports none of the command modules, so each of them (and the grammar) can import it.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

from ..models import Channel


class UsageError(Exception):
    """A command line that parses but makes no sense; reported like argparse's own errors."""


STATUSES = ("enabled", "disabled", "manually_disabled", "auto_disabled")
"""What `--status` takes: the words `--json` prints as a channel's status (`ChannelStatus` values),
and `disabled` for both kinds of disabled (as the app's status filter)."""

STATUS_ALIASES = {"auto-disabled": "auto_disabled", "manually-disabled": "manually_disabled"}
"""Spellings `--status` also takes: `auto-disabled` was its word before it took the JSON's."""


def status_word(text: str) -> str:
    """`--status`'s argument type: an alias becomes its word (argparse then checks `STATUSES`)."""
    return STATUS_ALIASES.get(text, text)


def has_status(channel: Channel, word: str | None) -> bool:
    """Whether `channel` passes `--status word`; every channel passes no `--status`."""
    if word is None:
        return True
    if word == "disabled":
        return channel.status.is_disabled
    return channel.status.value == word


class ReaderGone:
    """A text stream that goes quiet once its reader has gone (`… | head -1`), instead of raising.

    The first `BrokenPipeError` points the stream's file descriptor at the null device, so later
    writes, and the interpreter's last flush, succeed; everything else is the wrapped stream's.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._gone = False

    def write(self, text: str) -> int:
        if not self._gone:
            try:
                return self._stream.write(text)
            except BrokenPipeError:
                self._go_quiet()
        return len(text)

    def flush(self) -> None:
        if not self._gone:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._go_quiet()

    def _go_quiet(self) -> None:
        self._gone = True
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, self._stream.fileno())
            os.close(null)
        except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
            pass

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


MAX_CELL = 60
MAX_LAST_CELL = 200
"""Display cells a table column may take (the last column, often a message, a little more): a longer
value is shortened with an ellipsis, so one huge name cannot pad every row. `--json` keeps it whole."""


def format_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """Columns padded to their widest cell (wide CJK characters count double), None as empty.

    A cell longer than `MAX_CELL` (`MAX_LAST_CELL` in the last column) ends in "…".
    """
    last = len(headers) - 1
    cells = [
        [_shortened(_cell(value), MAX_LAST_CELL if column == last else MAX_CELL) for column, value in enumerate(row)]
        for row in (headers, *rows)
    ]
    widths = [max(_width(row[column]) for row in cells) for column in range(len(headers))]
    return "\n".join(
        "  ".join(text + " " * (width - _width(text)) for text, width in zip(row, widths)).rstrip()
        for row in cells
    )


def _shortened(text: str, limit: int) -> str:
    if _width(text) <= limit:
        return text
    kept, width = [], 0
    for char in text:
        width += _char_width(char)
        if width > limit - 1:
            break
        kept.append(char)
    return "".join(kept) + "…"


def warn_skipped(warnings: Iterable[str]) -> None:
    """One `warning:` line on standard error per channel record a listing skipped."""
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)


def _cell(value: object) -> str:
    """Text for one cell; control characters from the server become spaces so they cannot drive the terminal."""
    text = "" if value is None else str(value)
    return "".join(char if char.isprintable() else " " for char in text)


def _width(text: str) -> int:
    return sum(map(_char_width, text))


def _char_width(char: str) -> int:
    return 2 if unicodedata.east_asian_width(char) in "WF" else 1


def id_list(text: str) -> tuple[int, ...]:
    """`--ids 1,2,3`: channel ids separated by commas."""
    try:
        ids = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of channel ids") from None
    if not ids:
        raise argparse.ArgumentTypeError("name at least one channel id")
    return ids


def name_list(text: str) -> tuple[str, ...]:
    """`--sites a,b`: site names separated by commas."""
    names = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    if not names:
        raise argparse.ArgumentTypeError("name at least one site")
    return names


def positive_int(text: str) -> int:
    """A count or an id given on the command line: a whole number, 1 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value
