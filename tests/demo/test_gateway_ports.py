"""The demo gateway's fixed ports: a stopped gateway hands them over to the next one at once."""

from __future__ import annotations

import httpx
import pytest

from tui_channels.demo import gateway as gateway_module
from tui_channels.demo.gateway import DemoGateway

pytestmark = pytest.mark.xdist_group("fixed-ports-48300")

PORT_BASE = 48300


def test_a_gateway_frees_its_fixed_ports_even_when_its_servers_are_slow_to_stop(monkeypatch) -> None:
    """Snapshot tests reuse fixed ports; a server still shutting down must not keep its socket listening."""
    monkeypatch.setattr(gateway_module, "SERVER_STOP_WAIT", 0.0)
    with DemoGateway(port_base=PORT_BASE) as first:
        first.add_newapi("first", channels=1)
    with DemoGateway(port_base=PORT_BASE) as second:
        site = second.add_newapi("second", channels=1)
        answer = httpx.get(f"{site.url}/api/status", timeout=10)
    assert answer.status_code == 200
