"""The embedded demo gateway: emulated New API / One API / Veloera / Octopus / AxonHub / Claude Code Hub /
One Hub / Done Hub servers on 127.0.0.1.

Every emulated server is a real uvicorn server on its own random free port, all of them served by
one asyncio loop in a background thread, plus one fake upstream provider (`/v1/models`,
`/v1/chat/completions`; served by aiohttp's low-level server, see `demo.upstream`) that the emulated
servers reach when they fetch models or test a channel.
It backs `--demo`, the tests, the screenshots and the benchmarks.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Awaitable, Callable, Coroutine
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, Protocol

import uvicorn
from aiohttp import web

from ..models import BackendKind
from .faults import FaultInjector, FaultMiddleware, RequestStats

NEWAPI_FLAVORS = ("newapi", "newapi-legacy", "oneapi", "veloera")
OCTOPUS_GENERATIONS = ("current", "legacy")
AXONHUB_GENERATIONS = ("current", "older")
CLAUDECODEHUB_GENERATIONS = ("current", "legacy")
ONEHUB_FLAVORS = ("onehub", "donehub")
EMULATED_FLAVORS = (
    *NEWAPI_FLAVORS,
    *(f"octopus-{generation}" for generation in OCTOPUS_GENERATIONS),
    *(f"axonhub-{generation}" for generation in AXONHUB_GENERATIONS),
    "claudecodehub",
    *ONEHUB_FLAVORS,
)
"""Every server the demo emulates (the current generation of each family that has several), by the
name `DemoSite.flavor` gives it; `add_flavor` also takes `claudecodehub-legacy`."""


class EmulatedServer(Protocol):
    """What every emulated server module builds: an ASGI app and its error envelope."""

    app: Any

    def error_body(self, status: int, message: str) -> dict[str, Any]: ...

    def channel_ids(self) -> list[int]:
        """The ids of the stored channels, for tests to compare a listing with."""
        ...


@dataclass
class DemoSite:
    """One emulated gateway, with what a client needs to log in and what a test needs to poke it."""

    name: str
    kind: BackendKind
    flavor: str
    url: str
    secret: str
    user_id: int | None
    username: str | None
    faults: FaultInjector
    stats: RequestStats
    server: Any
    email: str | None = None


SERVER_STOP_WAIT = 5.0
"""Seconds a stopping gateway gives its servers to finish their shutdown before closing their sockets."""


UPSTREAM_STOP_WAIT = 0.05
"""Seconds the fake upstream gives a request in flight when it stops (one a test holds never ends
by itself); then it is cancelled with what else still runs."""


class _PromptServer(uvicorn.Server):
    """A uvicorn server that stops as soon as it is asked, not on its next 0.1 s tick, and without
    the 0.1 s grace for open connections when none is open: tests start and stop hundreds of demo
    gateways, and each stop used to idle for up to 0.2 s per server."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._asked_to_stop = asyncio.Event()

    def ask_to_stop(self) -> None:
        """Call in the server's loop."""
        self.should_exit = True
        self._asked_to_stop.set()

    async def main_loop(self) -> None:
        # on_tick(0) refreshes the Date header and says whether to exit; once a second is enough
        while not await self.on_tick(0):
            with suppress(TimeoutError):
                await asyncio.wait_for(self._asked_to_stop.wait(), 1.0)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self.server_state.connections or self.server_state.tasks:
            await super().shutdown(sockets)
            return
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()


