"""Shared fixtures: one embedded demo gateway per test worker, real HTTP on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
import textual.app
import textual.pilot
from textual.notifications import Notify

from tui_channels.demo.gateway import DemoGateway

from .settle import settle_active_app
from .ui_helpers import NOTICES


@pytest.fixture(scope="session")
def gateway() -> Iterator[DemoGateway]:
    """The demo gateway with its fake upstream running; tests add the sites they need."""
    with DemoGateway() as demo:
        yield demo


@pytest.fixture(autouse=True)
def _wait_on_state(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Pilot waits for the app's queues to drain, not for the CPU to look idle (see settle.py)."""
    monkeypatch.setattr(textual.pilot, "wait_for_idle", settle_active_app)
    monkeypatch.setattr(textual.app, "wait_for_idle", settle_active_app)


@pytest.fixture(autouse=True)
def _no_toasts_drawn(monkeypatch: pytest.MonkeyPatch) -> None:
    """Notifications are recorded (tests read `ui_helpers.notices(app)`) but not drawn: a toast stays
    for a number of seconds, so whether a snapshot showed one depended on how fast the machine was."""
    original = textual.app.App.__init__

    def without_toasts(self: textual.app.App, *args: object, **kwargs: object) -> None:
        original(self, *args, **kwargs)
        self._disable_notifications = True

    monkeypatch.setattr(textual.app.App, "__init__", without_toasts)


@pytest.fixture(autouse=True)
def _every_notification_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every notification the app raises is kept in a list on the app for the test to read.

    `app._notifications` drops a notification once its timeout has passed, so a test that waited for
    one on a loaded machine could find it already gone: a test waits on this record, which nothing
    expires (`ui_helpers.notices`, `forget_notices`).
    """
    original = textual.app.App._on_notify

    def kept(self: textual.app.App, event: Notify) -> None:
        self.__dict__.setdefault(NOTICES, []).append(event.notification)
        original(self, event)

    monkeypatch.setattr(textual.app.App, "_on_notify", kept)


@pytest.fixture(autouse=True)
def _isolated_config(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never touch the developer's real config folder or keyring from a test."""
    monkeypatch.setenv("TUI_CHANNELS_CONFIG_DIR", str(tmp_path_factory.mktemp("config")))
    monkeypatch.setenv("TUI_CHANNELS_DATA_DIR", str(tmp_path_factory.mktemp("data")))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


@dataclass
class CliResult:
    """What one in-process run of the command line returned and printed."""

    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run `tui-channels ARGS…` in-process and capture its exit code and output."""
    from tui_channels.cli import main

    def run(*argv: str) -> CliResult:
        capsys.readouterr()
        code = main(list(argv))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run
