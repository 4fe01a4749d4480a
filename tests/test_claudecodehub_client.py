"""ClaudeCodeHubBackend against the emulated Claude Code Hub, over real HTTP."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tui_channels.backends.base import Operation
from tui_channels.backends.claudecodehub.client import ClaudeCodeHubBackend
from tui_channels.backends.http import RetryPolicy
from tui_channels.demo.claudecodehub.server import DEMO_USER_KEY
from tui_channels.demo.faults import FaultKind
from tui_channels.demo.gateway import DemoGateway, DemoSite
from tui_channels.errors import (
    AuthError,
    BadResponse,
    NotFound,
    NotSupported,
    PermissionDenied,
    RequestRejected,
    ServerError,
)
from tui_channels.models import BackendKind, ChannelSpec, ChannelStatus

PROVIDERS = "/api/v1/providers"
_names = itertools.count(1)


@pytest.fixture
def site(gateway: DemoGateway) -> DemoSite:
    return gateway.add_claudecodehub(f"cch-client-{next(_names)}", channels=10)


def make_backend(site: DemoSite, token: str | None = None) -> ClaudeCodeHubBackend:
    return ClaudeCodeHubBackend(
        site.url, admin_token=token or site.secret, retry=RetryPolicy(max_retries=1, base_delay=0.01)
    )


@pytest.fixture
async def backend(site: DemoSite) -> AsyncIterator[ClaudeCodeHubBackend]:
    client = make_backend(site)
    await client.connect()
    yield client
    await client.close()


def spec(gateway: DemoGateway, name: str, **fields: Any) -> ChannelSpec:
    defaults: dict[str, Any] = {
        "type": "openai-compatible",
        "key": "sk-cch-client-key-1",
        "base_url": f"{gateway.upstream_url}/p/openai",
    }
    return ChannelSpec(name=name, **{**defaults, **fields})


def last_body(site: DemoSite, method: str, pattern: str = f"{PROVIDERS}*") -> Any:
    return site.stats.requests(method, pattern)[-1].json()


async def test_connect_reads_the_version_from_the_failing_version_route(backend: ClaudeCodeHubBackend) -> None:
    """`/api/version` answers HTTP 500 offline, with `current` still in it."""
    caps = backend.capabilities
    assert (caps.kind, caps.flavor, caps.version) == (BackendKind.CLAUDECODEHUB, "claudecodehub", "0.9.0")
    assert caps.supports(Operation.REVEAL_KEY) and caps.supports(Operation.BATCH_DELETE)
    assert not caps.returns_keys
    assert caps.column_labels["priority"] == "Prio(low)"
    weight = caps.field("weight")
    assert weight is not None and (weight.minimum, weight.maximum) == (1, 100)
    assert [t.code for t in caps.types] == ["claude", "codex", "gemini", "openai-compatible"]


async def test_a_server_older_than_0_8_1_is_refused_with_what_to_do(gateway: DemoGateway) -> None:
    site = gateway.add_claudecodehub(f"cch-old-{next(_names)}", generation="legacy", channels=2)
    client = make_backend(site)
    with pytest.raises(NotSupported, match=r"older than v0\.8\.1.*Upgrade the server"):
        await client.connect()
    assert client.detected_label == "Claude Code Hub before v0.8.1"
    await client.close()


async def test_another_gateway_is_not_taken_for_claude_code_hub(gateway: DemoGateway) -> None:
    site = gateway.add_octopus(f"cch-not-{next(_names)}", channels=2)
    client = make_backend(site)
    with pytest.raises(NotSupported, match="no Claude Code Hub management API"):
        await client.connect()
    await client.close()


@pytest.mark.parametrize(
    ("token", "error", "text"),
    [
        ("wrong-token", AuthError, "auth.invalid"),
        (DEMO_USER_KEY, PermissionDenied, "user API key"),
    ],
)
async def test_credentials_are_checked_by_verify(site: DemoSite, token: str, error: type, text: str) -> None:
    client = make_backend(site, token)
    with pytest.raises(error, match=text):
        await client.verify()
    assert client.detected_label == "Claude Code Hub"
    await client.close()


async def test_list_maps_providers_to_channels(site: DemoSite, backend: ClaudeCodeHubBackend) -> None:
    channels = await backend.list_channels()
    assert len(channels) == 10
    for channel in channels:
        record = site.server.record(channel.id)
        assert channel.name == record["name"] and channel.base_url == record["url"]
        assert channel.key is None and "maskedKey" in channel.raw
        assert channel.status is (ChannelStatus.ENABLED if record["isEnabled"] else ChannelStatus.MANUALLY_DISABLED)
        assert channel.groups == (tuple(record["groupTag"].split(",")) if record["groupTag"] else ("default",))
        exact = [r["pattern"] for r in record["allowedModels"] or [] if r["matchType"] == "exact"]
        assert channel.models == tuple(exact)
        assert channel.type.code == record["providerType"] and channel.type.known


async def test_search_uses_the_servers_query(site: DemoSite, backend: ClaudeCodeHubBackend) -> None:
    target = (await backend.list_channels())[3]
    found = await backend.search_channels(target.name.upper())
    assert target.id in {c.id for c in found}
    assert site.stats.requests("GET", PROVIDERS)[-1].query == f"q={target.name.upper()}"


async def test_create_sends_snake_case_and_keeps_status_groups_and_ranks(
    gateway: DemoGateway, site: DemoSite, backend: ClaudeCodeHubBackend
) -> None:
    created = await backend.create_channel(
        spec(
            gateway,
            "cch-created",
            models=("gpt-4o", "o3"),
            status=ChannelStatus.MANUALLY_DISABLED,
            groups=("default", "vip"),
            priority=4,
            weight=40,
            extra={"limit_daily_usd": 12.5},
        )
    )
    body = last_body(site, "POST", PROVIDERS)
    assert body == {
        "name": "cch-created",
        "url": f"{gateway.upstream_url}/p/openai",
        "key": "sk-cch-client-key-1",
        "provider_type": "openai-compatible",
        "is_enabled": False,
        "group_tag": "default,vip",
        "allowed_models": [{"matchType": "exact", "pattern": "gpt-4o"}, {"matchType": "exact", "pattern": "o3"}],
        "priority": 4,
        "weight": 40,
        "limit_daily_usd": 12.5,
    }
    assert created.status is ChannelStatus.MANUALLY_DISABLED and created.models == ("gpt-4o", "o3")
    assert (created.priority, created.weight, created.groups) == (4, 40, ("default", "vip"))
    assert site.server.keys[created.id] == "sk-cch-client-key-1"


async def test_default_group_alone_is_sent_as_no_tag(gateway: DemoGateway, site: DemoSite, backend: ClaudeCodeHubBackend) -> None:
    created = await backend.create_channel(spec(gateway, "cch-default"))
    assert "group_tag" not in last_body(site, "POST", PROVIDERS)
    assert site.server.record(created.id)["groupTag"] is None and created.groups == ("default",)


async def test_an_edit_sends_only_the_change_and_leaves_every_other_field(
    site: DemoSite, backend: ClaudeCodeHubBackend
) -> None:
    channel = (await backend.list_channels())[0]
    before = site.server.record(channel.id)
    saved = await backend.update_channel(channel, {"weight": 77})
    assert last_body(site, "PATCH") == {"weight": 77}
    after = site.server.record(channel.id)
    assert {k for k in after if after[k] != before[k]} <= {"weight", "updatedAt"}
    assert saved.weight == 77 and site.server.keys[channel.id]


async def test_a_models_edit_keeps_the_pattern_rules(site: DemoSite, backend: ClaudeCodeHubBackend) -> None:
    channel = next(c for c in await backend.list_channels() if any(
        r["matchType"] != "exact" for r in c.raw.get("allowedModels") or []
    ))
    pattern = next(r for r in channel.raw["allowedModels"] if r["matchType"] != "exact")
    saved = await backend.update_channel(channel, {"models": ("only-this",)})
    assert site.server.record(channel.id)["allowedModels"] == [pattern, {"matchType": "exact", "pattern": "only-this"}]
    assert saved.models == ("only-this",)


async def test_emptying_the_models_allows_every_model(site: DemoSite, backend: ClaudeCodeHubBackend) -> None:
    channel = next(c for c in await backend.list_channels() if c.models and all(
        r["matchType"] == "exact" for r in c.raw["allowedModels"]
    ))
    await backend.update_channel(channel, {"models": ()})
    assert last_body(site, "PATCH") == {"allowed_models": None}


async def test_a_masked_key_is_never_sent_back(site: DemoSite, backend: ClaudeCodeHubBackend) -> None:
    """The server would store the masked text as the key (claude-code-hub.md, trap 1)."""
    channel = (await backend.list_channels())[0]
    patches = len(site.stats.requests("PATCH"))
    for masked in (channel.raw["maskedKey"], "[REDACTED]", "sk-a••••••mnop"):
        with pytest.raises(RequestRejected, match="masked form"):
            await backend.update_channel(channel, {"key": masked})
    assert len(site.stats.requests("PATCH")) == patches


async def test_the_server_stores_a_masked_key_sent_to_it(site: DemoSite) -> None:
    """Why the guard above exists: the emulation, like the server, takes the masked key."""
    masked = site.server.record(1)["maskedKey"]
    async with httpx.AsyncClient(base_url=site.url, headers={"Authorization": f"Bearer {site.secret}"}) as client:
        response = await client.patch(f"{PROVIDERS}/1", json={"key": masked})
    assert response.status_code == 200 and site.server.keys[1] == masked


async def test_a_field_the_server_lacks_is_refused_before_sending(site: DemoSite, backend: ClaudeCodeHubBackend) -> None:
    channel = (await backend.list_channels())[0]
    patches = len(site.stats.requests("PATCH"))
    with pytest.raises(RequestRejected, match="isEnabled is not a field Claude Code Hub accepts"):
        await backend.update_channel(channel, {"isEnabled": False})
    with pytest.raises(RequestRejected, match="weight"):
        await backend.update_channel(channel, {"weight": 101})
    with pytest.raises(RequestRejected, match="custom header X-Api-Key is not allowed"):
        await backend.update_channel(channel, {"custom_headers": {"X-Api-Key": "secret"}})
    assert len(site.stats.requests("PATCH")) == patches


async def test_status_changes_are_a_patch_of_is_enabled(site: DemoSite, backend: ClaudeCodeHubBackend) -> None:
    await backend.set_status(2, False)
    assert last_body(site, "PATCH") == {"is_enabled": False}
    assert site.server.record(2)["isEnabled"] is False
    await backend.update_channel((await backend.get_channel(2)), {"status": ChannelStatus.ENABLED})
    assert site.server.record(2)["isEnabled"] is True


async def test_batch_update_holds_values_to_the_single_edit_limits(site: DemoSite, backend: ClaudeCodeHubBackend) -> None:
    """The server's batch route would store weight 500 (trap 2); the client refuses it."""
    posts = len(site.stats.requests("POST", "/api/v1/providers:batchUpdate"))
    for changes in ({"weight": 500}, {"weight": 0}, {"priority": -1}):
        with pytest.raises(RequestRejected):
            await backend.update_channels([1, 2], changes)
    assert len(site.stats.requests("POST", "/api/v1/providers:batchUpdate")) == posts
    assert await backend.update_channels([1, 2, 3], {"status": False, "priority": 7, "groups": ("vip",)}) == 3
    assert last_body(site, "POST", "/api/v1/providers:batchUpdate") == {
        "providerIds": [1, 2, 3],
        "updates": {"is_enabled": False, "priority": 7, "group_tag": "vip"},
    }
    assert all(site.server.record(i)["priority"] == 7 for i in (1, 2, 3))


