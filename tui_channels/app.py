"""The Textual application: holds the config, the secret store and the site sessions; wires screens.

It is also the error boundary of everything on screen. An action (a key, a palette command), a
dialog's result callback and a worker (see `screens/workers.py`) that raise are reported as one
line and the app keeps running. Any other error stops a Textual message loop, so the app must
end: it prints one line (no traceback, no local variables, no secret) and exits with status 1,
where Textual would print a traceback with every frame's locals.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import SystemCommand
from textual.screen import Screen
from textual.widgets._toast import Toast, ToastRack
from textual.worker import WorkerFailed

from .config import PREFERENCES, AppConfig, load_config, save_config
from .errors import ConfigError, describe
from .key_gate import KeyGate
from .redact import scrub
from .screens.main import MainScreen
from .screens.workers import report_unexpected
from .secret_store import SecretStore
from .services.sites import SiteSessions
from .wording import clause

STYLES = Path(__file__).resolve().parent.parent / "styles"
DEFAULT_THEME = "textual-dark"


class ChannelsApp(KeyGate):
    """tui-channels: one keyboard for the channels of every gateway you run."""

    TITLE = "tui-channels"
    NOTIFICATION_TIMEOUT = 4
    """Seconds a notification stays; errors and warnings that need reading pass their own."""
    CSS_PATH = [
        STYLES / "app.tcss",
        STYLES / "main.tcss",
        STYLES / "channel_table.tcss",
        STYLES / "dialogs.tcss",
        STYLES / "batch.tcss",
        STYLES / "forms.tcss",
        STYLES / "transfer.tcss",
        STYLES / "groups.tcss",
        STYLES / "server_work.tcss",
        STYLES / "history.tcss",
    ]

    def __init__(
        self,
        *,
        site: str | None = None,
        fleet: bool = False,
        config: AppConfig | None = None,
        secrets: SecretStore | None = None,
        read_only: bool = False,
    ) -> None:
        """Open on `site`, or with `fleet` on every site at once; else where the user left off."""
        super().__init__()
        self.config = config if config is not None else load_config()
        self.secrets = secrets if secrets is not None else SecretStore()
        self.sessions = SiteSessions(self.secrets, read_only=read_only)
        self._initial_site = site
        self._preferences_unsaved = False
        self._initial_fleet = fleet

    def on_mount(self) -> None:
        theme = self.config.ui.theme
        self.theme = theme if theme in self.available_themes else DEFAULT_THEME
        self.push_screen(MainScreen(self._initial_site, fleet=self._initial_fleet))

    def watch_theme(self, theme: str) -> None:
        """Remember the theme the user picked (Textual's theme switcher, in the command palette)."""
        if self.is_mounted and self.config.ui.theme != theme:
            self.config.ui.theme = theme
            self.save_config()

    def save_config(self) -> None:
        """Save the config, keeping what other processes saved meanwhile (`config.save_config`).

        When the file cannot be written, a change of preferences (sort, columns, theme, last site)
        is kept for this session and said once; any other change is undone in memory and raised, so
        the screen that made it can say it was not saved.
        """
        try:
            save_config(self.config)
        except ConfigError as error:
            changed = self.config.unsaved()
            if not changed <= PREFERENCES:
                self.config.revert(changed - PREFERENCES)
                raise
            if not self._preferences_unsaved:
                self._preferences_unsaved = True
                self.notify(
                    f"{clause(error.message)}. Sort order, columns, theme and the last site are kept until you quit.",
                    title="Preferences cannot be saved",
                    severity="warning",
                    timeout=10,
                )

    def notify(self, message: str, *, title: str = "", **options: Any) -> None:
        """Every toast, whoever raises it, is scrubbed of secrets."""
        super().notify(scrub(message), title=scrub(title), **options)

    def _refresh_notifications(self) -> None:
        """Toasts show on the screen on top only (Textual's one funnel from a notification to a screen).

        Textual updates the toasts of the screen on top and leaves those a screen below already
        showed: under a dialog, which lets the screen below show through, each toast was drawn
        twice, the dialog's across the top and the screen's own on the right. The screen below
        shows them again when it is back on top.
        """
        super()._refresh_notifications()
        for screen in self.screen_stack[:-1]:
            if any(rack.query(Toast) for rack in screen.query_children(ToastRack)):
                self.call_later(self._without_toasts, screen)

    @staticmethod
    async def _without_toasts(screen: Screen) -> None:
        for rack in screen.query_children(ToastRack):
            await rack.remove_children()
            rack.display = False
        screen._refresh_layout()  # Textual lays out only the screen on top on its own

    async def run_action(self, action: Any, default_namespace: Any = None, namespaces: Any = None) -> bool:
        """Run an action; an error it raises is reported in one line instead of ending the app."""
        try:
            return await super().run_action(action, default_namespace, namespaces)
        except Exception as error:
            report_unexpected(self, error)
            return True

    def push_screen(self, screen: Any, callback: Callable[[Any], Any] | None = None, *args: Any, **kwargs: Any) -> Any:
        """Push a screen; its result callback runs inside the error boundary."""
        guarded = None if callback is None else self._guarded(callback)
        return super().push_screen(screen, guarded, *args, **kwargs)

    def _guarded(self, callback: Callable[..., Any]) -> Callable[[Any], Any]:
        takes_result = bool(inspect.signature(callback).parameters)

        def run(result: Any) -> Any:
            try:
                outcome = callback(result) if takes_result else callback()
            except Exception as error:
                report_unexpected(self, error)
                return None
            return self._awaited(outcome) if inspect.isawaitable(outcome) else outcome

        return run

    async def _awaited(self, outcome: Awaitable[Any]) -> Any:
        try:
            return await outcome
        except Exception as error:
            report_unexpected(self, error)
            return None

    def _handle_exception(self, error: Exception) -> None:
        """Textual's one funnel for errors nothing caught (Textual 8), made safe to print.

        A worker that failed outside `screens.workers.work` is reported and the app goes on. Any
        other error has stopped a message loop: end the app with one line and status 1.
        """
        if isinstance(error, WorkerFailed):
            report_unexpected(self, error.error)
            return
        self._return_code = 1
        if self._exception is None:
            self._exception = error
            self._exception_event.set()
        title, message = describe(error)
        self._exit_renderables.append(Text(f"tui-channels stopped. {title}: {message}"))
        self._close_messages_no_wait()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if isinstance(screen, MainScreen):
            for title, help_text, action in screen.palette_commands():
                yield SystemCommand(title, help_text, lambda action=action: screen.run_action(action))

    async def on_unmount(self) -> None:
        await self.sessions.close()


def run_app(*, site: str | None = None, fleet: bool = False, read_only: bool = False) -> int:
    """Open the app on `site` (with `fleet`, on every site), or where the user left off, read-only on
    every site with `read_only`; returns the exit status (1 after a crash)."""
    app = ChannelsApp(site=site, fleet=fleet, read_only=read_only)
    app.run()
    return app.return_code or 0
