"""Keys import, export, restore and copy between sites, as a mixin of the main screen."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import BindingType

from .main_base import MainScreenBase


class TransferActions(MainScreenBase):
    """Bindings and actions of this area; see MainScreenBase for what it builds on."""

    HELP_TITLE: ClassVar[str] = "TransferActions"
    BINDINGS: ClassVar[list[BindingType]] = []
