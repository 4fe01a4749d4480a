"""The command line, run in-process: sites, channels, the app entry, exit codes, and no leaked secrets."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tui_channels.cli import main
from tui_channels.config import AppConfig, SiteProfile, config_dir, load_config, save_config
from tui_channels.demo.gateway import DemoGateway, DemoSite
from tui_channels.demo.session import MORE_SITES
from tui_channels.models import BackendKind
from tui_channels.secret_store import SecretLocation, SecretStore

from .test_secrets import MemoryKeyring, installed

DEMO_MORE = [name for name, _flavor in MORE_SITES]


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """Run `main(argv)`; `stdin=` feeds standard input (for --secret-stdin)."""

    def run(*argv: str, stdin: str | None = None) -> Result:
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        capsys.readouterr()
        code = main(list(argv))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture(scope="module")
def newapi_site(gateway: DemoGateway) -> DemoSite:
    return gateway.add_newapi("cli-na", channels=30)


@pytest.fixture(scope="module")
def octopus_site(gateway: DemoGateway) -> DemoSite:
    return gateway.add_octopus("cli-oc", channels=12)


def add_args(site: DemoSite, name: str | None = None) -> list[str]:
    args = ["sites", "add", name or site.name, "--kind", site.kind.value, "--url", site.url, "--secret-stdin"]
    if site.kind is BackendKind.NEWAPI:
        return [*args, "--user-id", str(site.user_id)]
    return [*args, "--username", str(site.username)]


def register(cli: Callable[..., Result], site: DemoSite, *, secret: str | None = None) -> None:
    result = cli(*add_args(site), stdin=(secret or site.secret) + "\n")
    assert result.code == 0, result.err


ADD = ["sites", "add", "x", "--secret-stdin"]
ADD_NEWAPI = [*ADD, "--kind", "newapi", "--url", "http://x"]
ADD_OCTOPUS = [*ADD, "--kind", "octopus", "--url", "http://x"]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TestUsage:
    def test_help(self, cli: Callable[..., Result]) -> None:
        result = cli("--help")
        assert result.code == 0
        assert "sites" in result.out and "channels" in result.out

    def test_version(self, cli: Callable[..., Result]) -> None:
        assert cli("--version").out.startswith("tui-channels ")

    @pytest.mark.parametrize(
        ("argv", "expected"),
        [
            (["frobnicate"], "invalid choice"),
            (["sites"], "required"),
            ([*ADD, "--url", "http://x"], "--kind"),
            ([*ADD_OCTOPUS, "--user-id", "1"], "--user-id is for New API"),
            ([*ADD_NEWAPI, "--username", "u"], "--username is for Octopus"),
            (ADD_NEWAPI, "--user-id is required"),
            (ADD_OCTOPUS, "--username is required"),
            ([*ADD, "--kind", "newapi", "--url", "gw", "--user-id", "1"], "url: must be an http"),
            ([*ADD, "--kind", "newapi", "--url", "http://gw:99999", "--user-id", "1"], "url: has port 99999"),
            ([*ADD, "--kind", "newapi", "--url", "http://gw:abc", "--user-id", "1"], "url: has a port that is not"),
            ([*ADD, "--kind", "newapi", "--url", "http://gw:", "--user-id", "1"], "url: has an empty port"),
            ([*ADD_NEWAPI, "--user-id", "0"], "must be 1 or more"),
            ([*ADD_OCTOPUS, "--username", "u", "--flavor", "oneapi"], "flavor"),
            ([*ADD_NEWAPI, "--user-id", "1", "--username", "u"], "not allowed"),
            (["--channels", "5"], "--channels only applies together with --demo"),
            (["channels", "list"], "--site"),
            (["channels", "list", "--site", "x", "--status", "sleepy"], "invalid choice"),
        ],
    )
    def test_usage_errors_exit_2(self, cli: Callable[..., Result], argv: list[str], expected: str) -> None:
        result = cli(*argv, stdin="secret\n")
        assert result.code == 2
        assert expected in result.err
        assert "usage:" not in result.err and result.err.count("\n") == 1, "a usage error is one line on stderr"
        assert "Traceback" not in result.err
        assert load_config() == AppConfig()

    def test_keyboard_interrupt_exits_130_quietly(
        self, cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def interrupted(prompt: str) -> str:
            raise KeyboardInterrupt

        monkeypatch.setattr("getpass.getpass", interrupted)
        result = cli("sites", "add", "x", "--kind", "newapi", "--url", "http://x", "--user-id", "1")
        assert (result.code, result.out, result.err) == (130, "", "")

    def test_cli_does_not_import_textual(self) -> None:
        code = (
            "import sys\n"
            "from tui_channels.cli import main\n"
            "main(['sites', 'list'])\n"
            "assert 'textual' not in sys.modules, 'textual was imported'\n"
        )
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


class TestSites:
    def test_empty_list(self, cli: Callable[..., Result]) -> None:
        result = cli("sites", "list")
        assert result.code == 0
        assert "No sites yet" in result.out

    def test_add_list_remove(self, cli: Callable[..., Result]) -> None:
        secret = "sk-admin-token-123456"
        result = cli(
            "sites", "add", "prod", "--kind", "newapi", "--url", "https://gw.example.com/",
            "--user-id", "7", "--timeout", "20", "--flavor", "oneapi", "--no-verify-tls", "--secret-stdin",
            stdin=secret + "\n",
        )
        assert result.code == 0, result.err
        assert 'Added site "prod"' in result.out
        assert "warning:" in result.err and "plain text" in result.err
        assert secret not in result.text
        config = load_config()
        assert config.last_site == "prod"
        assert config.site("prod") == SiteProfile(
            name="prod", kind="newapi", url="https://gw.example.com", user_id=7,
            timeout=20, flavor="oneapi", verify_tls=False,
        )
        assert secret not in (config_dir() / "config.toml").read_text()
        assert SecretStore().get("prod") == secret

        result = cli(
            "sites", "add", "octo", "--kind", "octopus", "--url", "http://10.0.0.2:8080",
            "--username", "admin", "--secret-stdin", stdin="pw-octo\n",
        )
        assert result.code == 0
        assert load_config().last_site == "prod"

        result = cli(
            "sites", "add", "watch", "--kind", "octopus", "--url", "http://10.0.0.3:8080",
            "--username", "viewer", "--read-only", "--secret-stdin", stdin="pw-watch\n",
        )
        assert result.code == 0, result.err
        result = cli("sites", "list")
        assert result.code == 0
        lines = result.out.splitlines()
        assert lines[0].split() == ["NAME", "KIND", "URL", "USER", "VERIFY", "TLS", "ACCESS", "SECRET"]
        assert lines[1].split() == ["prod", "newapi", "https://gw.example.com", "7", "no", "read-write", "file"]
        assert lines[2].split() == ["octo", "octopus", "http://10.0.0.2:8080", "admin", "yes", "read-write", "file"]
        assert lines[3].split() == ["watch", "octopus", "http://10.0.0.3:8080", "viewer", "yes", "read-only", "file"]
        assert secret not in result.text and "pw-octo" not in result.text
        whole_run = cli("--read-only", "sites", "list").out.splitlines()
        assert all(line.split()[-2] == "read-only" for line in whole_run[1:])
        assert cli("sites", "remove", "watch").code == 0

        result = cli("sites", "remove", "prod")
        assert result.code == 0
        assert [s.name for s in load_config().sites] == ["octo"]
        assert load_config().last_site is None
        assert SecretStore().location("prod") is None

    def test_secret_from_hidden_prompt(self, cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch) -> None:
        prompts: list[str] = []

        def fake_getpass(prompt: str) -> str:
            prompts.append(prompt)
            return "hunter2-password"

        monkeypatch.setattr("getpass.getpass", fake_getpass)
        result = cli("sites", "add", "oc", "--kind", "octopus", "--url", "http://x", "--username", "root")
        assert result.code == 0
        assert prompts == ["Octopus password for oc: "]
        assert SecretStore().get("oc") == "hunter2-password"
        assert "hunter2" not in result.text

    def test_empty_secret_saves_nothing(self, cli: Callable[..., Result]) -> None:
        result = cli(
            "sites", "add", "p", "--kind", "newapi", "--url", "http://x", "--user-id", "1", "--secret-stdin", stdin="\n"
        )
        assert result.code == 1
        assert result.err.startswith("error: No secret: no access token was given")
        assert load_config() == AppConfig()

    def test_duplicate_is_an_operation_error(self, cli: Callable[..., Result]) -> None:
        argv = ["sites", "add", "p", "--kind", "newapi", "--url", "http://x", "--user-id", "1", "--secret-stdin"]
        assert cli(*argv, stdin="first\n").code == 0
        result = cli(*argv, stdin="second\n")
        assert result.code == 1
        assert result.err == (
            'error: Configuration problem: a site named "p" already exists; '
            "choose another name, or remove it first with `tui-channels sites remove`\n"
        )
        assert SecretStore().get("p") == "first"

    def test_remove_unknown(self, cli: Callable[..., Result]) -> None:
        result = cli("sites", "remove", "ghost")
        assert result.code == 2
        assert 'no site named "ghost"' in result.err and "no site is configured yet" in result.err and "sites add" in result.err
        assert result.err.splitlines()[-1].startswith("tui-channels sites remove: error: no site named")

    def test_list_shows_env_and_missing_secrets(
        self, cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        save_config(
            AppConfig(
                sites=[
                    SiteProfile(name="from env", kind="newapi", url="http://a", user_id=1),
                    SiteProfile(name="none", kind="octopus", url="http://b", username="u"),
                ]
            )
        )
        monkeypatch.setenv("TUI_CHANNELS_SECRET_FROM_ENV", "sk-env-secret")
        result = cli("sites", "list")
        assert [line.split()[-1] for line in result.out.splitlines()[1:]] == ["env", "missing"]
        assert "sk-env-secret" not in result.text

    def test_set_secret(self, cli: Callable[..., Result]) -> None:
        save_config(AppConfig(sites=[SiteProfile(name="p", kind="newapi", url="http://a", user_id=1)]))
        result = cli("sites", "set-secret", "p", "--secret-stdin", stdin="rotated-token\n")
        assert result.code == 0
        assert "access token is stored in the plain-text secrets file" in result.out
        assert SecretStore().get("p") == "rotated-token"
        assert "rotated-token" not in result.text
        assert cli("sites", "set-secret", "nope", "--secret-stdin", stdin="x\n").code == 2

    def test_keyring_is_preferred(self, cli: Callable[..., Result]) -> None:
        with installed(MemoryKeyring()) as memory:
            result = cli(
                "sites", "add", "p", "--kind", "newapi", "--url", "http://x", "--user-id", "1",
                "--secret-stdin", stdin="tok\n",
            )
            assert result.code == 0
            assert "stored in the system keyring" in result.out
            assert result.err == ""
            assert memory.passwords == {("tui-channels", "p"): "tok"}
            assert cli("sites", "list").out.split()[-1] == "keyring"
            assert cli("sites", "remove", "p").code == 0
            assert memory.passwords == {}


def checks(result: Result) -> list[tuple[str, str, str]]:
    """`sites verify` output as (mark, check, detail) per line."""
    return [tuple(line.split(maxsplit=2)) for line in result.out.splitlines()]  # type: ignore[misc]


class TestVerify:
    @pytest.mark.parametrize("kind", ["newapi", "octopus"])
    def test_ok(self, cli: Callable[..., Result], kind: str, request: pytest.FixtureRequest) -> None:
        site: DemoSite = request.getfixturevalue(f"{kind}_site")
        register(cli, site)
        result = cli("sites", "verify", site.name)
        assert result.code == 0, result.err
        (reachable, backend, credentials, permissions) = checks(result)
        assert reachable == ("✓", "Reachable", f"{site.url} answered")
        assert backend[:2] == ("✓", "Backend") and f"({site.kind.label} family)" in backend[2]
        assert credentials[:2] == ("✓", "Credentials")
        assert permissions == ("✓", "Permissions", "the account can read and manage channels")
        assert site.secret not in result.text

    def test_an_admin_without_sensitive_write_is_told_what_it_cannot_do(
        self, cli: Callable[..., Result], gateway: DemoGateway
    ) -> None:
        site = gateway.add_newapi("cli-na-admin", channels=3, role="admin")
        register(cli, site)
        before = {i: dict(r) for i, r in site.server.store.items()}
        result = cli("sites", "verify", site.name)
        assert result.code == 1
        (_reachable, _backend, credentials, permissions) = checks(result)
        assert credentials == ("✓", "Credentials", "accepted")
        assert permissions[:2] == ("✗", "Permissions")
        assert permissions[2] == (
            "the account can read channels but lacks channel.sensitive_write (it cannot create, copy or "
            "delete channels, nor change their keys, types, base URLs or overrides)"
        )
        assert {i: dict(r) for i, r in site.server.store.items()} == before  # the probes changed nothing

    def test_wrong_secret(self, cli: Callable[..., Result], newapi_site: DemoSite) -> None:
        register(cli, newapi_site, secret="sk-wrong-token-000000")
        result = cli("sites", "verify", newapi_site.name)
        assert result.code == 1
        marks = [line[:2] for line in checks(result)]
        assert marks == [("✓", "Reachable"), ("✓", "Backend"), ("✗", "Credentials"), ("·", "Permissions")]
        assert checks(result)[2][2].startswith("Authentication failed: ")
        assert "sk-wrong-token" not in result.text and newapi_site.secret not in result.text

    def test_a_wrong_token_still_names_the_generation(self, cli: Callable[..., Result], gateway: DemoGateway) -> None:
        """The generation comes from the public status answer, before the credentials are tried."""
        site = gateway.add_newapi("cli-na-legacy", flavor="newapi-legacy", channels=1)
        register(cli, site, secret="sk-wrong-token-000000")
        result = cli("sites", "verify", site.name)
        assert checks(result)[1] == ("✓", "Backend", "New API (legacy), version v0.6.3.1")
        assert checks(result)[2][:2] == ("✗", "Credentials")

    @pytest.mark.parametrize("generation", ["current", "legacy"])
    def test_wrong_password(self, cli: Callable[..., Result], gateway: DemoGateway, generation: str) -> None:
        """The generation is told apart before the login, so a wrong password still names it."""
        octopus_site = gateway.add_octopus(f"cli-oc-{generation}", generation=generation, channels=2)
        register(cli, octopus_site, secret="not-the-password")
        result = cli("sites", "verify", octopus_site.name)
        assert result.code == 1
        label = "Octopus (legacy)" if generation == "legacy" else "Octopus"
        assert checks(result)[1] == ("✓", "Backend", f"{label}, version known only after a login")
        assert checks(result)[2][:2] == ("✗", "Credentials")
        assert "not-the-password" not in result.text

    def test_unreachable(self, cli: Callable[..., Result]) -> None:
        url = f"http://127.0.0.1:{closed_port()}"
        save_config(AppConfig(sites=[SiteProfile(name="down", kind="newapi", url=url, user_id=1, timeout=2)]))
        SecretStore().set("down", "sk-down")
        result = cli("sites", "verify", "down")
        assert result.code == 1
        (reachable, backend, credentials, permissions) = checks(result)
        assert reachable[:2] == ("✗", "Reachable") and reachable[2].startswith("Gateway unreachable: ")
        assert backend[0] == credentials[0] == permissions[0] == "·"
        assert "Traceback" not in result.err

    def test_missing_secret(self, cli: Callable[..., Result]) -> None:
        save_config(AppConfig(sites=[SiteProfile(name="bare", kind="newapi", url="http://x", user_id=1)]))
        result = cli("sites", "verify", "bare")
        assert result.code == 1
        assert "no secret is stored for site \"bare\"" in result.err
        assert "TUI_CHANNELS_SECRET_BARE" in result.err


class TestChannelsList:
    def test_newapi_json(self, cli: Callable[..., Result], newapi_site: DemoSite) -> None:
        register(cli, newapi_site)
        result = cli("channels", "list", "--site", newapi_site.name, "--json")
        assert result.code == 0, result.err
        channels = json.loads(result.out)
        store = newapi_site.server.store
        assert sorted(c["id"] for c in channels) == sorted(store)
        assert {c["id"]: c["name"] for c in channels} == {i: r["name"] for i, r in store.items()}
        assert set(channels[0]) == {
            "id", "name", "type", "type_name", "status", "base_url", "key", "models", "groups",
            "priority", "weight", "tag", "balance", "response_time_ms", "test_time", "used_quota",
            "success_rate", "cost_usd",
        }
        assert {c["success_rate"] for c in channels} == {c["cost_usd"] for c in channels} == {None}
        for record in store.values():
            assert record["key"] not in result.out
        assert all(c["key"] is None or "•" in c["key"] for c in channels)
        assert all(isinstance(c["type"], int) and c["type_name"] for c in channels)

    def test_auto_disabled_on_their_own(self, cli: Callable[..., Result], newapi_site: DemoSite) -> None:
        register(cli, newapi_site)
        result = cli("channels", "list", "--site", newapi_site.name, "--json", "--status", "auto-disabled")
        assert result.code == 0, result.err
        automatic = sorted(i for i, r in newapi_site.server.store.items() if r["status"] == 3)
        assert automatic and sorted(c["id"] for c in json.loads(result.out)) == automatic

    def test_octopus_json(self, cli: Callable[..., Result], octopus_site: DemoSite) -> None:
        register(cli, octopus_site)
        result = cli("channels", "list", "--site", octopus_site.name, "--json")
        assert result.code == 0, result.err
        channels = json.loads(result.out)
        stored = octopus_site.server.channels
        assert {c["id"]: c["name"] for c in channels} == {i: r["name"] for i, r in stored.items()}
        assert all(c["key"] is None or "•" in c["key"] for c in channels)
        assert {c["status"] for c in channels} <= {"enabled", "manually_disabled"}
        for channel in channels:
            stats = stored[channel["id"]]["stats"]
            requests = stats["request_success"] + stats["request_failed"]
            rate = stats["request_success"] / requests if requests else None
            assert channel["success_rate"] == rate
            assert channel["cost_usd"] == pytest.approx(stats["input_cost"] + stats["output_cost"])
            assert channel["cost_usd"] is None or len(repr(channel["cost_usd"]).partition(".")[2]) <= 9
        assert any(0 < (c["success_rate"] or 0) < 1 for c in channels) and any(c["cost_usd"] for c in channels)

    def test_filters(self, cli: Callable[..., Result], newapi_site: DemoSite) -> None:
        register(cli, newapi_site)
        store = newapi_site.server.store

        def listed(*extra: str) -> set[int]:
            result = cli("channels", "list", "--site", newapi_site.name, "--json", *extra)
            assert result.code == 0, result.err
            return {c["id"] for c in json.loads(result.out)}

        assert listed("--status", "disabled") == {i for i, r in store.items() if r["status"] in (2, 3)}
        assert listed("--status", "enabled") == {i for i, r in store.items() if r["status"] == 1}
        assert listed("--search", "7") >= {7}
        name = store[3]["name"]
        assert 3 in listed("--search", name.upper())
        assert listed("--search", "no-such-channel-anywhere") == set()

    def test_table(self, cli: Callable[..., Result], newapi_site: DemoSite) -> None:
        register(cli, newapi_site)
        result = cli("channels", "list", "--site", newapi_site.name)
        assert result.code == 0, result.err
        lines = result.out.splitlines()
        assert lines[0].split() == ["ID", "NAME", "TYPE", "STATUS", "MODELS", "GROUP", "PRIORITY", "BASE", "URL"]
        assert len(lines) == 1 + len(newapi_site.server.store)
        assert [int(line.split()[0]) for line in lines[1:]] == sorted(newapi_site.server.store)
        assert newapi_site.secret not in result.text

    def test_octopus_table_has_only_its_columns_in_id_order(self, cli: Callable[..., Result], gateway) -> None:
        octopus_site = gateway.add_octopus("cli-octopus-order", channels=6)
        stored = octopus_site.server.channels
        shuffled = dict(sorted(stored.items(), key=lambda item: -item[0]))  # the server's own order
        stored.clear()
        stored.update(shuffled)
        register(cli, octopus_site)
        result = cli("channels", "list", "--site", octopus_site.name)
        lines = result.out.splitlines()
        assert lines[0].split() == ["ID", "NAME", "TYPE", "STATUS", "MODELS", "BASE", "URL", "SUCCESS", "RATE", "COST"]
        assert [int(line.split()[0]) for line in lines[1:]] == sorted(stored)
        listed = json.loads(cli("channels", "list", "--site", octopus_site.name, "--json").out)
        assert [c["id"] for c in listed] == sorted(stored)

    def test_unknown_site(self, cli: Callable[..., Result]) -> None:
        result = cli("channels", "list", "--site", "ghost")
        assert result.code == 2
        assert 'tui-channels channels list: error: no site named "ghost"' in result.err


class TestOpenApp:
    @pytest.fixture
    def opened(self, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, object]]:
        """Stand in for `tui_channels.app`, recording what the app would have seen."""
        calls: list[dict[str, object]] = []

        def run_app(site: str | None, fleet: bool = False, read_only: bool = False) -> int:
            config = load_config()
            store = SecretStore()
            calls.append(
                {
                    "site": site,
                    "fleet": fleet,
                    "read_only": read_only,
                    "sites": [s.name for s in config.sites],
                    "last_site": config.last_site,
                    "secrets": {s.name: store.location(s.name) for s in config.sites},
                }
            )
            return 0

        module = types.ModuleType("tui_channels.app")
        module.run_app = run_app  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "tui_channels.app", module)
        return calls

    def test_no_command_opens_last_site(self, cli: Callable[..., Result], opened: list[dict[str, object]]) -> None:
        assert cli().code == 0
        assert opened[0]["site"] is None and opened[0]["read_only"] is False

    def test_read_only_run(self, cli: Callable[..., Result], opened: list[dict[str, object]]) -> None:
        assert cli("--read-only").code == 0
        assert opened[0]["read_only"] is True

    def test_site_option(self, cli: Callable[..., Result], opened: list[dict[str, object]]) -> None:
        save_config(AppConfig(sites=[SiteProfile(name="p", kind="newapi", url="http://x", user_id=1)]))
        assert cli("--site", "p").code == 0
        assert opened[0]["site"] == "p"

    def test_site_all_opens_every_site(self, cli: Callable[..., Result], opened: list[dict[str, object]]) -> None:
        save_config(AppConfig(sites=[SiteProfile(name="p", kind="newapi", url="http://x", user_id=1)]))
        assert cli("--site", "all").code == 0
        assert (opened[0]["site"], opened[0]["fleet"]) == (None, True)

    def test_unknown_site_fails_before_opening(
        self, cli: Callable[..., Result], opened: list[dict[str, object]]
    ) -> None:
        result = cli("--site", "ghost")
        assert result.code == 2
        assert 'no site named "ghost"' in result.err
        assert opened == []

    def test_demo(self, cli: Callable[..., Result], opened: list[dict[str, object]]) -> None:
        before = dict(os.environ)
        assert cli("--demo", "--channels", "12").code == 0
        assert opened == [
            {
                "site": None,
                "fleet": False,
                "read_only": False,
                "sites": ["demo-newapi", "demo-octopus", "demo-axonhub", "demo-claudecodehub", *DEMO_MORE],
                "last_site": "demo-newapi",
                "secrets": {
                    name: SecretLocation.ENV
                    for name in ("demo-newapi", "demo-octopus", "demo-axonhub", "demo-claudecodehub", *DEMO_MORE)
                },
            }
        ]
        assert dict(os.environ) == before

    def test_demo_with_a_command(self, cli: Callable[..., Result]) -> None:
        config_folder = config_dir()
        result = cli("--demo", "--channels", "12", "channels", "list", "--site", "demo-octopus", "--json")
        assert result.code == 0, result.err
        assert len(json.loads(result.out)) == 8
        assert config_dir() == config_folder
        assert load_config() == AppConfig()


def test_help_names_every_supported_gateway(capsys) -> None:
    from tui_channels.backends.registry import FAMILIES
    from tui_channels.cli.parser import build_parser

    build_parser().print_help()
    described = " ".join(capsys.readouterr().out.split())
    for family in FAMILIES.values():
        assert (family.servers or family.label) in described
    assert "Claude Code Hub" in described and "One API" in described


def _commands_needing_a_site() -> list[list[str]]:
    """Every command path whose `--site` is required (`channels list`, `history undo`…)."""
    import argparse

    from tui_channels.cli.parser import build_parser

    found: list[list[str]] = []

    def walk(parser: argparse.ArgumentParser, path: list[str]) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, [*path, name])
        if parser.get_default("site_required"):
            found.append(path)

    walk(build_parser(), [])
    return found


def test_under_demo_a_missing_site_is_answered_with_the_demos_sites(cli) -> None:
    from tui_channels.demo.names import DEMO_SITES

    commands = _commands_needing_a_site()
    assert ["channels", "list"] in commands and ["history", "undo"] in commands and len(commands) > 10
    for command in commands:
        result = cli("--demo", *command)
        assert result.code == 2, command
        assert f"the demo's sites: {', '.join(DEMO_SITES)}" in result.err, (command, result.err)
    plain = cli("channels", "list")
    assert plain.code == 2 and "required: --site" in plain.err and "demo" not in plain.err


def test_an_unknown_site_is_answered_with_the_configured_ones(cli) -> None:
    result = cli("--demo", "channels", "list", "--site", "nope")
    assert result.code == 2
    assert 'no site named "nope"; the configured sites are demo-newapi, demo-octopus' in result.err


def _commands_taking_a_site() -> list[list[str]]:
    """Every command path, with `--site` when it takes one (`--sites` for fleet commands)."""
    import argparse

    from tui_channels.cli.parser import build_parser

    found: list[list[str]] = []

    def walk(parser: argparse.ArgumentParser, path: list[str]) -> None:
        subparsers = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        options = {o for a in parser._actions for o in a.option_strings}
        if path and ("--site" in options or "--sites" in options):
            found.append([*path, "--site" if "--site" in options else "--sites"])
        for action in subparsers:
            for name, sub in action.choices.items():
                walk(sub, [*path, name])

    walk(build_parser(), [])
    return found


def test_an_unknown_site_is_a_usage_error_for_every_command(cli) -> None:
    """Whichever command names it, a site that is not configured exits 2 (a usage error), with the
    command's usage and the configured sites; never 1 for one command and 2 for another."""
    commands = _commands_taking_a_site()
    assert ["channels", "list", "--site"] in commands and ["fleet", "list", "--sites"] in commands
    assert ["history", "--site"] in commands
    arguments = {"undo": ["1"], "enable": ["t"], "disable": ["t"], "edit": ["t", "--priority", "1"], "find": ["x"]}
    for *command, option in commands:
        scope = ["--all"] if any(a.option_strings == ["--all"] for a in _parser_of(command)._actions) else []
        if command[-1] == "import":
            scope = ["--file", "/nonexistent"]
        if command[-1] == "restore" and command[0] == "channels":
            scope = ["--trash"]
        if command[-1] == "restore" and command[0] == "groups":
            scope = ["--trash"]
        if command[-1] == "export" and command[0] == "channels":
            scope = ["--all", "--out", "/nonexistent/x.json"]
        result = cli("--demo", *command, *arguments.get(command[-1], []), option, "nope", *scope)
        assert result.code == 2, (command, result.err)
        assert 'no site named "nope"; the configured sites are demo-newapi' in result.err, (command, result.err)
        assert f"tui-channels {' '.join(command)}: error:" in result.err, (command, result.err)
    opening = cli("--demo", "--site", "nope", "--read-only")
    assert opening.code == 2 and 'no site named "nope"' in opening.err


