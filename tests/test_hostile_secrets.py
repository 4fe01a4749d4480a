"""Hostile cases about secrets: servers that echo them, bad ones typed in, crashes that could print them.

Everything runs over real sockets against the demo gateway. Each case checks what an admin would
see: no traceback, one clear line, the documented exit code, and the secret nowhere in standard
output, standard error or the log files.
"""

from __future__ import annotations

import asyncio
import fcntl
import io
import json
import os
import pty
import re
import selectors
import struct
import subprocess
import sys
import termios
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tui_channels.app import ChannelsApp
from tui_channels.backends.newapi.client import NewApiBackend
from tui_channels.backends.registry import create_backend
from tui_channels.cli import main
from tui_channels.config import AppConfig, load_config, save_config
from tui_channels.demo.faults import FaultKind
from tui_channels.demo.gateway import DemoGateway, DemoSite
from tui_channels.models import Channel, ChannelSpec
from tui_channels.screens.main import MainScreen
from tui_channels.secret_store import env_var_name

from .test_cli import Result
from .ui_helpers import app_on_sites, demo_profile, main_screen, notices, screen_text, wait_for, wait_loaded

ECHOED_KEY = "sk-echo-Hardening7f3KeyThatMustNeverShow"
OCTOPUS_PASSWORD = "Octopus-Pass-9x7Q-must-not-leak"


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    def run(*argv: str, stdin: str | None = None) -> Result:
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        capsys.readouterr()
        code = main(list(argv))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture(scope="module")
def newapi(gateway: DemoGateway) -> DemoSite:
    return gateway.add_newapi("hostile-secrets-na", channels=3)


@pytest.fixture(scope="module")
def octopus(gateway: DemoGateway) -> DemoSite:
    return gateway.add_octopus("hostile-secrets-oc", channels=3, password=OCTOPUS_PASSWORD)


@pytest.fixture(scope="module")
def echo_channel(gateway: DemoGateway, newapi: DemoSite) -> int:
    """A channel whose upstream quotes its key back in full when refusing it."""

    async def create() -> int:
        backend = NewApiBackend(newapi.url, access_token=newapi.secret, user_id=newapi.user_id)
        try:
            await backend.connect()
            spec = ChannelSpec(
                name="echoing upstream", type=1, key=ECHOED_KEY, base_url=f"{gateway.upstream_url}/p/openai"
            )
            return (await backend.create_channel(spec)).id
        finally:
            await backend.close()

    return asyncio.run(create())


def configure(site: DemoSite, monkeypatch: pytest.MonkeyPatch, secret: str | None = None) -> None:
    """The site in a fresh config, its secret from the environment as an admin's script would set it."""
    monkeypatch.setenv(env_var_name(site.name), site.secret if secret is None else secret)
    save_config(AppConfig(sites=[demo_profile(site)], last_site=site.name))


def one_error_line(result: Result) -> str:
    """The error output is exactly one line and no traceback."""
    assert "Traceback" not in result.text
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1, result.err
    return lines[0]


