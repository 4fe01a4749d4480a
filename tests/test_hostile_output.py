"""Hostile cases about output: a reader that goes away, values too long for a table.

`tui-channels … | head -1` must end quietly with the command's own exit status, for every
command; a 100 KB channel name must not pad every row of a table to 100 KB, while `--json` keeps
every value whole.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest

from tui_channels.config import AppConfig, save_config
from tui_channels.demo.faults import FaultKind
from tui_channels.demo.gateway import DemoGateway, DemoSite
from tui_channels.secret_store import env_var_name

from .ui_helpers import demo_profile

HUGE_NAME = "n" * 100_000


@pytest.fixture(scope="module")
def site(gateway: DemoGateway) -> DemoSite:
    return gateway.add_newapi("hostile-output", channels=40)


@pytest.fixture
def configured(site: DemoSite, monkeypatch: pytest.MonkeyPatch) -> DemoSite:
    monkeypatch.setenv(env_var_name(site.name), site.secret)
    save_config(AppConfig(sites=[demo_profile(site)], last_site=site.name))
    return site


def reader_gone(*argv: str) -> tuple[int, str]:
    """Run `tui-channels ARGV…` whose standard output is closed by its reader before it writes."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tui_channels", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=dict(os.environ),
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    errors = process.stderr.read().decode()
    return process.wait(timeout=120), errors


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (["channels", "list", "--site", "{site}"], 0),
        (["channels", "list", "--site", "{site}", "--json"], 0),
        (["channels", "test", "--site", "{site}", "--all", "--dry-run"], 0),
        (["channels", "test", "--site", "{site}", "--ids", "1,2,3,4,5,6"], 1),
        (["tags", "list", "--site", "{site}"], 0),
        (["sites", "list"], 0),
        (["--help"], 0),
    ],
    ids=["list", "list-json", "test-dry-run", "test-with-failures", "tags", "sites", "help"],
)
def test_a_reader_that_goes_away_ends_the_command_quietly(configured: DemoSite, argv: list[str], code: int) -> None:
    status, errors = reader_gone(*(part.format(site=configured.name) for part in argv))
    assert "Traceback" not in errors and "BrokenPipe" not in errors
    assert status == code, errors


def test_a_huge_name_is_shortened_in_the_table_and_kept_whole_in_json(
    cli: Callable[..., Any], configured: DemoSite
) -> None:
    def rename(body: dict[str, Any]) -> dict[str, Any]:
        for record in body["data"]["items"]:
            record["name"] = HUGE_NAME
        return body

    fault = configured.faults.add(FaultKind.REWRITE, "/api/channel/", method="GET", times=None, rewrite=rename)
    try:
        table = cli("channels", "list", "--site", configured.name)
        as_json = cli("channels", "list", "--site", configured.name, "--json")
    finally:
        configured.faults.remove(fault)
    assert table.code == 0 and as_json.code == 0
    assert len(table.out) < 40 * 400
    assert all(len(line) < 400 for line in table.out.splitlines())
    assert "n" * 59 + "…" in table.out and HUGE_NAME not in table.out
    assert all(channel["name"] == HUGE_NAME for channel in json.loads(as_json.out))
