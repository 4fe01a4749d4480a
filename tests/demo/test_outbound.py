"""The emulated servers' upstream client: Go-style failures, and a quiet exit of a serving process."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys

import pytest

from tui_channels.backends.registry import create_backend
from tui_channels.config import SiteProfile
from tui_channels.demo.gateway import DemoGateway
from tui_channels.demo.newapi.probe import Upstream
from tui_channels.models import BackendKind


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_a_refused_upstream_reads_as_gos_dialer_says_it() -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    reply = await Upstream(5.0).models(url, "sk-test")
    assert reply.status == 0
    assert reply.transport_error == f'Get "{url}/v1/models": dial tcp: connect: connection refused'


async def _test_one_channel_per_site(sites: list[dict[str, object]]) -> None:
    for site in sites:
        login = {"user_id": site["user_id"]} if site["user_id"] else {"username": site["username"]}
        profile = SiteProfile(name=str(site["name"]), kind=BackendKind(site["kind"]), url=str(site["url"]), **login)
        backend = create_backend(profile, str(site["secret"]))
        try:
            await backend.connect()
            channel = (await backend.list_channels())[0]
            outcome = await backend.test_channel(channel)
            assert outcome.seconds is not None, "the test reached the upstream"
        finally:
            await backend.close()


def test_a_serving_process_that_reached_its_upstream_exits_without_a_warning() -> None:
    """Each emulated server keeps a pooled session to its upstream; a process that stops serving
    (stdin closed) must not print aiohttp's "Unclosed client session" on the terminal."""
    plan = {
        "upstream_delay": 0.0,
        "sites": [
            {"name": "n", "kind": "newapi", "channels": 3, "seed": 1},
            {"name": "o", "kind": "octopus", "channels": 3, "seed": 2},
        ],
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "tui_channels.demo.serve", json.dumps(plan)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        answer = json.loads(process.stdout.readline())
        asyncio.run(_test_one_channel_per_site(answer["sites"]))
    finally:
        _, errors = process.communicate(input="", timeout=60)
    assert process.returncode == 0, errors
    assert "Unclosed" not in errors, errors


async def test_the_local_upstream_is_reached_whatever_proxy_the_environment_names(
    gateway: DemoGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Go's client never proxies 127.0.0.1, and neither do the emulated servers (a proxy at a
    closed port would fail every channel test)."""
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{_closed_port()}")
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    reply = await Upstream(5.0).models(f"{gateway.upstream_url}/p/openai", "sk-test")
    assert reply.transport_error == ""
    assert reply.status != 0
