"""Claude Code Hub's error answers as typed errors with readable, scrubbed messages.

The REST API answers errors as RFC 9457 `application/problem+json` (`{type, title, status,
detail, instance, errorCode, invalidParams?}`); the client keys on `errorCode` and `status`, never
on `detail`. Errors a business action reports (`provider.action_failed`) carry only a generic
title: the server keeps its reason in its own log. A few answers are not problem+json at all:
a malformed body gets `400 Malformed JSON in request body` and a form body `415` in plain text.
"""

from __future__ import annotations

from typing import Any

import httpx
from pydantic import ValidationError

from ...errors import (
    AuthError,
    BackendError,
    BadResponse,
    NotFound,
    PermissionDenied,
    RequestRejected,
    ServerError,
)
from ..http import host_of
from .wire import Problem

NO_REASON = "the server keeps the reason in its own log"


def brief(text: str, limit: int = 300) -> str:
    """A server's text on one line and cut short (messages are scrubbed of secrets as they are built)."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def problem_of(response: httpx.Response) -> Problem | None:
    """The problem document of an error answer, or None when the body is something else."""
    if "json" not in response.headers.get("content-type", ""):
        return None
    try:
        payload: Any = response.json()
    except ValueError:
        return None
    if not isinstance(payload, dict) or "errorCode" not in payload:
        return None
    try:
        return Problem.model_validate(payload)
    except ValidationError:
        return None


def _invalid(problem: Problem) -> str:
    """`field: message` for each refused field of a validation problem."""
    parts = []
    for item in problem.invalid_params[:4]:
        path = ".".join(str(p) for p in item.get("path") or []) or "body"
        parts.append(f"{path}: {brief(str(item.get('message') or item.get('code') or 'invalid'), 120)}")
    return "; ".join(parts)


def error_for(response: httpx.Response, action: str) -> BackendError:
    """The typed error an error answer amounts to, for a message that says what was being done."""
    status = response.status_code
    host = host_of(str(response.request.url))
    where = f"Claude Code Hub at {host}"
    problem = problem_of(response)
    code = problem.error_code if problem else ""
    said = brief(problem.detail or problem.title) if problem else brief(response.text, 120)
    if status == 401:
        return AuthError(
            f"{where} refused the admin token ({code or status}: {said}). Check the site's admin token: "
            "the server's ADMIN_TOKEN setting."
        )
    if status == 403:
        if code == "auth.api_key_admin_disabled":
            return PermissionDenied(
                f"{where} refused to {action}: the token is a user API key, and this server does not let "
                "API keys manage providers. Use the admin token (the server's ADMIN_TOKEN) instead."
            )
        return PermissionDenied(f"{where} refused to {action}: the token is not an admin's ({code or said}).")
    if status == 404 and code.endswith("not_found"):
        return NotFound(f"{where} could not {action}: the provider does not exist (any more). Reload the list.")
    if status == 400 and problem is not None and problem.invalid_params:
        return RequestRejected(f"{where} refused to {action}: {_invalid(problem)}.")
    if status == 400 and code == "provider.action_failed":
        return RequestRejected(
            f"{where} could not {action} ({NO_REASON}). Check the values sent, such as the base URL, "
            "the key and the model rules."
        )
    if status == 422:
        return RequestRejected(f"{where} refused to {action}: {said} ({code or 'HTTP 422'}).")
    if status >= 500:
        return ServerError(f"{where} failed to {action} ({code or f'HTTP {status}'}: {said}). Check its log and retry.")
    if problem is None and status in (400, 404, 405, 415):
        return BadResponse(
            f"{where} answered {action} with HTTP {status} ({said or 'no details'}) outside its API's error "
            "format. Check that the site URL points at a Claude Code Hub server."
        )
    return RequestRejected(f"{where} refused to {action}: {said} ({code or f'HTTP {status}'}).")
