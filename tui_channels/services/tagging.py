"""Set or clear the tag of many channels (New API), one channel per request so each has a result;
what the confirmation of such a write says before it is sent."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ..backends.base import Backend
from ..models import Channel, TypeCode
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


ONE_TYPE_RULE = "channels of one tag must share a type"
"""Why a server with `Capabilities.tag_one_type` (Done Hub) refuses a channel its tag's other
channels differ from in type, in words."""


def tag_types(site: SiteChannels, tag: str) -> dict[TypeCode, str]:
    """The types (code: name) of the channels the list of `site` holds with `tag` already; for a
    tag none holds, the type the first channel tagged will give it: the most common of
    `site.channels` (the first of them on a tie)."""
    members = {c.type.code: c.type.name for c in site.session.channels if (c.tag or None) == tag}
    if members or not site.channels:
        return members
    counts = Counter(c.type.code for c in site.channels)
    first = max(counts, key=lambda code: counts[code])
    return {first: next(c.type.name for c in site.channels if c.type.code == first)}


def refused_by_type(site: SiteChannels, tag: str | None) -> tuple[Channel, ...]:
    """The channels of `site` that its server will refuse to give `tag`, because channels of one
    tag must share a type there (`Capabilities.tag_one_type`; none elsewhere, or to clear a tag):
    each whose type differs from any of `tag_types`."""
    capabilities = site.session.capabilities
    if not tag or capabilities is None or not capabilities.tag_one_type:
        return ()
    types = set(tag_types(site, tag))
    return tuple(c for c in site.channels if types - {c.type.code})


@dataclass(frozen=True, slots=True)
class TagPlan:
    """What setting `tag` (None clears it) on the channels of sites that can tag several writes:
    per site, the channels whose tag differs (`targets`); the channels that already carry it
    (`unchanged`); the sites left out, one line each with the reason (`skipped`, from
    `fleet.left_out`); and, per site, the targets its server will refuse because their type
    differs from the tag's other channels (`refused`, see `refused_by_type`)."""

    tag: str | None
    targets: tuple[SiteChannels, ...]
    unchanged: tuple[Channel, ...]
    skipped: str = ""
    refused: tuple[SiteChannels, ...] = ()

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
        refused = tuple(SiteChannels(t.session, found) for t in targets if (found := refused_by_type(t, tag)))
        return cls(tag, targets, unchanged, skipped, refused)

    def leaving_refused(self) -> TagPlan:
        """This plan without the channels the servers will refuse (`refused`)."""
        left = {(t.name, c.id) for t in self.refused for c in t.channels}
        targets = tuple(
            SiteChannels(t.session, kept)
            for t in self.targets
            if (kept := tuple(c for c in t.channels if (t.name, c.id) not in left))
        )
        return replace(self, targets=targets, refused=())

    @property
    def channels(self) -> tuple[Channel, ...]:
        return tuple(c for t in self.targets for c in t.channels)

    @property
    def refused_channels(self) -> tuple[Channel, ...]:
        return tuple(c for t in self.refused for c in t.channels)

    def refusal(self) -> str:
        """The warning for `refused`: how many channels on which sites, and why, in words; "" for none."""
        if not self.refused:
            return ""
        servers = sorted({t.session.capabilities.flavor_label for t in self.refused if t.session.capabilities})
        count = len(self.refused_channels)
        lines = [
            f"{' and '.join(servers)} will refuse {spread(self.refused)}: {ONE_TYPE_RULE}, and "
            f"{agrees(count, 'its type differs', 'their types differ')} from the tag's other channels there "
            "(the first channel tagged sets the type of a new tag)."
        ]
        targets = {t.name: t for t in self.targets}
        for site in self.refused:
            kept = " and ".join(tag_types(targets.get(site.name, site), self.tag or "").values())
            types = Counter(c.type.name for c in site.channels).most_common()
            shown = ", ".join(f"{name} ({n:,})" for name, n in types)
            lines.append(f"  {site.name}: tag {self.tag!r} takes {kept}; refused: {shown}")
        return "\n".join(lines)

    @property
    def replaced(self) -> tuple[Channel, ...]:
        """The channels whose own tag this write replaces (or clears)."""
        return tuple(c for c in self.channels if c.tag)

    @property
    def needs_asking(self) -> bool:
        """Whether to confirm first: a write over several sites, one that leaves a site out, one
        that replaces a channel's own tag, or one a server will refuse in part. Tagging untagged
        channels of one site asks nothing."""
        return len(self.targets) > 1 or bool(self.skipped) or bool(self.replaced) or bool(self.refused)

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
        refused = {(t.name, c.id) for t in self.refused for c in t.channels}

        def note(site: str, channel: Channel) -> str:
            notes = [f"tag {channel.tag}"] if channel.tag else []
            if (site, channel.id) in refused:
                notes.append(f"{channel.type.name}: refused")
            return f" ({'; '.join(notes)})" if notes else ""

        listed = named_channels([(t.name, t.channels) for t in self.targets], heading=f"Will be {done}:", site_note=note)
        return "\n\n".join(filter(None, ["\n".join(filter(None, lines)), self.refusal(), self.skipped, listed]))
