"""Background work: tests, model sync, balances, tags, as a mixin of the main screen."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import BindingType

from .main_base import MainScreenBase


class BatchActions(MainScreenBase):
    """Bindings and actions of this area; see MainScreenBase for what it builds on."""

    HELP_TITLE: ClassVar[str] = "BatchActions"
    BINDINGS: ClassVar[list[BindingType]] = []
