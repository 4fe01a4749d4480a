"""The search's fast paths find exactly what a naive scan of every haystack finds.

`SegmentIndex` answers from distinct segments, and `ChannelIndex` narrows the matches of the
text typed before or asks the index: both are checked against `text in haystack` for every row,
over random texts and random typing (letters, backspaces, clearing, new sorts, filters, edited and
added channels, a fleet site loaded again), with the thresholds that pick a path drawn too.
"""

from __future__ import annotations

from dataclasses import replace
from unittest.mock import patch

from hypothesis import example, given, settings
from hypothesis import strategies as st

from tui_channels.channel_types import NEWAPI_TYPES
from tui_channels.models import Channel, ChannelStatus
from tui_channels.services import channel_view, segment_index
from tui_channels.services.channel_view import ChannelIndex, ViewState, haystack, normalise_search
from tui_channels.services.segment_index import SEPARATOR, SegmentIndex

LETTERS = "ab-Äß1\x00 "
"""Few letters, so that texts share segments and searches hit; the separator, a space (stripped
from searches), and letters whose case folding changes their length."""

SHARED = ["", "a", "ab", "ba", "a-b", "ß", "SS", "1", "11", " a", "Ä"]
"""Segments many rows share, as base URLs and model names do."""

segments = st.one_of(st.sampled_from(SHARED), st.text(alphabet=LETTERS, max_size=4))
texts = st.lists(segments, min_size=1, max_size=4).map(SEPARATOR.join)
"""A haystack, or a search text pasted (which may hold the separator)."""
searches = st.one_of(st.sampled_from(SHARED), st.text(alphabet=LETTERS, max_size=5), texts)
heavy_rows = st.sampled_from([1, 2, 3, 1024])
"""Rows from which a segment keeps a mask: every segment, a few, or (the default) none here."""


def naive(haystacks: list[str], text: str) -> bytes:
    return bytes(text in h for h in haystacks)


@settings(max_examples=200, deadline=None)
@given(
    heavy=heavy_rows,
    operations=st.lists(
        st.one_of(
            st.tuples(st.just("add"), texts),
            st.tuples(st.just("replace"), st.integers(min_value=0), texts),
            st.tuples(st.just("search"), searches),
            st.tuples(st.just("type"), st.sampled_from(list(LETTERS))),
            st.tuples(st.just("backspace")),
        ),
        max_size=40,
    ),
)
@example(heavy=1, operations=[("add", "a"), ("add", "a"), ("search", "a"), ("replace", 0, "b"), ("search", "a")])
def test_segment_index_marks_exactly_the_haystacks_that_contain_the_text(
    heavy: int, operations: list[tuple]
) -> None:
    with patch.object(segment_index, "_HEAVY_ROWS", heavy):
        index = SegmentIndex()
        haystacks: list[str] = []
        text = ""
        for operation in operations:
            if operation[0] == "add":
                index.add(len(haystacks), operation[1])
                haystacks.append(operation[1])
            elif operation[0] == "replace":
                if haystacks:
                    position = operation[1] % len(haystacks)
                    index.remove(position, haystacks[position])
                    index.add(position, operation[2])
                    haystacks[position] = operation[2]
            else:
                if operation[0] == "search":
                    text = operation[1]
                elif operation[0] == "type":
                    text += operation[1]
                else:
                    text = text[:-1]
                mask = index.mask(text)
                if not text or SEPARATOR in text:
                    assert mask is None
                else:
                    assert mask == naive(haystacks, text), text
                    assert index.mask(text) == mask


def test_a_large_bulk_extend_marks_what_a_scan_finds() -> None:
    haystacks = [f"ch-{n}{SEPARATOR}http://h{n % 7}/v1{SEPARATOR}{n}{SEPARATOR}m{n % 3}" for n in range(5000)]
    index = SegmentIndex()
    index.extend(range(2500), haystacks[:2500])
    index.extend(range(2500, 5000), haystacks[2500:])
    for text in ("h3", "m1", "ch-12", "1", "/v1", "nothing", "4999"):
        assert index.mask(text) == naive(haystacks, text), text


