"""An action's channels on each of its sites, read again from the servers right before the action
is planned (`current.read_current` per site, every site at once), so that what a confirmation counts
and what the action writes from is what the servers hold, not the rows listed earlier."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from ..errors import ChannelsError
from ..models import Channel
from ..wording import agrees, plural
from .current import read_current
from .sites import SiteChannels


@dataclass
class ReadTargets:
    """An action's channels on each site, read from the servers just before it is planned."""

    targets: list[SiteChannels] = field(default_factory=list)
    """Each site's channels as its server holds them now, in the order asked; those gone left out."""
    gone: dict[str, set[int]] = field(default_factory=dict)
    """By site: the ids asked for that the server no longer has."""
    unread: dict[str, str] = field(default_factory=dict)
    """By site: why its channels could not be read (the action leaves that site out)."""

    def notes(self) -> list[str]:
        """One line per site left out, or with channels gone, for the confirmation or report."""
        lines = [f"{site}: left out, its channels could not be read again: {why}" for site, why in self.unread.items()]
        for site, ids in self.gone.items():
            if ids:
                count = len(ids)
                lines.append(
                    f"{site}: {plural(count, 'channel')} {agrees(count, 'is', 'are')} no longer on the server "
                    "(deleted since the list loaded), left out."
                )
        return lines


async def read_targets(targets: Sequence[SiteChannels]) -> ReadTargets:
    """`targets` as their servers hold them now, every site read at once (`read_current` each)."""

    async def one(target: SiteChannels) -> dict[int, Channel]:
        return await read_current(await target.session.connect(), [c.id for c in target.channels])

    answers = await asyncio.gather(*(one(t) for t in targets), return_exceptions=True)
    read = ReadTargets()
    for target, answer in zip(targets, answers):
        if isinstance(answer, ChannelsError):
            read.unread[target.name] = answer.message
            continue
        if isinstance(answer, BaseException):
            raise answer
        read.targets.append(replace(target, channels=tuple(answer[c.id] for c in target.channels if c.id in answer)))
        read.gone[target.name] = {c.id for c in target.channels} - set(answer)
    return read