class TestEchoedSecrets:
    def test_a_key_the_upstream_quotes_is_masked_in_the_cli_report(
        self, cli: Callable[..., Result], newapi: DemoSite, echo_channel: int, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        configure(newapi, monkeypatch)
        for extra in ([], ["--json"]):
            result = cli("channels", "test", "--site", newapi.name, "--ids", str(echo_channel), *extra)
            assert result.code == 1
            assert ECHOED_KEY not in result.text
            assert "Incorrect API key provided" in result.out
            assert "sk-echo…" in result.out

    async def test_a_key_the_upstream_quotes_is_masked_in_the_app(
        self, newapi: DemoSite, echo_channel: int, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        async with app_on_sites(monkeypatch, newapi) as (app, pilot):
            screen = main_screen(app)
            screen.table.move_cursor_to_channel(echo_channel)
            await pilot.press("t")
            await wait_for(pilot, lambda: screen.last_batch is not None and not screen.batch_running)
            _, results = screen.last_batch
            assert "Incorrect API key provided" in results[0].message
            assert ECHOED_KEY not in results[0].message
            shown = screen_text(app) + "".join(str(n.message) for n in notices(app))
            assert ECHOED_KEY not in shown

    def test_an_access_token_a_proxy_echoes_is_masked(
        self, cli: Callable[..., Result], newapi: DemoSite, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        configure(newapi, monkeypatch)
        fault = newapi.faults.add(FaultKind.ECHO, "/api/status", times=None)
        try:
            result = cli("channels", "list", "--site", newapi.name)
        finally:
            newapi.faults.remove(fault)
        assert result.code == 1
        line = one_error_line(result)
        assert "Authorization=Bearer …" in line
        assert newapi.secret not in result.text

    def test_an_octopus_password_a_proxy_echoes_is_masked(
        self, cli: Callable[..., Result], octopus: DemoSite, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        configure(octopus, monkeypatch)
        fault = octopus.faults.add(FaultKind.ECHO, "/api/v1/user/login", times=None, status=400)
        try:
            result = cli("channels", "list", "--site", octopus.name)
        finally:
            octopus.faults.remove(fault)
        assert result.code == 1
        line = one_error_line(result)
        assert '"username": "admin"' in line or '"username":"admin"' in line
        assert OCTOPUS_PASSWORD not in result.text


class TestSecretsNoServerCouldReceive:
    @pytest.mark.parametrize(
        ("secret", "reason"),
        [
            ("first-half\nsecond-half-of-token", "line break"),
            ("token-with-a\x1bcontrol", "control character"),
            ("tokén-with-an-accent-123", "non-ASCII"),
            ("token\u200bwith-zero-width", "invisible character"),
        ],
    )
    def test_a_stored_access_token_is_refused_before_any_request(
        self, cli: Callable[..., Result], newapi: DemoSite, monkeypatch: pytest.MonkeyPatch, secret: str, reason: str
    ) -> None:
        configure(newapi, monkeypatch, secret=secret)
        newapi.stats.reset()
        result = cli("channels", "list", "--site", newapi.name)
        assert result.code == 1
        line = one_error_line(result)
        assert reason in line and env_var_name(newapi.name) in line
        assert "unreachable" not in line.lower() and "check the url" not in line.lower()
        for part in secret.splitlines():
            assert part not in result.text
        assert newapi.stats.total == 0

    def test_an_octopus_password_may_be_non_ascii_but_not_two_lines(
        self, cli: Callable[..., Result], octopus: DemoSite, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        configure(octopus, monkeypatch, secret="pässwörd-that-is-wrong")
        result = cli("channels", "list", "--site", octopus.name)
        assert result.code == 1 and "Authentication failed" in one_error_line(result)
        configure(octopus, monkeypatch, secret="pass\nword-on-two-lines")
        result = cli("channels", "list", "--site", octopus.name)
        assert result.code == 1 and "line break" in one_error_line(result)

    def test_sites_add_refuses_a_token_it_could_never_send(
        self, cli: Callable[..., Result], newapi: DemoSite
    ) -> None:
        args = ["sites", "add", "typo", "--kind", "newapi", "--url", newapi.url, "--user-id", "1", "--secret-stdin"]
        result = cli(*args, stdin="tok\ten-with-a-tab\n")
        assert result.code == 1
        assert "control character (character 4)" in one_error_line(result)
        assert "Nothing was saved" in result.err
        assert load_config().sites == []

    async def test_the_app_says_what_is_wrong_with_the_stored_token(
        self, newapi: DemoSite, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        async with app_on_sites(monkeypatch, newapi) as (app, pilot):
            pass
        monkeypatch.setenv(env_var_name(newapi.name), "line-one\nline-two-secret")
        app = ChannelsApp(config=AppConfig(sites=[demo_profile(newapi)], last_site=newapi.name))
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_loaded(pilot)
            text = screen_text(app)
            assert "Invalid secret" in text and "line break" in text
            assert "line-two-secret" not in text


CRASH_SCRIPT = """
import os, sys
from tui_channels.screens.main_base import MainScreenBase
from tui_channels.secret_store import SecretStore

def open_site(self, name):
    secret = SecretStore().get(name)
    raise RuntimeError("the site could not be opened")

MainScreenBase.open_site = open_site
from tui_channels.cli import main
sys.exit(main([]))
"""


class TestCrashes:
    def test_a_cli_crash_is_one_line_without_the_secret(
        self, cli: Callable[..., Result], newapi: DemoSite, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        configure(newapi, monkeypatch)

        async def broken(self: NewApiBackend, on_progress: object = None) -> list[object]:
            token = self._http._client.headers["Authorization"]
            raise TypeError(f"cannot list with {token}")

        monkeypatch.setattr(NewApiBackend, "list_channels", broken)
        result = cli("channels", "list", "--site", newapi.name)
        assert result.code == 1
        line = one_error_line(result)
        assert line.startswith("error: Unexpected error: TypeError: cannot list with Bearer …")
        assert newapi.secret not in result.text

    async def test_a_worker_crash_in_the_app_is_a_message_and_the_app_goes_on(
        self, newapi: DemoSite, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        async def broken(self: NewApiBackend, on_progress: object = None) -> list[object]:
            token = self._http._client.headers["Authorization"]
            raise KeyError(f"no page for {token}")

        monkeypatch.setattr(NewApiBackend, "list_channels", broken)
        async with app_on_sites(monkeypatch, newapi) as (app, pilot):
            text = screen_text(app)
            assert "Unexpected error" in text and "KeyError" in text
            assert newapi.secret not in text
            await pilot.press("question_mark")
            await pilot.press("escape")
            assert app.is_running and app.return_code is None

    async def test_a_crash_in_an_action_is_a_message_and_the_app_goes_on(
        self, newapi: DemoSite, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def broken(self: MainScreen) -> None:
            secret = newapi.secret
            raise ValueError(f"refresh failed near {secret}")

        monkeypatch.setattr(MainScreen, "action_refresh", broken)
        async with app_on_sites(monkeypatch, newapi) as (app, pilot):
            await pilot.press("r")
            await wait_for(pilot, lambda: any("ValueError" in str(n.message) for n in notices(app)))
            assert all(newapi.secret not in str(n.message) for n in notices(app))
            assert app.is_running and app.return_code is None

    async def test_a_crash_that_stops_the_app_prints_one_line_and_exits_1(
        self, newapi: DemoSite, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        typed: list[bool] = []  # the filter bar also reports a change while the screen mounts
        original = MainScreen._filter

        def broken(self: MainScreen, field: str, value: object) -> None:
            if not typed:
                return original(self, field, value)
            secret = newapi.secret
            raise RuntimeError(f"the filter broke on {secret}")

        monkeypatch.setattr(MainScreen, "_filter", broken)
        monkeypatch.setenv(env_var_name(newapi.name), newapi.secret)
        app = ChannelsApp(config=AppConfig(sites=[demo_profile(newapi)], last_site=newapi.name))
        with pytest.raises(RuntimeError):
            async with app.run_test(size=(120, 40)) as pilot:
                await wait_loaded(pilot)
                typed.append(True)
                await pilot.press("slash", "x")
                await wait_for(pilot, lambda: app._exception is not None)
        assert app.return_code == 1
        printed = capsys.readouterr().err
        assert " ".join(printed.split()) == (
            "tui-channels stopped. Unexpected error: RuntimeError: the filter broke on … "
            "(a bug in tui-channels: please report it)."
        )
        assert newapi.secret not in printed

    def test_the_app_process_after_a_crash(self, newapi: DemoSite, tmp_path: Path) -> None:
        """The real app in a terminal: one line after the screen closes, exit status 1, no secret."""
        log = tmp_path / "textual.log"
        env = {**os.environ, env_var_name(newapi.name): newapi.secret, "TEXTUAL_LOG": str(log)}
        save_config(AppConfig(sites=[demo_profile(newapi)], last_site=newapi.name))
        code, output = run_in_terminal([sys.executable, "-c", textwrap.dedent(CRASH_SCRIPT)], env)
        assert code == 1
        assert newapi.secret not in output
        assert newapi.secret not in (log.read_text(encoding="utf-8") if log.exists() else "")
        after_screen = ANSI.sub("", output.rsplit(LEAVE_SCREEN, 1)[-1])
        assert " ".join(after_screen.split()) == (
            "tui-channels stopped. Unexpected error: RuntimeError: the site could not be opened "
            "(a bug in tui-channels: please report it)."
        )


LEAVE_SCREEN = "\x1b[?1049l"
"""Textual leaves the alternate screen with this before it prints why it stopped."""
ANSI = re.compile(r"\x1b(\[[0-9;?<>=$]*[A-Za-z~]|\][^\x07\x1b]*(\x07|\x1b\\\\))")


def run_in_terminal(argv: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run `argv` in an 80x24 pseudo-terminal; its exit status and everything it wrote there."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    process = subprocess.Popen(argv, stdin=follower, stdout=follower, stderr=follower, env=env)
    os.close(follower)
    written = bytearray()
    for chunk in _read_until_closed(leader, process):
        written += chunk
    os.close(leader)
    return process.wait(timeout=60), written.decode("utf-8", "replace")


def _read_until_closed(fd: int, process: subprocess.Popen[bytes]) -> Iterator[bytes]:
    """A selector, not `select.select`: a test worker with many files open hands out descriptors
    above 1024, which `select()` refuses ("filedescriptor out of range")."""
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while True:
            if not selector.select(60):
                process.kill()
                raise AssertionError("the app neither drew nor ended within 60 s")
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            yield chunk


def test_json_reports_stay_parseable_after_scrubbing(
    cli: Callable[..., Result], newapi: DemoSite, echo_channel: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(newapi, monkeypatch)
    result = cli("channels", "test", "--site", newapi.name, "--ids", str(echo_channel), "--json")
    (report,) = json.loads(result.out)
    assert report["outcome"] == "failed" and ECHOED_KEY not in report["message"]


def test_every_screen_worker_is_guarded() -> None:
    """Workers are declared with `screens.workers.work`, whose errors cannot end the app."""
    root = Path(__file__).resolve().parent.parent / "tui_channels"
    offenders = [
        str(path.relative_to(root))
        for path in sorted(root.rglob("*.py"))
        if path.name != "workers.py" and re.search(r"^from textual import .*\bwork\b", path.read_text(), re.M)
    ]
    assert offenders == []


async def test_a_bug_in_one_channel_of_a_batch_fails_that_channel_only(newapi: DemoSite) -> None:
    from tui_channels.services.batch import BatchRun, BatchSettings
    from tui_channels.services.connectivity import connectivity_operation
    from tui_channels.services.results import Outcome

    backend = create_backend(demo_profile(newapi), newapi.secret)
    try:
        await backend.connect()
        channels = (await backend.list_channels())[:3]
        test = connectivity_operation(backend, None)

        async def operation(channel: Channel) -> object:
            if channel is channels[1]:
                secret = newapi.secret
                raise ZeroDivisionError(f"bug near {secret}")
            return await test(channel)

        results = await BatchRun(channels, operation, BatchSettings(concurrency=2)).run()
    finally:
        await backend.close()
    assert results[1].outcome is Outcome.FAILED
    assert results[1].message.startswith("ZeroDivisionError: bug near …")
    assert newapi.secret not in results[1].message
    assert {r.channel_id for r in results} == {c.id for c in channels}
