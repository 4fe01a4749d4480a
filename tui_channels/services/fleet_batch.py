"""One batch over the channels of several sites: each site under its own settings, all at once.

A `FleetRun` is a `BatchRun` per site (`SiteBatch`), started together: each site keeps its own
concurrency, its own request budget (its backend's) and its own operation (its own backend,
capabilities and rules), so a slow or rate-limited site never holds up another. Progress is
reported for the whole run and per site; results come back stamped with their site, site by
site, so two sites' channel 7 never meet. Cancelling stops every site.

A site that cannot do the operation at all is given as a `SiteBatch` with a `skip_reason`: its
channels end as skipped with that reason, and nothing is sent to it.

The app runs every batch through this, one site or many; so does `tui-channels fleet`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from ..backends.base import Backend
from ..backends.base import Operation as ServerOperation
from ..models import Channel
from .batch import BatchProgress, BatchRun, BatchSettings, Operation, ResultCallback, skipped
from .recorder import one_batch
from .results import ChannelResult
from .sites import SiteChannels, SiteSession


@dataclass
class SiteBatch:
    """What one site does in a fleet batch: its channels, operation and settings."""

    site: str
    channels: Sequence[Channel]
    operation: Operation | None
    settings: BatchSettings = field(default_factory=BatchSettings)
    on_result: ResultCallback | None = None
    """Sees each of this site's results as it arrives (ids are this site's)."""
    skip_reason: str = ""
    """Set when the site cannot do the operation: its channels are skipped with this reason."""


def site_batch(
    target: SiteChannels,
    needs: ServerOperation,
    build: Callable[[SiteSession, Backend], Operation],
    settings: BatchSettings,
    on_result: ResultCallback | None = None,
) -> SiteBatch:
    """A site's part of a batch: `build(session, backend)` runs it, unless the site is not connected
    or its server lacks `needs`, in which case its channels are skipped with the reason."""
    session = target.session
    backend = session.backend
    capabilities = session.capabilities
    if backend is None or capabilities is None:
        reason = f"{session.name} is not connected; reload it"
        return SiteBatch(session.name, target.channels, None, settings, skip_reason=reason)
    if not capabilities.supports(needs):
        reason = capabilities.unsupported_reason(needs)
        return SiteBatch(session.name, target.channels, None, settings, skip_reason=reason)
    return SiteBatch(session.name, target.channels, build(session, backend), settings, on_result=on_result)


@dataclass(frozen=True, slots=True)
class FleetProgress:
    """The whole run's counts, and each site's, in the order the sites were given."""

    total: BatchProgress
    sites: tuple[tuple[str, BatchProgress], ...]

    @property
    def site_count(self) -> int:
        return len(self.sites)


def _sum(progresses: Sequence[BatchProgress], elapsed: float) -> BatchProgress:
    """The sites' counts added up; the elapsed time is the longest any site reports (each site's
    engine keeps its own clock), else `elapsed`. The ETA is the slowest unfinished site's; the run
    is held (`pause`) when every unfinished site is, until the first of them resumes."""
    elapsed = max((p.elapsed for p in progresses), default=elapsed) or elapsed
    running = [p for p in progresses if p.done < p.total]
    etas = [p.eta for p in running if p.eta is not None]
    pauses = [p.pause for p in running if p.pause is not None]
    held = bool(running) and len(pauses) == len(running)
    return BatchProgress(
        total=sum(p.total for p in progresses),
        done=sum(p.done for p in progresses),
        ok=sum(p.ok for p in progresses),
        failed=sum(p.failed for p in progresses),
        skipped=sum(p.skipped for p in progresses),
        elapsed=elapsed,
        in_flight=sum(p.in_flight for p in progresses),
        eta=max(etas) if etas else None,
        pause=min(pauses, key=lambda p: p.resumes_at or float("inf")) if held else None,
    )


class FleetRun:
    """Runs every `SiteBatch` at once; await `run()`, call `cancel()` from anywhere on the loop."""

    def __init__(
        self,
        batches: Sequence[SiteBatch],
        *,
        on_progress: Callable[[FleetProgress], None] | None = None,
    ) -> None:
        self.batches = list(batches)
        names = [b.site for b in self.batches]
        if len(set(names)) != len(names):
            raise ValueError("a fleet batch takes each site once")
        self._on_progress = on_progress
        self._runs: dict[str, BatchRun] = {}
        self._latest: dict[str, BatchProgress] = {}
        """Each site's last progress, as its run reported it (asking every run again per result
        would cost the whole fleet's count on every channel)."""
        self._cancelled = False
        self._reason = ""
        self._loop_started = 0.0

    @property
    def total(self) -> int:
        return sum(len(b.channels) for b in self.batches)

    @property
    def site_runs(self) -> Mapping[str, BatchRun]:
        """Each site's engine run, by site, once `run()` has started them (for why and how long
        a site's batch stopped or waited)."""
        return self._runs

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def cancel(self, reason: str = "cancelled by the user") -> None:
        """Start no new channel on any site; read-only work in flight is interrupted."""
        self._cancelled = True
        self._reason = reason
        for run in self._runs.values():
            run.cancel(reason)

    def progress(self) -> FleetProgress:
        loop = asyncio.get_running_loop()
        elapsed = loop.time() - self._loop_started if self._loop_started else 0.0
        per_site = []
        for batch in self.batches:
            latest = self._latest.get(batch.site)
            if latest is None:
                count = len(batch.channels)
                skipped_now = count if batch.site not in self._runs else 0
                latest = BatchProgress(count, skipped_now, 0, 0, skipped_now, elapsed)
            per_site.append((batch.site, latest))
        return FleetProgress(_sum([p for _s, p in per_site], elapsed), tuple(per_site))

    async def run(self) -> list[ChannelResult]:
        """Every site's results, stamped with the site, site by site in the order given."""
        self._loop_started = asyncio.get_running_loop().time()
        for batch in self.batches:
            if batch.operation is not None and not batch.skip_reason:
                self._runs[batch.site] = BatchRun(
                    batch.channels,
                    batch.operation,
                    batch.settings,
                    on_result=batch.on_result,
                    on_progress=self._reporter(batch.site),
                )
        if self._cancelled:
            for run in self._runs.values():
                run.cancel(self._reason)
        with one_batch():
            tasks = {site: asyncio.ensure_future(run.run()) for site, run in self._runs.items()}
        self._report()
        try:
            await asyncio.gather(*tasks.values())
        except asyncio.CancelledError:
            self.cancel()
            await asyncio.gather(*tasks.values(), return_exceptions=True)
            raise
        results: list[ChannelResult] = []
        for batch in self.batches:
            task = tasks.get(batch.site)
            if task is None:
                reason = batch.skip_reason or "nothing to run on this site"
                found = [skipped(channel, reason) for channel in batch.channels]
            else:
                found = task.result()
            results.extend(replace(result, site=batch.site) for result in found)
        return results

    def _reporter(self, site: str) -> Callable[[BatchProgress], None]:
        def progressed(progress: BatchProgress) -> None:
            self._latest[site] = progress
            self._report()

        return progressed

    def _report(self) -> None:
        if self._on_progress is not None:
            self._on_progress(self.progress())


def by_site(results: Sequence[ChannelResult]) -> dict[str, list[ChannelResult]]:
    """Results grouped by their site, in the order the sites first appear."""
    grouped: dict[str, list[ChannelResult]] = {}
    for result in results:
        grouped.setdefault(result.site, []).append(result)
    return grouped