async def test_the_batch_route_itself_accepts_weights_out_of_range(site: DemoSite) -> None:
    body = {"providerIds": [1], "updates": {"weight": 500, "priority": -3}}
    async with httpx.AsyncClient(base_url=site.url, headers={"Authorization": f"Bearer {site.secret}"}) as client:
        response = await client.post("/api/v1/providers:batchUpdate", json=body)
    assert response.json() == {"updatedCount": 1}
    assert (site.server.record(1)["weight"], site.server.record(1)["priority"]) == (500, -3)


async def test_batch_delete_skips_providers_already_gone(site: DemoSite, backend: ClaudeCodeHubBackend) -> None:
    """The server refuses a whole batch naming an unknown id; the client retries with the rest."""
    assert await backend.delete_channels([4, 5, 404]) == 2
    assert 4 not in site.server.providers and 5 not in site.server.providers
    bodies = [r.json() for r in site.stats.requests("POST", "/api/v1/providers:batchDelete")]
    assert bodies == [{"providerIds": [4, 5, 404]}, {"providerIds": [4, 5]}]


async def test_delete_and_missing_providers(site: DemoSite, backend: ClaudeCodeHubBackend) -> None:
    await backend.delete_channel(6)
    assert 6 not in site.server.providers
    with pytest.raises(NotFound, match="does not exist"):
        await backend.delete_channel(6)
    with pytest.raises(NotFound):
        await backend.get_channel(6)


