"""The emulated New API-family servers over real HTTP: the behaviours a client relies on, per flavor."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from tui_channels.demo.gateway import DemoGateway, DemoSite
from tui_channels.demo.newapi.ratelimit import AcceptedLog

_names = itertools.count()
OLDER = ["newapi-legacy", "oneapi"]


def new_site(gateway: DemoGateway, flavor: str = "newapi", channels: int = 20, **options) -> DemoSite:
    return gateway.add_newapi(f"srv-{flavor}-{next(_names)}", flavor=flavor, channels=channels, **options)


@contextmanager
def client(site: DemoSite, **headers: str) -> Iterator[httpx.Client]:
    """A client sending what the recommended strategy sends: Bearer PAT plus the user-id headers."""
    user = str(site.user_id)
    base = {"Authorization": f"Bearer {site.secret}", "New-Api-User": user, "Veloera-User": user}
    with httpx.Client(base_url=site.url, headers={**base, **headers}, timeout=10) as http:
        yield http


# -- status and auth -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flavor", "name", "version", "has_setup"),
    [
        ("newapi", "New API", "v1.0.0-rc.25", True),
        ("newapi-legacy", "New API", "v0.6.3.1", True),
        ("veloera", "Veloera", "v0.3.25", True),
        ("oneapi", "One API", "v0.6.11-alpha.1", False),
    ],
)
def test_status_tells_the_flavors_apart(gateway, flavor, name, version, has_setup):
    site = new_site(gateway, flavor, channels=1)
    body = httpx.get(f"{site.url}/api/status").json()
    data = body["data"]
    assert body["success"] is True and data["version"] == version and data["system_name"] == name
    assert ("setup" in data and "enable_batch_update" in data and "chats" in data) is has_setup
    assert ("chat_link" in data and "lark_client_id" in data and "oidc_well_known" in data) is not has_setup


def test_current_auth_uses_401_403_codes_and_ignores_the_user_header(gateway):
    site = new_site(gateway, channels=3)
    with client(site, **{"New-Api-User": "999"}) as http:
        assert http.get("/api/channel/").json()["success"] is True
        bare = http.get("/api/channel/", headers={"Authorization": site.secret})
        assert bare.json()["success"] is True
        wrong = http.get("/api/channel/", headers={"Authorization": "Bearer nope"})
        missing = http.get("/api/channel/", headers={"Authorization": ""})
    for answer in (wrong, missing):
        assert answer.status_code == 401 and answer.json()["code"] == "AUTH_UNAUTHORIZED"
    assert "invalid access token" in wrong.json()["message"]


@pytest.mark.parametrize(("flavor", "header"), [("newapi-legacy", "New-Api-User"), ("veloera", "Veloera-User")])
def test_legacy_auth_mixes_http_200_and_401(gateway, flavor, header):
    site = new_site(gateway, flavor, channels=3)
    other = "Veloera-User" if header == "New-Api-User" else "New-Api-User"
    with client(site) as http:
        wrong_token = http.get("/api/channel/", headers={"Authorization": "nope"})
        no_user = http.get("/api/channel/", headers={header: ""})
        wrong_user = http.get("/api/channel/", headers={header: "2"})
        only_other = http.get("/api/channel/", headers={header: "", other: "1"})
        anonymous = http.get("/api/channel/", headers={"Authorization": ""})
    assert wrong_token.status_code == 200
    assert wrong_token.json() == {"success": False, "message": "无权进行此操作，access token 无效"}
    assert no_user.status_code == wrong_user.status_code == only_other.status_code == 401
    assert header in no_user.json()["message"] and "不匹配" in wrong_user.json()["message"]
    assert anonymous.status_code == 401 and "未提供 access token" in anonymous.json()["message"]


def test_one_api_needs_no_user_header_and_answers_a_bad_token_with_http_200(gateway):
    site = new_site(gateway, "oneapi", channels=3)
    with client(site) as http:
        assert http.get("/api/channel/", headers={"New-Api-User": ""}).json()["success"] is True
        bad = http.get("/api/channel/", headers={"Authorization": "Bearer nope"})
        anonymous = http.get("/api/channel/", headers={"Authorization": ""})
    assert bad.status_code == 200 and bad.json()["success"] is False and "access token 无效" in bad.json()["message"]
    assert anonymous.status_code == 401


def test_admin_without_sensitive_write_on_current(gateway):
    site = new_site(gateway, channels=5, role="admin")
    with client(site) as http:
        create = http.post("/api/channel/", json={"mode": "single", "channel": {"name": "x", "type": 1, "key": "k"}})
        delete = http.delete("/api/channel/2")
        move = http.put("/api/channel/", json={"id": 2, "base_url": "http://elsewhere"})
        unknown = http.put("/api/channel/", json={"id": 2, "mystery": 1})
        rename = http.put("/api/channel/", json={"id": 2, "name": "renamed"})
    for refused in (create, delete):
        assert refused.status_code == 403 and "code" not in refused.json()
        assert "insufficient privileges" in refused.json()["message"]
    for refused in (move, unknown):
        assert refused.status_code == 200 and refused.json()["success"] is False
    assert rename.json()["success"] is True and site.server.record(2)["name"] == "renamed"
    assert 2 in site.server.store


# -- listing -------------------------------------------------------------------------------------


def test_current_list_is_one_based_capped_and_counts_types(gateway):
    site = new_site(gateway, channels=150)
    with client(site) as http:
        first = http.get("/api/channel/", params={"p": 0, "ps": 7}).json()["data"]
        again = http.get("/api/channel/", params={"p": 1, "page_size": 7}).json()["data"]
        big = http.get("/api/channel/", params={"p": 1, "page_size": 500, "id_sort": "true"}).json()["data"]
        enabled = http.get("/api/channel/", params={"status": "enabled", "type": 1}).json()["data"]
    assert first == again and first["page"] == 1 and first["page_size"] == 7 and len(first["items"]) == 7
    assert first["total"] == 150 and sum(first["type_counts"].values()) == 150
    assert all(isinstance(k, str) for k in first["type_counts"])
    assert big["page_size"] == 100 and [i["id"] for i in big["items"]] == list(range(150, 50, -1))
    assert all(i["key"] == "" and "channel_info" in i for i in big["items"])
    assert all(i["status"] == 1 and i["type"] == 1 for i in enabled["items"])
    priorities = [i["priority"] for i in first["items"]]
    assert priorities == sorted(priorities, reverse=True)


@pytest.mark.parametrize("flavor", ["newapi-legacy", "veloera"])
def test_legacy_list_is_zero_based_and_a_bare_array(gateway, flavor):
    site = new_site(gateway, flavor, channels=25)
    with client(site) as http:
        pages = [http.get("/api/channel/", params={"p": p, "page_size": 10}).json()["data"] for p in range(4)]
        negative = http.get("/api/channel/", params={"page_size": -1}).json()["data"]
    assert [len(page) for page in pages] == [10, 10, 5, 0]
    assert sorted(i["id"] for page in pages for i in page) == list(range(1, 26))
    assert len(negative) == 10 and "channel_info" not in negative[0] and "header_override" not in negative[0]


@pytest.mark.parametrize("page_size", [None, "0", "abc"])
def test_veloera_lists_nothing_without_a_page_size(gateway, page_size):
    site = new_site(gateway, "veloera", channels=25)
    params = {"p": 0} if page_size is None else {"p": 0, "page_size": page_size}
    with client(site) as http:
        answer = http.get("/api/channel/", params=params).json()
    assert answer == {"success": True, "message": "", "data": []}


def test_veloera_turns_a_wrapped_body_into_a_blank_channel_and_keeps_a_key_whole(gateway):
    site = new_site(gateway, "veloera", channels=4)
    with client(site) as http:
        wrapped = http.post("/api/channel/", json={"mode": "single", "channel": {"name": "w", "key": "sk-w"}}).json()
        bare = http.post("/api/channel/", json={"name": "b", "type": 1, "key": "sk-a\nsk-b", "model_prefix": "az-"})
        got = http.get("/api/channel/6").json()["data"]
        listed = http.get("/api/channel/", params={"p": 0, "page_size": 10, "id_sort": "true"}).json()["data"]
    assert wrapped == {"success": True, "message": ""}
    blank = site.server.record(5)
    assert (blank["type"], blank["name"], blank["key"], blank["models"]) == (0, "", "", "")
    assert bare.json() == {"success": True, "message": ""}
    assert site.server.channel_ids() == [1, 2, 3, 4, 5, 6]
    assert got["key"] == "sk-a\nsk-b" and got["model_prefix"] == "az-"
    assert all(item["key"] == "" for item in listed)


def test_veloera_search_does_not_match_base_urls(gateway):
    site = new_site(gateway, "veloera", channels=6)
    base_url = site.server.record(2)["base_url"]
    with client(site) as http:
        found = http.get("/api/channel/search", params={"keyword": base_url}).json()["data"]
    assert found == []


def test_one_api_pages_are_fixed_at_ten_in_id_order(gateway):
    site = new_site(gateway, "oneapi", channels=23)
    with client(site) as http:
        pages = [http.get("/api/channel/", params={"p": p, "page_size": 100}).json()["data"] for p in range(3)]
    assert [[i["id"] for i in page] for page in pages] == [
        list(range(23, 13, -1)),
        list(range(13, 3, -1)),
        [3, 2, 1],
    ]
    assert {"config", "system_prompt"} <= pages[0][0].keys() and "tag" not in pages[0][0]


def test_ten_thousand_channels_page_through_in_full(gateway):
    site = new_site(gateway, channels=10_000)
    seen: list[int] = []
    with client(site) as http:
        for page in range(1, 101):
            data = http.get("/api/channel/", params={"p": page, "page_size": 100}).json()["data"]
            seen += [item["id"] for item in data["items"]]
    assert data["total"] == 10_000
    assert sorted(seen) == list(range(1, 10_001))


def test_search_matches_the_exact_key_and_the_name_in_any_case(gateway):
    site = new_site(gateway, channels=30)
    row = site.server.record(9)
    with client(site) as http:
        by_key = http.get("/api/channel/search", params={"keyword": row["key"]}).json()["data"]
        by_name = http.get("/api/channel/search", params={"keyword": row["name"].upper(), "page_size": 5}).json()
    assert [i["id"] for i in by_key["items"]] == [9] and by_key["type_counts"] == {str(row["type"]): 1}
    assert 9 in {i["id"] for i in by_name["data"]["items"]}


# -- create and update ---------------------------------------------------------------------------


def test_current_add_takes_the_wrapped_request_only(gateway):
    site = new_site(gateway, channels=4)
    channel = {"name": "made", "type": 1, "key": "sk-one\nsk-two", "models": "gpt-4o"}
    with client(site) as http:
        bare = http.post("/api/channel/", json=channel).json()
        single = http.post("/api/channel/", json={"mode": "single", "channel": {**channel, "key": "sk-solo"}}).json()
        batch = http.post("/api/channel/", json={"mode": "batch", "channel": channel}).json()
        pooled = http.post("/api/channel/", json={"mode": "multi_to_single", "channel": channel}).json()
        odd = http.post("/api/channel/", json={"mode": "nope", "channel": channel}).json()
    assert bare == {"success": False, "message": "channel cannot be empty"}
    assert single == {"success": True, "message": ""} and batch["success"] and pooled["success"]
    assert odd["message"] == "不支持的添加模式"
    assert sorted(site.server.store) == [1, 2, 3, 4, 5, 6, 7, 8]
    assert site.server.record(5)["key"] == "sk-solo" and site.server.record(5)["status"] == 1
    assert [site.server.record(i)["key"] for i in (6, 7)] == ["sk-one", "sk-two"]
    assert site.server.record(8)["channel_info"]["is_multi_key"] is True
    assert site.server.record(8)["key"] == "sk-one\nsk-two"


@pytest.mark.parametrize("flavor", OLDER)
def test_older_add_takes_a_bare_channel_one_per_key_line(gateway, flavor):
    site = new_site(gateway, flavor, channels=4)
    with client(site) as http:
        wrapped = http.post("/api/channel/", json={"mode": "single", "channel": {"name": "w", "key": "sk-w"}}).json()
        bare = http.post("/api/channel/", json={"name": "b", "type": 1, "key": "sk-a\nsk-b", "status": 2}).json()
    assert wrapped == {"success": False, "message": "empty slice found"}
    assert bare == {"success": True, "message": ""}
    assert [(site.server.record(i)["key"], site.server.record(i)["status"]) for i in (5, 6)] == [
        ("sk-a", 2),
        ("sk-b", 2),
    ]


@pytest.mark.parametrize("flavor", ["newapi", "newapi-legacy", "oneapi"])
def test_update_follows_gorm_zero_value_semantics(gateway, flavor):
    site = new_site(gateway, flavor, channels=5)
    before = site.server.record(3)
    change = {"id": 3, "key": "", "models": "", "name": "renamed", "base_url": "", "priority": 0, "weight": 9}
    with client(site) as http:
        answer = http.put("/api/channel/", json=change).json()
    after = site.server.record(3)
    assert answer["success"] is True
    assert (after["key"], after["models"]) == (before["key"], before["models"])
    assert (after["name"], after["base_url"], after["priority"], after["weight"]) == ("renamed", "", 0, 9)
    assert answer["data"]["key"] == (before["key"] if flavor == "oneapi" else "")


def test_status_changes_go_through_the_status_routes_on_current_only(gateway):
    current, legacy = new_site(gateway, channels=5), new_site(gateway, "newapi-legacy", channels=5)
    current.server.store[2]["status"] = current.server.store[3]["status"] = 1
    with client(current) as http:
        refused = http.put("/api/channel/", json={"id": 2, "status": 1, "name": "x"}).json()
        first = http.post("/api/channel/2/status", json={"status": 2}).json()
        repeat = http.post("/api/channel/2/status", json={"status": 2}).json()
        batch = http.post("/api/channel/status/batch", json={"ids": [2, 3], "status": 1}).json()
    with client(legacy) as http:
        toggled = http.put("/api/channel/", json={"id": 2, "status": 2}).json()
        missing = http.post("/api/channel/2/status", json={"status": 1})
    assert refused == {"success": False, "message": "Invalid parameters"} and current.server.record(2)["name"] != "x"
    assert (first["data"], repeat["data"], batch["data"]) == (True, False, 1)
    assert '"status_reason":"manual operation"' in current.server.record(2)["other_info"]
    assert toggled["data"]["status"] == 2 and legacy.server.record(2)["status"] == 2
    assert missing.status_code == 404


def test_missing_routes_are_404_error_objects_and_root_routes_redirect(gateway):
    site = new_site(gateway, "newapi-legacy", channels=2)
    with client(site) as http:
        copy = http.post("/api/channel/copy/1")
        unknown = http.get("/api/nothing/here")
        get_redirect = http.get("/api/channel")
        post_redirect = http.post("/api/channel", json={})
    assert copy.status_code == 404
    assert copy.json() == {
        "error": {
            "message": "Invalid URL (POST /api/channel/copy/1)",
            "type": "invalid_request_error",
            "param": "",
            "code": "",
        }
    }
    assert unknown.status_code == 404 and "error" in unknown.json()
    assert (get_redirect.status_code, post_redirect.status_code) == (301, 307)
    assert get_redirect.headers["location"] == "/api/channel/"


def test_a_method_no_route_takes_is_a_405_and_a_crash_a_500(gateway, monkeypatch):
    """What the server answers before and around its own routing: an unknown method, a HEAD (gin
    routes no HEAD to a GET route), and a handler that raises."""
    site = new_site(gateway, "newapi", channels=2)

    def crash(_request, _permission):
        raise RuntimeError("boom")

    with client(site) as http:
        trace = http.request("TRACE", "/api/status")
        head = http.head("/api/status")
        monkeypatch.setattr(site.server, "_authorize", crash)
        crashed = http.get("/api/status")
    assert trace.status_code == 405
    assert "GET" in trace.headers["allow"]
    assert head.status_code == 404
    assert (crashed.status_code, crashed.text) == (500, "Internal Server Error")


# -- upstream-facing -----------------------------------------------------------------------------


@pytest.mark.parametrize("flavor", ["newapi", "newapi-legacy", "oneapi"])
def test_channel_test_calls_the_upstream_and_reports_time(gateway, flavor):
    site = new_site(gateway, flavor, channels=3)
    site.server.store[1].update(key="sk-good-test-key", status=1)
    site.server.store[2]["key"] = "sk-invalid-test-key"
    calls = gateway.upstream_stats.count("POST", "/p/*/v1/chat/completions")
    with client(site) as http:
        good = http.get("/api/channel/test/1", params={"model": "gpt-4o"}).json()
        bad = http.get("/api/channel/test/2").json()
    assert gateway.upstream_stats.count("POST", "/p/*/v1/chat/completions") >= calls + 2
    # every build answers at the top level (current with the error code, as 2026-08 main does)
    assert good["success"] is True and isinstance(good["time"], float) and good["time"] > 0
    assert site.server.record(1)["response_time"] == round(good["time"] * 1000)
    assert bad["success"] is False and "Incorrect API key" in bad["message"] and "data" not in good
    if flavor == "oneapi":
        assert good["modelName"] == "gpt-4o" and good["message"] == "pong"
    elif flavor == "newapi":
        assert bad["error_code"] == "invalid_api_key" and bad["time"] == 0
    else:
        assert "error_code" not in bad


def test_the_enveloped_test_answer_puts_time_and_error_code_in_data(gateway):
    """The shape reported from newer builds, which the client reads as well."""
    site = new_site(gateway, channels=3)
    site.server.checks.enveloped_tests = True
    site.server.store[1].update(key="sk-good-test-key", status=1)
    site.server.store[2]["key"] = "sk-invalid-test-key"
    with client(site) as http:
        good = http.get("/api/channel/test/1", params={"model": "gpt-4o"}).json()
        bad = http.get("/api/channel/test/2").json()
    assert good["success"] is True and good["data"]["time"] > 0 and "time" not in good
    assert bad["success"] is False and bad["data"]["error_code"] == "invalid_api_key"


def test_test_all_runs_in_the_background_once_at_a_time(gateway):
    current, legacy = new_site(gateway, channels=3), new_site(gateway, "newapi-legacy", channels=3)
    for site in (current, legacy):
        site.server.store[1].update(key=f"sk-slow-{site.name}", status=1)
        gateway.upstream.key_holds[f"sk-slow-{site.name}"] = threading.Event()
    try:
        with client(current) as http:
            started = http.get("/api/channel/test").json()
            busy = http.get("/api/channel/test")
        with client(legacy) as http:
            assert http.get("/api/channel/test").json() == {"success": True, "message": ""}
            assert http.get("/api/channel/test").json() == {"success": False, "message": "测试已在运行中"}
    finally:
        for site in (current, legacy):
            gateway.upstream.key_holds.pop(f"sk-slow-{site.name}").set()
    assert started["data"]["status"] == "queued"
    assert busy.status_code == 409 and busy.json()["data"]["task_id"] == started["data"]["task_id"]


def test_fetch_models_saved_and_adhoc(gateway):
    site = new_site(gateway, channels=3)
    site.server.store[2]["key"] = "sk-fetch-two-models"
    gateway.upstream.key_models["sk-fetch-two-models"] = ["alpha", "beta"]
    with client(site) as http:
        saved = http.get("/api/channel/fetch_models/2").json()
        adhoc = http.post(
            "/api/channel/fetch_models",
            json={"type": 1, "base_url": f"{gateway.upstream_url}/p/deepseek", "key": "sk-first\nsk-second"},
        ).json()
        malformed = http.post("/api/channel/fetch_models", content=b"{not json")
        no_base = http.post("/api/channel/fetch_models", json={"type": 8, "key": "sk-x"}).json()
    assert saved["data"] == ["alpha", "beta"] and adhoc["data"] == ["deepseek-chat", "deepseek-reasoner"]
    assert malformed.status_code == 400 and malformed.json() == {"success": False, "message": "Invalid request"}
    assert no_base["success"] is False and "unsupported protocol scheme" in no_base["message"]


def test_balance_is_top_level_and_only_for_queryable_types(gateway):
    site = new_site(gateway, channels=40)
    store = site.server.store
    single = [i for i, r in store.items() if r["type"] == 1 and not r["channel_info"]["is_multi_key"]]
    openai, refused = single[0], single[1]
    store[openai]["key"], store[refused]["key"] = "sk-balance-works", "sk-invalid-balance"
    anthropic = next(i for i, r in store.items() if r["type"] == 14 and not r["channel_info"]["is_multi_key"])
    pooled = next(i for i, r in store.items() if r["channel_info"]["is_multi_key"])
    with client(site) as http:
        ok = http.get(f"/api/channel/update_balance/{openai}").json()
        upstream_refused = http.get(f"/api/channel/update_balance/{refused}").json()
        unsupported = http.get(f"/api/channel/update_balance/{anthropic}").json()
        multi = http.get(f"/api/channel/update_balance/{pooled}").json()
    assert upstream_refused == {"success": False, "message": "status code: 401"}
    assert ok["success"] is True and "data" not in ok and ok["balance"] == site.server.record(openai)["balance"]
    assert site.server.record(openai)["balance_updated_time"] >= int(time.time()) - 5
    assert unsupported["success"] is False
    assert multi == {"success": False, "message": "多密钥渠道不支持余额查询"}


# -- tags, copy, multi-key, delete ---------------------------------------------------------------


def test_tags_copy_and_multi_key_management(gateway):
    site = new_site(gateway, channels=20)
    pooled = next(i for i, r in site.server.store.items() if r["channel_info"]["is_multi_key"])
    with client(site) as http:
        assert http.post("/api/channel/batch/tag", json={"ids": [4, 5], "tag": "night"}).json()["data"] == 2
        assert http.post("/api/channel/tag/disabled", json={"tag": "night"}).json()["success"]
        copied = http.post("/api/channel/copy/4").json()
        keys = http.post("/api/channel/multi_key/manage", json={"channel_id": pooled, "action": "get_key_status"})
        single = http.post("/api/channel/multi_key/manage", json={"channel_id": 4, "action": "get_key_status"})
    assert site.server.record(5)["tag"] == "night" and site.server.record(5)["status"] == 2
    clone = site.server.record(copied["data"]["id"])
    assert clone["name"] == site.server.record(4)["name"] + "_复制" and clone["key"] == site.server.record(4)["key"]
    status = keys.json()["data"]
    first_key = site.server.record(pooled)["key"].split("\n")[0]
    assert status["keys"][0]["key_preview"] == first_key[:10] + "..."
    assert status["total"] == status["enabled_count"] + status["manual_disabled_count"] + status["auto_disabled_count"]
    assert status["auto_disabled_count"] >= 1
    assert single.json() == {"success": False, "message": "该渠道不是多密钥模式"}


def test_delete_one_batch_and_disabled(gateway):
    site = new_site(gateway, channels=20)
    with client(site) as http:
        assert http.delete("/api/channel/1").json() == {"success": True, "message": ""}
        assert http.post("/api/channel/batch", json={"ids": []}).json()["message"] == "参数错误"
        assert http.post("/api/channel/batch", json={"ids": [2, 3]}).json()["data"] == 2
        disabled = [i for i, r in site.server.store.items() if r["status"] in (2, 3)]
        assert http.delete("/api/channel/disabled").json()["data"] == len(disabled)
    assert not {1, 2, 3} & site.server.store.keys()
    assert all(r["status"] == 1 for r in site.server.store.values())


# -- rate limit ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flavor", "limiter", "retry_after"),
    [("newapi", "memory", "30"), ("newapi", "redis", None), ("newapi-legacy", "memory", ""), ("oneapi", "memory", "")],
)
def test_rate_limit_is_429_with_an_empty_body(gateway, flavor, limiter, retry_after):
    """Current builds send `Retry-After`: the whole window in memory, the seconds left with Redis."""
    site = new_site(gateway, flavor, channels=2, rate_limit=(3, 30.0), rate_limiter=limiter)
    with client(site) as http:
        answers = [http.get("/api/status") for _ in range(5)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
    assert answers[-1].content == b""
    header = answers[-1].headers.get("retry-after", "")
    if retry_after is None:
        assert 0 < int(header) <= 30
    else:
        assert header == retry_after
    assert site.server.limiter.refused == 2


def test_the_in_memory_limiter_counts_accepted_requests_in_whole_seconds():
    now = [100.9]
    log = AcceptedLog(3, 10, clock=lambda: now[0])
    assert [log.hit("ip") for _ in range(4)] == [True, True, True, False]
    now[0] = 109.9
    assert not log.hit("ip")  # refusals were not recorded, but the window (100 to 109) is still full
    now[0] = 110.0
    assert log.hit("ip")  # whole seconds: 110 - 100 >= 10, though only 9.1 s passed
    assert log.hit("other")  # each client IP has its own log


def test_relay_models_answer_a_users_token_with_its_groups_models(gateway):
    site = gateway.add_newapi("relay-models", channels=20)
    token = next(t for t in site.server.tokens.tokens.values() if t["status"] == 1)
    answer = httpx.get(f"{site.url}/v1/models", headers={"Authorization": f"Bearer sk-{token['key']}"})
    assert answer.status_code == 200
    group = token.get("group") or "default"
    expected = {
        m
        for r in site.server.store.values()
        if r["status"] == 1 and group in r["group"].split(",")
        for m in r["models"].split(",")
        if m
    }
    assert {m["id"] for m in answer.json()["data"]} == expected
    refused = httpx.get(f"{site.url}/v1/models", headers={"Authorization": "Bearer sk-nope"})
    assert refused.status_code == 401 and "error" in refused.json()
