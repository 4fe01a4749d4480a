"""Search box and facet filters above the channel table.

The bar only collects what the user wants to see and says so, the search through the screen's
`on_search` callback and the pickers with `FilterBar.Changed`; the screen turns it into a `ViewState`
and the table filters client-side (server search is weak on some gateways).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.geometry import Size
from textual.message import Message
from textual.reactive import Reactive
from textual.widgets import Input, Select

from ..services.channel_view import STATUS_FILTERS

Options = Sequence[tuple[str, Any]]

_STATUS_LABELS = {"all": "Any status", "enabled": "Enabled", "disabled": "Disabled", "auto-disabled": "Auto-disabled"}


class SearchBox(Input):
    """The search input: its placeholder shortens rather than being cut when the bar is crowded,
    and its text never changes its size.

    Textual's `Input` sets its `virtual_size` (the text's width) on every keystroke, and that
    reactive lays the whole screen out again. The box is one line of fixed width, so its text's
    width only matters for scrolling the text, which reads it directly.
    """

    PLACEHOLDERS = ("/ search name, URL, id, model", "/ search name, URL, id", "/ search")

    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)

    def on_resize(self) -> None:
        room = self.content_region.width - 1
        self.placeholder = next((p for p in self.PLACEHOLDERS if len(p) <= room), self.PLACEHOLDERS[-1])

_PROMPTS = {
    "#type-filter": ("Any type", "Type"),
    "#group-filter": ("Any group", "Group"),
    "#tag-filter": ("Any tag", "Tag"),
    "#flag-filter": ("Any sync", "Sync"),
    "#site-filter": ("Any site", "Site"),
}
"""Each picker's prompt, and the short one they all take when one of the long ones does not fit
(six pickers share 80 columns in the fleet): one site and the fleet read alike wherever there is
room, and the pickers of a bar never mix the two."""

PROMPT_FRAME = 3
"""Cells a compact picker draws beside its prompt (the arrow and the spaces about it)."""


class FacetPicker(Select[Any]):
    """A facet's picker: its width follows the bar's layout (the fleet's pickers share theirs), and
    each new width lets the bar choose the prompts again (`FilterBar.fit_prompts`)."""

    def on_resize(self) -> None:
        bar = self.parent
        if isinstance(bar, FilterBar):
            bar.fit_prompts()


CHOICE_WIDTH = 26
"""The longest choice a picker's open list shows whole: its list is 30 cells wide (styles/main.tcss),
less a border and a space each side; a longer one ends in "…" rather than break over two lines."""


def _fitted(options: Options) -> list[tuple[str, Any]]:
    return [(label if len(label) <= CHOICE_WIDTH else label[: CHOICE_WIDTH - 1] + "…", value) for label, value in options]


class FilterBar(Horizontal):
    """`/`-focused search plus status, type, group, tag and sync pickers (only those the backend
    has), and in the fleet view a site picker.

    The search box's text goes to `on_search` in the same turn as the keystroke that changed it,
    not in a message: a message reaches the screen a turn or two later, after the box has asked
    for its repaint, and Textual then paints the box alone and the filtered table one or two
    frames (17-33 ms) later. Called at once, the filter marks the table for the same frame.
    """

    class Changed(Message):
        """A picker changed; `field` is one of status, type_code, group, tag, flag, site.

        In the fleet the type picker's values are type names (`type_code` still names the field).
        """

        def __init__(self, field: str, value: Any) -> None:
            super().__init__()
            self.field = field
            self.value = value

    def __init__(self, *, on_search: Callable[[str], None], id: str | None = None) -> None:
        super().__init__(id=id)
        self._on_search = on_search
        self._showing = False

    def compose(self) -> ComposeResult:
        yield SearchBox(placeholder=SearchBox.PLACEHOLDERS[0], id="search")
        yield Select(
            [(_STATUS_LABELS[s], s) for s in STATUS_FILTERS],
            value="all",
            allow_blank=False,
            compact=True,
            id="status-filter",
        )
        for selector, (prompt, _short) in _PROMPTS.items():
            yield FacetPicker([], prompt=prompt, compact=True, id=selector.removeprefix("#"))

    def set_choices(
        self,
        *,
        types: Options,
        groups: Options | None,
        tags: Options | None,
        flags: Options = (),
        sites: Options | None = None,
    ) -> None:
        """New option lists for the facets; a facet the backend lacks (None, or no flags) is hidden,
        and the site picker shows only with `sites` (the fleet)."""
        self._fill("#type-filter", types)
        facets = (
            ("#group-filter", groups),
            ("#tag-filter", tags),
            ("#flag-filter", flags or None),
            ("#site-filter", sites),
        )
        self.set_class(sites is not None, "-fleet")
        for selector, options in facets:
            select = self.query_one(selector, Select)
            select.display = options is not None
            self._fill(selector, options or ())

    def _fill(self, selector: str, options: Options) -> None:
        select = self.query_one(selector, Select)
        current = select.value
        with self.prevent(Select.Changed):
            select.set_options(_fitted(options))
            if current is not Select.NULL and any(value == current for _, value in options):
                select.value = current

    def show_state(
        self,
        *,
        search: str,
        status: str,
        type_code: Any,
        group: str | None,
        tag: str | None,
        flag: str | None = None,
        site: str | None = None,
    ) -> None:
        """Show a remembered view state (after switching back to a site) without re-announcing it."""
        self._showing = True
        try:
            with self.prevent(Input.Changed, Select.Changed):
                self.query_one("#search", Input).value = search
                self.query_one("#status-filter", Select).value = status
                filters = (
                    ("#type-filter", type_code),
                    ("#group-filter", group),
                    ("#tag-filter", tag),
                    ("#flag-filter", flag),
                    ("#site-filter", site),
                )
                for selector, value in filters:
                    select = self.query_one(selector, Select)
                    select.value = Select.NULL if value is None else value
        finally:
            self._showing = False

    def focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    def on_mount(self) -> None:
        self.watch(self.query_one("#search", Input), "value", self._search_changed, init=False)

    def fit_prompts(self) -> None:
        """The long prompts ("Any type") when every shown picker's width holds its own, else the
        short ones ("Type"); a picker's width never depends on its prompt, so this settles at once."""
        shown = [(self.query_one(selector, Select), prompts) for selector, prompts in _PROMPTS.items()]
        shown = [(select, prompts) for select, prompts in shown if select.display and select.region.width]
        fits = all(len(prompt) + PROMPT_FRAME <= select.region.width for select, (prompt, _short) in shown)
        for select, (prompt, short) in shown:
            wanted = prompt if fits else short
            if select.prompt != wanted:
                select.prompt = wanted

    def _search_changed(self, text: str) -> None:
        if not self._showing:
            self._on_search(text)

    def on_input_changed(self, event: Input.Changed) -> None:
        """The search already reached the screen through `on_search`."""
        event.stop()

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        field = {
            "status-filter": "status",
            "type-filter": "type_code",
            "group-filter": "group",
            "tag-filter": "tag",
            "flag-filter": "flag",
            "site-filter": "site",
        }[event.select.id or ""]
        value = None if event.value is Select.NULL else event.value
        self.post_message(self.Changed(field, value))
