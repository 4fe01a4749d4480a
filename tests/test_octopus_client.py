"""OctopusBackend against the emulated Octopus servers, both generations, over real HTTP."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tui_channels.backends.base import FieldKind, Operation
from tui_channels.backends.http import RetryPolicy
from tui_channels.backends.octopus.client import OctopusBackend
from tui_channels.demo.gateway import DemoGateway, DemoSite
from tui_channels.demo.upstream import PROVIDERS
from tui_channels.errors import (
    AuthError,
    BadResponse,
    NotFound,
    NotSupported,
    PermissionDenied,
    RateLimited,
    RequestRejected,
    RequestTimeout,
    ServerError,
)
from tui_channels.models import BackendKind, ChannelSpec, ChannelStatus

from .backend_helpers import HUNG_SERVER_TIMEOUT

LOGIN = "/api/v1/user/login"
LIST = "/api/v1/channel/list"
_names = itertools.count(1)


@pytest.fixture(params=["current", "legacy"])
def site(request: pytest.FixtureRequest, gateway: DemoGateway) -> DemoSite:
    return gateway.add_octopus(f"octo-client-{next(_names)}", generation=request.param, channels=8)


def make_backend(site: DemoSite, **options: Any) -> OctopusBackend:
    options = {"password": site.secret, "retry": RetryPolicy(base_delay=0.01), **options}
    return OctopusBackend(site.url, username=site.username or "", **options)


@pytest.fixture
async def backend(site: DemoSite) -> AsyncIterator[OctopusBackend]:
    client = make_backend(site)
    await client.connect()
    yield client
    await client.close()


def legacy(site: DemoSite) -> bool:
    return site.flavor == "octopus-legacy"


def logins(site: DemoSite) -> int:
    return site.stats.count("POST", LOGIN)


def spec(gateway: DemoGateway, site: DemoSite, name: str, **fields: Any) -> ChannelSpec:
    defaults = {"key": "sk-client-one", "base_url": f"{gateway.upstream_url}/p/openai/v1"}
    return ChannelSpec(name=name, type=0 if legacy(site) else "openai", **{**defaults, **fields})


async def test_connect_detects_the_generation_and_describes_it(site: DemoSite, backend: OctopusBackend) -> None:
    caps = backend.capabilities
    assert (caps.kind, caps.flavor) == (BackendKind.OCTOPUS, site.flavor)
    assert caps.version == ("v0.9.28" if legacy(site) else "v0.11.0")
    assert caps.flavor_label == ("Octopus (legacy)" if legacy(site) else "Octopus")
    assert caps.field("key").kind is (FieldKind.KEY_LIST if legacy(site) else FieldKind.SECRET)
    assert caps.field("base_url").kind is (FieldKind.URL_LIST if legacy(site) else FieldKind.TEXT)
    assert (caps.field("auto_group") is not None) == legacy(site)
    assert caps.returns_keys and "group" not in caps.columns and not caps.supports(Operation.SEARCH)
    assert caps.types.get(0 if legacy(site) else "openai").name == "OpenAI Chat"


async def test_forcing_the_wrong_generation_says_which_to_choose(site: DemoSite) -> None:
    client = make_backend(site, generation="current" if legacy(site) else "legacy")
    with pytest.raises(BadResponse, match="generation to auto"):
        await client.connect()
    await client.close()


async def test_wrong_password_is_an_auth_error(site: DemoSite) -> None:
    client = make_backend(site, password="not-the-password")
    with pytest.raises(AuthError, match="username or password") as caught:
        await client.verify()
    assert "not-the-password" not in caught.value.message
    await client.close()


async def test_session_is_renewed_shortly_before_it_expires(site: DemoSite) -> None:
    client = make_backend(site, session_seconds=2)
    await client.connect()
    await asyncio.sleep(1.7)
    await client.list_channels()
    assert logins(site) == 2 and site.stats.count("GET", LIST) == 1
    await client.close()


async def test_the_session_lasts_as_asked_on_either_generation(site: DemoSite) -> None:
    """Legacy reads the login's `expire` in minutes, current in seconds: an hour is 60 or 3600."""
    client = make_backend(site, session_seconds=3600)
    await client.connect()
    login = site.stats.requests("POST", LOGIN)[-1].json()
    assert login["expire"] == (60 if legacy(site) else 3600)
    assert site.server.sessions.issued[-1] == 3600
    await client.close()


