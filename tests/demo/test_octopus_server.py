"""The emulated Octopus server over plain HTTP: the wire behaviour a client relies on (octopus.md)."""

from __future__ import annotations

import base64
import itertools
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from tui_channels.demo.gateway import DemoGateway, DemoSite

LOGIN = "/api/v1/user/login"
_names = itertools.count(1)


@pytest.fixture(params=["current", "legacy"])
def site(request: pytest.FixtureRequest, gateway: DemoGateway) -> DemoSite:
    return gateway.add_octopus(f"octo-server-{next(_names)}", generation=request.param, channels=6)


@pytest.fixture
def client(site: DemoSite) -> Iterator[httpx.Client]:
    with login(site) as http:
        yield http


def is_legacy(site: DemoSite) -> bool:
    return site.flavor == "octopus-legacy"


@contextmanager
def login(site: DemoSite, **body: Any) -> Iterator[httpx.Client]:
    """A client holding the session the way each generation hands it out."""
    with httpx.Client(base_url=site.url) as http:
        answer = http.post(LOGIN, json={"username": site.username, "password": site.secret, **body})
        assert answer.status_code == 200, answer.text
        if is_legacy(site):
            http.headers["Authorization"] = f"Bearer {answer.json()['data']['token']}"
        else:
            # Hold the cookie as a header: httpx's jar rounds Max-Age down and may drop a 1 s session early.
            http.cookies.clear()
            http.headers["Cookie"] = f"auth={answer.cookies['auth']}"
        yield http


def channel_body(site: DemoSite, gateway: DemoGateway, name: str, **fields: Any) -> dict[str, Any]:
    url = f"{gateway.upstream_url}/p/openai/v1"
    if is_legacy(site):
        link = {
            "type": 0,
            "base_urls": [{"url": url, "delay": 0}],
            "keys": [{"enabled": True, "channel_key": "sk-test-one", "remark": ""}],
        }
    else:
        link = {"type": "openai", "base_url": url, "key": "sk-test-one"}
    return {"name": name, "enabled": True, **link, **fields}


