"""Exact substring search over many haystacks through their distinct segments.

A channel's search haystack is its name, base URL, id and model names joined by a separator
nobody can type (see `channel_view.haystack`). A search text without that separator is in a
haystack exactly when it is in one of its segments, and over a fleet the segments repeat: the
100,000 channels of bench/fleet.py have about 30,000 distinct segments, most of them short names,
where rows repeat base URLs and model names. `SegmentIndex` finds the segments that hold a text
and marks their rows; testing every row's haystack instead took 10-15 ms per keystroke there.

Finding the segments: each character and each pair of characters lists the segments that hold it,
which answers a search of one or two characters outright; a longer one tests the segments of its
rarest pair, or of the text typed before it when it extends that one (in C, through `map`).

Marking the rows: rows are positions `0..size-1` (those of `ChannelIndex`). A segment that many
rows share keeps a 0/1 byte per position (`_HEAVY_ROWS`), OR-ed as one big integer; the others
keep their positions, scattered into the result.
"""

from __future__ import annotations

from array import array
from collections import defaultdict, deque
from collections.abc import Iterable, Sequence
from functools import partial
from itertools import chain, compress, islice, repeat
from operator import add, contains

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
        self._rows: defaultdict[str, array[int]] = defaultdict(partial(array, "i"))
        """Positions per distinct segment, once per occurrence, in insertion order of the segments
        (never removed); empty for heavy segments. Arrays, not lists: the values sit together, where
        a list's int objects lie all over the heap, a cache miss each when the mask is made."""
        self._listed: tuple[tuple[str, ...], tuple[array[int], ...]] | None = None
        """`_rows`' keys and values (segment ids are their indexes), until a change; tuples, which
        the garbage collector stops scanning (see `ChannelIndex.view`)."""
        self._grams: defaultdict[str, array[int]] = defaultdict(partial(array, "i"))
        """Ids of the segments holding each character and each pair of characters: a search of one
        or two characters reads its segments here, and a longer one tests only the segments of its
        rarest pair. Testing all 30,000 segments' texts cost 4 ms, most of it cache misses."""
        self._gram_count = 0
        """Segments whose grams are in `_grams` (the first ones, in `_rows`' order)."""
        self._heavy: dict[str, bytearray] = {}
        """Heavy segments' masks, a 0/1 byte per position (shorter when the last rows are 0)."""
        self._heavy_bits: dict[str, int] = {}
        """Heavy masks as integers, cached until the segment's rows change."""
        self._typed: list[tuple[str, Sequence[int], bytes]] = []
        """(text, ids of the segments holding it, mask) of the texts typed before, each one
        extending the one before it: a longer text need only test its prefix's segments."""
        self._masks: dict[str, tuple[Sequence[int], bytes]] = {}
        """Segment ids and masks of short searches, until the rows change (`_KEPT_MASKS`)."""

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
            if position >= size:
                size = position + 1
        self._size = size
        self._changed()
        grams = self._grams
        # The new segments are the dict's last keys: read from its end, not past every older one
        # (an edited channel would walk all 30,000).
        fresh = list(islice(reversed(rows), len(rows) - self._gram_count))
        fresh.reverse()
        for sid, segment in enumerate(fresh, self._gram_count):
            for gram in {*segment, *map(add, segment, segment[1:])}:
                grams[gram].append(sid)
        self._gram_count = len(rows)
        heavy = self._heavy
        for segment in touched:
            found = rows[segment]
            if segment in heavy or len(found) >= _HEAVY_ROWS:
                self._mark_heavy(segment, found)

    def _mark_heavy(self, segment: str, found: array[int]) -> None:
        """Move `found` into the segment's mask (made now if it has none)."""
        mask = self._heavy.get(segment)
        if mask is None:
            mask = self._heavy[segment] = bytearray(self._size)
        elif len(mask) < self._size:
            mask.extend(bytes(self._size - len(mask)))
        deque(map(mask.__setitem__, found, repeat(1)), maxlen=0)
        del found[:]
        self._heavy_bits.pop(segment, None)

    def remove(self, position: int, haystack: str) -> None:
        """Forget that the row at `position` holds `haystack` (what it was `add`ed with)."""
        self._changed()
        for segment in haystack.split(SEPARATOR):
            mask = self._heavy.get(segment)
            if mask is None:
                self._rows[segment].remove(position)
            else:
                mask[position] = 0
                self._heavy_bits.pop(segment, None)

    def _changed(self) -> None:
        self._listed = None
        self._typed.clear()
        self._masks.clear()

    def mask(self, text: str) -> bytes | None:
        """One byte per row, 1 where the row's haystack contains `text` (not empty); None when
        `text` holds the separator (only the haystacks themselves can answer that)."""
        if SEPARATOR in text or not text:
            return None
        typed = self._typed
        while typed and not text.startswith(typed[-1][0]):
            typed.pop()
        if typed and typed[-1][0] == text:
            return typed[-1][2]
        kept = self._masks.get(text)
        if kept is None:
            kept = self._search(text, typed[-1][1] if typed else None)
            if len(text) <= _SHORT:
                if len(self._masks) >= _KEPT_MASKS:
                    del self._masks[next(iter(self._masks))]
                self._masks[text] = kept
        typed.append((text, *kept))
        return kept[1]

    def _search(self, text: str, candidates: Sequence[int] | None) -> tuple[Sequence[int], bytes]:
        """The ids of the segments holding `text` (among `candidates`, when a prefix of it
        narrowed them) and the mask of their rows."""
        if self._listed is None:
            self._listed = (tuple(self._rows), tuple(self._rows.values()))
        segments, rows = self._listed
        if candidates is None and len(text) <= 2:
            found: Sequence[int] = self._grams.get(text, ())
        else:
            if candidates is None:
                pairs = (self._grams.get(text[i : i + 2], ()) for i in range(len(text) - 1))
                candidates = min(pairs, key=len)
            found = tuple(compress(candidates, map(contains, map(segments.__getitem__, candidates), repeat(text))))
        marked = bytearray(self._size)
        deque(map(marked.__setitem__, chain.from_iterable(map(rows.__getitem__, found)), repeat(1)), maxlen=0)
        bits = int.from_bytes(marked, "little")
        for segment in self._heavy:
            if text in segment:
                bits |= self._bits(segment)
        return found, bits.to_bytes(self._size, "little")

    def _bits(self, segment: str) -> int:
        bits = self._heavy_bits.get(segment)
        if bits is None:
            bits = self._heavy_bits[segment] = int.from_bytes(self._heavy[segment], "little")
        return bits
