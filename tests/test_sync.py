"""Model sync: rules, plans, preview against the demo gateway, and apply writing exactly the preview."""

from __future__ import annotations

import pytest

from tui_channels.config import SiteProfile, SyncRules
from tui_channels.errors import ConfigError
from tui_channels.models import BackendKind, Channel, ChannelStatus, ChannelType
from tui_channels.services.batch import BatchSettings
from tui_channels.services.model_mapping import model_mapping, upstream_changes
from tui_channels.services.results import ChannelResult, Outcome
from tui_channels.services.upstream_models import EmptyUpstream
from tui_channels.services.sync import (
    UPSTREAM_MODELS,
    ModelRule,
    RuleSet,
    SyncOptions,
    apply_operation,
    changes,
    diff_text,
    is_change,
    merged,
    plan_models,
    preview_operation,
    replan,
    totals,
)

from .batch_helpers import (  # noqa: F401
    connected,
    key_of,
    newapi_models,
    newapi_site,
    octopus_site,
    run_batch,
    set_key,
    stored,
    upstream,
    working_ids,
)

WRITES = BatchSettings(read_only=False)


def channel(models: tuple[str, ...], *, channel_id: int = 1, raw: dict | None = None) -> Channel:
    return Channel(
        id=channel_id,
        name=f"ch-{channel_id}",
        type=ChannelType(1, "OpenAI"),
        status=ChannelStatus.ENABLED,
        models=models,
        raw=raw or {},
    )


def profile(**sync: object) -> SiteProfile:
    return SiteProfile(name="s", kind=BackendKind.NEWAPI, url="http://gw", user_id=1, **sync)


# -- rules and plans (no server) ---------------------------------------------------------------


def test_a_rule_is_a_case_insensitive_substring_or_a_slashed_regex():
    assert ModelRule.parse("GPT").matches("gpt-4o")
    assert not ModelRule.parse("claude").matches("gpt-4o")
    regex = ModelRule.parse(r"/^o\d/")
    assert regex.matches("o3-mini") and not regex.matches("gpt-4o")


def test_a_broken_regex_is_a_readable_config_error():
    with pytest.raises(ConfigError, match="not a valid regular expression"):
        ModelRule.parse("/gpt[/")
    with pytest.raises(ValueError, match="sync_exclude"):
        profile(sync_exclude=("/(/",))


def test_include_keeps_matches_only_and_exclude_drops_matches():
    rules = RuleSet.parse(include=["gpt", "/^o\\d/"], exclude=["mini"])
    offered = ["gpt-4o", "gpt-4o-mini", "o3", "o3-mini", "claude-opus", "text-embedding-3-small"]
    assert [m for m in offered if rules.allows(m)] == ["gpt-4o", "o3"]
    assert all(RuleSet().allows(m) for m in offered)


def test_site_and_channel_rules_both_apply_and_skip_excludes_a_channel():
    options = SyncOptions.from_profile(
        profile(
            sync_include=("gpt",),
            sync_channels={7: SyncRules(exclude=("4.1",)), 8: SyncRules(skip=True)},
        )
    )
    assert options.allows(1, "gpt-4.1") and not options.allows(1, "claude-opus")
    assert not options.allows(7, "gpt-4.1") and options.allows(7, "gpt-4o")
    assert options.excluded_ids == {8}


def test_plan_keeps_current_order_then_adds_new_models_in_upstream_order():
    old = channel(("gpt-4o", "legacy-alias", "gpt-4"))
    upstream_list = ["o3", "gpt-4o", "gpt-4.1"]
    assert plan_models(old, upstream_list, SyncOptions()) == ("gpt-4o", "o3", "gpt-4.1")
    kept = plan_models(old, upstream_list, SyncOptions(keep_unlisted=True))
    assert kept == ("gpt-4o", "legacy-alias", "gpt-4", "o3", "gpt-4.1")


def test_excluded_upstream_models_go_even_with_keep_and_hand_added_ones_always_stay():
    options = SyncOptions(site_rules=RuleSet.parse(exclude=["embedding"]), keep_unlisted=True)
    old = channel(("gpt-4o", "text-embedding-3-small", "my-finetune"), raw={"custom_model": "my-finetune"})
    assert plan_models(old, ["gpt-4o", "text-embedding-3-small"], options) == ("gpt-4o", "my-finetune")
    assert plan_models(old, ["gpt-4o"], SyncOptions()) == ("gpt-4o", "my-finetune")


def test_totals_and_diff_text():
    def result(outcome: Outcome, old=None, new=None) -> ChannelResult:
        return ChannelResult(1, "x", outcome, old_models=old, new_models=new)

    previews = [
        result(Outcome.OK, ("a", "b"), ("a", "c", "d")),
        result(Outcome.OK, ("a",), ("a",)),
        result(Outcome.OK, ("b", "a"), ("a", "b")),
        result(Outcome.SKIPPED),
        result(Outcome.FAILED),
    ]
    summary = totals(previews)
    assert (summary.changed, summary.added, summary.removed) == (1, 2, 1)
    assert (summary.unchanged, summary.skipped, summary.failed) == (2, 1, 1)
    assert summary.describe() == "1 of 5 channels change: +2 −1 models · 2 unchanged · 1 skipped · 1 failed"
    assert diff_text(("a", "b"), ("a", "c", "d")) == "+2 −1"
    assert diff_text(("b", "a"), ("a", "b")) == "unchanged"


