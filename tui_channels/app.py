"""The Textual application: holds the config, the secret store and the site sessions; wires screens."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from textual.app import App, SystemCommand
from textual.screen import Screen

from .config import AppConfig, load_config, save_config
from .screens.main import MainScreen
from .secret_store import SecretStore
from .services.sites import SiteSessions

STYLES = Path(__file__).resolve().parent.parent / "styles"
DEFAULT_THEME = "textual-dark"


class ChannelsApp(App[None]):
    """tui-channels: one keyboard for the channels of every gateway you run."""

    TITLE = "tui-channels"
    CSS_PATH = [
        STYLES / "app.tcss",
        STYLES / "main.tcss",
        STYLES / "channel_table.tcss",
        STYLES / "dialogs.tcss",
        STYLES / "batch.tcss",
        STYLES / "forms.tcss",
        STYLES / "transfer.tcss",
    ]

    def __init__(
        self,
        *,
        site: str | None = None,
        config: AppConfig | None = None,
        secrets: SecretStore | None = None,
    ) -> None:
        super().__init__()
        self.config = config if config is not None else load_config()
        self.secrets = secrets if secrets is not None else SecretStore()
        self.sessions = SiteSessions(self.secrets)
        self._initial_site = site

    def on_mount(self) -> None:
        theme = self.config.ui.theme
        self.theme = theme if theme in self.available_themes else DEFAULT_THEME
        self.push_screen(MainScreen(self._initial_site))

    def watch_theme(self, theme: str) -> None:
        """Remember the theme the user picked (Textual's theme switcher, in the command palette)."""
        if self.is_mounted and self.config.ui.theme != theme:
            self.config.ui.theme = theme
            self.save_config()

    def save_config(self) -> None:
        save_config(self.config)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if isinstance(screen, MainScreen):
            for title, help_text, action in screen.palette_commands():
                yield SystemCommand(title, help_text, lambda action=action: screen.run_action(action))

    async def on_unmount(self) -> None:
        await self.sessions.close()


def run_app(*, site: str | None = None) -> None:
    """Open the app on `site`, or on the last used site."""
    ChannelsApp(site=site).run()