def create(client: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    answer = client.post("/api/v1/channel/create", json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]


def test_login_answers_a_body_token_on_legacy_and_a_cookie_on_current(site: DemoSite) -> None:
    answer = httpx.post(f"{site.url}{LOGIN}", json={"username": site.username, "password": site.secret})
    body = answer.json()
    assert (answer.status_code, body["code"], body["message"]) == (200, 200, "success")
    if is_legacy(site):
        assert set(body["data"]) == {"token", "expire_at"} and "auth" not in answer.cookies
    else:
        assert body["data"] == "login successfully"
        assert "max-age=900" in answer.headers["set-cookie"].lower() and answer.cookies["auth"]


def test_missing_or_bad_credentials(site: DemoSite) -> None:
    wrong = httpx.post(f"{site.url}{LOGIN}", json={"username": site.username, "password": "nope"})
    assert (wrong.status_code, wrong.json()) == (401, {"code": 401, "message": "Authentication failed"})
    anonymous = httpx.get(f"{site.url}/api/v1/channel/list")
    if is_legacy(site):
        assert (anonymous.status_code, anonymous.json()["message"]) == (400, "Invalid request parameters")
        forged = httpx.get(f"{site.url}/api/v1/channel/list", headers={"Authorization": "Bearer x.y.z"})
        assert forged.status_code == 401
    else:
        assert (anonymous.status_code, anonymous.json()["message"]) == (401, "Authentication failed")
        assert "max-age=0" in anonymous.headers["set-cookie"].lower()


def test_posts_without_json_content_type_are_refused(site: DemoSite, client: httpx.Client) -> None:
    login_form = httpx.post(f"{site.url}{LOGIN}", data={"username": site.username, "password": site.secret})
    create_text = client.post("/api/v1/channel/create", content=b"{}", headers={"Content-Type": "text/plain"})
    for answer in (login_form, create_text):
        assert (answer.status_code, answer.json()["message"]) == (415, "Invalid JSON format")


def test_expire_is_in_minutes_on_legacy_and_in_seconds_on_current(site: DemoSite) -> None:
    body = {"username": site.username, "password": site.secret, "expire": 2}
    answer = httpx.post(f"{site.url}{LOGIN}", json=body)
    token = answer.json()["data"]["token"] if is_legacy(site) else answer.cookies["auth"]
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert round(claims["exp"] - claims["iat"]) == (120 if is_legacy(site) else 2)


def test_sessions_really_expire_and_can_be_revoked(site: DemoSite) -> None:
    site.server.max_session_seconds = 1  # legacy's shortest session is a minute
    with login(site, expire=1) as short:
        site.server.max_session_seconds = None
        with login(site, expire=-1) as long:
            assert short.get("/api/v1/user/status").json()["data"] == "ok"
            time.sleep(1.2)
            assert short.get("/api/v1/user/status").status_code == 401
            assert long.get("/api/v1/user/status").status_code == 200
            site.server.revoke_sessions()
            assert long.get("/api/v1/user/status").status_code == 401


def test_max_session_seconds_caps_the_requested_length(gateway: DemoGateway) -> None:
    site = gateway.add_octopus("octo-capped", generation="current", channels=1, max_session_seconds=60)
    body = {"username": site.username, "password": site.secret, "expire": -1}
    answer = httpx.post(f"{site.url}{LOGIN}", json=body)
    assert "max-age=60" in answer.headers["set-cookie"].lower()


def test_version_and_unknown_route(site: DemoSite, client: httpx.Client) -> None:
    version = client.get("/api/v1/update/now-version").json()["data"]
    assert version == ("v0.9.28" if is_legacy(site) else "v0.11.0")
    missing = client.get("/api/v1/channel/search")
    assert (missing.status_code, missing.text) == (404, "404 page not found")  # gin's own, not the envelope


GIN_404 = (404, "text/plain", None, b"404 page not found")


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/api/v1/nope", GIN_404),
        ("POST", "/api/v1/channel/list", GIN_404),  # a route answers its own method only
        ("PATCH", "/api/v1/channel/list", GIN_404),
        ("OPTIONS", "/api/v1/channel/list", GIN_404),
        ("HEAD", "/api/v1/channel/list", (404, "text/plain", None, b"")),  # gin routes no HEAD to a GET route
        ("GET", "/api/v1/channel/delete/1", GIN_404),
        ("DELETE", "/api/v1/channel/delete/1/x", GIN_404),
        ("DELETE", "/api/v1/channel/delete/", GIN_404),
        ("GET", "/api/v1/channel//list", GIN_404),
        ("GET", "/api/v1/channel/list//", GIN_404),
        ("GET", "/api", GIN_404),
        (
            "GET",
            "/api/v1/user/status/?a=b",
            (
                301,
                "text/html; charset=utf-8",
                "/api/v1/user/status?a=b",
                b'<a href="/api/v1/user/status?a=b">Moved Permanently</a>.\n\n',
            ),
        ),
        ("POST", "/api/v1/user/login/", (307, None, "/api/v1/user/login", b"")),
        ("DELETE", "/api/v1/channel/delete/1/", (307, None, "/api/v1/channel/delete/1", b"")),
        (
            "DELETE",
            "/api/v1/channel/delete/abc",
            (400, "application/json", None, b'{"code":400,"message":"Invalid parameter"}'),
        ),
    ],
)
def test_routing_answers_as_gin_does(site: DemoSite, method: str, path: str, expected: tuple[Any, ...]) -> None:
    """What both generations answer around their routes (read from v0.9.28 and v0.11.0): gin's
    plain-text 404 for a path or a method no route takes, HEAD included; its trailing-slash
    redirects (301 with its page for GET, 307 otherwise, to the path alone); nothing for a
    redirect is checked before the route exists for that method."""
    with login(site) as http:
        answer = http.request(method, path)
    assert (
        answer.status_code,
        answer.headers.get("content-type"),
        answer.headers.get("location"),
        answer.content,
    ) == expected


def test_the_web_ui_is_at_the_root(site: DemoSite) -> None:
    page = httpx.get(f"{site.url}/")
    head = httpx.head(f"{site.url}/")
    assert (page.status_code, page.headers["content-type"]) == (200, "text/html; charset=utf-8")
    assert page.text.startswith("<!doctype html>")
    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["content-length"] == page.headers["content-length"]


