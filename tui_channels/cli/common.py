"""What every command shares: the usage error, plain-text tables and argument types.

Imports none of the command modules, so each of them (and the grammar) can import it.
"""

from __future__ import annotations

import argparse
import unicodedata
from collections.abc import Iterable, Sequence


class UsageError(Exception):
    """A command line that parses but makes no sense; reported like argparse's own errors."""


def format_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """Columns padded to their widest cell (wide CJK characters count double), None as empty."""
    cells = [[_cell(value) for value in row] for row in (headers, *rows)]
    widths = [max(_width(row[column]) for row in cells) for column in range(len(headers))]
    return "\n".join(
        "  ".join(text + " " * (width - _width(text)) for text, width in zip(row, widths)).rstrip()
        for row in cells
    )


def _cell(value: object) -> str:
    """Text for one cell; control characters from the server become spaces so they cannot drive the terminal."""
    text = "" if value is None else str(value)
    return "".join(char if char.isprintable() else " " for char in text)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def id_list(text: str) -> tuple[int, ...]:
    """`--ids 1,2,3`: channel ids separated by commas."""
    try:
        ids = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of channel ids") from None
    if not ids:
        raise argparse.ArgumentTypeError("name at least one channel id")
    return ids


def positive_int(text: str) -> int:
    """A count or an id given on the command line: a whole number, 1 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value
