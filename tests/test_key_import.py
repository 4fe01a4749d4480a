"""Key input, the key library, and importing keys as channels into every backend of the demo gateway."""

from __future__ import annotations

import itertools
import json
import secrets as random_secrets

import pytest

from tui_channels.backends.base import Backend
from tui_channels.demo.faults import FaultKind
from tui_channels.demo.gateway import DemoGateway, DemoSite
from tui_channels.secret_store import SecretStore
from tui_channels.services import base_urls
from tui_channels.services.batch import BatchRun, BatchSettings
from tui_channels.services.channel_plan import ChannelPlan, CreateRun, RowState, creation_settings
from tui_channels.services.key_import import channel_name, plan_import, set_groups
from tui_channels.services.key_library import (
    BaseUrlNeeded,
    KeyInputError,
    KeyLibrary,
    UpstreamKey,
    parse_keys,
    unique,
)
from tui_channels.services.results import Outcome
from tui_channels.services.upstream_models import EMPTY_UPSTREAM

from .backend_helpers import connected_site

TARGETS = [
    "newapi", "newapi-legacy", "octopus-legacy", "octopus-current", "axonhub-current", "claudecodehub", "onehub",
    "donehub",
]
_names = itertools.count()


def fresh_key(label: str = "k") -> str:
    return f"sk-{label}{random_secrets.token_hex(12)}"


async def target(gateway: DemoGateway, name: str, *, channels: int = 6) -> tuple[DemoSite, Backend]:
    """A new emulated site of the kind `name` names, and a connected client for it."""
    return await connected_site(gateway, name, channels=channels, prefix="imp")


def openai_url(gateway: DemoGateway, provider: str = "openai") -> str:
    return f"{gateway.upstream_url}/p/{provider}"


async def plan(backend: Backend, keys: list[UpstreamKey], **options) -> ChannelPlan:
    return await plan_import(backend, keys, await backend.list_channels(), site="target", **options)


async def create(backend: Backend, plan_: ChannelPlan, run: CreateRun | None = None, placeholders=None):
    run = run or CreateRun(backend, plan_)
    settings = creation_settings(BatchSettings(concurrency=2))
    results = await BatchRun(placeholders or plan_.placeholders(), run, settings).run()
    return run, results


def stored(site: DemoSite, channel_id: int) -> dict:
    return site.server.record(channel_id)


# -- key input and the library ------------------------------------------------------------------


class TestKeyInput:
    def test_csv_lines_with_an_optional_header_and_source(self):
        keys = parse_keys(
            "name,base_url,key\nmain,https://relay.example.com/v1,sk-aaaa1111\n"
            "# a comment\nspare,https://relay.example.com,sk-bbbb2222,my relay\n"
        )
        assert [(k.name, k.source, k.base_url) for k in keys] == [
            ("main", "relay.example.com", "https://relay.example.com/v1"),
            ("spare", "my relay", "https://relay.example.com"),
        ]

    def test_a_json_list_of_objects(self):
        text = json.dumps([{"name": "a", "base_url": "https://x.example/", "key": "sk-1234abcd", "source": "X"}])
        [key] = parse_keys(text)
        assert key == UpstreamKey(name="a", source="X", base_url="https://x.example", key="sk-1234abcd")

    def test_bare_keys_need_the_base_url_once(self):
        with pytest.raises(BaseUrlNeeded):
            parse_keys("sk-one11111\nsk-two22222\n")
        keys = parse_keys("sk-one11111\nsk-two22222\n", base_url="https://relay.example.com", source="relay")
        assert [(k.name, k.source) for k in keys] == [("key-1111", "relay"), ("key-2222", "relay")]

    def test_the_same_base_url_and_key_twice_is_read_twice_and_kept_once_in_the_library(self):
        keys = parse_keys("a,https://r.example/v1,sk-same1234\nb,https://R.example,sk-same1234\n")
        assert [k.name for k in keys] == ["a", "b"]
        assert [k.name for k in unique(keys)] == ["a"]

    @pytest.mark.parametrize(
        ("text", "where"),
        [
            ("a,ftp://r.example,sk-secret-value", "Line 1"),
            ("a,https://r.example,sk-secret value", "Line 1"),
            ("a,https://r.example", "Line 1 has 2 fields"),
            ('[{"name": "a", "key": "sk-secret-value", "colour": "red"}]', "Entry 1"),
            ("[{", "malformed"),
            ("   ", "nothing to read"),
        ],
    )
    def test_bad_input_names_the_place_never_the_key(self, text, where):
        with pytest.raises(KeyInputError) as caught:
            parse_keys(text, base_url="https://r.example")
        assert where in caught.value.message
        assert "secret" not in caught.value.message

    def test_keys_are_masked_in_repr(self):
        key = UpstreamKey(name="a", source="s", base_url="https://x.example", key="sk-abcdefghijklmnop")
        assert "abcdefghijkl" not in repr(key)
        assert key.masked_key in repr(key)

    def test_the_library_keeps_pasted_keys_in_the_secret_store(self):
        keys = parse_keys("a,https://r.example,sk-aaaa1111\nb,https://r.example,sk-bbbb2222")
        library = KeyLibrary(SecretStore())
        assert library.add(keys) == 2
        assert library.add(keys[:1]) == 0
        assert KeyLibrary(SecretStore()).keys() == keys
        library.remove(keys[:1])
        assert KeyLibrary(SecretStore()).keys() == keys[1:]