def test_a_handler_that_crashes_is_a_500(site: DemoSite, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(_request: Any) -> None:
        raise RuntimeError("boom")

    with login(site) as http:
        monkeypatch.setattr(site.server, "_authenticate", crash)
        crashed = http.get("/api/v1/channel/list")
    assert (crashed.status_code, crashed.text) == (500, "Internal Server Error")


def test_list_shapes_match_the_generation(site: DemoSite, client: httpx.Client) -> None:
    channels = client.get("/api/v1/channel/list").json()["data"]
    assert len(channels) == 6 and all("stats" in channel for channel in channels)
    if is_legacy(site):
        assert all(isinstance(c["type"], int) and c["keys"] and c["base_urls"] for c in channels)
    else:
        assert all(isinstance(c["type"], str) and c["key"] and c["base_url"].endswith("/v1") for c in channels)


def test_create_returns_the_channel_and_refuses_a_duplicate_name(
    site: DemoSite, gateway: DemoGateway, client: httpx.Client
) -> None:
    created = create(client, channel_body(site, gateway, "dup"))
    assert created["id"] == 7 and site.server.record(7)["name"] == "dup"
    again = client.post("/api/v1/channel/create", json=channel_body(site, gateway, "dup"))
    assert again.status_code == 500 and "UNIQUE constraint failed" in again.json()["message"]


def test_update_changes_only_the_fields_sent(site: DemoSite, gateway: DemoGateway, client: httpx.Client) -> None:
    extra = {
        "param_override": '{"temperature": 0.2}',
        "match_regex": "^gpt",
        "custom_header": [{"header_key": "X-Team", "header_value": "a"}],
    }
    created = create(client, channel_body(site, gateway, "partial", **extra))
    change = {"id": created["id"], "name": "renamed", "auto_sync": True}
    answer = client.post("/api/v1/channel/update", json=change)
    stored = site.server.record(created["id"])
    assert answer.json()["data"]["name"] == "renamed" and stored["auto_sync"] is True
    assert {name: stored[name] for name in extra} == extra
    assert client.post("/api/v1/channel/update", json={"id": 999, "name": "x"}).status_code == 404


def test_legacy_keys_change_only_through_keys_to_fields(gateway: DemoGateway) -> None:
    site = gateway.add_octopus("octo-keys", generation="legacy", channels=1)
    with login(site) as client:
        created = create(client, channel_body(site, gateway, "keys"))
        first = created["keys"][0]["id"]
        client.post("/api/v1/channel/update", json={"id": created["id"], "keys": []})
        assert len(site.server.record(created["id"])["keys"]) == 1
        change = {
            "id": created["id"],
            "keys_to_add": [{"enabled": True, "channel_key": "sk-test-two", "remark": "spare"}],
            "keys_to_update": [{"id": first, "enabled": False}],
        }
        keys = client.post("/api/v1/channel/update", json=change).json()["data"]["keys"]
        assert [(k["channel_key"], k["enabled"], k["remark"]) for k in keys] == [
            ("sk-test-one", False, ""),
            ("sk-test-two", True, "spare"),
        ]
        client.post("/api/v1/channel/update", json={"id": created["id"], "keys_to_delete": [first]})
        assert [k["channel_key"] for k in site.server.record(created["id"])["keys"]] == ["sk-test-two"]
        # as on v0.9.28: an empty key is stored (a ghost entry), an added key is stored enabled
        # whatever was asked, and ids that match no key of the channel are ignored
        odd = {
            "id": created["id"],
            "keys_to_add": [{"enabled": False, "channel_key": "", "remark": "ghost"}],
            "keys_to_update": [{"id": 999, "enabled": False}],
            "keys_to_delete": [998],
        }
        keys = client.post("/api/v1/channel/update", json=odd).json()["data"]["keys"]
        assert [(k["channel_key"], k["enabled"], k["remark"]) for k in keys] == [
            ("sk-test-two", True, "spare"),
            ("", True, "ghost"),
        ]


def test_enable_and_delete(site: DemoSite, client: httpx.Client) -> None:
    assert client.post("/api/v1/channel/enable", json={"id": 2, "enabled": False}).json() == {
        "code": 200,
        "message": "success",
    }
    assert site.server.record(2)["enabled"] is False
    assert client.delete("/api/v1/channel/delete/2").status_code == 200
    assert 2 not in site.server.channels
    assert client.delete("/api/v1/channel/delete/2").status_code == 404
    assert client.delete("/api/v1/channel/delete/two").status_code == 400


def test_fetch_model_calls_the_upstream(site: DemoSite, gateway: DemoGateway, client: httpx.Client) -> None:
    before = gateway.upstream_stats.count("GET", "/p/openai/v1/models")
    body = channel_body(site, gateway, "f", match_regex="^o\\d")
    answer = client.post("/api/v1/channel/fetch-model", json=body)
    assert answer.json()["data"] == ["o3", "o3-mini", "o4-mini"]
    assert gateway.upstream_stats.count("GET", "/p/openai/v1/models") == before + 1
    bad = channel_body(site, gateway, "f")
    if is_legacy(site):
        bad["keys"] = [
            {"enabled": False, "channel_key": "sk-test-one"},
            {"enabled": True, "channel_key": "sk-invalid"},
        ]
    else:
        bad["key"] = "sk-invalid"
    refused = client.post("/api/v1/channel/fetch-model", json=bad)
    assert (refused.status_code, refused.json()) == (200, {"code": 200, "message": "success", "data": []})


def test_fetch_model_reports_only_a_transport_failure(site: DemoSite, gateway: DemoGateway, client: httpx.Client) -> None:
    body = channel_body(site, gateway, "f")
    dead = "http://127.0.0.1:9/v1"
    if is_legacy(site):
        body["base_urls"] = [{"url": dead, "delay": 0}]
    else:
        body["base_url"] = dead
    failed = client.post("/api/v1/channel/fetch-model", json=body)
    assert failed.status_code == 500 and failed.json()["message"].startswith(f'Get "{dead}/models"')


def test_current_keeps_the_base_url_and_appends_v1_only_when_it_calls_the_upstream(gateway: DemoGateway) -> None:
    """As v0.11.0 does: `base_url` is stored as given; AxonHub's NormalizeBaseURL runs per request."""
    site = gateway.add_octopus("octo-normalise", generation="current", channels=1)
    with login(site) as client:
        body = channel_body(site, gateway, "bare", model=" gpt-4o, mine ,gpt-4o", custom_model="mine,mine")
        body["base_url"] = f"{gateway.upstream_url}/p/openai/"
        created = create(client, body)
        assert created["base_url"] == f"{gateway.upstream_url}/p/openai/"
        assert (created["model"], created["custom_model"]) == ("gpt-4o", "mine")
        assert "gpt-4o" in client.post("/api/v1/channel/fetch-model", json=body).json()["data"]

        def listed(base_url: str) -> list[str]:
            return client.post("/api/v1/channel/fetch-model", json={**body, "base_url": base_url}).json()["data"]

        # another version segment gets /v1 appended (the upstream answers 404: an empty list),
        # unless the URL ends with "#", which the server strips and keeps the rest as given
        ppinfra = f"{gateway.upstream_url}/p/ppinfra/v3/openai"
        assert listed(ppinfra) == []
        assert listed(f"{ppinfra}#") == ["deepseek/deepseek-v3", "qwen/qwen3-235b-a22b"]
        assert listed(f"{gateway.upstream_url}/p/openai/v1/") == listed(f"{gateway.upstream_url}/p/openai")


def test_sync_refreshes_auto_sync_channels_before_it_answers(site: DemoSite, client: httpx.Client) -> None:
    """The start-up sync ran when the process started; a requested one is done when it answers."""
    started = client.get("/api/v1/channel/last-sync-time").json()["data"]
    assert started.startswith("20") and started.endswith("Z")
    for record in site.server.channels.values():
        record["auto_sync"] = False
    site.server.channels[1].update(auto_sync=True, model="")
    if is_legacy(site):
        site.server.channels[1]["keys"][0].update(enabled=True, channel_key="sk-works")
    else:
        site.server.channels[1]["key"] = "sk-works"
    assert client.post("/api/v1/channel/sync").json() == {"code": 200, "message": "success"}
    assert site.server.record(1)["model"]
    assert client.get("/api/v1/channel/last-sync-time").json()["data"] > started