def _parser_of(command: list[str]):
    import argparse

    from tui_channels.cli.parser import build_parser

    parser = build_parser()
    for name in command:
        parser = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[name]
    return parser


def test_site_before_the_command_is_the_commands_site(cli) -> None:
    """`tui-channels --site X channels list` lists X (it used to say --site is required); before a
    fleet command it is --sites (`A,B` too); two different sites, or a site before a command
    that works on none, are usage errors that say so."""
    before = cli("--demo", "--site", "demo-octopus", "channels", "list", "--json")
    assert before.code == 0, before.err
    after = cli("--demo", "channels", "list", "--site", "demo-octopus", "--json")
    assert [row["name"] for row in json.loads(before.out)] == [row["name"] for row in json.loads(after.out)]
    fleet = cli("--demo", "--site", "demo-onehub", "fleet", "list", "--json")
    assert fleet.code == 0, fleet.err
    assert {row["site"] for row in json.loads(fleet.out)} == {"demo-onehub"}
    two = cli("--demo", "--site", "demo-onehub,demo-octopus", "fleet", "list", "--json")
    assert two.code == 0, two.err
    assert {row["site"] for row in json.loads(two.out)} == {"demo-onehub", "demo-octopus"}
    both = cli("--demo", "--site", "demo-octopus", "tags", "list", "--site", "demo-newapi")
    assert both.code == 2 and "--site names two sites: demo-octopus before the command, demo-newapi after it" in both.err
    nowhere = cli("--demo", "--site", "demo-octopus", "trash", "list")
    assert nowhere.code == 2 and "trash list takes no --site" in nowhere.err
    missing = cli("--demo", "tags", "list")
    assert missing.code == 2 and "required: --site" in missing.err


