"""Set or clear the tag of many channels (New API), one channel per request so each has a result;
what the confirmation of such a write says before it is sent."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ..backends.base import Backend
from ..models import Channel
from ..wording import agrees, plural
from .batch import Operation, failed, skipped, succeeded
from .current import SharedRead
from .fleet import spread
from .named import named_channels
from .results import ChannelResult, Outcome
from .sites import SiteChannels


HELD = "tag"
"""A tagging result's `extra` key for the tag the server holds on the channel afterwards."""


def tag_operation(backend: Backend, tag: str | None, channels: Sequence[Channel]) -> Operation:
    """Give one of `channels` (as the plan read them) `tag` (None or "" clears it); the result's
    value is the tag the channel has afterwards. Each channel is read from the server again when
    the first write is about to go (one read for all of them: the confirmation may have stayed open
    a while): one the server holds with `tag` already is skipped, one whose tag changed on the
    server since the plan read it is refused naming both tags (the confirmation said what it
    replaces), one gone since is skipped."""
    tag = (tag or "").strip() or None
    current = SharedRead(backend, [c.id for c in channels])

    async def set_tag(channel: Channel) -> ChannelResult:
        now = await current.get(channel.id)
        if now is None:
            return skipped(channel, "gone from the server since it was listed")
        if (now.tag or None) == tag:
            return replace(skipped(now, f"already tagged {tag}" if tag else "already without a tag"), extra={HELD: tag})
        if (now.tag or None) != (channel.tag or None):
            return failed(
                now,
                f"tag changed on the server since it was listed: {now.tag or 'none'}, was {channel.tag or 'none'}; "
                "reload with r",
                extra={HELD: now.tag or None},
            )
        await backend.set_tag([channel.id], tag)
        return succeeded(now, f"tag set to {tag}" if tag else "tag cleared", value=tag, extra={HELD: tag})

    return set_tag


def with_tag(channel: Channel, result: ChannelResult) -> Channel:
    """The channel with the tag the server holds after its result (set, there already, or changed
    on the server since it was listed); as it was when the result does not know."""
    if HELD not in result.extra:
        return channel
    return replace(channel, tag=result.extra[HELD])


def shared_tag(channels: Sequence[Channel]) -> str:
    """The tag every one of `channels` carries, or "" (none, or not one they share): what the tag
    dialog offers, so that Enter, Enter never spreads one channel's tag over others."""
    tags = {channel.tag or "" for channel in channels}
    return tags.pop() if len(tags) == 1 else ""


@dataclass(frozen=True, slots=True)
class TagPlan:
    """What setting `tag` (None clears it) on the channels of sites that can tag several writes:
    per site, the channels whose tag differs (`targets`); the channels that already carry it
    (`unchanged`); and the sites left out, one line each with the reason (`skipped`, from
    `fleet.left_out`)."""

    tag: str | None
    targets: tuple[SiteChannels, ...]
    unchanged: tuple[Channel, ...]
    skipped: str = ""

    @classmethod
    def of(cls, able: Sequence[SiteChannels], skipped: str, tag: str | None) -> TagPlan:
        """`able`: the scope's sites that can tag (`fleet.split_by_support`), `skipped` the others."""
        tag = (tag or "").strip() or None
        targets = tuple(
            SiteChannels(t.session, changing)
            for t in able
            if (changing := tuple(c for c in t.channels if (c.tag or None) != tag))
        )
        unchanged = tuple(c for t in able for c in t.channels if (c.tag or None) == tag)
        return cls(tag, targets, unchanged, skipped)

    @property
    def channels(self) -> tuple[Channel, ...]:
        return tuple(c for t in self.targets for c in t.channels)

    @property
    def replaced(self) -> tuple[Channel, ...]:
        """The channels whose own tag this write replaces (or clears)."""
        return tuple(c for c in self.channels if c.tag)

    @property
    def needs_asking(self) -> bool:
        """Whether to confirm first: a write over several sites, one that leaves a site out, or one
        that replaces a channel's own tag. Tagging untagged channels of one site asks nothing."""
        return len(self.targets) > 1 or bool(self.skipped) or bool(self.replaced)

    @property
    def title(self) -> str:
        where = spread(self.targets) if len(self.targets) > 1 else plural(len(self.channels), "channel")
        return f"Tag {where} with {self.tag!r}?" if self.tag else f"Clear the tag of {where}?"

    def message(self) -> str:
        """Counts and warnings first (what is replaced, what stays, which sites are left out and
        why), then the channels, the first ten named with their tag now."""
        count = len(self.channels)
        done = f"tagged {self.tag!r}" if self.tag else "left without a tag"
        lines = [f"{spread(self.targets)} will be {done}." if self.targets else ""]
        replaced = self.replaced
        if replaced:
            tags = Counter(c.tag for c in replaced).most_common()
            shown = ", ".join(f"{tag} ({n:,})" for tag, n in tags[:5]) + (", …" if len(tags) > 5 else "")
            whose = "its tag" if count == 1 else f"the tag of {len(replaced):,} of them"
            lines.append(f"This replaces {whose}: {shown}.")
        if self.unchanged:
            already = f"tagged {self.tag!r}" if self.tag else "without a tag"
            stay = agrees(len(self.unchanged), "stays as it is", "stay as they are")
            lines.append(f"{plural(len(self.unchanged), 'other')} already {already} {stay}.")
        listed = named_channels(
            [(t.name, t.channels) for t in self.targets],
            heading=f"Will be {done}:",
            note=lambda c: f" (tag {c.tag})" if c.tag else "",
        )
        return "\n\n".join(filter(None, ["\n".join(filter(None, lines)), self.skipped, listed]))
