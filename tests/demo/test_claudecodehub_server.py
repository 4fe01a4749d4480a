"""The emulated Claude Code Hub answers like the real server, traps included (claude-code-hub.md)."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator

import httpx
import pytest

from tui_channels.demo.gateway import DemoGateway, DemoSite

_names = itertools.count(1)


@pytest.fixture
def site(gateway: DemoGateway) -> DemoSite:
    return gateway.add_claudecodehub(f"cch-demo-{next(_names)}", channels=6)


@pytest.fixture
async def http(site: DemoSite) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {site.secret}"}
    async with httpx.AsyncClient(base_url=site.url, headers=headers) as client:
        yield client


def new_provider(gateway: DemoGateway, **fields: object) -> dict[str, object]:
    body: dict[str, object] = {"name": "demo-new", "url": f"{gateway.upstream_url}/p/openai", "key": "sk-demo-new-key-1"}
    return {**body, **fields}


async def test_every_api_answer_carries_the_version_header(http: httpx.AsyncClient) -> None:
    for path in ("/api/v1/health", "/api/v1/providers", "/api/v1/providers/999", "/api/v1/nowhere"):
        response = await http.get(path)
        assert response.headers["x-api-version"] == "1.0.0", path
    unknown = await http.get("/api/v1/nowhere")
    assert (unknown.status_code, unknown.text) == (404, "404 Not Found")


async def test_health_is_public_and_version_fails_offline(site: DemoSite) -> None:
    async with httpx.AsyncClient(base_url=site.url) as anonymous:
        assert (await anonymous.get("/api/v1/health")).json() == {"status": "ok", "apiVersion": "1.0.0"}
        version = await anonymous.get("/api/version")
        providers = await anonymous.get("/api/v1/providers")
    assert version.status_code == 500 and version.json()["current"] == "v0.9.0"
    assert providers.status_code == 401 and providers.json()["errorCode"] == "auth.missing"
    assert providers.headers["content-type"].startswith("application/problem+json")


async def test_unknown_fields_are_refused_with_a_problem(gateway: DemoGateway, http: httpx.AsyncClient) -> None:
    response = await http.post("/api/v1/providers", json=new_provider(gateway, isEnabled=True, groupTag="x"))
    problem = response.json()
    assert response.status_code == 400 and problem["errorCode"] == "request.validation_failed"
    assert problem["invalidParams"] == [
        {"path": [], "code": "unrecognized_keys", "message": 'Unrecognized keys: "isEnabled", "groupTag"'}
    ]


async def test_single_edits_check_weight_and_priority(http: httpx.AsyncClient) -> None:
    response = await http.patch("/api/v1/providers/1", json={"weight": 0, "priority": -1})
    assert response.status_code == 400
    assert {tuple(p["path"]) for p in response.json()["invalidParams"]} == {("weight",), ("priority",)}
    assert (await http.patch("/api/v1/providers/1", json={"weight": 101})).status_code == 400


async def test_the_body_parser_refuses_in_plain_text(http: httpx.AsyncClient) -> None:
    malformed = await http.post("/api/v1/providers", content=b"{not json", headers={"Content-Type": "application/json"})
    form = await http.post("/api/v1/providers", content=b"name=x")
    assert (malformed.status_code, malformed.text) == (400, "Malformed JSON in request body")
    assert (form.status_code, form.text) == (415, "Unsupported Media Type")


async def test_create_answers_201_with_the_location(gateway: DemoGateway, http: httpx.AsyncClient) -> None:
    response = await http.post("/api/v1/providers", json=new_provider(gateway, allowed_models=["gpt-4o"]))
    record = response.json()
    assert response.status_code == 201 and response.headers["location"] == f"/api/v1/providers/{record['id']}"
    assert record["maskedKey"] == "sk-d••••••ey-1" and record["weight"] == 1 and record["providerType"] == "claude"
    assert record["allowedModels"] == [{"pattern": "gpt-4o", "matchType": "exact"}]
    assert len(record["createdAt"]) == 10


async def test_hidden_types_and_auth_headers_are_refused(gateway: DemoGateway, http: httpx.AsyncClient) -> None:
    hidden = await http.post("/api/v1/providers", json=new_provider(gateway, provider_type="claude-auth"))
    header = await http.post("/api/v1/providers", json=new_provider(gateway, custom_headers={"Authorization": "x"}))
    assert hidden.status_code == 400 and hidden.json()["errorCode"] == "request.validation_failed"
    assert header.status_code == 400 and header.json() == {
        "type": "urn:claude-code-hub:problem:provider.action_failed",
        "title": "Bad request",
        "status": 400,
        "detail": "Bad request",
        "instance": "/api/v1/providers",
        "errorCode": "provider.action_failed",
    }


async def test_secret_headers_read_redacted_and_an_echo_keeps_them(site: DemoSite, http: httpx.AsyncClient) -> None:
    headers = {"X-Team": "a", "X-Upstream-Token": "tok-secret"}
    assert (await http.patch("/api/v1/providers/2", json={"custom_headers": headers})).json()["customHeaders"] == {
        "X-Team": "a",
        "X-Upstream-Token": "[REDACTED]",
    }
    echo = {"X-Team": "b", "X-Upstream-Token": "[REDACTED]"}
    assert (await http.patch("/api/v1/providers/2", json={"custom_headers": echo})).status_code == 200
    renamed = await http.patch("/api/v1/providers/2", json={"custom_headers": {"X-Other-Token": "[REDACTED]"}})
    assert renamed.status_code == 422 and renamed.json()["errorCode"] == "provider.redacted_placeholder_rejected"
    assert (await http.patch("/api/v1/providers/2", json={"key": "[REDACTED]"})).status_code == 422


async def test_delete_answers_204_with_undo_headers_and_batches_refuse_unknown_ids(http: httpx.AsyncClient) -> None:
    deleted = await http.delete("/api/v1/providers/3")
    assert deleted.status_code == 204 and deleted.headers["x-cch-undo-token"].startswith("provider_patch_undo_")
    refused = await http.post("/api/v1/providers:batchDelete", json={"providerIds": [4, 3]})
    assert refused.status_code == 404 and refused.json()["errorCode"] == "provider.not_found"
    assert (await http.get("/api/v1/providers/4")).status_code == 200


async def test_the_legacy_server_has_no_rest_api(gateway: DemoGateway) -> None:
    site = gateway.add_claudecodehub(f"cch-demo-old-{next(_names)}", generation="legacy", channels=2)
    headers = {"Authorization": f"Bearer {site.secret}"}
    async with httpx.AsyncClient(base_url=site.url, headers=headers) as client:
        health = await client.get("/api/v1/health")
        docs = await client.get("/api/actions/openapi.json")
        listed = await client.post("/api/actions/providers/getProviders", json={})
    assert health.status_code == 404 and "x-api-version" not in health.headers and "html" in health.headers["content-type"]
    assert docs.json()["openapi"] == "3.1.0"
    assert listed.json()["ok"] is True and len(listed.json()["data"]) == 2
