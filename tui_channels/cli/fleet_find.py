"""`tui-channels fleet find TEXT`: every channel on every site with that base URL, model or key.

The text may be a key, so it is never printed back; matching keys show masked.

Exit code 0 when something was found, 1 when nothing was (or a site did not load), 2 for usage
errors. What could not be checked (keys a server never returns) is said on standard error.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

from ..errors import ChannelsError
from ..secret_store import SecretStore
from ..config import SiteProfile
from ..services.find import find as find_text
from ..services.key_library import KeyLibrary, UpstreamKey
from ..wording import aside, plural
from .common import format_table
from .fleet_sites import close_fleet, load_fleet


async def find(profiles: Sequence[SiteProfile], text: str, as_json: bool) -> int:
    fleet = await load_fleet(profiles)
    try:
        found = find_text(text, fleet.sessions, _library())
    finally:
        await close_fleet(fleet)
    if as_json:
        document = {"matches": [m.to_json() for m in found.matches], "notes": list(found.notes)}
        print(json.dumps(document, indent=2, ensure_ascii=False))
    elif found.matches:
        rows = ((m.site, m.channel_id, m.name, m.via.label, m.detail) for m in found.matches)
        print(format_table(("SITE", "ID", "NAME", "MATCHED", "DETAIL"), rows))
    else:
        print(f"No channel on {plural(len(fleet.sessions), 'site')} has it.", file=sys.stderr)
    for note in found.notes:
        print(f"note: {note}", file=sys.stderr)
    return 0 if found.matches and not fleet.failed_sites() else 1


def _library() -> list[UpstreamKey]:
    """The key library's keys; none (said on standard error) when the secret store cannot be read."""
    try:
        return KeyLibrary(SecretStore()).keys()
    except ChannelsError as error:
        print(
            f"warning: the key library could not be read {aside(error.message)}; keys are matched on servers only",
            file=sys.stderr,
        )
        return []
