"""A table of rows whose Home and End move the cursor, as in every list of the app."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import DataTable


class RowTable(DataTable):
    """Textual's DataTable with Home and End on the first and last row.

    DataTable binds Home and End to horizontal scrolling and leaves the row cursor where it was,
    so an action on "the row under the cursor" after Home acted on a row scrolled out of view.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("home", "scroll_top", "First row", show=False),
        Binding("end", "scroll_bottom", "Last row", show=False),
    ]
