"""Pieces the CLI commands share: plain-text tables, and a backend opened for a site."""

from __future__ import annotations

import unicodedata
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from .config import SiteProfile
from .secret_store import SecretStore

if TYPE_CHECKING:
    from .backends.base import Backend


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


@asynccontextmanager
async def open_backend(profile: SiteProfile) -> AsyncIterator[Backend]:
    """A (not yet connected) client for the site, with its stored secret, closed however the block ends."""
    from .backends import create_backend

    backend = create_backend(profile, SecretStore().require(profile.name))
    try:
        yield backend
    finally:
        await backend.close()
