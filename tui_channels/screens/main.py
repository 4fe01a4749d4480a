"""The main screen: the core (main_base.py) plus the channel actions of each area, as mixins."""

from __future__ import annotations

from .main_base import MainScreenBase


class MainScreen(MainScreenBase):
    """Everything a user does with a site's channels, from the keyboard."""
