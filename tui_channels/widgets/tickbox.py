"""Checkboxes whose unticked state reads as unticked without colour.

Textual's `Checkbox` draws the same ▐X▌ ticked or not and tells the two apart by colour only, so in
a low-colour or NO_COLOR terminal every box looked ticked. `Tickbox` leaves an unticked box empty
(▐ ▌), as `widgets.picker.Checklist` does for lists; `OnOffBox` is a box labelled by its state
("on" / "off"), for a field whose name is written beside it. Every checkbox of the app is one of
these two.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Checkbox
from textual.widgets._toggle_button import ToggleButton

UNTICKED = " " * len(ToggleButton.BUTTON_INNER)


class Tickbox(Checkbox):
    """A `Checkbox` whose button is empty while it is off."""

    @property
    def _button(self) -> Content:
        button = super()._button
        if self.value:
            return button
        start, end = len(self.BUTTON_LEFT), len(self.BUTTON_LEFT) + len(self.BUTTON_INNER)
        return Content.assemble(button[:start], (UNTICKED, button.get_style_at_offset(start)), button[end:])

    def watch_value(self) -> None:
        super().watch_value()
        self.refresh()


class OnOffBox(Tickbox):
    """A `Tickbox` labelled "on" or "off" as it stands."""

    def __init__(self, value: bool = False, **options: object) -> None:
        super().__init__("on" if value else "off", value, **options)  # type: ignore[arg-type]

    def watch_value(self) -> None:
        self.label = "on" if self.value else "off"
        super().watch_value()
