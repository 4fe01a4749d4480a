"""Exact substring search over many haystacks through their distinct segments.

A channel's search haystack is its name, base URL, id and model names joined by a separator
nobody can type (see `channel_view.haystack`). A search text without that separator is in a
haystack exactly when it is in one of its segments, and over a fleet the segments repeat: 100,000
channels of the bench (bench/fleet.py) have about 30,000 distinct segments, most of them short
names, where every row repeats a base URL and a handful of model names. `SegmentIndex` tests each
distinct segment once (in C, through `map`) and marks the rows of the segments that hold the text:
a short search costs a few milliseconds where testing every haystack cost ten to fifteen.

Rows are positions `0..size-1` (those of `ChannelIndex`). A segment that many rows share keeps a
0/1 byte per position (`_HEAVY_ROWS`), OR-ed as one big integer; the others keep their positions
and are scattered into the result.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable
from itertools import chain, compress, repeat
from operator import contains

SEPARATOR = "\x00"
"""Separates the segments of a haystack; a search text holding it is not answered here."""

_HEAVY_ROWS = 1024
"""Rows from which a segment keeps a byte per position instead of a list of positions: setting
thousands of bytes one by one for every search cost more than OR-ing the segment's whole mask
(70-odd such segments, 7 MiB at 100,000 rows)."""

_KEPT_MASKS = 64
"""Masks of searches of one or two characters kept until the rows change: a user types and
deletes the same first letters again and again, and those are the widest searches."""

_SHORT = 2
"""Searches up to this many characters have their masks kept."""


class SegmentIndex:
    """Which rows' haystacks contain a text, from each distinct segment tested once.

    `mask(text)` answers with one byte per row (1: contains it), exactly as
    `text in haystack` would for every row.
    """

    def __init__(self) -> None:
        self._size = 0
        self._rows: defaultdict[str, list[int]] = defaultdict(list)
        """Positions per distinct segment, once per occurrence; empty for heavy segments."""
        self._heavy: dict[str, bytearray] = {}
        """Heavy segments' masks, a 0/1 byte per position (shorter when the last rows are 0)."""
        self._heavy_bits: dict[str, int] = {}
        """Heavy masks as integers, cached until the segment's rows change."""
        self._masks: dict[str, bytes] = {}
        """Masks of short searches, until the rows change (`_KEPT_MASKS`)."""

    def add(self, position: int, haystack: str) -> None:
        """Index the row at `position` (a new one, or one `remove`d before) with `haystack`."""
        self.extend((position,), (haystack,))

    def extend(self, positions: Iterable[int], haystacks: Iterable[str]) -> None:
        """`add` each row of `positions` with its haystack (in the same order), at once."""
        rows = self._rows
        size = self._size
        touched: set[str] = set()
        for position, haystack in zip(positions, haystacks):
            segments = haystack.split(SEPARATOR)
            touched.update(segments)
            for segment in segments:
                rows[segment].append(position)
            size = max(size, position + 1)
        self._size = size
        self._masks.clear()
        heavy = self._heavy
        for segment in touched:
            found = rows[segment]
            if segment in heavy or len(found) >= _HEAVY_ROWS:
                self._mark_heavy(segment, found)

    def _mark_heavy(self, segment: str, found: list[int]) -> None:
        """Move `found` into the segment's mask (made now if it has none)."""
        mask = self._heavy.get(segment)
        if mask is None:
            mask = self._heavy[segment] = bytearray(self._size)
        elif len(mask) < self._size:
            mask.extend(bytes(self._size - len(mask)))
        deque(map(mask.__setitem__, found, repeat(1)), maxlen=0)
        found.clear()
        self._heavy_bits.pop(segment, None)

    def remove(self, position: int, haystack: str) -> None:
        """Forget that the row at `position` holds `haystack` (what it was `add`ed with)."""
        self._masks.clear()
        for segment in haystack.split(SEPARATOR):
            mask = self._heavy.get(segment)
            if mask is None:
                self._rows[segment].remove(position)
            else:
                mask[position] = 0
                self._heavy_bits.pop(segment, None)

    def mask(self, text: str) -> bytes | None:
        """One byte per row, 1 where the row's haystack contains `text` (not empty); None when
        `text` holds the separator (only the haystacks themselves can answer that)."""
        if SEPARATOR in text or not text:
            return None
        kept = self._masks.get(text)
        if kept is not None:
            return kept
        rows = self._rows
        hits = bytes(map(contains, rows, repeat(text)))
        marked = bytearray(self._size)
        deque(map(marked.__setitem__, chain.from_iterable(compress(rows.values(), hits)), repeat(1)), maxlen=0)
        bits = int.from_bytes(marked, "little")
        for segment in self._heavy:
            if text in segment:
                bits |= self._bits(segment)
        mask = bits.to_bytes(self._size, "little")
        if len(text) <= _SHORT:
            if len(self._masks) >= _KEPT_MASKS:
                del self._masks[next(iter(self._masks))]
            self._masks[text] = mask
        return mask

    def _bits(self, segment: str) -> int:
        bits = self._heavy_bits.get(segment)
        if bits is None:
            bits = self._heavy_bits[segment] = int.from_bytes(self._heavy[segment], "little")
        return bits
