"""How a confirmation names the channels it acts on: the first few, per site when several, then
how many more. Counts and warnings come before such a list, so that it never pushes them out of
sight on a small terminal."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..models import Channel

NAMED = 10
"""How many channels a confirmation names, over every site together, before "and N more"."""


def named_channels(
    parts: Sequence[tuple[str, Sequence[Channel]]],
    *,
    heading: str,
    limit: int = NAMED,
    note: Callable[[Channel], str] = lambda _channel: "",
    site_note: Callable[[str, Channel], str] | None = None,
) -> str:
    """Under `heading` ("Will be disabled:"), the first `limit` channels of `parts` ((site,
    channels), by id within a site), one per line with `note(channel)` (or `site_note(site,
    channel)`, where ids repeat across sites) after the name, under a "site (count):" line when
    there are several sites, then "and N more" (and on how many sites it leaves unnamed); "" when
    there is no channel. A confirmation puts this after its counts and warnings: a long list never
    pushes those out of sight, and the heading says which channels these are (a list right after a
    paragraph about other channels read as naming those)."""
    parts = [(site, channels) for site, channels in parts if channels]
    if not parts:
        return ""
    several = len(parts) > 1
    lines: list[str] = [heading]
    named = 0
    unnamed: list[str] = []
    for site, channels in parts:
        room = limit - named
        if room < len(channels):
            unnamed.append(site)
        if room <= 0:
            continue
        if several:
            lines.append(f"{site} ({len(channels):,}):")
        ordered = sorted(channels, key=lambda c: c.id)[:room]
        lines.extend(f"  #{c.id} {c.name}{site_note(site, c) if site_note else note(c)}" for c in ordered)
        named += len(ordered)
    rest = sum(len(channels) for _site, channels in parts) - named
    if rest:
        where = "" if not several else f" on {unnamed[0]}" if len(unnamed) == 1 else f" on {len(unnamed)} sites"
        lines.append(f"  and {rest:,} more{where}")
    return "\n".join(lines)
