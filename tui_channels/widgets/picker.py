"""Lists of rows to pick with space: a picked row shows a mark, an unpicked one shows none.

Textual's `SelectionList` draws the same ▐X▌ button on every row and tells picked rows apart by
colour only, so on a plain or dim terminal every row looks picked. `Checklist` leaves the button of
an unpicked row empty; `Picker` adds `a` to pick every row, or none when all are picked.
"""

from __future__ import annotations

from typing import ClassVar, TypeVar

from rich.segment import Segment
from textual.binding import Binding, BindingType
from textual.strip import Strip
from textual.widgets import SelectionList
from textual.widgets._toggle_button import ToggleButton
from textual.widgets.option_list import OptionDoesNotExist

UNPICKED = " " * len(ToggleButton.BUTTON_INNER)
T = TypeVar("T")


class Checklist(SelectionList[T]):
    """A `SelectionList` whose unpicked rows show an empty button."""

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        try:
            selection = self.get_option_at_index(self.scroll_offset.y + y)
        except OptionDoesNotExist:
            return strip
        if selection.value in self.selected:
            return strip
        segments = list(strip)
        if len(segments) < 2 or segments[1].text != ToggleButton.BUTTON_INNER:
            return strip
        segments[1] = Segment(UNPICKED, segments[1].style)
        return Strip(segments, strip.cell_length)


class Picker(Checklist[T]):
    """A `Checklist` where `a` picks every row, or none when every row is picked already."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("a", "pick_all", "Pick all / none")]

    def action_pick_all(self) -> None:
        if len(self.selected) == self.option_count:
            self.deselect_all()
        else:
            self.select_all()