async def test_reveal_key_reads_the_stored_key(site: DemoSite, backend: ClaudeCodeHubBackend) -> None:
    assert await backend.reveal_key(3) == site.server.keys[3]


async def test_a_test_passes_or_fails_with_the_upstreams_reason(
    gateway: DemoGateway, site: DemoSite, backend: ClaudeCodeHubBackend
) -> None:
    good = await backend.create_channel(spec(gateway, "cch-test-good", type="claude", base_url=f"{gateway.upstream_url}/p/anthropic"))
    result = await backend.test_channel(good, "claude-opus-4-20250514")
    assert result.ok and result.seconds and "claude-opus-4-20250514" in result.message
    assert last_body(site, "POST", f"{PROVIDERS}/*/test") == {"model": "claude-opus-4-20250514"}
    bad = await backend.create_channel(spec(gateway, "cch-test-bad", key="sk-invalid-cch-key"))
    result = await backend.test_channel(bad)
    assert not result.ok and result.message == "auth error (HTTP 401, Incorrect API key provided.)"
    assert last_body(site, "POST", f"{PROVIDERS}/*/test") == {}


async def test_fetch_models_reveals_the_key_and_asks_with_it(
    gateway: DemoGateway, site: DemoSite, backend: ClaudeCodeHubBackend
) -> None:
    created = await backend.create_channel(
        spec(gateway, "cch-gemini", type="gemini", key="sk-gemini-cch-1", base_url=f"{gateway.upstream_url}/p/gemini")
    )
    models = await backend.fetch_models(created)
    assert models == sorted(["gemini-2.0-flash", "gemini-2.5-flash", "gemini-2.5-pro", "text-embedding-004"])
    assert site.stats.requests("GET", f"{PROVIDERS}/{created.id}/key:reveal")
    assert last_body(site, "POST", "/api/v1/providers/upstream-models:fetch") == {
        "providerUrl": f"{gateway.upstream_url}/p/gemini",
        "apiKey": "sk-gemini-cch-1",
        "providerType": "gemini",
    }