# -- naming and URLs ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "key_name", "expected"),
    [
        ("relay", "main", "relay | main (auto)"),
        ("relay", "main (auto)", "relay | main (auto)"),
        (" relay ", " main ", "relay | main (auto)"),
    ],
)
def test_channel_names_end_with_one_auto_suffix(source, key_name, expected):
    assert channel_name(source, key_name) == expected


@pytest.mark.parametrize(
    ("kind", "provider", "given", "sent"),
    [
        ("octopus-legacy", "openai", "", "/v1"),
        ("octopus-legacy", "openai", "/v1", "/v1"),
        ("octopus-legacy", "ppinfra", "/v3/openai", "/v3/openai"),
        ("octopus-current", "openai", "", ""),
        ("octopus-current", "openai", "/v1", "/v1"),
        ("octopus-current", "ppinfra", "/v3/openai/", "/v3/openai#"),
        ("newapi", "openai", "/v1", ""),
        ("newapi", "openai", "", ""),
        ("claudecodehub", "openai", "/v1", ""),
        ("claudecodehub", "openai", "", ""),
        ("onehub", "openai", "/v1", ""),
        ("donehub", "openai", "", ""),
    ],
)
async def test_the_v1_rule_per_backend_and_generation(gateway, kind, provider, given, sent):
    """A version segment anywhere in the path counts; current Octopus appends /v1 itself unless told not to."""
    site, backend = await target(gateway, kind)
    key = fresh_key()
    base = openai_url(gateway, provider)
    preview = await plan(backend, [UpstreamKey(name="main", source="relay", base_url=base + given, key=key)])
    [row] = preview.rows
    assert row.spec.base_url == base + sent
    assert row.state is RowState.READY, row.reason  # the upstream answered at the URL the server calls
    run, _ = await create(backend, preview)
    record = stored(site, run.created[1].id)
    if kind == "octopus-legacy":
        assert record["base_urls"][0]["url"] == base + sent
    else:
        assert record.get("base_url", record.get("url")) == base + sent
    await backend.close()


@pytest.mark.parametrize(
    ("url", "version", "legacy", "expected"),
    [
        ("https://api.ppinfra.com/v3/openai/", "v0.9.28", True, "https://api.ppinfra.com/v3/openai"),
        ("https://x.example/v1beta/openai", "v0.9.28", True, "https://x.example/v1beta/openai"),
        ("https://api.openai.com", "v0.9.28", True, "https://api.openai.com/v1"),
        ("https://api.openai.com", "v0.9.99", False, "https://api.openai.com/v1"),  # the version decides
        ("https://api.openai.com", "v0.10.0", False, "https://api.openai.com"),  # the server appends /v1
        ("https://api.ppinfra.com/v3/openai", "v0.10.0", False, "https://api.ppinfra.com/v3/openai#"),
        ("https://x.example/v1beta/openai", "v0.11.0", False, "https://x.example/v1beta/openai#"),
        ("https://api.openai.com/v1/", "v0.11.0", False, "https://api.openai.com/v1"),
        ("https://x.example/api/v1/openai", "v0.11.0", False, "https://x.example/api/v1/openai"),
        ("https://api.openai.com", "unknown", True, "https://api.openai.com/v1"),
        ("https://api.openai.com", "unknown", False, "https://api.openai.com"),
    ],
)
def test_octopus_base_urls_follow_the_release_that_appends_v1_itself(url, version, legacy, expected):
    assert base_urls.for_octopus(url, version, legacy=legacy) == expected


def test_a_version_segment_anywhere_counts_and_comparisons_ignore_the_keep_mark():
    assert base_urls.has_version_segment("https://api.ppinfra.com/v3/openai/")
    assert not base_urls.has_version_segment("https://v1.example.com/openai")
    assert base_urls.with_version("https://x.example/v1beta/openai/") == "https://x.example/v1beta/openai"
    assert base_urls.comparable("https://X.example/v3/openai#") == base_urls.comparable("https://x.example/v3/openai/")


# -- models, defaults and states ----------------------------------------------------------------


