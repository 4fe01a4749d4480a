"""Hostile cases about the config: concurrent writers, a read-only folder, clashing secret variables.

Concurrency is tested with real processes of the command line writing the same files at once, and
with the app open while the command line changes the config under it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tui_channels.app import ChannelsApp
from tui_channels.config import AppConfig, config_dir, config_path, load_config, new_site, save_config
from tui_channels.demo.gateway import DemoGateway, DemoSite
from tui_channels.errors import ConfigError
from tui_channels.secret_store import SecretStore, env_var_name, secrets_path

from .ui_helpers import demo_profile, main_screen, wait_for, wait_loaded

WRITERS = 12


def cli_process(*argv: str) -> subprocess.Popen[str]:
    """`tui-channels ARGV…` as its own process, sharing this test's config folder and keyring setting."""
    return subprocess.Popen(
        [sys.executable, "-m", "tui_channels", *argv],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )


def finish(process: subprocess.Popen[str], stdin: str) -> tuple[int, str]:
    out, err = process.communicate(stdin, timeout=180)
    return process.returncode, out + err


def add_argv(name: str) -> list[str]:
    return ["sites", "add", name, "--kind", "newapi", "--url", "https://gw.example.com", "--user-id", "1"] + [
        "--secret-stdin"
    ]


def test_concurrent_sites_add_keep_every_site_and_secret() -> None:
    """Twelve `sites add` at once (secrets in the fallback file): all sites, all secrets kept."""
    names = [f"site-{n:02d}" for n in range(WRITERS)]
    processes = [cli_process(*add_argv(name)) for name in names]
    outcomes = [finish(process, f"token-{name}\n") for process, name in zip(processes, names)]
    assert [code for code, _ in outcomes] == [0] * WRITERS, [text for code, text in outcomes if code]
    config = load_config()
    assert sorted(site.name for site in config.sites) == names
    store = SecretStore()
    assert {name: store.get(name) for name in names} == {name: f"token-{name}" for name in names}
    assert config.last_site in names


def test_concurrent_add_and_remove_each_apply_only_their_change() -> None:
    old = [new_site(name=f"old-{n}", kind="newapi", url="https://a.example", user_id=1) for n in range(6)]
    save_config(AppConfig(sites=old))
    for n in range(6):
        SecretStore().set(f"old-{n}", f"secret-old-{n}")
    removals = [cli_process("sites", "remove", f"old-{n}") for n in range(0, 6, 2)]
    additions = [cli_process(*add_argv(f"new-{n}")) for n in range(6)]
    assert [finish(p, "")[0] for p in removals] == [0, 0, 0]
    assert [finish(p, f"secret-new-{n}\n")[0] for n, p in enumerate(additions)] == [0] * 6
    names = {site.name for site in load_config().sites}
    assert names == {"old-1", "old-3", "old-5"} | {f"new-{n}" for n in range(6)}
    store = SecretStore()
    assert all(store.get(name) for name in names)
    assert all(store.get(f"old-{n}") is None for n in range(0, 6, 2))


def test_a_name_added_by_two_processes_is_a_conflict_not_a_silent_overwrite() -> None:
    first, second = load_config(), load_config()
    first.add_site(new_site(name="edge", kind="newapi", url="https://one.example", user_id=1))
    save_config(first)
    second.add_site(new_site(name="edge", kind="newapi", url="https://two.example", user_id=1))
    with pytest.raises(ConfigError, match='saved a site named "edge" meanwhile'):
        save_config(second)
    assert load_config().site("edge").url == "https://one.example"


@pytest.fixture(scope="module")
def site(gateway: DemoGateway) -> DemoSite:
    return gateway.add_newapi("hostile-config", channels=4)