# -- against the demo gateway ------------------------------------------------------------------


async def test_preview_writes_nothing_and_apply_writes_exactly_the_preview(gateway):
    site = newapi_site(gateway, channels=20)
    async with connected(site) as backend:
        channels = await backend.list_channels()
        previews = await run_batch(channels, preview_operation(backend, SyncOptions()))
        assert not site.stats.requests("PUT", "/api/channel/")
        plans = changes(previews)
        assert plans and len(plans) < len(channels)  # some channels already match their upstream
        targets = [c for c in channels if c.id in plans]
        applied = await run_batch(targets, apply_operation(backend, plans), WRITES)
    assert all(r.outcome is Outcome.OK for r in applied)
    for result in previews:
        stored = newapi_models(site, result.channel_id)
        if result.channel_id in plans:
            assert stored == result.new_models
            assert set(stored) != set(result.old_models)
        else:
            assert stored == next(c.models for c in channels if c.id == result.channel_id)
    puts = site.stats.requests("PUT", "/api/channel/")
    assert sorted(r.json()["id"] for r in puts) == sorted(plans)
    assert all(set(r.json()) == {"id", "models"} for r in puts)
    report = merged(previews, applied)
    assert [r.channel_id for r in report] == [r.channel_id for r in previews]
    assert all(r.message.startswith("saved") for r in report if r.channel_id in plans)


async def test_a_second_sync_finds_nothing_to_change(gateway):
    site = newapi_site(gateway, channels=12)
    async with connected(site) as backend:
        channels = await backend.list_channels()
        plans = changes(await run_batch(channels, preview_operation(backend, SyncOptions())))
        await run_batch([c for c in channels if c.id in plans], apply_operation(backend, plans), WRITES)
        again = await run_batch(await backend.list_channels(), preview_operation(backend, SyncOptions()))
    assert not changes(again)
    assert not any(is_change(r) for r in again)


async def test_keep_option_keeps_models_the_upstream_stopped_offering(gateway, upstream):
    site = newapi_site(gateway, channels=6)
    target = next(i for i in working_ids(site) if len(newapi_models(site, i)) >= 2)
    old = newapi_models(site, target)
    upstream.key_models[key_of(site, target)] = [old[0], "brand-new-model"]
    async with connected(site) as backend:
        channels = [c for c in await backend.list_channels() if c.id == target]
        dropped = (await run_batch(channels, preview_operation(backend, SyncOptions())))[0]
        kept = (await run_batch(channels, preview_operation(backend, SyncOptions(keep_unlisted=True))))[0]
    assert dropped.new_models == (old[0], "brand-new-model")
    assert dropped.removed_models == old[1:]
    assert kept.new_models == (*old, "brand-new-model")
    assert kept.removed_models == () and kept.extra[UPSTREAM_MODELS] == [old[0], "brand-new-model"]
    by_id = {c.id: c for c in channels}
    replanned = replan([dropped], by_id, SyncOptions(keep_unlisted=True))[0]
    assert (replanned.new_models, replanned.message) == (kept.new_models, kept.message)
    assert (replanned.attempts, replanned.duration) == (dropped.attempts, dropped.duration)


async def test_rules_filter_the_upstream_list(gateway):
    site = newapi_site(gateway, channels=20)
    options = SyncOptions.from_profile(profile(sync_include=("gpt",), sync_exclude=("/mini$/",)))
    async with connected(site) as backend:
        channels = await backend.list_channels()
        previews = await run_batch(channels, preview_operation(backend, options))
    added = {m for r in previews for m in r.added_models}
    assert added and all("gpt" in m and not m.endswith("mini") for m in added)


async def test_channels_that_cannot_list_models_or_are_excluded_are_skipped_not_failed(gateway):
    site = newapi_site(gateway, channels=8)
    site.server.store[3]["type"] = 3  # Azure: no upstream model list
    options = SyncOptions.from_profile(profile(sync_channels={4: SyncRules(skip=True)}))
    async with connected(site) as backend:
        channels = await backend.list_channels()
        previews = await run_batch(channels, preview_operation(backend, options))
    by_id = {r.channel_id: r for r in previews}
    assert by_id[3].outcome is Outcome.SKIPPED and "Azure" in by_id[3].message
    assert by_id[4].outcome is Outcome.SKIPPED and "excluded" in by_id[4].message
    fetched = {int(r.path.rsplit("/", 1)[1]) for r in site.stats.requests("GET", "/api/channel/fetch_models/*")}
    assert fetched == set(site.server.store) - {3, 4}
    assert totals(previews).skipped == 2


