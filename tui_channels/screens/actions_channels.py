"""Channel forms and single-channel actions (issue: forms), as a mixin of the main screen."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import BindingType

from .main_base import MainScreenBase


class ChannelActions(MainScreenBase):
    """Bindings and actions of this area; see MainScreenBase for what it builds on."""

    HELP_TITLE: ClassVar[str] = "ChannelActions"
    BINDINGS: ClassVar[list[BindingType]] = []