async def test_the_open_app_keeps_a_site_the_cli_added(site: DemoSite, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(env_var_name(site.name), site.secret)
    save_config(AppConfig(sites=[demo_profile(site)], last_site=site.name))
    app = ChannelsApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot)
        code, text = finish(cli_process(*add_argv("added-meanwhile")), "token-from-cli\n")
        assert code == 0, text
        await pilot.press("O")
        await wait_for(pilot, lambda: main_screen(app).current.view.descending)
        saved = load_config()
        assert [s.name for s in saved.sites] == [site.name, "added-meanwhile"]
        assert saved.ui.sort[site.name].descending is True
        assert app.config.has_site("added-meanwhile")
    assert SecretStore().get("added-meanwhile") == "token-from-cli"


@contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """Make `folder` unwritable, even for root (which ignores permission bits) through `chattr +i`."""
    folder.chmod(0o555)
    immutable = False
    if not _unwritable(folder) and shutil.which("chattr"):
        immutable = subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0
    try:
        if not _unwritable(folder):
            pytest.skip("cannot make a folder read-only here")
        yield
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        folder.chmod(0o755)


def _unwritable(folder: Path) -> bool:
    probe = folder / ".probe"
    try:
        probe.touch()
    except OSError:
        return True
    probe.unlink()
    return False


async def test_a_read_only_config_folder_is_said_once_and_the_app_goes_on(
    site: DemoSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(env_var_name(site.name), site.secret)
    save_config(AppConfig(sites=[demo_profile(site)]))
    before = config_path().read_text()
    with read_only(config_dir()):
        app = ChannelsApp()
        said: list[tuple[str, str]] = []
        shown = app.notify

        def noted(message: str, *, title: str = "", **options: Any) -> None:
            said.append((title, message))  # kept here: a toast leaves the app's list when it times out
            shown(message, title=title, **options)

        monkeypatch.setattr(app, "notify", noted)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_loaded(pilot)
            screen = main_screen(app)
            await pilot.press("O")
            await wait_for(pilot, lambda: screen.current.view.descending)
            await pilot.press("O")
            await wait_for(pilot, lambda: not screen.current.view.descending)
            warnings = [message for title, message in said if title == "Preferences cannot be saved"]
            assert len(warnings) == 1
            assert "cannot write" in warnings[0] and str(config_path()) in warnings[0]
            assert app.is_running and screen.table.row_count == 4
        assert app.return_code in (None, 0)
    assert config_path().read_text() == before


def test_the_cli_says_a_read_only_config_folder_cannot_be_written() -> None:
    save_config(AppConfig())
    with read_only(config_dir()):
        process = cli_process(*add_argv("nowhere"))
        code, text = finish(process, "token\n")
    assert code == 1
    assert "cannot write" in text and "Traceback" not in text
    assert load_config().sites == [] and not secrets_path().exists()


class TestSecretVariables:
    def test_non_ascii_names_get_their_own_variables(self, monkeypatch: pytest.MonkeyPatch) -> None:
        config = load_config()
        for name in ("站点", "网关"):
            config.add_site(new_site(name=name, kind="newapi", url="https://gw.example.com", user_id=1))
            monkeypatch.setenv(env_var_name(name), f"token for {name}")
        save_config(config)
        store = SecretStore()
        assert store.get("站点") == "token for 站点" and store.get("网关") == "token for 网关"

    def test_a_name_whose_variable_is_taken_is_refused(self) -> None:
        config = load_config()
        config.add_site(new_site(name="prod-eu", kind="newapi", url="https://gw.example.com", user_id=1))
        clash = 'site "prod-eu" already uses the environment variable TUI_CHANNELS_SECRET_PROD_EU'
        with pytest.raises(ConfigError, match=clash):
            config.add_site(new_site(name="prod eu", kind="newapi", url="https://gw.example.com", user_id=1))
        other = new_site(name="Prod.EU", kind="newapi", url="https://gw.example.com", user_id=1)
        config.add_site(new_site(name="staging", kind="newapi", url="https://gw.example.com", user_id=1))
        with pytest.raises(ConfigError, match="TUI_CHANNELS_SECRET_PROD_EU"):
            config.replace_site("staging", other)

    def test_ascii_names_keep_their_variables(self) -> None:
        assert env_var_name("my site-1") == "TUI_CHANNELS_SECRET_MY_SITE_1"
