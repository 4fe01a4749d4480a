"""The demo gateway, or its fake upstream, in a process of its own.

Benchmarks measure the client; with the emulated servers in the same Python process they would
measure the servers too, on the same cores. `GatewayProcess` starts
`python -m tui_channels.demo.serve PLAN` and reads back where everything listens; the child serves
until its standard input closes (the parent exits or leaves the `with` block), then stops. It
counts requests but keeps no log of them (`DemoGateway(log_requests=False)`): nothing outside the
process could read it, and a batch of the benchmark would pay for it on every request.

A plan is JSON: `{"upstream_delay": 0.05}` serves only the fake upstream providers;
`{"upstream_url": URL, "sites": [SITE, ...]}` serves emulated sites whose channels point at that
upstream, each SITE `{"name", "kind": "newapi"|"octopus", "channels", "seed", "flavor" or
"generation", "faults": [{"kind", "path", ...}]}` (faults as `faults.Fault` takes them). The
child answers one JSON line: `{"upstream_url": URL, "sites": [{"name", "kind", "url", "secret",
"user_id", "username", "email"}, ...]}`.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

from ..models import BackendKind
from .gateway import DemoGateway, DemoSite


@dataclass(frozen=True)
class ServedSite:
    """What a client needs of a site served by another process."""

    name: str
    kind: BackendKind
    url: str
    secret: str
    user_id: int | None = None
    username: str | None = None
    email: str | None = None


def _add(gateway: DemoGateway, site: dict[str, Any]) -> DemoSite:
    kind = site["kind"]
    options = {"channels": site.get("channels", 40), "seed": site.get("seed", 1)}
    if kind == BackendKind.NEWAPI.value:
        added = gateway.add_newapi(site["name"], flavor=site.get("flavor", "newapi"), **options)
    elif kind == BackendKind.OCTOPUS.value:
        added = gateway.add_octopus(site["name"], generation=site.get("generation", "current"), **options)
    else:
        raise ValueError(f"the serving process emulates newapi and octopus sites, not {kind!r}")
    for fault in site.get("faults", ()):
        added.faults.add(**fault)
    return added


def serve(plan: dict[str, Any]) -> None:
    """Serve what `plan` asks for, announce it on standard output, and run until stdin closes."""
    gateway = DemoGateway(
        upstream_delay=plan.get("upstream_delay", 0.0), upstream_url=plan.get("upstream_url"), log_requests=False
    )
    with gateway:
        sites = [_add(gateway, site) for site in plan.get("sites", ())]
        answer = {
            "upstream_url": gateway.upstream_url,
            "sites": [
                {
                    "name": s.name,
                    "kind": s.kind.value,
                    "url": s.url,
                    "secret": s.secret,
                    "user_id": s.user_id,
                    "username": s.username,
                    "email": s.email,
                }
                for s in sites
            ],
        }
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()
        sys.stdin.read()


class GatewayProcess:
    """A child process serving a plan (see the module docstring); use it as a context manager."""

    def __init__(self, plan: dict[str, Any]) -> None:
        self.plan = plan
        self.upstream_url = ""
        self.sites: list[ServedSite] = []
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> GatewayProcess:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tui_channels.demo.serve", json.dumps(self.plan)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        stdout = self._process.stdout
        line = stdout.readline() if stdout is not None else ""
        if not line:
            self.__exit__()
            raise RuntimeError("the demo gateway process did not start; its error is above")
        answer = json.loads(line)
        self.upstream_url = answer["upstream_url"]
        self.sites = [
            ServedSite(**{**site, "kind": BackendKind(site["kind"])}) for site in answer["sites"]
        ]
        return self

    @property
    def pid(self) -> int:
        return self._process.pid if self._process is not None else 0

    def __exit__(self, *exc: object) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _fast_event_loops() -> None:
    """Serve on uvloop where it is installed (not on Windows), as uvicorn itself does: asyncio's own
    loop and socket transports are pure Python, and the benchmark counts the servers' CPU."""
    try:
        import uvloop
    except ImportError:
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


if __name__ == "__main__":
    _fast_event_loops()
    serve(json.loads(sys.argv[1]))
