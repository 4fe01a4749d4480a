"""A column the app offers for a server is one that server fills: no column is empty by design."""

from __future__ import annotations

import time

from tui_channels.config import load_config
from tui_channels.secret_store import SecretStore
from tui_channels.services.channel_view import CELL_TEXT
from tui_channels.services.sites import SiteSession

from .ui_helpers import demo_session


async def test_every_offered_column_is_filled_on_some_demo_channel():
    empty: dict[str, list[str]] = {}
    with demo_session():
        for profile in load_config().sites:
            session = SiteSession(profile=profile, secrets=SecretStore())
            try:
                channels = await session.load()
                assert session.capabilities is not None and channels
                now = time.time()
                for column in sorted(session.capabilities.columns):
                    if not any(CELL_TEXT[column](channel, now) for channel in channels):
                        empty.setdefault(profile.name, []).append(column)
            finally:
                await session.disconnect()
    assert not empty, f"columns offered but never filled: {empty}"
