"""Client for the user-side token API of New API-family relay sites (docs/newapi-user-tokens.md).

An account on a relay holds API tokens; this client lists them as that account (its own access
token and user id), across the three pagination styles the family has used, and turns masked
keys into full ones through the reveal routes where the server has them. It rides on the backend
layer's HTTP transport, so 429 back-off, timeouts and TLS problems behave as everywhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ...errors import (
    AuthError,
    BackendError,
    BadResponse,
    NotFound,
    NotSupported,
    PermissionDenied,
    RequestRejected,
    ServerError,
)
from ..envelope import Envelope, ErrorAnswer
from ..http import HttpTransport, RetryPolicy, host_of
from ..wire_values import as_int, as_list, as_text
from .flavors import USER_ID_HEADERS
from .wire import classify_refusal

PAGE_SIZE = 100
SMALLEST_PAGE = 10
"""No version serves fewer than 10 tokens on a full page, so a shorter page is the last one."""
REVEAL_BATCH = 100
STATUS_LABELS = {1: "enabled", 2: "disabled", 3: "expired", 4: "exhausted"}


def usable_key(stored: str) -> str:
    """The key a client sends: servers store it without `sk-` and strip one `sk-` on use."""
    stored = stored.strip()
    return stored if stored.startswith("sk-") else f"sk-{stored}"


def is_masked(value: str) -> bool:
    """Latest builds mask listed keys with `*`, which never occurs in a real key."""
    return "*" in value


@dataclass(frozen=True, slots=True)
class UserToken:
    """One API token of the account; `key` is the usable full key, None until it is known."""

    id: int
    name: str
    status: int
    group: str
    key: str | None

    @property
    def enabled(self) -> bool:
        return self.status == 1

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, f"status {self.status}")

    def __repr__(self) -> str:
        return f"UserToken(id={self.id}, name={self.name!r}, status={self.status}, key={'set' if self.key else None})"


def _token(record: Any) -> UserToken:
    token_id = as_int(record.get("id")) if isinstance(record, dict) else None
    if token_id is None:
        raise BadResponse("A token in the list had no numeric id; is this a New API-family site?")
    raw_key = as_text(record.get("key"))
    return UserToken(
        id=token_id,
        name=as_text(record.get("name")) or f"token {token_id}",
        status=as_int(record.get("status")) or 0,
        group=as_text(record.get("group")),
        key=usable_key(raw_key) if raw_key and not is_masked(raw_key) else None,
    )


def _refusal(message: str, action: str) -> BackendError:
    return classify_refusal(message, action=action)


class TokenClient:
    """A relay account's token API; use as an async context manager or call `close()`."""

    def __init__(
        self,
        base_url: str,
        *,
        access_token: str,
        user_id: int,
        verify_tls: bool = True,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {access_token}", "Accept-Language": "en"}
        headers.update({name: str(user_id) for name in USER_ID_HEADERS})
        self._http = HttpTransport(base_url, verify_tls=verify_tls, timeout=timeout, retry=retry, headers=headers)
        self._envelope = Envelope(self._http, refusal=_refusal, status_error=self._status_error)
        self._host = host_of(base_url)
        self.user_id = user_id

    async def __aenter__(self) -> TokenClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._http.aclose()

    # -- the envelope ----------------------------------------------------------------------

    async def _call(self, method: str, path: str, *, action: str, **options: Any) -> Any:
        """The answer's `data`, or the typed error the answer amounts to (`Envelope.call`)."""
        return (await self._envelope.call(method, path, action=action, **options)).get("data")

    def _status_error(self, answer: ErrorAnswer) -> BackendError:
        """The relay account's errors: its own token, a verification step the token cannot pass."""
        status, message, action = answer.status, answer.message, answer.action
        if status == 401:
            return AuthError(
                f"{self._host} refused the account's access token ({message or 'HTTP 401'}). Check the "
                "account's access token (personal settings on the relay) and its numeric user id."
            )
        if status == 403:
            return PermissionDenied(
                f"{self._host} refused to {action} ({message or 'HTTP 403'}). It may require a verification "
                "step an access token cannot pass; copy the keys from its web page and paste them instead."
            )
        if status == 404 and isinstance(answer.body, dict) and isinstance(answer.body.get("error"), dict):
            return NotSupported(f"{self._host} has no route to {action} (an older New API-family version).")
        if status >= 500:
            return ServerError(f"{self._host} failed to {action} (HTTP {status}). Try again later.")
        return RequestRejected(f"{self._host} refused to {action}: {message or f'HTTP {status}'}")

    # -- account ---------------------------------------------------------------------------

    async def whoami(self) -> str:
        """The account's user name; proves that the access token and the user id belong together."""
        data = await self._call("GET", "/api/user/self", action="read the account")
        if not isinstance(data, dict) or data.get("id") != self.user_id:
            raise AuthError(f"The access token on {self._host} does not belong to user id {self.user_id}.")
        return str(data.get("username") or data.get("display_name") or self.user_id)

    # -- listing ---------------------------------------------------------------------------

    async def list_tokens(self, on_progress: Callable[[int], None] | None = None) -> list[UserToken]:
        """Every token of the account, newest first, keys full where the server listed them."""
        first = await self._page(0)
        if isinstance(first, dict):
            records = await self._one_based(first, on_progress)
        elif isinstance(first, list):
            records = await self._zero_based(first, on_progress)
        else:
            raise BadResponse(f"The token list of {self._host} had an unexpected shape.")
        unique: dict[int, UserToken] = {}
        for record in records:
            token = _token(record)
            unique.setdefault(token.id, token)
        return list(unique.values())

    async def _page(self, page: int) -> Any:
        params = {"p": page, "page_size": PAGE_SIZE, "size": PAGE_SIZE, "user_id": self.user_id}
        return await self._call("GET", "/api/token/", params=params, action="list the account's tokens")

    async def _one_based(self, first: dict[str, Any], on_progress: Callable[[int], None] | None) -> list[Any]:
        records = as_list(first.get("items"))
        total = as_int(first.get("total")) or len(records)
        page = 1
        while len(records) < total:
            if on_progress:
                on_progress(len(records))
            page += 1
            data = await self._page(page)
            items = as_list(data.get("items")) if isinstance(data, dict) else []
            if not items:
                break
            records.extend(items)
        return records

    async def _zero_based(self, first: list[Any], on_progress: Callable[[int], None] | None) -> list[Any]:
        records, page, batch = list(first), 0, first
        seen = {as_int(r.get("id")) for r in first if isinstance(r, dict)}
        while len(batch) >= SMALLEST_PAGE:
            if on_progress:
                on_progress(len(records))
            page += 1
            batch = await self._page(page)
            if not isinstance(batch, list):
                raise BadResponse(f"The token list of {self._host} changed shape between pages.")
            fresh = [r for r in batch if isinstance(r, dict) and as_int(r.get("id")) not in seen]
            if not fresh:
                break
            seen.update(as_int(r.get("id")) for r in fresh)
            records.extend(fresh)
        return records

    # -- full keys -------------------------------------------------------------------------

    async def reveal(self, tokens: Sequence[UserToken]) -> list[UserToken]:
        """`tokens` with full keys filled in where the server reveals them; others keep `key=None`."""
        missing = [t.id for t in tokens if t.key is None]
        if not missing:
            return list(tokens)
        try:
            keys = await self._reveal_batches(missing)
        except NotSupported:
            keys = await self._reveal_one_by_one(missing)
        return [t if t.key is not None or t.id not in keys else replace(t, key=keys[t.id]) for t in tokens]

    async def _reveal_batches(self, ids: list[int]) -> dict[int, str]:
        keys: dict[int, str] = {}
        for start in range(0, len(ids), REVEAL_BATCH):
            chunk = ids[start : start + REVEAL_BATCH]
            data = await self._call(
                "POST", "/api/token/batch/keys", json_body={"ids": chunk}, action="reveal the tokens' keys"
            )
            found = data.get("keys") if isinstance(data, dict) else None
            if not isinstance(found, dict):
                raise BadResponse(f"{self._host} answered the key reveal without a `keys` map.")
            for token_id, key in found.items():
                if str(token_id).isdigit() and isinstance(key, str) and key and not is_masked(key):
                    keys[int(token_id)] = usable_key(key)
        return keys

    async def _reveal_one_by_one(self, ids: list[int]) -> dict[int, str]:
        keys: dict[int, str] = {}
        for token_id in ids:
            try:
                data = await self._call("POST", f"/api/token/{token_id}/key", action="reveal a token's key")
            except NotSupported:
                return keys
            except NotFound:
                continue
            key = data.get("key") if isinstance(data, dict) else None
            if isinstance(key, str) and key and not is_masked(key):
                keys[token_id] = usable_key(key)
        return keys
