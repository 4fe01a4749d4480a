"""The user-side token client against the demo gateway's emulated token routes, every flavor."""

from __future__ import annotations

import itertools

import pytest

from tui_channels.backends.http import RetryPolicy
from tui_channels.config import AppConfig, KeySourceProfile
from tui_channels.demo.gateway import DemoGateway, DemoSite
from tui_channels.errors import AuthError
from tui_channels.secret_store import SecretStore
from tui_channels.services.key_library import account_secret_name, add_account, fetch_account_keys, verify_account
from tui_channels.backends.newapi.tokens import TokenClient, usable_key

FLAVORS = ["newapi", "newapi-legacy", "oneapi", "veloera"]
FAST_RETRY = RetryPolicy(max_retries=1, base_delay=0.01, max_delay=1)
_names = itertools.count()


def site(gateway: DemoGateway, flavor: str) -> DemoSite:
    return gateway.add_newapi(f"tok-{flavor}-{next(_names)}", flavor=flavor, channels=3)


def relay_user(site: DemoSite):
    return next(u for u in site.server.tokens.users.values() if u.username == "relay-user")


def client(site: DemoSite, user) -> TokenClient:
    return TokenClient(site.url, access_token=user.access_token, user_id=user.id, retry=FAST_RETRY)


def stored_keys(site: DemoSite, user_id: int) -> dict[str, str]:
    return {t["name"]: t["key"] for t in site.server.tokens.tokens.values() if t["user_id"] == user_id}


@pytest.mark.parametrize("flavor", FLAVORS)
async def test_lists_the_accounts_own_tokens_and_reveals_full_keys(gateway, flavor):
    relay = site(gateway, flavor)
    user = relay_user(relay)
    async with client(relay, user) as tokens:
        listed = await tokens.list_tokens()
        revealed = await tokens.reveal(listed)
    assert [t.name for t in listed] == ["spent", "retired", "backup", "team-a", "default"]
    if flavor == "newapi":
        assert all(t.key is None for t in listed), "the current flavor masks listed keys"
    expected = {name: f"sk-{key}" for name, key in stored_keys(relay, user.id).items()}
    assert {t.name: t.key for t in revealed} == expected
    assert [t.status_label for t in revealed] == ["exhausted", "disabled", "enabled", "enabled", "enabled"]


@pytest.mark.parametrize("flavor", FLAVORS)
async def test_every_page_is_read_once_whatever_the_pagination_style(gateway, flavor):
    relay = site(gateway, flavor)
    user = relay_user(relay)
    for number in range(232):
        relay.server.tokens.add_token(user.id, f"bulk-{number:03d}")
    async with client(relay, user) as tokens:
        listed = await tokens.reveal(await tokens.list_tokens())
    assert len(listed) == 237
    assert len({t.id for t in listed}) == 237
    assert all(t.key and t.key.startswith("sk-") for t in listed)


async def test_reveal_uses_the_batch_route_in_chunks_of_100(gateway):
    relay = site(gateway, "newapi")
    user = relay_user(relay)
    for number in range(150):
        relay.server.tokens.add_token(user.id, f"bulk-{number:03d}")
    relay.stats.reset()
    async with client(relay, user) as tokens:
        revealed = await tokens.reveal(await tokens.list_tokens())
    assert all(t.key for t in revealed)
    batches = relay.stats.requests("POST", "/api/token/batch/keys")
    assert [len(r.json()["ids"]) for r in batches] == [100, 55]
    assert not relay.stats.requests("POST", "/api/token/*/key")


async def test_reveal_falls_back_to_one_token_at_a_time_without_the_batch_route(gateway):
    relay = site(gateway, "newapi")
    relay.server.tokens.batch_reveal = False
    user = relay_user(relay)
    relay.stats.reset()
    async with client(relay, user) as tokens:
        revealed = await tokens.reveal(await tokens.list_tokens())
    assert {t.name: t.key for t in revealed} == {n: f"sk-{k}" for n, k in stored_keys(relay, user.id).items()}
    assert len(relay.stats.requests("POST", "/api/token/*/key")) == 5


