"""The emulated New API-family server of the demo gateway: `newapi`, `newapi-legacy`, `oneapi`, `veloera`.

It follows ../shared/api/newapi.md: each flavor has its own route table, auth contract, error
envelopes, pagination and channel shape. Routing mimics gin: static segments win over `:id` (so a
one-segment GET a flavor lacks lands on `GET /:id` and its `strconv.Atoi` error, as on the real
server), a missing route under `/api` or `/v1` is a 404 with an OpenAI-style error object, a path
that only lacks (or has an extra) trailing slash is redirected (301 for GET, 307 otherwise), and
any other path gets the web UI's page. The rate limiter (`ratelimit.py`) limits the `/api` routes
per client IP as the real servers' in-memory (or Redis) limiter does, answering 429 with an empty
body.
"""

from __future__ import annotations

import random
import string
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.types import Receive, Scope, Send

from .channels import PRIVILEGE_MESSAGE, ChannelApi, reply
from .checks import CheckApi
from .probe import Upstream
from ..answer import answer
from ..upstream import PROVIDERS
from .ratelimit import RateLimiter
from .store import FLAVORS, ChannelTable, Flavor, plain, seed_rows
from .tokens import TokenApi
from .upstream_updates import UpstreamUpdateApi, seed_watch

Handler = Callable[[Request, str], Awaitable[Response]]

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})
"""The methods the server takes at all (another is a 405 before any routing)."""

PUBLIC, USER, ADMIN, SENSITIVE, ROOT = "public", "user", "admin", "sensitive", "root"
ROLES = {"common": 1, "admin": 10, "root": 100}

_ALL = frozenset(FLAVORS)
_NEWAPI = _ALL - {"oneapi"}
_CURRENT = frozenset({"newapi"})

ROUTES: tuple[tuple[str, str, str, str, frozenset[str]], ...] = (
    ("GET", "status", "status", PUBLIC, _ALL),
    ("GET", "group/", "groups", ADMIN, _ALL),
    ("GET", "channel/", "list_channels", ADMIN, _ALL),
    ("GET", "channel/search", "search", ADMIN, _ALL),
    ("GET", "channel/models", "models", ADMIN, _ALL),
    ("GET", "channel/models_enabled", "models_enabled", ADMIN, _NEWAPI),
    ("GET", "channel/ops", "ops", ADMIN, _CURRENT),
    ("GET", "channel/:id", "get_channel", ADMIN, _ALL),
    ("POST", "channel/:id/key", "channel_key", ROOT, _CURRENT),
    ("GET", "channel/test", "test_all", ADMIN, _ALL),
    ("GET", "channel/test/:id", "test_channel", ADMIN, _ALL),
    ("GET", "channel/update_balance", "update_all_balances", ADMIN, _ALL),
    ("GET", "channel/update_balance/:id", "update_balance", ADMIN, _ALL),
    ("POST", "channel/", "add_channel", SENSITIVE, _ALL),
    ("PUT", "channel/", "update_channel", ADMIN, _ALL),
    ("POST", "channel/:id/status", "set_status", ADMIN, _CURRENT),
    ("POST", "channel/status/batch", "set_status_batch", ADMIN, _CURRENT),
    ("DELETE", "channel/disabled", "delete_disabled", SENSITIVE, _ALL),
    ("POST", "channel/tag/disabled", "disable_tag", ADMIN, _NEWAPI),
    ("POST", "channel/tag/enabled", "enable_tag", ADMIN, _NEWAPI),
    ("PUT", "channel/tag", "edit_tag", ADMIN, _NEWAPI),
    ("DELETE", "channel/:id", "delete_channel", SENSITIVE, _ALL),
    ("POST", "channel/batch", "delete_batch", SENSITIVE, _NEWAPI),
    ("POST", "channel/fix", "fix_abilities", ADMIN, _NEWAPI),
    ("GET", "channel/fetch_models/:id", "fetch_models", ADMIN, _NEWAPI),
    ("POST", "channel/fetch_models", "fetch_models_adhoc", SENSITIVE, _NEWAPI),
    ("POST", "channel/batch/tag", "batch_tag", ADMIN, _NEWAPI),
    ("GET", "channel/tag/models", "tag_models", ADMIN, _CURRENT),
    ("POST", "channel/copy/:id", "copy_channel", SENSITIVE, _CURRENT),
    ("POST", "channel/multi_key/manage", "manage_multi_key", ADMIN, _CURRENT),
    ("POST", "channel/upstream_updates/apply", "apply_upstream", ADMIN, _CURRENT),
    ("POST", "channel/upstream_updates/apply_all", "apply_all_upstream", ADMIN, _CURRENT),
    ("POST", "channel/upstream_updates/detect", "detect_upstream", ADMIN, _CURRENT),
    ("POST", "channel/upstream_updates/detect_all", "detect_all_upstream", ADMIN, _CURRENT),
    ("GET", "system-task/:id", "system_task", ROOT, _CURRENT),
    ("GET", "user/self", "user_self", USER, _ALL),
    ("GET", "token/", "list_tokens", USER, _ALL),
    ("GET", "token/search", "search_tokens", USER, _ALL),
    ("GET", "token/:id", "get_token", USER, _ALL),
    ("POST", "token/:id/key", "token_key", USER, _CURRENT),
    ("POST", "token/batch/keys", "token_keys_batch", USER, _CURRENT),
)
"""(method, path under /api/, handler, permission, flavors): the §3 / §7 route tables."""

