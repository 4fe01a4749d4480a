"""What the screens use of the running application, as a protocol, so no screen imports the app.

`ChannelsApp` (app.py) is the one implementation: it imports the main screen, and the screens
reach the config, the secrets and the site sessions through `Workspace` instead of through it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, cast

if TYPE_CHECKING:
    from textual.app import App

    from ..config import AppConfig
    from ..secret_store import SecretStore
    from ..services.sites import SiteSessions


class Workspace(Protocol):
    """The config (and saving it), the secret store and the site sessions, shared by every screen."""

    config: AppConfig
    secrets: SecretStore
    sessions: SiteSessions

    def save_config(self) -> None: ...


def workspace_of(app: App[object]) -> Workspace:
    """The running app as the screens see it."""
    return cast("Workspace", app)
