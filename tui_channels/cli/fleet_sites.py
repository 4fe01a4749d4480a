"""What the `fleet` commands share: the chosen sites, loading them at once, and their outcomes."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from ..config import AppConfig, SiteProfile
from ..errors import ConfigError
from ..secret_store import SecretStore
from ..services.fleet import Fleet
from ..services.fleet_batch import by_site
from ..services.results import ChannelResult, Outcome, tally
from ..services.sites import LoadState, SiteSession


def chosen_sites(config: AppConfig, names: Sequence[str] | None) -> list[SiteProfile]:
    """The sites `--sites` names (every configured site without it); an unknown name is an
    `UnknownSite`, a usage error like an unknown `--site` of the other commands."""
    if not config.sites:
        raise ConfigError("no sites are configured; add one with `tui-channels sites add …`")
    if not names:
        return list(config.sites)
    unknown = [name for name in names if not config.has_site(name)]
    if unknown:
        raise config.unknown_sites(unknown)
    return [config.site(name) for name in names]


async def load_fleet(profiles: Sequence[SiteProfile], *, report_failures: bool = True) -> Fleet:
    """Every chosen site loaded at once; each one that failed is reported on standard error."""
    secrets = SecretStore()
    fleet = Fleet([SiteSession(profile=profile, secrets=secrets) for profile in profiles])
    await fleet.load()
    for session in fleet.failed_sites() if report_failures else ():
        error = session.error
        print(f"error: {session.name}: {error.title}: {error.message}" if error else f"error: {session.name}: did not load", file=sys.stderr)
    return fleet


async def close_fleet(fleet: Fleet) -> None:
    for session in fleet.sessions:
        await session.disconnect()


def site_load(session: SiteSession) -> dict[str, Any]:
    """A site of the fleet as every fleet command's `--json` names it in `sites`: its name, kind,
    whether its channels loaded, and why not."""
    error = session.error if session.state is not LoadState.READY else None
    return {
        "site": session.name,
        "kind": session.profile.kind.value,
        "loaded": session.state is LoadState.READY,
        "error": f"{error.title}: {error.message}" if error else None,
    }


def site_outcomes(fleet: Fleet, results: Sequence[ChannelResult]) -> list[dict[str, Any]]:
    """Each site's load outcome (`site_load`), how many channels took part and their result
    counts, for a batch's `--json`."""
    grouped = by_site(results)
    outcomes = []
    for session in fleet.sessions:
        counts = tally(grouped.get(session.name, []))
        outcomes.append(
            {
                **site_load(session),
                "channels": len(grouped.get(session.name, [])),
                **{outcome.value: counts[outcome] for outcome in Outcome},
            }
        )
    return outcomes