class DemoGateway:
    """Starts and stops the emulated servers; usable as a context manager."""

    def __init__(
        self,
        *,
        upstream_delay: float = 0.0,
        port_base: int | None = None,
        upstream_url: str | None = None,
        log_requests: bool = True,
    ) -> None:
        """`port_base` pins the ports (upstream first, then each site in order) for screenshots
        and snapshot tests, whose pictures show site URLs; by default every server gets a free one.
        `upstream_url` points the sites at a fake upstream served elsewhere (another process,
        `demo.serve`) instead of starting one here. `log_requests` False keeps every server's
        request counts but no log of the requests and answers (`RequestStats.log`, `.answers`).
        """
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run_loop, name="demo-gateway", daemon=True)
        self._servers: list[_PromptServer] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._sockets: list[socket.socket] = []
        self._plain_servers: list[tuple[asyncio.Server, web.Server]] = []
        self._started = False
        self.sites: dict[str, DemoSite] = {}
        self.upstream_stats = RequestStats()
        self.upstream: Any = None
        self.upstream_url = upstream_url or ""
        self._upstream_delay = upstream_delay
        self._log_requests = log_requests
        self._next_port = port_base

    def __enter__(self) -> DemoGateway:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run_loop(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()

    def _call(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=30)

    def start(self) -> DemoGateway:
        """Start the loop thread and the fake upstream provider (unless it is served elsewhere)."""
        if self._started:
            return self
        from .upstream import build_upstream

        self._thread.start()
        self._started = True
        if self.upstream_url:
            return self
        self.upstream = build_upstream(delay=self._upstream_delay, stats=self.upstream_stats, log=self._log_requests)
        port = self._serve_upstream(self.upstream.handle)
        self.upstream_url = f"http://127.0.0.1:{port}"
        return self

    def stop(self) -> None:
        if not self._started:
            return
        self._call(self._wait_stopped())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._started = False

    async def _wait_stopped(self) -> None:
        """Let each server finish its shutdown, then close every listening socket whatever happened.

        A server still shutting down when the wait ends (a loaded machine) used to leave its socket
        listening, and the next gateway on the same fixed port failed to start.
        """
        for uv in self._servers:
            uv.ask_to_stop()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=SERVER_STOP_WAIT)
        for uv in self._servers:
            for server in getattr(uv, "servers", []):
                server.close()
        for listening, handler in self._plain_servers:
            listening.close()
            await handler.shutdown(UPSTREAM_STOP_WAIT)
        for sock in self._sockets:
            sock.close()
        # what is still running (an upstream request held by a test, a server's background run)
        # is cancelled and let end, not left to be destroyed pending when the loop stops
        leftover = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in leftover:
            task.cancel()
        if leftover:
            await asyncio.wait(leftover, timeout=SERVER_STOP_WAIT)

    def _listen(self) -> tuple[socket.socket, int]:
        """A bound socket on 127.0.0.1 (the next pinned port, or a free one) and its port."""
        # IPPROTO_TCP, not 0: asyncio only turns Nagle off (TCP_NODELAY) on sockets that say they are
        # TCP, and without it every answer waits ~40 ms for the client's delayed ACK.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self._next_port or 0))
        if self._next_port:
            self._next_port += 1
        self._sockets.append(sock)
        return sock, sock.getsockname()[1]

    def _serve_upstream(self, handle: Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]) -> int:
        """Serve the fake upstream's `handle` with aiohttp's low-level server (see `demo.upstream`)."""
        sock, port = self._listen()

        async def launch() -> None:
            handler = web.Server(handle, access_log=None)
            listening = await self._loop.create_server(handler, sock=sock)
            self._plain_servers.append((listening, handler))

        self._call(launch())
        return port

    def _serve(self, server: EmulatedServer, faults: FaultInjector, stats: RequestStats) -> int:
        app = FaultMiddleware(
            server.app, faults=faults, stats=stats, error_body=server.error_body, log=self._log_requests
        )
        sock, port = self._listen()
        config = uvicorn.Config(
            app,
            proxy_headers=False,
            lifespan="off",
            log_level="critical",
            access_log=False,
            timeout_graceful_shutdown=1,
            timeout_keep_alive=30,
        )
        uv = _PromptServer(config)
        self._servers.append(uv)

        async def launch() -> None:
            task = self._loop.create_task(uv.serve(sockets=[sock]))
            self._tasks.append(task)
            while not uv.started:
                if task.done():
                    task.result()
                    raise RuntimeError(f"the demo server on port {port} stopped before it started")
                await asyncio.sleep(0.005)

        self._call(launch())
        return port

    def add_newapi(
        self, name: str, *, flavor: str = "newapi", channels: int = 40, seed: int = 1, **options: Any
    ) -> DemoSite:
        """Add an emulated New API-family server (`newapi`, `newapi-legacy`, `oneapi`, `veloera`)."""
        if flavor not in NEWAPI_FLAVORS:
            raise ValueError(f"unknown New API flavor {flavor!r}; choose one of {', '.join(NEWAPI_FLAVORS)}")
        from .newapi.server import build_newapi_server

        self.start()
        server = build_newapi_server(
            flavor, upstream_url=self.upstream_url, channels=channels, seed=seed, **options
        )
        return self._add_site(name, BackendKind.NEWAPI, flavor, server, server.access_token, server.user_id, None)

    def add_octopus(
        self, name: str, *, generation: str = "current", channels: int = 20, seed: int = 2, **options: Any
    ) -> DemoSite:
        """Add an emulated Octopus server of the `current` or `legacy` generation."""
        if generation not in OCTOPUS_GENERATIONS:
            raise ValueError(f"unknown Octopus generation {generation!r}; choose current or legacy")
        from .octopus.server import build_octopus_server

        self.start()
        server = build_octopus_server(
            generation, upstream_url=self.upstream_url, channels=channels, seed=seed, **options
        )
        return self._add_site(
            name, BackendKind.OCTOPUS, f"octopus-{generation}", server, server.password, None, server.username
        )

    def add_axonhub(
        self, name: str, *, generation: str = "current", channels: int = 20, seed: int = 3
    ) -> DemoSite:
        """Add an emulated AxonHub: `current` (v0.9.38) or `older` (v0.1.1, fewer features)."""
        if generation not in AXONHUB_GENERATIONS:
            raise ValueError(f"unknown AxonHub generation {generation!r}; choose current or older")
        from .axonhub.server import build_axonhub_server

        self.start()
        server = build_axonhub_server(generation, upstream_url=self.upstream_url, channels=channels, seed=seed)
        site = self._add_site(name, BackendKind.AXONHUB, f"axonhub-{generation}", server, server.password, None, None)
        site.email = server.email
        return site

    def add_claudecodehub(
        self, name: str, *, generation: str = "current", channels: int = 12, seed: int = 3, **options: Any
    ) -> DemoSite:
        """Add an emulated Claude Code Hub: `current` (the REST API, v0.9) or `legacy` (before v0.8.1)."""
        if generation not in CLAUDECODEHUB_GENERATIONS:
            raise ValueError(f"unknown Claude Code Hub generation {generation!r}; choose current or legacy")
        from .claudecodehub.server import build_claudecodehub_server

        self.start()
        server = build_claudecodehub_server(
            generation, upstream_url=self.upstream_url, channels=channels, seed=seed, **options
        )
        flavor = "claudecodehub" if generation == "current" else "claudecodehub-legacy"
        return self._add_site(name, BackendKind.CLAUDECODEHUB, flavor, server, server.admin_token, None, None)

    def add_onehub(
        self, name: str, *, flavor: str = "onehub", channels: int = 20, seed: int = 5, **options: Any
    ) -> DemoSite:
        """Add an emulated One Hub (`onehub`, v0.14) or Done Hub (`donehub`, v1.23)."""
        if flavor not in ONEHUB_FLAVORS:
            raise ValueError(f"unknown One Hub flavor {flavor!r}; choose onehub or donehub")
        from .onehub.server import build_onehub_server

        self.start()
        server = build_onehub_server(flavor, upstream_url=self.upstream_url, channels=channels, seed=seed, **options)
        return self._add_site(name, BackendKind.ONEHUB, flavor, server, server.access_token, None, None)

    def add_flavor(self, name: str, flavor: str, *, channels: int = 20, **options: Any) -> DemoSite:
        """Add an emulated server of any flavor in `EMULATED_FLAVORS` (or `claudecodehub-legacy`)."""
        if flavor.startswith("octopus-"):
            return self.add_octopus(name, generation=flavor.removeprefix("octopus-"), channels=channels, **options)
        if flavor.startswith("axonhub-"):
            return self.add_axonhub(name, generation=flavor.removeprefix("axonhub-"), channels=channels, **options)
        if flavor in ("claudecodehub", "claudecodehub-legacy"):
            generation = "legacy" if flavor.endswith("-legacy") else "current"
            return self.add_claudecodehub(name, generation=generation, channels=channels, **options)
        if flavor in NEWAPI_FLAVORS:
            return self.add_newapi(name, flavor=flavor, channels=channels, **options)
        if flavor in ONEHUB_FLAVORS:
            return self.add_onehub(name, flavor=flavor, channels=channels, **options)
        raise ValueError(f"unknown emulated flavor {flavor!r}; choose one of {', '.join(EMULATED_FLAVORS)}")

    def _add_site(
        self,
        name: str,
        kind: BackendKind,
        flavor: str,
        server: Any,
        secret: str,
        user_id: int | None,
        username: str | None,
    ) -> DemoSite:
        faults, stats = FaultInjector(), RequestStats()
        port = self._serve(server, faults, stats)
        site = DemoSite(
            name=name,
            kind=kind,
            flavor=flavor,
            url=f"http://127.0.0.1:{port}",
            secret=secret,
            user_id=user_id,
            username=username,
            faults=faults,
            stats=stats,
            server=server,
        )
        self.sites[name] = site
        return site