async def test_one_api_cannot_list_models_so_every_channel_is_skipped(gateway):
    site = newapi_site(gateway, channels=5, flavor="oneapi")
    async with connected(site) as backend:
        previews = await run_batch(await backend.list_channels(), preview_operation(backend, SyncOptions()))
    assert {r.outcome for r in previews} == {Outcome.SKIPPED}
    assert "does not support fetching a channel's models" in previews[0].message


@pytest.mark.parametrize("failure", ["lists nothing", "refuses the key"])
@pytest.mark.parametrize("kind", ["newapi", "newapi-legacy", "octopus-current", "octopus-legacy"])
async def test_an_upstream_listing_nothing_fails_the_sync_and_changes_nothing(gateway, upstream, kind, failure):
    """Octopus answers both with HTTP 200 and an empty list; New API lists nothing only in the first case."""
    if kind.startswith("octopus"):
        site = octopus_site(gateway, channels=6, generation=kind.removeprefix("octopus-"))
    else:
        site = newapi_site(gateway, channels=6, flavor=kind)
    target = working_ids(site)[0]
    record = stored(site)[target]
    if "custom_model" in record:
        record["custom_model"] = "hand-added"  # a sync would otherwise leave only this one
    if failure == "lists nothing":
        upstream.key_models[key_of(site, target)] = []
    else:
        set_key(site, target, "sk-invalid-fidelity")
    before = site.server.record(target)
    async with connected(site) as backend:
        channels = [c for c in await backend.list_channels() if c.id == target]
        result = (await run_batch(channels, preview_operation(backend, SyncOptions())))[0]
    plans = changes([result])
    assert result.outcome is Outcome.FAILED
    if kind.startswith("octopus") or failure == "lists nothing":
        assert result.message == EmptyUpstream().message
    assert not plans and site.server.record(target) == before


async def test_octopus_sync_keeps_hand_added_models_and_sends_only_model_fields(gateway, upstream):
    site = octopus_site(gateway, channels=16)
    target = next(i for i, r in site.server.channels.items() if r["custom_model"] and r["model"])
    record = site.server.record(target)
    custom = tuple(m for m in record["custom_model"].split(",") if m)
    synced = tuple(m for m in record["model"].split(",") if m)
    upstream.key_models[key_of(site, target)] = [synced[0], "fresh-model"]
    async with connected(site) as backend:
        channels = [c for c in await backend.list_channels() if c.id == target]
        preview = (await run_batch(channels, preview_operation(backend, SyncOptions())))[0]
        await run_batch(channels, apply_operation(backend, changes([preview])), WRITES)
    assert set(custom) <= set(preview.new_models)
    assert "fresh-model" in preview.added_models
    stored = site.server.record(target)
    assert set(stored["model"].split(",")) | set(stored["custom_model"].split(",")) == set(preview.new_models)
    assert tuple(stored["custom_model"].split(",")) == custom
    body = site.stats.requests("POST", "/api/v1/channel/update")[-1].json()
    assert set(body) <= {"id", "model", "custom_model"}


async def test_an_octopus_channel_without_a_key_is_skipped(gateway):
    site = octopus_site(gateway, channels=4)
    site.server.channels[2]["key"] = ""
    async with connected(site) as backend:
        previews = await run_batch(await backend.list_channels(), preview_operation(backend, SyncOptions()))
    by_id = {r.channel_id: r for r in previews}
    assert by_id[2].outcome is Outcome.SKIPPED and "no enabled key" in by_id[2].message
    assert all(r.outcome is Outcome.OK for i, r in by_id.items() if i != 2)


# -- model-mapping aliases ----------------------------------------------------------------------


def test_upstream_changes_follow_new_apis_own_detector():
    mapping = model_mapping({"model_mapping": '{" gpt-4 ": "gpt-4o", "": "x", "claude": ""}'})
    assert mapping == {"gpt-4": "gpt-4o"}
    found = upstream_changes(["gpt-4", "gpt-4o-mini", "old"], ["gpt-4o", "gpt-4o-mini", "o3"], mapping)
    assert (found.add, found.remove) == (("o3",), ("old",))
    assert (found.aliases_kept, found.targets_not_added) == (("gpt-4",), ("gpt-4o",))
    assert model_mapping({"model_mapping": "not json"}) == model_mapping({}) == {}


@pytest.mark.parametrize("flavor", ["newapi", "newapi-legacy"])
async def test_a_sync_keeps_mapping_aliases_and_does_not_add_their_targets(gateway, upstream, flavor):
    site = newapi_site(gateway, channels=4, flavor=flavor)
    target = working_ids(site)[0]
    site.server.store[target].update(models="gpt-4,gpt-4o-mini", model_mapping='{"gpt-4": "gpt-4o"}')
    upstream.key_models[key_of(site, target)] = ["gpt-4o", "gpt-4o-mini"]
    async with connected(site) as backend:
        channels = [c for c in await backend.list_channels() if c.id == target]
        result = (await run_batch(channels, preview_operation(backend, SyncOptions())))[0]
    assert result.outcome is Outcome.OK and not is_change(result)
    assert result.new_models == ("gpt-4", "gpt-4o-mini")
    assert result.message == "unchanged · keeps mapping alias gpt-4 (→ gpt-4o); does not add mapping target gpt-4o"