@pytest.mark.parametrize("kind", TARGETS)
async def test_models_are_fetched_with_the_imported_key(gateway, kind):
    site, backend = await target(gateway, kind)
    key = fresh_key("own")
    gateway.upstream.key_models[key] = ["own-model-a", "own-model-b"]
    preview = await plan(backend, [UpstreamKey(name="own", source="relay", base_url=openai_url(gateway), key=key)])
    assert preview.rows[0].spec.models == ("own-model-a", "own-model-b")
    run, results = await create(backend, preview)
    assert results[0].outcome is Outcome.OK
    channel = await backend.get_channel(run.created[1].id)
    assert channel.models == ("own-model-a", "own-model-b")
    assert channel.name == "relay | own (auto)"
    await backend.close()


@pytest.mark.parametrize("kind", TARGETS)
async def test_a_relay_sites_token_is_imported_with_the_models_its_group_serves(gateway, kind):
    relay = gateway.add_newapi(f"relay-src-{kind}", channels=12)
    token = next(t for t in relay.server.tokens.tokens.values() if t["status"] == 1)
    group = token.get("group") or "default"
    served = {
        m
        for r in relay.server.store.values()
        if r["status"] == 1 and group in r["group"].split(",")
        for m in r["models"].split(",")
        if m
    }
    _site, backend = await target(gateway, kind)
    key = UpstreamKey(name=token["name"], source="relay", base_url=relay.url, key=f"sk-{token['key']}")
    preview = await plan(backend, [key])
    assert set(preview.rows[0].spec.models) == served
    await backend.close()


@pytest.mark.parametrize("kind", ["newapi", "newapi-legacy"])
async def test_new_api_channels_are_openai_default_group_priority_and_weight_0_enabled(gateway, kind):
    site, backend = await target(gateway, kind)
    keys = [UpstreamKey(name=n, source="relay", base_url=openai_url(gateway), key=fresh_key()) for n in ("a", "b")]
    preview = await plan(backend, keys)
    run, _ = await create(backend, preview)
    record = stored(site, run.created[1].id)
    assert (record["type"], record["group"], record["priority"], record["weight"], record["status"]) == (
        1, "default", 0, 0, 1,
    )
    set_groups(preview, "vip, svip")
    preview.rows[1].spec.name = "relay | other (auto)"
    run, _ = await create(backend, preview, placeholders=preview.placeholders()[1:])
    assert stored(site, run.created[2].id)["group"] == "vip,svip"
    await backend.close()


@pytest.mark.parametrize(("kind", "type_code"), [("octopus-legacy", 0), ("octopus-current", "openai")])
async def test_octopus_channels_are_openai_chat_enabled_with_auto_sync(gateway, kind, type_code):
    site, backend = await target(gateway, kind)
    key = UpstreamKey(name="a", source="relay", base_url=openai_url(gateway), key=fresh_key())
    run, _ = await create(backend, await plan(backend, [key]))
    record = stored(site, run.created[1].id)
    assert (record["type"], record["enabled"], record["auto_sync"]) == (type_code, True, True)
    await backend.close()


@pytest.mark.parametrize("kind", TARGETS)
async def test_preview_states_ready_present_and_blocked_with_reasons(gateway, kind):
    site, backend = await target(gateway, kind)
    existing = (await backend.list_channels())[0]
    url = openai_url(gateway)
    keys = [
        UpstreamKey(name="good", source="relay", base_url=url, key=fresh_key()),
        UpstreamKey(name="dead", source="relay", base_url=url, key="sk-invalid-" + random_secrets.token_hex(6)),
        UpstreamKey(name="hidden", source="relay", base_url=url, key=None),
        UpstreamKey(name="nowhere", source="relay", base_url="", key=fresh_key()),
        UpstreamKey(name="bad port", source="relay", base_url="https://relay.example.com:99999/v1", key=fresh_key()),
        UpstreamKey(name="good", source="relay", base_url=url, key=fresh_key()),
    ]
    preview = await plan(backend, keys)
    states = [(row.state, row.reason.split(" (")[0].split(":")[0]) for row in preview.rows]
    assert states == [
        (RowState.READY, ""),
        (RowState.BLOCKED, "no models"),
        (RowState.BLOCKED, "the relay did not reveal this key"),
        (RowState.BLOCKED, "base URL missing"),
        (RowState.BLOCKED, "base URL has port 99999, outside 1–65535"),
        (RowState.PRESENT, "the same name as row 1 of this list"),
    ]
    assert preview.summary() == "1 ready · 1 already present · 4 blocked"
    named = await plan(backend, [UpstreamKey(name="x", source="y", base_url=url, key=fresh_key())])
    named.rows[0].spec.name = existing.name
    named.recheck(named.rows[0])
    assert named.rows[0].state is RowState.PRESENT
    assert f"#{existing.id}" in named.rows[0].reason
    await backend.close()


