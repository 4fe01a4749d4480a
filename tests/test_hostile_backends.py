"""The secret rules on every backend family: an echoed secret is masked, an unsendable one refused.

One demo site per family (from the registry's kinds): a proxy that quotes the request back (its
`Authorization` header and body, where a token or a sign-in password travels) must not put the
secret on screen, and a stored secret with a line break is refused before any request, with a
message that names the real cause rather than "unreachable".
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tui_channels.demo.faults import FaultKind
from tui_channels.demo.gateway import DemoGateway, DemoSite
from tui_channels.models import BackendKind

from .conftest import CliResult
from .test_hostile_secrets import configure

STARTS: dict[BackendKind, Callable[[DemoGateway, str], DemoSite]] = {
    BackendKind.NEWAPI: lambda gw, name: gw.add_newapi(name, channels=2),
    BackendKind.OCTOPUS: lambda gw, name: gw.add_octopus(name, channels=2),
    BackendKind.AXONHUB: lambda gw, name: gw.add_axonhub(name, channels=2),
    BackendKind.CLAUDECODEHUB: lambda gw, name: gw.add_claudecodehub(name, channels=2),
    BackendKind.ONEHUB: lambda gw, name: gw.add_onehub(name, channels=2),
}
"""One demo site per backend family; a new family adds its line (the test below checks it does)."""


def one_line(result: CliResult) -> str:
    """The only line on standard error; no traceback anywhere."""
    assert "Traceback" not in result.out + result.err
    (line,) = [line for line in result.err.splitlines() if line.strip()]
    return line


def test_every_family_has_a_site_here() -> None:
    assert set(STARTS) == set(BackendKind)


@pytest.fixture(scope="module", params=list(STARTS), ids=lambda kind: kind.value)
def site(request: pytest.FixtureRequest, gateway: DemoGateway) -> DemoSite:
    return STARTS[request.param](gateway, f"hostile-backends-{request.param.value}")


def test_a_secret_a_proxy_echoes_is_masked(
    cli: Callable[..., CliResult], site: DemoSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(site, monkeypatch)
    fault = site.faults.add(FaultKind.ECHO, "*", times=None)
    try:
        result = cli("channels", "list", "--site", site.name)
    finally:
        site.faults.remove(fault)
    assert result.code == 1
    one_line(result)
    assert site.secret not in result.out + result.err


@pytest.mark.parametrize(
    ("secret", "reason"),
    [("first-half\nsecond-half-of-secret", "line break"), ("secret-with-a\x1bcontrol", "control character")],
)
def test_a_stored_secret_no_server_could_receive_is_refused_before_any_request(
    cli: Callable[..., CliResult], site: DemoSite, monkeypatch: pytest.MonkeyPatch, secret: str, reason: str
) -> None:
    configure(site, monkeypatch, secret=secret)
    site.stats.reset()
    result = cli("channels", "list", "--site", site.name)
    assert result.code == 1
    line = one_line(result)
    assert reason in line
    assert "unreachable" not in line.lower() and "check the url" not in line.lower()
    for part in secret.splitlines():
        assert part not in result.out + result.err
    assert site.stats.total == 0