async def test_expired_and_revoked_sessions_log_in_again(site: DemoSite) -> None:
    client = make_backend(site, session_seconds=1)
    await client.connect()
    await asyncio.sleep(1.2)
    assert len(await client.list_channels()) == 8 and logins(site) == 2
    await client.close()
    client = make_backend(site)
    await client.connect()
    site.server.revoke_sessions()
    assert len(await client.list_channels()) == 8
    assert logins(site) == 4 and site.stats.count("GET", LIST) == 3
    await client.close()


async def test_a_401_after_a_fresh_login_is_an_auth_error(site: DemoSite, backend: OctopusBackend) -> None:
    site.faults.add("unauthorized", LIST, times=2)
    with pytest.raises(AuthError, match="again right after a fresh login"):
        await backend.list_channels()


async def test_list_maps_records(site: DemoSite, backend: OctopusBackend) -> None:
    progress: list[tuple[int, int | None]] = []
    channels = await backend.list_channels(on_progress=lambda n, total: progress.append((n, total)))
    assert progress == [(8, 8)] and [c.id for c in channels] == list(range(1, 9))
    for channel in channels:
        record = site.server.record(channel.id)
        assert channel.raw == record
        assert channel.status is (ChannelStatus.ENABLED if record["enabled"] else ChannelStatus.MANUALLY_DISABLED)
        assert set(channel.models) == {m for m in f"{record['model']},{record['custom_model']}".split(",") if m}
        stats = record["stats"]
        requests = stats["request_success"] + stats["request_failed"]
        assert channel.type.known and channel.response_time_ms == (stats["wait_time"] // requests or None)
        if legacy(site):
            assert channel.key == next(k["channel_key"] for k in record["keys"] if k["enabled"])
            assert channel.base_url == min(record["base_urls"], key=lambda u: u["delay"])["url"]
            keys = record["keys"]
            expected = (len(keys), sum(k["enabled"] for k in keys)) if len(keys) > 1 else (None, None)
            assert (channel.key_count, channel.enabled_key_count) == expected
        else:
            assert (channel.key, channel.base_url) == (record["key"], record["base_url"])
            assert channel.key_count is None
    found = await backend.search_channels(channels[0].name.upper())
    assert channels[0].id in [c.id for c in found] and len(found) < 8


async def test_create_and_a_duplicate_name(site: DemoSite, gateway: DemoGateway, backend: OctopusBackend) -> None:
    extra = {"custom_model": "my-tuned", "param_override": '{"top_p": 0.9}', "auto_sync": True}
    wanted = spec(gateway, site, "made-here", models=("gpt-4o", "my-tuned"), extra=extra)
    created = await backend.create_channel(wanted)
    record = site.server.record(created.id)
    assert (record["model"], record["custom_model"]) == ("gpt-4o", "my-tuned")
    assert record["param_override"] == '{"top_p": 0.9}' and record["auto_sync"] is True
    assert created.status is ChannelStatus.ENABLED and created.key == "sk-client-one"
    with pytest.raises(ServerError, match="named 'made-here' already exists; channel names must be unique"):
        await backend.create_channel(spec(gateway, site, "made-here"))


async def test_a_multi_line_key(site: DemoSite, gateway: DemoGateway, backend: OctopusBackend) -> None:
    two_keys = spec(gateway, site, "two-keys")
    two_keys.key = "sk-client-one\nsk-client-two\n"
    if not legacy(site):
        with pytest.raises(RequestRejected, match="one key per channel"):
            await backend.create_channel(two_keys)
        return
    created = await backend.create_channel(two_keys)
    stored = site.server.record(created.id)["keys"]
    assert [(k["channel_key"], k["enabled"]) for k in stored] == [("sk-client-one", True), ("sk-client-two", True)]


async def test_update_sends_only_the_changed_fields(
    site: DemoSite, gateway: DemoGateway, backend: OctopusBackend
) -> None:
    extra = {
        "custom_model": "mine",
        "match_regex": "^(gpt|o\\d|mine)",
        "custom_header": [{"header_key": "X-Team", "header_value": "a"}],
    }
    channel = await backend.create_channel(spec(gateway, site, "to-edit", models=("gpt-4o",), extra=extra))
    site.server.channels[channel.id]["param_override"] = '{"changed": "elsewhere"}'
    updated = await backend.update_channel(channel, {"name": "edited", "models": ("gpt-4o", "o3"), "proxy": True})
    record = site.server.record(channel.id)
    assert (record["name"], record["proxy"]) == ("edited", True)
    assert (record["model"], record["custom_model"]) == ("gpt-4o,o3", "")
    assert record["param_override"] == '{"changed": "elsewhere"}'
    assert record["match_regex"] == extra["match_regex"] and record["custom_header"] == extra["custom_header"]
    assert updated.name == "edited" and set(updated.models) == {"gpt-4o", "o3"}
    with pytest.raises(RequestRejected, match="not a valid regular expression"):
        await backend.update_channel(updated, {"match_regex": "(unclosed"})
    with pytest.raises(RequestRejected, match="cannot be empty"):
        await backend.update_channel(updated, {"key": "  "})


async def test_legacy_keys_change_through_keys_to_fields(gateway: DemoGateway) -> None:
    site = gateway.add_octopus(f"octo-client-{next(_names)}", generation="legacy", channels=1)
    client = make_backend(site)
    await client.connect()
    channel = await client.create_channel(spec(gateway, site, "keys", key="sk-a\nsk-b"))
    channel = await client.update_channel(channel, {"key": "sk-a2"})
    assert [k["channel_key"] for k in channel.raw["keys"]] == ["sk-a2", "sk-b"] and channel.key == "sk-a2"
    first, second = channel.raw["keys"]
    wanted = [
        {"id": second["id"], "channel_key": "sk-b", "enabled": False, "remark": "paused"},
        {"channel_key": "sk-c", "enabled": True, "remark": "new"},
    ]
    channel = await client.update_channel(channel, {"keys": wanted})
    stored = site.server.record(channel.id)["keys"]
    assert [(k["id"], k["channel_key"], k["enabled"], k["remark"]) for k in stored] == [
        (second["id"], "sk-b", False, "paused"),
        (stored[1]["id"], "sk-c", True, "new"),
    ]
    assert first["id"] not in {k["id"] for k in stored} and channel.key == "sk-c"
    moved = f"{gateway.upstream_url}/p/deepseek/v1"
    channel = await client.update_channel(channel, {"base_url": moved})
    assert site.server.record(channel.id)["base_urls"] == [{"url": moved, "delay": 0}]
    assert await client.fetch_models(channel) == list(PROVIDERS["deepseek"])
    await client.close()


async def test_enable_disable_and_delete(site: DemoSite, backend: OctopusBackend) -> None:
    await backend.set_status(3, False)
    assert site.server.record(3)["enabled"] is False
    channel = await backend.update_channel(await backend.get_channel(3), {"status": ChannelStatus.ENABLED})
    assert channel.status is ChannelStatus.ENABLED and site.server.record(3)["enabled"] is True
    await backend.delete_channel(3)
    assert await backend.delete_channels([4, 5, 3]) == 2
    assert not {3, 4, 5} & set(site.server.channels)
    with pytest.raises(NotFound, match="Channel 3 does not exist"):
        await backend.get_channel(3)


async def test_fetch_models_reaches_the_upstream(
    site: DemoSite, gateway: DemoGateway, backend: OctopusBackend
) -> None:
    channel = await backend.create_channel(spec(gateway, site, "fetcher"))
    before = gateway.upstream_stats.count("GET", "/p/openai/v1/models")
    assert await backend.fetch_models(channel) == list(PROVIDERS["openai"])
    adhoc = await backend.fetch_models_adhoc(
        2 if legacy(site) else "anthropic", f"{gateway.upstream_url}/p/anthropic/v1", "sk-adhoc"
    )
    assert adhoc == list(PROVIDERS["anthropic"])
    assert gateway.upstream_stats.count("GET", "/p/openai/v1/models") == before + 1


async def test_timed_test(site: DemoSite, gateway: DemoGateway, backend: OctopusBackend) -> None:
    good = await backend.create_channel(spec(gateway, site, "good"))
    result = await backend.test_channel(good)
    assert result.ok and result.seconds is not None and result.seconds > 0
    assert not (await backend.test_channel(good, model="no-such-model")).ok
    bad = await backend.create_channel(spec(gateway, site, "bad", key="sk-invalid-0001"))
    refused = await backend.test_channel(bad, model="gpt-4o")
    # Octopus answers a refused key with an empty list: the client reports what it saw, and the
    # connectivity service turns "0 models listed" into a failure (test_connectivity.py)
    assert refused.ok and refused.models_listed == 0


async def test_a_401_once_logs_in_again_transparently(site: DemoSite, backend: OctopusBackend) -> None:
    site.faults.add("expired", LIST)
    assert len(await backend.list_channels()) == 8 and logins(site) == 2


async def test_429_with_retry_after_is_waited_out(site: DemoSite, backend: OctopusBackend) -> None:
    site.faults.add("rate_limit", LIST, times=2, retry_after=0.05)
    assert len(await backend.list_channels()) == 8 and site.stats.count("GET", LIST) == 3


@pytest.mark.parametrize(
    ("fault", "error", "match"),
    [
        ({"kind": "server_error"}, ServerError, "internal server error.*HTTP 500"),
        ({"kind": "forbidden"}, PermissionDenied, "lacks the permission"),
        ({"kind": "html"}, BadResponse, "web page"),
        ({"kind": "malformed_json"}, BadResponse, "malformed JSON"),
        ({"kind": "rate_limit", "times": None, "retry_after": 3600}, RateLimited, "asks to wait 60 min"),
    ],
)
async def test_faults_become_typed_errors(
    site: DemoSite, backend: OctopusBackend, fault: dict[str, Any], error: type[Exception], match: str
) -> None:
    site.faults.add(path=LIST, **fault)
    with pytest.raises(error, match=match):
        await backend.list_channels()


async def test_a_hung_gateway_times_out(site: DemoSite) -> None:
    client = make_backend(site, timeout=HUNG_SERVER_TIMEOUT)
    await client.connect()
    site.faults.add("hang", LIST)
    with pytest.raises(RequestTimeout, match="did not answer"):
        await client.list_channels()
    await client.close()


async def test_a_server_without_octopus_routes_is_not_supported(gateway: DemoGateway) -> None:
    client = OctopusBackend(gateway.upstream_url, username="admin", password="x")
    with pytest.raises(NotSupported, match="not .*Octopus|Octopus server"):
        await client.connect()
    await client.close()


async def test_a_ghost_key_entry_is_not_a_key(gateway: DemoGateway) -> None:
    """Legacy Octopus stores key entries without a key; they must not make a channel multi-key."""
    from tui_channels.services.channel_form import ChannelForm, FormMode

    site = gateway.add_octopus(f"octo-ghost-{next(_names)}", generation="legacy", channels=0)
    client = make_backend(site)
    await client.connect()
    wanted = spec(gateway, site, "ghostly")
    wanted.extra["keys"] = [
        {"enabled": True, "channel_key": "sk-real-0001", "remark": ""},
        {"enabled": True, "channel_key": "", "remark": "left empty in the web UI"},
    ]
    created = await client.create_channel(wanted)
    assert [k["channel_key"] for k in site.server.record(created.id)["keys"]] == ["sk-real-0001", ""]
    channel = await client.get_channel(created.id)
    assert channel.key_count is None and not channel.is_multi_key and channel.key == "sk-real-0001"
    form = ChannelForm(client.capabilities, FormMode.EDIT, channel)
    assert [e.stored for e in form.initial["key"]] == ["sk-real-0001"]
    await client.close()


async def test_an_upstream_that_is_down_is_not_blamed_on_the_gateway(
    site: DemoSite, gateway: DemoGateway, backend: OctopusBackend
) -> None:
    dead = "http://127.0.0.1:9/v1"
    channel = await backend.create_channel(spec(gateway, site, "down", base_url=dead))
    with pytest.raises(ServerError) as caught:
        await backend.fetch_models(channel)
    assert caught.value.title == "Upstream failed"
    assert caught.value.message.startswith("The upstream failed while Octopus at ")
    assert f'Get "{dead}/models"' in caught.value.message
    assert "Check the channel's base URL and key, and that the upstream is up." in caught.value.message
    assert "gateway's log" not in caught.value.message
