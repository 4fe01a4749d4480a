"""The fleet's health: what needs an admin's attention across every site, one finding per row.

Findings, from what the servers return and the tests this tool ran (`test_log`):

- a site that does not answer (its load failed: unreachable, refused credentials, an error);
- an automatically disabled channel (the gateway took it out after errors);
- a channel whose last test by this tool failed (servers do not keep that; see `test_log`);
- a slow channel: its response time as the server records it above `slow_ms`;
- a low balance: below `low_balance` (only balances the server really queried);
- a channel without models, which serves nothing;
- one upstream (the same base URL and key) serving on several sites, where servers return keys.

Thresholds are the `[health]` settings (`config.HealthSettings`). Every finding names its site
and channel, so the app can put the cursor on it. Nothing here imports Textual.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..config import HealthSettings
from ..models import Channel, ChannelStatus, mask_secret
from . import base_urls, test_log
from .channel_view import format_balance, format_duration_ms, relative_time
from .sites import LoadState, SiteSession


class Concern(str, enum.Enum):
    """What a finding is about, in the order the report lists them (most urgent first)."""

    SITE_DOWN = "site_down"
    AUTO_DISABLED = "auto_disabled"
    TEST_FAILED = "test_failed"
    SLOW = "slow"
    LOW_BALANCE = "low_balance"
    NO_MODELS = "no_models"
    SHARED_UPSTREAM = "shared_upstream"

    @property
    def label(self) -> str:
        return {
            "site_down": "Site does not answer",
            "auto_disabled": "Auto-disabled",
            "test_failed": "Last test failed",
            "slow": "Slow",
            "low_balance": "Low balance",
            "no_models": "No models",
            "shared_upstream": "Same upstream on several sites",
        }[self.value]


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing to look at: on which site, which channel (None for the site itself), and why."""

    concern: Concern
    site: str
    channel_id: int | None
    name: str
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {
            "concern": self.concern.value,
            "site": self.site,
            "channel_id": self.channel_id,
            "name": self.name,
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class Health:
    """The findings, and what the report could not check (said, not hidden)."""

    findings: tuple[Finding, ...]
    notes: tuple[str, ...]

    def count(self, concern: Concern) -> int:
        return sum(f.concern is concern for f in self.findings)


def upstream_keys(channel: Channel) -> list[str]:
    """The channel's upstream keys, one per line of its key field (empty where the server hides keys)."""
    return [line.strip() for line in (channel.key or "").splitlines() if line.strip()]


def _upstream_url(channel: Channel) -> str:
    return base_urls.comparable(channel.base_url or channel.type.default_base_url)


def assess(
    sessions: Sequence[SiteSession],
    settings: HealthSettings,
    tests: test_log.Records,
    now: float | None = None,
) -> Health:
    """Every finding over the loaded sites (and the sites that failed to load), most urgent first."""
    findings: list[Finding] = []
    notes: list[str] = []
    for session in sessions:
        if session.state in (LoadState.FAILED, LoadState.AUTH_FAILED):
            error = session.error
            detail = f"{error.title}: {error.message}" if error else "the channels did not load"
            findings.append(Finding(Concern.SITE_DOWN, session.name, None, session.name, detail))
        for channel in session.channels:
            findings.extend(_channel_findings(session.name, channel, settings, tests, now))
    if settings.shared_upstreams:
        findings.extend(_shared_upstreams(sessions))
        hidden = [s.name for s in sessions if s.channels and s.capabilities and not s.capabilities.returns_keys]
        if hidden:
            why = "its server does not list keys." if len(hidden) == 1 else "their servers do not list keys."
            notes.append(f"Keys are not compared on {', '.join(hidden)}: {why}")
    order = list(Concern)
    findings.sort(key=lambda f: (order.index(f.concern), f.site, f.channel_id or 0))
    return Health(tuple(findings), tuple(notes))


def _channel_findings(
    site: str, channel: Channel, settings: HealthSettings, tests: test_log.Records, now: float | None
) -> Iterable[Finding]:
    def finding(concern: Concern, detail: str) -> Finding:
        return Finding(concern, site, channel.id, channel.name, detail)

    if channel.status is ChannelStatus.AUTO_DISABLED:
        yield finding(Concern.AUTO_DISABLED, "disabled by the gateway after errors")
    failed = test_log.last_failure(tests, site, channel)
    if failed is not None:
        when = relative_time(failed.at, now)
        yield finding(Concern.TEST_FAILED, f"{when}: {failed.message or 'the test failed'}")
    if channel.response_time_ms and channel.response_time_ms > settings.slow_ms:
        yield finding(Concern.SLOW, format_duration_ms(channel.response_time_ms))
    if channel.balance is not None and channel.balance_time and channel.balance < settings.low_balance:
        when = relative_time(channel.balance_time, now)
        yield finding(Concern.LOW_BALANCE, f"{format_balance(channel.balance)}, queried {when}")
    if not channel.models and not channel.all_models:
        yield finding(Concern.NO_MODELS, "serves no model, so no request reaches it")


def _shared_upstreams(sessions: Sequence[SiteSession]) -> Iterable[Finding]:
    """One finding per channel whose base URL and key another site's channel serves too."""
    holders: dict[tuple[str, str], list[tuple[str, Channel]]] = {}
    for session in sessions:
        for channel in session.channels:
            for key in upstream_keys(channel):
                holders.setdefault((_upstream_url(channel), key), []).append((session.name, channel))
    reported: set[tuple[str, int]] = set()
    for (url, key), found in holders.items():
        sites = {site for site, _channel in found}
        if len(sites) < 2:
            continue
        for site, channel in found:
            if (site, channel.id) in reported:
                continue
            reported.add((site, channel.id))
            others = ", ".join(f"{s} #{c.id}" for s, c in found if s != site)
            yield Finding(
                Concern.SHARED_UPSTREAM,
                site,
                channel.id,
                channel.name,
                f"also on {others}: {url or 'the type default URL'}, key {mask_secret(key)}",
            )
