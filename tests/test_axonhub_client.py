"""AxonHubBackend against the emulated AxonHub (current v0.9.38 and older v0.1.1), over real HTTP.

The traps first (axonhub.md, corrected by a real server): new channels start disabled, credentials
and settings are replaced whole by an update, status inside an update is ignored, the type is fixed
on older servers, global ids; then feature probing, sessions and failures.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tui_channels.backends.axonhub.client import AxonHubBackend
from tui_channels.backends.base import Operation
from tui_channels.backends.http import RetryPolicy
from tui_channels.backends.registry import create_backend
from tui_channels.config import SiteProfile
from tui_channels.demo.gateway import DemoGateway, DemoSite
from tui_channels.errors import (
    AuthError,
    BadResponse,
    NotFound,
    NotSupported,
    RateLimited,
    RequestRejected,
    RequestTimeout,
    ServerError,
)
from tui_channels.models import ChannelSpec, ChannelStatus

from .backend_helpers import HUNG_SERVER_TIMEOUT

SIGN_IN = "/admin/auth/signin"
GRAPHQL = "/admin/graphql"
_names = itertools.count(1)
FAST_RETRY = RetryPolicy(max_retries=1, base_delay=0.01, max_delay=0.05, max_wait=0.5)
"""Quick retries, and a 429 that persists fails after half a second, not after the default five minutes."""


def make_backend(site: DemoSite, **options: Any) -> AxonHubBackend:
    options = {"password": site.secret, "retry": FAST_RETRY, **options}
    return AxonHubBackend(site.url, email=site.email or "", **options)


@pytest.fixture
async def current(gateway: DemoGateway) -> AsyncIterator[tuple[DemoSite, AxonHubBackend]]:
    site = gateway.add_axonhub(f"axon-client-{next(_names)}", generation="current", channels=30)
    backend = make_backend(site)
    await backend.connect()
    yield site, backend
    await backend.close()


@pytest.fixture
async def older(gateway: DemoGateway) -> AsyncIterator[tuple[DemoSite, AxonHubBackend]]:
    site = gateway.add_axonhub(f"axon-older-{next(_names)}", generation="older", channels=10)
    backend = make_backend(site)
    await backend.connect()
    yield site, backend
    await backend.close()


def spec(gateway: DemoGateway, **fields: Any) -> ChannelSpec:
    values: dict[str, Any] = {
        "name": f"axon-{next(_names)}",
        "type": "openai",
        "key": "sk-axon-0123456789abcdef",
        "base_url": f"{gateway.upstream_url}/p/openai/v1",
        "models": ("gpt-4o",),
    }
    return ChannelSpec(**{**values, **fields})


def stored(site: DemoSite, channel_id: int) -> dict[str, Any]:
    return site.server.records[channel_id]


# -- the traps -------------------------------------------------------------------------------------


async def test_a_new_channel_is_enabled_although_the_server_creates_it_disabled(current, gateway):
    site, backend = current
    created = await backend.create_channel(spec(gateway, status=ChannelStatus.ENABLED))
    assert created.status is ChannelStatus.ENABLED
    assert stored(site, created.id)["status"] == "enabled"
    assert len(site.stats.requests("POST", GRAPHQL)) >= 2


async def test_a_channel_created_disabled_is_never_enabled_on_the_way(current, gateway):
    site, backend = current
    site.stats.reset()
    created = await backend.create_channel(spec(gateway, status=ChannelStatus.MANUALLY_DISABLED))
    assert stored(site, created.id)["status"] == "disabled"
    bodies = [r.json()["query"] for r in site.stats.requests("POST", GRAPHQL)]
    assert not any("updateChannelStatus" in body for body in bodies)


async def test_a_key_change_keeps_the_rest_of_the_credentials_and_the_settings(current):
    site, backend = current
    channel = (await backend.list_channels())[0]
    record = stored(site, channel.id)
    record["credentials"]["gcp"] = {"region": "us-east5", "projectID": "p-1", "jsonData": "{}"}
    record["settings"]["extraModelPrefix"] = "team"
    saved = await backend.update_channel(channel, {"key": "sk-new-aaaa1111 sk-new-bbbb2222"})
    assert saved.key == "sk-new-aaaa1111" and saved.key_count == 2
    assert stored(site, channel.id)["credentials"]["gcp"]["projectID"] == "p-1"
    assert stored(site, channel.id)["settings"]["extraModelPrefix"] == "team"


async def test_a_settings_change_is_sent_whole_and_keeps_what_was_not_touched(current):
    site, backend = current
    channel = (await backend.list_channels())[1]
    stored(site, channel.id)["settings"] = {"extraModelPrefix": "team", "modelMappings": [], "hideOriginalModels": True}
    channel = await backend.get_channel(channel.id)
    settings = dict(channel.raw["settings"])
    settings["modelMappings"] = [{"from": "gpt-4", "to": "gpt-4o"}]
    await backend.update_channel(channel, {"settings": json.dumps(settings)})
    now = stored(site, channel.id)["settings"]
    assert now["extraModelPrefix"] == "team" and now["hideOriginalModels"] is True
    assert now["modelMappings"] == [{"from": "gpt-4", "to": "gpt-4o"}]
    assert stored(site, channel.id)["credentials"]["apiKeys"]


async def test_settings_changed_on_the_server_since_loading_are_not_overwritten(current):
    site, backend = current
    channel = (await backend.list_channels())[2]
    stored(site, channel.id)["settings"]["extraModelPrefix"] = "changed-elsewhere"
    with pytest.raises(RequestRejected, match="changed on the server"):
        await backend.update_channel(channel, {"settings": json.dumps({"modelMappings": []})})
    assert stored(site, channel.id)["settings"]["extraModelPrefix"] == "changed-elsewhere"


async def test_a_settings_member_the_input_cannot_carry_is_never_silently_erased(current):
    _site, backend = current
    channel = (await backend.list_channels())[3]
    with pytest.raises(RequestRejected, match="settings.unknownThing"):
        await backend.update_channel(channel, {"settings": json.dumps({"unknownThing": "x"})})


async def test_status_in_an_edit_goes_through_the_status_mutation(current, gateway):
    site, backend = current
    created = await backend.create_channel(spec(gateway))
    saved = await backend.update_channel(
        created, {"name": f"{created.name}-b", "status": ChannelStatus.MANUALLY_DISABLED}
    )
    assert saved.status is ChannelStatus.MANUALLY_DISABLED
    assert stored(site, created.id)["status"] == "disabled"


async def test_the_type_changes_on_current_servers_and_is_refused_on_older_ones(current, older, gateway):
    site, backend = current
    created = await backend.create_channel(spec(gateway))
    assert not backend.capabilities.field("type").fixed_on_edit
    await backend.update_channel(created, {"type": "deepseek"})
    assert stored(site, created.id)["type"] == "deepseek"
    old_site, old_backend = older
    assert old_backend.capabilities.field("type").fixed_on_edit
    old = await old_backend.create_channel(spec(gateway))
    with pytest.raises(RequestRejected, match="cannot change a channel's type"):
        await old_backend.update_channel(old, {"type": "deepseek"})
    assert stored(old_site, old.id)["type"] == "openai"


async def test_ids_are_the_number_of_the_global_id_which_raw_keeps(current):
    _site, backend = current
    channel = (await backend.list_channels())[4]
    assert channel.raw["id"] == f"gid://axonhub/Channel/{channel.id}"
    assert (await backend.get_channel(channel.id)).name == channel.name
    with pytest.raises(NotFound):
        await backend.get_channel(99999)


async def test_statuses_map_to_the_neutral_ones(current):
    site, backend = current
    channels = {c.id: c for c in await backend.list_channels()}
    for channel_id, record in site.server.records.items():
        expected = {
            "enabled": ChannelStatus.ENABLED,
            "archived": ChannelStatus.MANUALLY_DISABLED,
            "disabled": ChannelStatus.AUTO_DISABLED if record.get("errorMessage") else ChannelStatus.MANUALLY_DISABLED,
        }[record["status"]]
        assert channels[channel_id].status is expected


# -- feature probing ---------------------------------------------------------------------------------


async def test_an_older_server_lacks_delete_and_model_fetch_with_the_reason(older, gateway):
    _site, backend = older
    capabilities = backend.capabilities
    for operation in (Operation.DELETE, Operation.FETCH_MODELS, Operation.FETCH_MODELS_ADHOC):
        assert not capabilities.supports(operation)
        assert "AxonHub" in capabilities.unsupported_reason(operation)
    assert not capabilities.returns_keys
    names = {spec.name for spec in capabilities.fields}
    assert not names & {"priority", "weight", "groups", "tag", "remark"}
    created = await backend.create_channel(spec(gateway))
    with pytest.raises(NotSupported, match="deleteChannel"):
        await backend.delete_channel(created.id)
    with pytest.raises(NotSupported, match="fetchModels"):
        await backend.fetch_models(created)


async def test_an_older_server_refuses_a_key_change_that_would_erase_cloud_credentials(older, gateway):
    site, backend = older
    created = await backend.create_channel(spec(gateway, type="anthropic_aws", base_url="https://bedrock.example/"))
    with pytest.raises(RequestRejected, match="erase"):
        await backend.update_channel(created, {"key": "sk-new-0123456789"})
    plain = await backend.create_channel(spec(gateway))
    await backend.update_channel(plain, {"key": "sk-new-0123456789"})
    assert stored(site, plain.id)["credentials"] == {"apiKey": "sk-new-0123456789"}


async def test_a_current_server_has_every_operation_a_manager_needs(current):
    _site, backend = current
    capabilities = backend.capabilities
    for operation in (Operation.DELETE, Operation.BATCH_DELETE, Operation.FETCH_MODELS, Operation.TEST):
        assert capabilities.supports(operation)
    assert capabilities.returns_keys
    assert not {"priority", "weight", "groups"} & {spec.name for spec in capabilities.fields}
    assert not {"priority", "weight", "group"} & capabilities.columns


async def test_the_live_type_enum_is_the_type_list(current):
    site, backend = current
    codes = [t.code for t in backend.capabilities.types]
    assert "github_copilot" in codes and "openai" in codes
    assert backend.capabilities.types.get("openai").name == "OpenAI"


# -- upstream-facing operations ------------------------------------------------------------------------


async def test_model_fetch_saved_and_adhoc(current, gateway):
    _site, backend = current
    created = await backend.create_channel(spec(gateway))
    assert "gpt-4o-mini" in await backend.fetch_models(created)
    adhoc = await backend.fetch_models_adhoc("openai", f"{gateway.upstream_url}/p/openai/v1", "sk-adhoc-0123456789")
    assert "gpt-4o" in adhoc


async def test_an_upstream_refusal_of_a_model_fetch_is_refused_without_the_key(current, gateway):
    _site, backend = current
    with pytest.raises(RequestRejected) as refused:
        await backend.fetch_models_adhoc("openai", f"{gateway.upstream_url}/p/openai/v1", "sk-invalid-0123456789abcdef")
    assert "sk-invalid-0123456789abcdef" not in refused.value.message


async def test_volcengine_model_lists_are_refused_rather_than_taken_as_empty(current, gateway):
    _site, backend = current
    with pytest.raises(NotSupported, match="Volcengine"):
        await backend.fetch_models_adhoc("volcengine", f"{gateway.upstream_url}/p/openai/v1", "sk-x-0123456789")


async def test_bulk_delete_and_one_by_one(current, gateway):
    site, backend = current
    first = await backend.create_channel(spec(gateway))
    second = await backend.create_channel(spec(gateway))
    assert await backend.delete_channels([first.id, second.id]) == 2
    assert first.id not in site.server.records and second.id not in site.server.records


async def test_a_duplicate_name_is_refused_clearly(current, gateway):
    _site, backend = current
    created = await backend.create_channel(spec(gateway))
    with pytest.raises(RequestRejected, match="already exists"):
        await backend.create_channel(spec(gateway, name=created.name))


# -- sessions and failures --------------------------------------------------------------------------------


async def test_an_expired_session_signs_in_once_and_retries(current):
    site, backend = current
    before = site.stats.count("POST", SIGN_IN)
    site.server.revoke_sessions()
    assert len(await backend.list_channels()) == 30
    assert site.stats.count("POST", SIGN_IN) == before + 1


async def test_a_wrong_password_is_an_auth_error_without_the_password(gateway):
    site = gateway.add_axonhub(f"axon-bad-{next(_names)}", channels=2)
    backend = make_backend(site, password="wrong-password-123")
    with pytest.raises(AuthError, match="email or password") as refused:
        await backend.connect()
    assert "wrong-password-123" not in refused.value.message
    await backend.close()


async def test_not_an_axonhub_server_is_said_so(gateway):
    site = gateway.add_octopus(f"axon-octo-{next(_names)}", channels=2)
    backend = AxonHubBackend(site.url, email="a@b.c", password="x", retry=RetryPolicy(max_retries=0))
    with pytest.raises(NotSupported, match="AxonHub"):
        await backend.connect()
    await backend.close()


FAULT_CASES = [
    ("server_error", {}, ServerError, "HTTP 500"),
    ("html", {}, BadResponse, "web page|AxonHub"),
    ("malformed_json", {}, BadResponse, "malformed JSON"),
    ("rate_limit", {"times": None}, RateLimited, "429"),
    ("forbidden", {}, Exception, "refused"),
]


@pytest.mark.parametrize(("kind", "options", "error", "text"), FAULT_CASES)
async def test_faults_map_to_typed_errors(current, kind, options, error, text):
    site, backend = current
    site.faults.add(kind, GRAPHQL, **options)
    with pytest.raises(error, match=text):
        await backend.get_channel(5)


async def test_a_hung_server_times_out(gateway):
    site = gateway.add_axonhub(f"axon-hang-{next(_names)}", channels=2)
    backend = make_backend(site, timeout=HUNG_SERVER_TIMEOUT)
    await backend.connect()
    site.faults.add("hang", GRAPHQL)
    with pytest.raises(RequestTimeout):
        await backend.list_channels()
    await backend.close()


@pytest.mark.parametrize("path", [SIGN_IN, GRAPHQL])
async def test_a_password_or_token_a_proxy_echoes_never_reaches_a_message(gateway, path):
    site = gateway.add_axonhub(f"axon-echo-{next(_names)}", channels=2)
    profile = SiteProfile(name=site.name, kind=site.kind, url=site.url, email=site.email)
    backend = create_backend(profile, site.secret, retry=RetryPolicy(max_retries=0))
    site.faults.add("echo", path, times=None, status=500)
    with pytest.raises(ServerError) as refused:
        await backend.connect()
    assert site.secret not in refused.value.message
    assert not any(token in refused.value.message for token in site.server.sessions)
    await backend.close()