@pytest.mark.parametrize("kind", TARGETS)
async def test_an_import_run_twice_finds_its_channels_already_present_by_name(gateway, kind):
    site, backend = await target(gateway, kind)
    key = UpstreamKey(name="again", source="relay", base_url=openai_url(gateway), key=fresh_key())
    first = await plan(backend, [key])
    await create(backend, first)
    second = await plan(backend, [key])
    assert second.rows[0].state is RowState.PRESENT
    _, results = await create(backend, second)
    assert results[0].outcome is Outcome.SKIPPED and results[0].extra["state"] == "already present"
    await backend.close()


async def test_axonhub_channels_are_openai_with_the_version_segment_and_enabled(gateway):
    site, backend = await target(gateway, "axonhub-current")
    key = UpstreamKey(name="a", source="relay", base_url=openai_url(gateway), key=fresh_key())
    run, _ = await create(backend, await plan(backend, [key]))
    record = stored(site, run.created[1].id)
    assert (record["type"], record["status"], record["baseURL"]) == ("openai", "enabled", f"{openai_url(gateway)}/v1")
    assert record["credentials"]["apiKeys"] == [key.key]
    await backend.close()


@pytest.mark.parametrize("kind", ["octopus-legacy", "octopus-current", "axonhub-current"])
async def test_octopus_duplicates_by_base_url_and_key_whatever_the_name(gateway, kind):
    site, backend = await target(gateway, kind)
    channels = await backend.list_channels()
    seeded = next(c for c in channels if c.key)
    url = seeded.base_url.removesuffix("/v1")
    preview = await plan(backend, [UpstreamKey(name="renamed", source="elsewhere", base_url=url, key=seeded.key)])
    row = preview.rows[0]
    assert row.state is RowState.PRESENT
    assert row.reason == f"channel #{seeded.id} {seeded.name!r} has the same base URL and key"
    row.force = True
    assert row.state is RowState.READY
    run, results = await create(backend, preview)
    assert results[0].outcome is Outcome.OK
    await backend.close()


async def test_typed_models_unblock_a_key_whose_models_cannot_be_fetched(gateway):
    site, backend = await target(gateway, "octopus-current")
    key = UpstreamKey(name="manual", source="relay", base_url=openai_url(gateway), key="sk-invalid-typed-models")
    preview = await plan(backend, [key])
    row = preview.rows[0]
    # Octopus answers a refused key with HTTP 200 and no models
    assert row.state is RowState.BLOCKED and EMPTY_UPSTREAM in row.reason
    preview.set_models(row, "m-one, m-two")
    assert row.state is RowState.READY
    run, _ = await create(backend, preview)
    assert (await backend.get_channel(run.created[1].id)).models == ("m-one", "m-two")
    await backend.close()


async def test_one_api_cannot_list_a_new_keys_models_so_they_are_typed(gateway):
    site, backend = await target(gateway, "oneapi")
    key = UpstreamKey(name="o", source="relay", base_url=openai_url(gateway), key=fresh_key())
    preview = await plan(backend, [key])
    row = preview.rows[0]
    assert row.state is RowState.BLOCKED and "cannot list the models of a new key" in row.reason
    preview.set_models(row, "gpt-4o")
    run, results = await create(backend, preview)
    assert results[0].ok and stored(site, run.created[1].id)["models"] == "gpt-4o"
    await backend.close()


@pytest.mark.parametrize(("kind", "path"), [("newapi", "/api/channel/"), ("octopus-legacy", "/api/v1/channel/create")])
async def test_a_failed_create_is_reported_per_key_and_retried(gateway, kind, path):
    site, backend = await target(gateway, kind)
    keys = [UpstreamKey(name=f"r{i}", source="relay", base_url=openai_url(gateway), key=fresh_key()) for i in range(3)]
    preview = await plan(backend, keys)
    site.faults.add(FaultKind.SERVER_ERROR, path, method="POST", times=1)
    run, results = await create(backend, preview)
    assert sorted(r.outcome.value for r in results) == ["failed", "ok", "ok"]
    failed = [p for p, r in zip(preview.placeholders(), results) if r.outcome is Outcome.FAILED]
    _, retried = await create(backend, preview, run, placeholders=failed)
    assert [r.outcome for r in retried] == [Outcome.OK]
    names = {c.name for c in await backend.list_channels()}
    assert {f"relay | r{i} (auto)" for i in range(3)} <= names
    _, again = await create(backend, preview, run)
    assert all(r.ok and r.message.startswith("created earlier") for r in again), "a retry never creates twice"
    await backend.close()