async def test_root_on_current_servers_lists_only_its_own_tokens_because_user_id_is_sent(gateway):
    relay = site(gateway, "newapi")
    admin = relay.server.tokens.users[relay.user_id]
    async with client(relay, admin) as tokens:
        listed = await tokens.list_tokens()
    assert [t.name for t in listed] == ["admin-scripts", "admin-default"]
    assert all("user_id=1" in r.query for r in relay.stats.requests("GET", "/api/token/"))


@pytest.mark.parametrize("flavor", FLAVORS)
async def test_a_wrong_access_token_is_an_auth_error(gateway, flavor):
    relay = site(gateway, flavor)
    user = relay_user(relay)
    async with TokenClient(relay.url, access_token="wrong-token", user_id=user.id, retry=FAST_RETRY) as tokens:
        with pytest.raises(AuthError):
            await tokens.list_tokens()


@pytest.mark.parametrize("flavor", ["newapi-legacy", "veloera"])
async def test_legacy_servers_refuse_a_user_id_that_is_not_the_tokens_owner(gateway, flavor):
    relay = site(gateway, flavor)
    user = relay_user(relay)
    async with TokenClient(relay.url, access_token=user.access_token, user_id=1, retry=FAST_RETRY) as tokens:
        with pytest.raises(AuthError):
            await tokens.list_tokens()


async def test_whoami_checks_that_token_and_user_id_belong_together(gateway):
    relay = site(gateway, "newapi")
    user = relay_user(relay)
    async with client(relay, user) as tokens:
        assert await tokens.whoami() == "relay-user"
    async with TokenClient(relay.url, access_token=user.access_token, user_id=99, retry=FAST_RETRY) as tokens:
        with pytest.raises(AuthError):
            await tokens.whoami()


def test_usable_keys_get_one_sk_prefix():
    assert usable_key("abc123") == "sk-abc123"
    assert usable_key("sk-abc123") == "sk-abc123"


@pytest.mark.parametrize("flavor", ["newapi", "oneapi"])
async def test_an_account_yields_its_enabled_tokens_as_upstream_keys(gateway, flavor):
    relay = site(gateway, flavor)
    user = relay_user(relay)
    secrets = SecretStore()
    profile = KeySourceProfile(name="my relay", url=relay.url, user_id=user.id)
    assert await verify_account(profile, user.access_token) == "relay-user"
    config = AppConfig()
    add_account(config, secrets, profile, user.access_token)
    assert config.key_sources == [profile]
    assert secrets.get(account_secret_name("my relay")) == user.access_token
    account = await fetch_account_keys(profile, secrets)
    assert [k.name for k in account.keys] == ["backup", "team-a", "default"]
    assert {k.source for k in account.keys} == {"my relay"}
    assert {k.base_url for k in account.keys} == {relay.url}
    assert account.inactive == 2 and account.unrevealed == 0
    assert "3 enabled tokens" in account.summary
    assert all(k.key and k.key.startswith("sk-") and k.key not in repr(k) for k in account.keys)


async def test_a_relay_that_refuses_to_reveal_keys_still_lists_its_tokens_as_not_revealed(gateway):
    relay = site(gateway, "newapi")
    user = relay_user(relay)
    relay.faults.add("forbidden", "/api/token/batch/keys", times=None)
    profile = KeySourceProfile(name="strict relay", url=relay.url, user_id=user.id)
    add_account(AppConfig(), SecretStore(), profile, user.access_token)
    account = await fetch_account_keys(profile, SecretStore())
    assert [k.key for k in account.keys] == [None, None, None]
    assert account.unrevealed == 3 and "3 not revealed by the server" in account.summary
    assert {k.masked_key for k in account.keys} == {"(not revealed)"}
