"""Where a fleet report's row leads: a channel of a site, or the site itself."""

from __future__ import annotations

from typing import NamedTuple


class Jump(NamedTuple):
    """A site, and one of its channels (None: the site itself, e.g. one that does not answer)."""

    site: str
    channel_id: int | None
