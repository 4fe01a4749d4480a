"""User-side token routes of the emulated New API-family server (docs/newapi-user-tokens.md).

Every emulated server has a few users, each with an access token and a handful of API tokens whose
deterministic keys work against the demo's fake upstream. The routes answer per flavor: the current
flavor pages 1-based, masks listed keys and reveals them through `POST /:id/key` and
`POST /batch/keys`; the legacy flavors and Veloera page 0-based with `size` and list full keys;
One API pages by a fixed 10. Keys are stored without `sk-`, as the real servers store them.
"""

from __future__ import annotations

import random
import string
import time
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .channels import fail, read_object, reply
from .store import Flavor, go_atoi

ROOT_ROLE = 100
ITEMS_PER_PAGE = 10
BATCH_LIMIT = 100


@dataclass
class TokenUser:
    """A user of the emulated server: who the access token authenticates."""

    id: int
    username: str
    access_token: str
    role: int


def mask(key: str) -> str:
    """`MaskTokenKey`: the first and last four characters around ten asterisks."""
    if len(key) <= 4:
        return "*" * len(key)
    if len(key) <= 8:
        return f"{key[:2]}****{key[-2:]}"
    return f"{key[:4]}{'*' * 10}{key[-4:]}"


class TokenApi:
    """The users, their tokens and the `/api/token/*` and `/api/user/self` handlers."""

    def __init__(self, flavor: Flavor, *, seed: int, admin_token: str, admin_role: int) -> None:
        self.flavor = flavor
        self.users: dict[int, TokenUser] = {}
        self.tokens: dict[int, dict[str, Any]] = {}
        self.batch_reveal = True
        """False answers `POST /batch/keys` as a missing route, as builds before #4114 (2026-04) do."""
        self._rng = random.Random(f"{flavor.name}-{seed}-user-tokens")
        admin = self.add_user("admin", access_token=admin_token, role=admin_role)
        relay = self.add_user("relay-user")
        for name in ("admin-default", "admin-scripts"):
            self.add_token(admin.id, name)
        for name, status in (("default", 1), ("team-a", 1), ("backup", 1), ("retired", 2), ("spent", 4)):
            self.add_token(relay.id, name, status=status)

    # -- data ------------------------------------------------------------------------------

    def _secret(self, length: int) -> str:
        alphabet = "0123456789abcdef" if self.flavor.oneapi else string.ascii_letters + string.digits
        return "".join(self._rng.choice(alphabet) for _ in range(length))

    def add_user(self, username: str, *, access_token: str | None = None, role: int = 1) -> TokenUser:
        user = TokenUser(max(self.users, default=0) + 1, username, access_token or self._secret(32), role)
        self.users[user.id] = user
        return user

    def add_token(
        self, user_id: int, name: str, *, key: str | None = None, status: int = 1, group: str = "default"
    ) -> dict[str, Any]:
        """Give a user a token; `key` is stored as given (without `sk-`, as the servers store it)."""
        token_id = max(self.tokens, default=0) + 1
        now = int(time.time())
        row = {
            "id": token_id,
            "user_id": user_id,
            "key": key if key is not None else self._secret(48),
            "status": status,
            "name": name,
            "created_time": now,
            "accessed_time": now,
            "expired_time": -1,
            "remain_quota": 500000,
            "unlimited_quota": True,
            "model_limits_enabled": False,
            "model_limits": "",
            "allow_ips": "",
            "used_quota": 0,
            "group": group,
        }
        if not self.flavor.oneapi:
            row["cross_group_retry"] = False
        self.tokens[token_id] = row
        return row

    # -- auth ------------------------------------------------------------------------------

    def authorize(self, request: Request) -> Response | None:
        """UserAuth for any user: the access token, plus the user-id header on legacy flavors."""
        header = request.headers.get("authorization", "").strip()
        token = header[7:].strip() if header.startswith("Bearer ") else header
        user = next((u for u in self.users.values() if token and u.access_token == token), None)
        if self.flavor.current:
            if user is None:
                body = {"success": False, "code": "AUTH_UNAUTHORIZED", "message": "Unauthorized: invalid access token"}
                return JSONResponse(body, 401)
        else:
            if not token:
                return reply(False, "无权进行此操作，未登录且未提供 access token", status=401)
            if user is None:
                return reply(False, "无权进行此操作，access token 无效")
            name = self.flavor.user_header
            claimed = request.headers.get(name, "") if name else str(user.id)
            if not claimed:
                return reply(False, f"无权进行此操作，未提供 {name}", status=401)
            if claimed != str(user.id):
                return reply(False, f"无权进行此操作，{name} 与登录用户不匹配", status=401)
        request.state.token_user = user
        return None

    # -- handlers --------------------------------------------------------------------------

    async def user_self(self, request: Request, _arg: str) -> JSONResponse:
        user: TokenUser = request.state.token_user
        data = {"id": user.id, "username": user.username, "display_name": user.username, "role": user.role}
        return reply(True, data=data)

    def _sees_all(self, user: TokenUser) -> bool:
        """Latest builds let root read every user's tokens; older ones scope everyone to their own."""
        return self.flavor.current and user.role >= ROOT_ROLE

    def _visible(self, request: Request) -> list[dict[str, Any]]:
        """The caller's tokens, id desc; root on the current flavor sees all unless `user_id` is given."""
        user: TokenUser = request.state.token_user
        wanted: int | None = user.id
        if self._sees_all(user):
            wanted = go_atoi(request.query_params.get("user_id"))[0] or None
        rows = [t for t in self.tokens.values() if wanted is None or t["user_id"] == wanted]
        return sorted(rows, key=lambda t: t["id"], reverse=True)

    def _view(self, row: dict[str, Any]) -> dict[str, Any]:
        return {**row, "key": mask(row["key"])} if self.flavor.current else dict(row)

    def _paged(self, request: Request, rows: list[dict[str, Any]]) -> JSONResponse:
        query = request.query_params
        if self.flavor.current:
            page = max(go_atoi(query.get("p"))[0] or 1, 1)
            sizes = (go_atoi(query.get(k))[0] for k in ("page_size", "ps", "size"))
            size = min(next((n for n in sizes if n and n > 0), ITEMS_PER_PAGE), 100)
            items = [self._view(r) for r in rows[(page - 1) * size : page * size]]
            return reply(True, data={"items": items, "total": len(rows), "page": page, "page_size": size})
        page = max(go_atoi(query.get("p"))[0] or 0, 0)
        size = ITEMS_PER_PAGE
        if not self.flavor.oneapi:
            asked = go_atoi(query.get("size"))[0] or 0
            size = min(asked, 100) if asked > 0 else ITEMS_PER_PAGE
        return reply(True, data=[self._view(r) for r in rows[page * size : page * size + size]])

    async def list_tokens(self, request: Request, _arg: str) -> JSONResponse:
        return self._paged(request, self._visible(request))

    async def search_tokens(self, request: Request, _arg: str) -> JSONResponse:
        keyword = request.query_params.get("keyword", "").lower()
        token = request.query_params.get("token", "").removeprefix("sk-")
        rows = [
            r
            for r in self._visible(request)
            if keyword in r["name"].lower() and (not token or token == r["key"])
        ]
        if self.flavor.current:
            return self._paged(request, rows)
        return reply(True, data=[self._view(r) for r in rows])

    def _own(self, request: Request, text: str) -> tuple[dict[str, Any] | None, str]:
        token_id, error = go_atoi(text)
        if error:
            return None, error
        user: TokenUser = request.state.token_user
        row = self.tokens.get(token_id or 0)
        if row is None or (row["user_id"] != user.id and not self._sees_all(user)):
            return None, "record not found"
        return row, ""

    async def get_token(self, request: Request, arg: str) -> JSONResponse:
        row, error = self._own(request, arg)
        return reply(True, data=self._view(row)) if row is not None else fail(error)

    async def token_key(self, request: Request, arg: str) -> JSONResponse:
        row, error = self._own(request, arg)
        return reply(True, data={"key": row["key"]}) if row is not None else fail(error)

    async def token_keys_batch(self, request: Request, _arg: str) -> JSONResponse:
        if not self.batch_reveal:
            error = {"message": f"Invalid URL (POST {request.url.path})", "type": "invalid_request_error"}
            return JSONResponse({"error": error}, 404)
        body, error = await read_object(request, "controller.TokenBatch")
        ids = body.get("ids")
        if error or not isinstance(ids, list) or not ids or not all(isinstance(i, int) for i in ids):
            return fail("invalid params")
        if len(ids) > BATCH_LIMIT:
            return fail(f"too many items in one batch, at most {BATCH_LIMIT}")
        user: TokenUser = request.state.token_user
        keys = {
            str(i): self.tokens[i]["key"]
            for i in ids
            if i in self.tokens and (self.tokens[i]["user_id"] == user.id or self._sees_all(user))
        }
        return reply(True, data={"keys": keys})
