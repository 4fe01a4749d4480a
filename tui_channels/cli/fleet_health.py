"""`tui-channels fleet health`: what needs attention across the fleet, for a cron job or a look.

Exit code 0 when nothing needs attention, 1 when something does (a site that does not answer
included), 2 for usage errors. `--json` prints the findings, what could not be checked, and the
thresholds used.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

from ..config import HealthSettings, SiteProfile
from ..services import test_log
from ..services.health import Health, assess
from .common import format_table
from .fleet_sites import close_fleet, load_fleet, site_load


async def health(settings: HealthSettings, profiles: Sequence[SiteProfile], as_json: bool) -> int:
    fleet = await load_fleet(profiles, report_failures=False)
    try:
        tests = test_log.read()
    except test_log.TestLogError as error:
        print(f"warning: {error.message}; last test results are left out", file=sys.stderr)
        tests = {}
    try:
        report = assess(fleet.sessions, settings, tests)
    finally:
        await close_fleet(fleet)
    if as_json:
        document = {
            "findings": [f.to_json() for f in report.findings],
            "notes": list(report.notes),
            "thresholds": settings.model_dump(),
            "sites": [{**site_load(s), "channels": len(s.channels)} for s in fleet.sessions],
        }
        print(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        _print(report, len(fleet.sessions))
    return 1 if report.findings else 0


def _print(report: Health, sites: int) -> None:
    if report.findings:
        rows = (
            (f.concern.label, f.site, "" if f.channel_id is None else f.channel_id, f.name if f.channel_id else "", f.detail)
            for f in report.findings
        )
        print(format_table(("CONCERN", "SITE", "ID", "NAME", "DETAIL"), rows))
    else:
        print(f"Nothing needs attention on {sites} site{'' if sites == 1 else 's'}.")
    for note in report.notes:
        print(f"note: {note}", file=sys.stderr)
