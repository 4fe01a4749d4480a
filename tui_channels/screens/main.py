"""The main screen: the core (main_base.py) plus the channel actions of each area, as mixins."""

from __future__ import annotations

from .actions_batch import BatchActions
from .actions_channels import ChannelActions
from .actions_fleet import FleetActions
from .actions_groups import GroupActions
from .actions_history import HistoryActions
from .actions_newapi import NewApiActions
from .actions_server import ServerActions
from .actions_transfer import TransferActions
from .main_base import MainScreenBase


class MainScreen(
    ChannelActions,
    BatchActions,
    TransferActions,
    NewApiActions,
    GroupActions,
    ServerActions,
    FleetActions,
    HistoryActions,
    MainScreenBase,
):
    """Everything a user does with a site's channels, or with every site's, from the keyboard."""