_STATUS = {
    "newapi": ("New API", "v1.0.0-rc.25"),
    "newapi-legacy": ("New API", "v0.6.3.1"),
    "veloera": ("Veloera", "v0.3.25"),
    "oneapi": ("One API", "v0.6.11-alpha.1"),
}
_HTML_INDEX = "<!doctype html><html><head><title>{}</title></head><body><div id=root></div></body></html>"


@dataclass(frozen=True, slots=True)
class _Route:
    method: str
    segments: tuple[str, ...]
    handler: Handler
    permission: str


class NewApiServer:
    """One emulated server: the ASGI app plus what the gateway and tests need to reach it."""

    def __init__(
        self,
        flavor: str,
        *,
        upstream_url: str,
        channels: int,
        seed: int,
        role: str = "root",
        rate_limit: tuple[int, float] | None = None,
        rate_limiter: str = "memory",
        upstream_timeout: float = 30.0,
        system_name: str | None = None,
        check_in_flag: bool = True,
    ) -> None:
        """`system_name` renames the site (what an operator sets in the web UI's settings);
        `check_in_flag` False gives Veloera's status no `check_in_enabled`, like releases before it."""
        if flavor not in FLAVORS:
            raise ValueError(f"unknown New API flavor {flavor!r}")
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
        self.flavor: Flavor = FLAVORS[flavor]
        self.role = ROLES[role]
        self.system_name = system_name or _STATUS[flavor][0]
        self.check_in_flag = check_in_flag
        self.user_id = 1
        self.access_token = _token(flavor, seed)
        self.table = ChannelTable(seed_rows(self.flavor, channels, seed=seed, upstream_url=upstream_url))
        self.limiter = (
            RateLimiter(*rate_limit, current=self.flavor.current, limiter=rate_limiter) if rate_limit else None
        )
        self._started = int(time.time())
        channel_api = ChannelApi(self.flavor, self.table, sensitive_write=self.role >= ROLES["root"])
        self.checks = check_api = CheckApi(self.flavor, self.table, Upstream(upstream_timeout))
        self.upstream_updates = UpstreamUpdateApi(self.flavor, self.table, Upstream(upstream_timeout))
        if self.flavor.current:
            seed_watch(list(self.table), PROVIDERS, now=self._started)
        self.tokens = TokenApi(self.flavor, seed=seed, admin_token=self.access_token, admin_role=self.role)
        apis = (self, channel_api, check_api, self.tokens, self.upstream_updates)

        def handler(name: str) -> Handler:
            return next(getattr(api, name) for api in apis if hasattr(api, name))

        self._routes: dict[tuple[str, int], list[_Route]] = {}
        """The flavor's routes by method and number of path segments (all `_match` compares)."""
        for method, path, name, permission, flavors in ROUTES:
            if flavor in flavors:
                route = _Route(method, tuple(path.split("/")), handler(name), permission)
                self._routes.setdefault((method, len(route.segments)), []).append(route)

    @property
    def store(self) -> dict[int, dict[str, Any]]:
        """The stored rows by id (real keys included); writes to them are seen by the server."""
        return self.table.rows

    def record(self, channel_id: int) -> dict[str, Any]:
        """A deep copy of one stored row, real key included."""
        return plain(self.table.rows[channel_id])

    def channel_ids(self) -> list[int]:
        return sorted(self.table.rows)

    def error_body(self, status: int, message: str) -> dict[str, Any]:
        """The flavor's own error envelope, used by the fault-injection middleware."""
        codes = {401: "AUTH_TOKEN_EXPIRED", 403: "AUTH_INSUFFICIENT_PRIVILEGE"}
        if self.flavor.current and status in codes:
            return {"success": False, "code": codes[status], "message": message}
        return {"success": False, "message": message}

    # -- routing -------------------------------------------------------------------------------

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI app: every path goes to `_dispatch`, which routes as gin does. A method no
        route has is a 405, and a handler's crash a 500 "Internal Server Error", as the Starlette
        app with one catch-all route that served it before answered; that app's layers (error and
        exception middleware, a router, a path pattern) cost a tenth of a channel test's CPU."""
        if scope["method"] not in _METHODS:
            allow = ", ".join(sorted(_METHODS))
            await PlainTextResponse("Method Not Allowed", 405, headers={"Allow": allow})(scope, receive, send)
            return
        await answer(self._dispatch, scope, receive, send)

    async def _dispatch(self, request: Request) -> Response:
        method, path = request.method, request.url.path
        if not path.startswith(("/api/", "/v1/")) and path not in ("/api", "/v1"):
            return HTMLResponse(_HTML_INDEX.format(self.system_name))
        if method == "GET" and path == "/v1/models":
            return self._relay_models(request)
        segments = tuple(path[len("/api/") :].split("/")) if path.startswith("/api/") else ()
        found = self._match(method, segments) if segments else None
        if found is None:
            return self._no_route(request, segments)
        route, arg = found
        if self.limiter is not None:
            refusal = self.limiter.check(request.client.host if request.client else "")
            if refusal is not None:
                return Response(b"", 429, headers=refusal)
        refusal = self._authorize(request, route.permission)
        if refusal is not None:
            return refusal
        return await route.handler(request, arg)

    def _match(self, method: str, segments: tuple[str, ...]) -> tuple[_Route, str] | None:
        """The route for a path, static segments beating `:id` at the first place they differ."""
        best: tuple[tuple[int, ...], _Route, str] | None = None
        for route in self._routes.get((method, len(segments)), ()):
            score, arg = [], ""
            for pattern, segment in zip(route.segments, segments):
                if pattern.startswith(":") and segment:
                    score.append(0)
                    arg = segment
                elif pattern == segment:
                    score.append(1)
                else:
                    break
            else:
                if best is None or tuple(score) > best[0]:
                    best = (tuple(score), route, arg)
        return None if best is None else (best[1], best[2])

    def _no_route(self, request: Request, segments: tuple[str, ...]) -> Response:
        """Gin's trailing-slash redirect when the other spelling exists, else the 404 error object."""
        method = request.method
        toggled = segments[:-1] if segments and segments[-1] == "" else (*segments, "")
        if segments and toggled and self._match(method, toggled) is not None:
            location = "/api/" + "/".join(toggled)
            if request.url.query:
                location += f"?{request.url.query}"
            if method == "GET":
                body = f'<a href="{location}">Moved Permanently</a>.\n\n'
                return HTMLResponse(body, 301, headers={"Location": location})
            return Response(b"", 307, headers={"Location": location})
        message = f"Invalid URL ({method} {request.url.path})"
        error = {"message": message, "type": "invalid_request_error", "param": "", "code": ""}
        return JSONResponse({"error": error}, 404)

    def _relay_models(self, request: Request) -> Response:
        """The relay side's `GET /v1/models` for a user's API token: models its group can use.

        Enough of the relay for a gateway that imports this site's tokens as channels to list the
        models "with that key".
        """
        header = request.headers.get("authorization", "")
        key = header[7:].strip() if header.startswith("Bearer ") else header.strip()
        key = key[3:] if key.startswith("sk-") else key
        token = next((t for t in self.tokens.tokens.values() if t["key"] == key and t["status"] == 1), None)
        if token is None:
            error = {"message": "无效的令牌 (invalid token)", "type": "new_api_error", "code": "invalid_api_key"}
            return JSONResponse({"error": error}, 401)
        group = token.get("group") or "default"
        names = sorted(
            {
                model
                for row in self.table.rows.values()
                if row["status"] == 1 and group in row["group"].split(",")
                for model in row["models"].split(",")
                if model
            }
        )
        data = [{"id": n, "object": "model", "created": self._started, "owned_by": "new-api"} for n in names]
        return JSONResponse({"object": "list", "data": data, "success": True})

    # -- auth ----------------------------------------------------------------------------------

    def _authorize(self, request: Request, permission: str) -> Response | None:
        """The flavor's auth contract (§1a legacy, §1b current, §7 One API); None lets the request in."""
        if permission == PUBLIC:
            return None
        if permission == USER:
            return self.tokens.authorize(request)
        header = request.headers.get("authorization", "").strip()
        token = header[7:].strip() if header.startswith("Bearer ") else header
        if self.flavor.current:
            return self._authorize_current(token, permission)
        if not token:
            return reply(False, "无权进行此操作，未登录且未提供 access token", status=401)
        if token != self.access_token:
            return reply(False, "无权进行此操作，access token 无效")
        user_header = self.flavor.user_header
        if user_header is not None:
            claimed = request.headers.get(user_header, "")
            if not claimed:
                return reply(False, f"无权进行此操作，未提供 {user_header}", status=401)
            if not claimed.lstrip("+-").isdigit():
                return reply(False, f"无权进行此操作，{user_header} 格式错误", status=401)
            if int(claimed) != self.user_id:
                return reply(False, f"无权进行此操作，{user_header} 与登录用户不匹配", status=401)
        if self.role < ROLES["admin"]:
            return reply(False, "无权进行此操作，权限不足")
        return None

    def _authorize_current(self, token: str, permission: str) -> Response | None:
        if not token or token != self.access_token:
            detail = "invalid access token" if token else "no access token provided"
            return _coded(401, "AUTH_UNAUTHORIZED", f"Unauthorized: {detail}")
        if self.role < ROLES["admin"]:
            return _coded(403, "AUTH_INSUFFICIENT_PRIVILEGE", "Forbidden: insufficient privileges")
        if permission in (SENSITIVE, ROOT) and self.role < ROLES["root"]:
            return reply(False, PRIVILEGE_MESSAGE, status=403)
        return None

    # -- non-channel routes --------------------------------------------------------------------

    async def status(self, _request: Request, _arg: str) -> JSONResponse:
        version = _STATUS[self.flavor.name][1]
        data: dict[str, Any] = {
            "version": version,
            "start_time": self._started,
            "system_name": self.system_name,
            "logo": "",
            "footer_html": "",
            "server_address": "",
            "email_verification": False,
            "github_oauth": False,
            "turnstile_check": False,
            "quota_per_unit": 500000,
            "display_in_currency": True,
        }
        if self.flavor.oneapi:
            data.update(chat_link="", lark_client_id="", oidc=False, oidc_well_known="", top_up_link="")
        else:
            data.update(
                setup=True,
                enable_batch_update=True,
                demo_site_enabled=False,
                self_use_mode_enabled=False,
                enable_drawing=False,
                enable_task=True,
                chats=[{"Cherry Studio": "cherrystudio://providers/api-keys?v=1&data={cherryConfig}"}],
            )
        if self.flavor.name == "veloera":
            data.update(linuxdo_oauth=False, telegram_oauth=False, oidc_enabled=False)
            if self.check_in_flag:
                data.update(check_in_enabled=False)
        elif self.flavor.current:
            data.update(checkin_enabled=False)
        return reply(True, data=data)

    async def groups(self, _request: Request, _arg: str) -> JSONResponse:
        return reply(True, data=["default", "vip", "svip"])


def _coded(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"success": False, "code": code, "message": message}, status)


def _token(flavor: str, seed: int) -> str:
    """A stable access token: 32 alphanumerics on New API, a dash-less UUID on One API."""
    rng = random.Random(f"{flavor}-{seed}-access-token")
    alphabet = "0123456789abcdef" if flavor == "oneapi" else string.ascii_letters + string.digits
    return "".join(rng.choice(alphabet) for _ in range(32))


def build_newapi_server(
    flavor: str, *, upstream_url: str, channels: int, seed: int, **options: Any
) -> NewApiServer:
    """Build the server `DemoGateway.add_newapi()` serves; options: role, rate_limit (requests,
    window in seconds), rate_limiter (`memory` or `redis`), upstream_timeout, system_name, check_in_flag."""
    return NewApiServer(flavor, upstream_url=upstream_url, channels=channels, seed=seed, **options)