# -- the channel index, typed into -----------------------------------------------------------------

OPENAI = NEWAPI_TYPES.get(1)

channels_fields = st.tuples(segments, segments, st.lists(segments, max_size=3), st.sampled_from(list(ChannelStatus)))


def channel(channel_id: int, fields: tuple) -> Channel:
    name, base_url, models, status = fields
    return Channel(id=channel_id, name=name, type=OPENAI, status=status, base_url=base_url, models=tuple(models))


actions = st.one_of(
    st.tuples(st.just("type"), st.sampled_from(list(LETTERS))),
    st.tuples(st.just("backspace")),
    st.tuples(st.just("clear")),
    st.tuples(st.just("paste"), searches),
    st.tuples(st.just("sort"), st.sampled_from(["id", "name", "base_url", "models", "status"]), st.booleans()),
    st.tuples(st.just("status"), st.sampled_from(["all", "enabled", "disabled"])),
    st.tuples(st.just("edit"), st.integers(min_value=0), channels_fields),
    st.tuples(st.just("new"), channels_fields),
    st.tuples(st.just("reload site"), st.sampled_from(["one", "two"]), st.lists(channels_fields, max_size=4)),
)


def expected(index: ChannelIndex, state: ViewState) -> list[int]:
    """The naive scan: every row of the unsearched view whose haystack contains the search."""
    needle = normalise_search(state.search)
    return [p for p in index.view(replace(state, search="")) if needle in haystack(index.channel(p))]


@settings(max_examples=150, deadline=None)
@given(
    heavy=heavy_rows,
    narrow_at_most=st.sampled_from([0, 1, 4, 8192]),
    fleet=st.booleans(),
    initial=st.lists(channels_fields, max_size=12),
    steps=st.lists(actions, max_size=40),
)
@example(
    heavy=1,
    narrow_at_most=0,
    fleet=True,
    initial=[("ab", "", [], ChannelStatus.ENABLED), ("a", "", [], ChannelStatus.ENABLED)],
    steps=[("type", "a"), ("reload site", "one", [("b", "", [], ChannelStatus.ENABLED)]), ("type", "b")],
)
def test_typing_backspacing_and_changes_find_what_a_naive_scan_finds(
    heavy: int, narrow_at_most: int, fleet: bool, initial: list[tuple], steps: list[tuple]
) -> None:
    with patch.object(segment_index, "_HEAVY_ROWS", heavy), patch.object(channel_view, "_NARROW_AT_MOST", narrow_at_most):
        channels = [channel(n + 1, fields) for n, fields in enumerate(initial)]
        sites = [("one", "two")[n % 2] for n in range(len(channels))] if fleet else None
        index = ChannelIndex(channels, sites)
        state = ViewState()
        next_id = len(channels) + 1
        for step in steps:
            kind = step[0]
            if kind == "type":
                state = replace(state, search=state.search + step[1])
            elif kind == "backspace":
                state = replace(state, search=state.search[:-1])
            elif kind == "clear":
                state = replace(state, search="")
            elif kind == "paste":
                state = replace(state, search=step[1])
            elif kind == "sort":
                state = replace(state, sort_column=step[1], descending=step[2])
            elif kind == "status":
                state = replace(state, status=step[1])
            elif kind == "edit" and len(index):
                position = step[1] % len(index)
                edited = channel(index.channel(position).id, step[2])
                index.update(edited, index.site(position))
            elif kind == "new":
                index.update(channel(next_id, step[1]), "one" if fleet else None)
                next_id += 1
            elif kind == "reload site" and fleet:
                reloaded = [channel(next_id + n, fields) for n, fields in enumerate(step[2])]
                next_id += len(reloaded)
                index.replace_site(step[1], reloaded)
            assert list(index.view(state)) == expected(index, state), state