def test_status_choices_are_the_same_on_every_listing(cli) -> None:
    """`fleet list --status auto_disabled` filters as `channels list --status auto_disabled` does."""

    def choices(command: list[str]) -> tuple[str, ...]:
        return next(a.choices for a in _parser_of(command)._actions if "--status" in a.option_strings)

    assert choices(["fleet", "list"]) == choices(["channels", "list"])
    assert "auto_disabled" in choices(["fleet", "list"])
    one = cli("--demo", "channels", "list", "--site", "demo-newapi", "--status", "auto_disabled", "--json")
    fleet = cli("--demo", "fleet", "list", "--sites", "demo-newapi", "--status", "auto_disabled", "--json")
    assert one.code == 0 and fleet.code == 0, (one.err, fleet.err)
    ids = [row["id"] for row in json.loads(one.out)]
    assert ids and sorted(row["id"] for row in json.loads(fleet.out)) == sorted(ids)
    assert {row["status"] for row in json.loads(fleet.out)} == {"auto_disabled"}


def test_status_takes_every_word_the_json_prints_and_the_old_spelling(cli) -> None:
    """Each status `--json` prints filters exactly its channels; `disabled` takes both kinds, and
    `auto-disabled`, the word `--status` took before, still works."""
    every = json.loads(cli("--demo", "channels", "list", "--site", "demo-newapi", "--json").out)
    by_status: dict[str, set[int]] = {}
    for row in every:
        by_status.setdefault(row["status"], set()).add(row["id"])
    assert {"enabled", "manually_disabled", "auto_disabled"} <= set(by_status)

    def listed(word: str) -> set[int]:
        result = cli("--demo", "channels", "list", "--site", "demo-newapi", "--status", word, "--json")
        assert result.code == 0, result.err
        return {row["id"] for row in json.loads(result.out)}

    for word, ids in by_status.items():
        assert listed(word) == ids, word
    assert listed("disabled") == by_status["manually_disabled"] | by_status["auto_disabled"]
    assert listed("auto-disabled") == by_status["auto_disabled"]
    assert listed("manually-disabled") == by_status["manually_disabled"]


def test_fleet_list_sorts_by_site_then_id(cli) -> None:
    for args in (("--json",), ()):
        result = cli("--demo", "fleet", "list", *args)
        assert result.code == 0, result.err
        if args:
            rows = [(row["site"], row["id"]) for row in json.loads(result.out)]
        else:
            rows = [(line.split()[0], int(line.split()[1])) for line in result.out.splitlines()[1:]]
        sites = list(dict.fromkeys(site for site, _id in rows))
        assert len(sites) > 1
        for site in sites:
            ids = [channel_id for s, channel_id in rows if s == site]
            assert ids == sorted(ids), (site, ids)
        assert sites == sorted(sites, key=str.casefold)
        assert [site for site, _id in rows] == [site for site in sites for s, _id in rows if s == site]