async def test_a_refused_model_fetch_says_the_server_gives_no_reason(gateway: DemoGateway, backend: ClaudeCodeHubBackend) -> None:
    with pytest.raises(RequestRejected, match="keeps the reason in its own log"):
        await backend.fetch_models_adhoc("openai-compatible", f"{gateway.upstream_url}/p/openai", "sk-invalid-x")


async def test_a_base_url_with_v1_tests_but_cannot_list_models_and_says_why(
    gateway: DemoGateway, backend: ClaudeCodeHubBackend
) -> None:
    created = await backend.create_channel(spec(gateway, "cch-v1", base_url=f"{gateway.upstream_url}/p/openai/v1"))
    assert (await backend.test_channel(created)).ok
    with pytest.raises(RequestRejected, match="ends with a version segment"):
        await backend.fetch_models(created)


async def test_groups_list_default_and_the_tags(site: DemoSite, backend: ClaudeCodeHubBackend) -> None:
    groups = await backend.list_groups()
    tags = {t for p in site.server.providers.values() for t in (p["groupTag"] or "").split(",") if t}
    assert groups[0] == "default" and set(groups[1:]) == tags - {"default"}


async def test_server_errors_and_foreign_answers_are_typed(site: DemoSite, backend: ClaudeCodeHubBackend) -> None:
    site.faults.add(FaultKind.SERVER_ERROR, PROVIDERS, times=1)
    with pytest.raises(ServerError):
        await backend.list_channels()
    site.faults.add(FaultKind.HTML, PROVIDERS, times=1)
    with pytest.raises(BadResponse, match="web page"):
        await backend.list_channels()


async def test_a_problem_that_quotes_the_token_back_never_shows_it(site: DemoSite) -> None:
    site.faults.add(FaultKind.ECHO, "/api/v1/providers/groups", times=1)
    client = make_backend(site)
    with pytest.raises(AuthError) as raised:
        await client.verify()
    assert "invalid request" in raised.value.message and site.secret not in raised.value.message
    await client.close()
