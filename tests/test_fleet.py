"""The fleet's services: an index over several sites keyed by (site, id), sites loading at once
(one failing without stopping the others), and batches that run each site under its own settings."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui_channels.config import SiteProfile
from tui_channels.models import ChannelStatus
from tui_channels.secret_store import SecretStore, env_var_name
from tui_channels.services.batch import BatchSettings, succeeded
from tui_channels.services.channel_view import ChannelIndex, ChannelRef, ViewState
from tui_channels.services.fleet import Fleet, spread
from tui_channels.services.fleet_batch import FleetRun, SiteBatch
from tui_channels.services.results import Outcome
from tui_channels.services.sites import LoadState, SiteSession

from .test_channel_view import ANTHROPIC, OPENAI, make
from .ui_helpers import demo_profile


def two_sites() -> ChannelIndex:
    """Site a: channels 1..3; site b: channels 1..3 too, with other names."""
    channels = [make(i, name=f"a-{i}") for i in (1, 2, 3)] + [make(i, name=f"b-{i}", type=ANTHROPIC) for i in (1, 2, 3)]
    return ChannelIndex(channels, ["a"] * 3 + ["b"] * 3)


def keys(index: ChannelIndex, state: ViewState) -> list[ChannelRef]:
    return [index.key(p) for p in index.view(state)]  # type: ignore[misc]


class TestFleetIndex:
    def test_rows_are_keyed_by_site_and_id_so_two_channel_ones_stay_apart(self):
        index = two_sites()
        assert index.is_fleet
        assert index.position(ChannelRef("a", 1)) != index.position(ChannelRef("b", 1))
        assert index.channel(index.position(ChannelRef("b", 1))).name == "b-1"
        assert index.position(1) is None

    def test_an_update_needs_the_site_and_replaces_only_that_sites_row(self):
        index = two_sites()
        with pytest.raises(ValueError, match="site"):
            index.update(make(1, name="who?"))
        index.update(make(1, name="b-1 renamed"), "b")
        assert index.channel(index.position(ChannelRef("b", 1))).name == "b-1 renamed"
        assert index.channel(index.position(ChannelRef("a", 1))).name == "a-1"
        assert len(index) == 6

    def test_replacing_a_site_keeps_the_others_and_their_caches(self):
        index = two_sites()
        assert keys(index, ViewState(search="a-")) == [ChannelRef("a", i) for i in (1, 2, 3)]
        index.replace_site("a", [make(7, name="a-7")])
        assert len(index) == 4
        assert keys(index, ViewState(search="a-")) == [ChannelRef("a", 7)]
        assert keys(index, ViewState(site="b")) == [ChannelRef("b", i) for i in (1, 2, 3)]

    @settings(max_examples=60, deadline=None)
    @given(
        arrivals=st.lists(
            st.tuples(
                st.sampled_from("abc"),
                st.lists(st.tuples(st.integers(1, 6), st.sampled_from(["gpt", "claude", "a-b", ""])), max_size=6),
            ),
            min_size=1,
            max_size=6,
        ),
        state=st.builds(
            ViewState,
            search=st.sampled_from(["", "g", "gp", "c", "a-", "3"]),
            status=st.sampled_from(["all", "enabled", "disabled"]),
            site=st.sampled_from([None, "a", "b"]),
            sort_column=st.sampled_from(["site", "id", "name", "status"]),
            descending=st.booleans(),
        ),
    )
    def test_sites_arriving_one_by_one_show_what_an_index_built_at_once_shows(self, arrivals, state):
        """A site's rows are appended when it arrives and replaced when it loads again; with warm
        caches (a view before each arrival) the views match an index built from the final rows."""
        index = ChannelIndex([], [])
        final: dict[str, list] = {}
        for site, rows in arrivals:
            unique = {number: name for number, name in rows}
            channels = [
                make(number, name=f"{name}-{number}", status=ChannelStatus.ENABLED if number % 2 else ChannelStatus.AUTO_DISABLED)
                for number, name in unique.items()
            ]
            index.view(state)
            index.view(replace(state, search=state.search[:1]))
            index.replace_site(site, channels)
            final.pop(site, None)
            final[site] = channels
        built = ChannelIndex(
            [c for channels in final.values() for c in channels],
            [site for site, channels in final.items() for _ in channels],
        )
        assert keys(index, state) == keys(built, state)
        assert len(index) == len(built)

    def test_site_and_type_name_filters_and_the_site_sort(self):
        index = two_sites()
        assert keys(index, ViewState(site="a", sort_column="id", descending=True)) == [
            ChannelRef("a", 3), ChannelRef("a", 2), ChannelRef("a", 1)
        ]
        assert keys(index, ViewState(type_name=ANTHROPIC.name)) == [ChannelRef("b", i) for i in (1, 2, 3)]
        assert keys(index, ViewState(sort_column="site", descending=True))[:3] == [
            ChannelRef("b", 1), ChannelRef("b", 2), ChannelRef("b", 3)
        ]
        by_id = keys(index, ViewState(sort_column="id"))
        assert by_id[:2] == [ChannelRef("a", 1), ChannelRef("b", 1)]

    def test_one_site_index_knows_no_site_column(self):
        index = ChannelIndex([make(1), make(2, type=OPENAI)])
        assert not index.is_fleet and index.key(0) == 1
        with pytest.raises(ValueError):
            index.view(ViewState(sort_column="site"))


async def test_sites_load_at_once_and_a_failing_one_keeps_its_error(gateway, monkeypatch):
    good = gateway.add_newapi("fleet-good", channels=12, seed=5)
    other = gateway.add_octopus("fleet-other", channels=9)
    broken = gateway.add_newapi("fleet-broken", channels=4, seed=6)
    broken.faults.add("server_error", "/api/channel/", times=None)
    for site in (good, other, broken):
        monkeypatch.setenv(env_var_name(site.name), site.secret)
    secrets = SecretStore()
    sessions = [SiteSession(profile=demo_profile(site), secrets=secrets) for site in (good, other, broken)]
    fleet = Fleet(sessions)
    seen: list[str] = []
    try:
        await fleet.load(on_loaded=lambda session: seen.append(session.name))
        assert sorted(seen) == ["fleet-broken", "fleet-good", "fleet-other"]
        assert fleet.state is LoadState.READY
        assert [s.name for s in fleet.failed_sites()] == ["fleet-broken"]
        assert sessions[2].error is not None
        channels, sites = fleet.rows()
        assert len(channels) == 21 and sites is not None and sites.count("fleet-other") == 9
        located = fleet.locate([ChannelRef("fleet-good", 3), ChannelRef("fleet-other", 3), ChannelRef("gone", 3)])
        assert [(t.name, [c.id for c in t.channels]) for t in located] == [("fleet-good", [3]), ("fleet-other", [3])]
        assert spread(located) == "2 channels on 2 sites"
    finally:
        for session in sessions:
            await session.disconnect()


async def test_a_fleet_batch_runs_each_site_under_its_own_concurrency_at_once():
    channels = [make(i) for i in range(1, 7)]
    in_flight = {"a": 0, "b": 0}
    peak = {"a": 0, "b": 0}
    both_running = asyncio.Event()

    def operation(site: str):
        async def run(channel):
            in_flight[site] += 1
            peak[site] = max(peak[site], in_flight[site])
            if all(in_flight.values()):
                both_running.set()
            await asyncio.wait_for(both_running.wait(), timeout=30)
            in_flight[site] -= 1
            return succeeded(channel, f"{site} did {channel.id}")

        return run

    progress = []
    run = FleetRun(
        [
            SiteBatch("a", channels, operation("a"), BatchSettings(concurrency=1)),
            SiteBatch("b", channels, operation("b"), BatchSettings(concurrency=3)),
            SiteBatch("c", channels[:2], None, skip_reason="balance is not supported by this server: Octopus"),
        ],
        on_progress=progress.append,
    )
    results = await run.run()
    assert peak == {"a": 1, "b": 3}
    assert [(r.site, r.channel_id) for r in results] == [
        *(("a", i) for i in range(1, 7)),
        *(("b", i) for i in range(1, 7)),
        ("c", 1),
        ("c", 2),
    ]
    assert all(r.message == f"{r.site} did {r.channel_id}" for r in results if r.site != "c")
    skipped = [r for r in results if r.site == "c"]
    assert all(r.outcome is Outcome.SKIPPED and "Octopus" in r.message for r in skipped)
    last = progress[-1]
    assert last.total.done == last.total.total == 14
    assert [(site, p.done) for site, p in last.sites] == [("a", 6), ("b", 6), ("c", 2)]


async def test_cancelling_a_fleet_batch_stops_every_site():
    channels = [make(i) for i in range(1, 5)]
    started = asyncio.Event()

    async def slow(channel):
        started.set()
        await asyncio.sleep(30)
        return succeeded(channel)

    run = FleetRun([SiteBatch("a", channels, slow), SiteBatch("b", channels, slow)])
    task = asyncio.ensure_future(run.run())
    await asyncio.wait_for(started.wait(), timeout=30)
    run.cancel()
    results = await asyncio.wait_for(task, timeout=30)
    assert {r.outcome for r in results} == {Outcome.CANCELLED}
    assert {r.site for r in results} == {"a", "b"}


def test_a_fleet_batch_takes_each_site_once():
    with pytest.raises(ValueError):
        FleetRun([SiteBatch("a", [], None), SiteBatch("a", [], None)])


def test_a_sessions_rows_are_keyed_by_id():
    profile = SiteProfile(name="one", kind="newapi", url="http://127.0.0.1:9", user_id=1)
    session = SiteSession(profile=profile, secrets=SecretStore())
    session.channels = [make(1), replace(make(2), status=ChannelStatus.AUTO_DISABLED)]
    assert session.rows() == (session.channels, None)
    assert [t.channels for t in session.locate([2, ChannelRef("one", 1)])] == [(session.channels[1],)]
