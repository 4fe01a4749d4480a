"""Enable or disable many channels knowing what each one was, so that the change can be undone.

A status change is planned first (`StatusPlan`, one per site; `StatusPlans` for all of them): which of the channels the user named change, which
already have the wanted status, which the gateway auto-disabled and which the current filter hides,
so that the confirmation can say so. What was written is kept as a `StatusChange`; its undo sets each
of those channels back to the status it had before, unless the channel changed again since.

Disabling leaves every disabled channel alone, auto-disabled ones included: writing "disabled" over
an auto-disabled channel would make it a manually disabled one, which the gateway no longer
re-enables when its upstream recovers. Enabling an auto-disabled channel sends traffic to an upstream
that was failing, so the plan counts those apart and the confirmation offers to leave them.

Auto-disabled is New API's status 3 (One API, Veloera alike), set by the gateway itself. The app
writes only enabled (1) and manually disabled (2): an undo sets a channel that was auto-disabled
back to disabled, and says so.

A whole tag enabled or disabled through the server's tag route is kept as its journal entry
(`TagStatusChange`) and undone the way the history undoes any entry. The tag route writes the status
on every member (New API `POST /api/channel/tag/disabled`, One Hub and Done Hub
`PUT /api/channel_tag/:tag/status/disable` set status 2 on all of them, auto-disabled ones
included; the enable routes set status 1 on all of them alike), so a tag whose members hold an
auto-disabled channel is disabled member by member instead (`tag_route_fits`), leaving that
channel as the gateway marked it, and so is an enable told to leave them.

In the fleet view one change spans sites: each site gets its own plan and its own `StatusChange`,
all with one serial, so that an undo sets back every site's part of the last change together.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import count

from ..backends.base import Backend
from ..models import Channel, ChannelStatus
from ..wording import agrees, plural
from .batch import Operation, failed, skipped, succeeded
from .journal import Entry
from .named import named_channels
from .recorder import acting, written_entries
from .results import ChannelResult
from .current import read_current
from .identity import same_channel
from .undo import moved_since


def stays_as_is(channel: Channel, enabled: bool) -> bool:
    """True when enabling (disabling) leaves `channel` as it is: it is already enabled (disabled)."""
    return channel.status.is_enabled if enabled else channel.status.is_disabled


def tag_written(label: str, plan: StatusPlan) -> str:
    """What a whole tag's change says once written: "Disabled the 2 channels tagged x. 1 other,
    already disabled, stays as it is."; an enable counts the members the gateway had auto-disabled
    ("Enabled the 3 channels tagged x (1 of them auto-disabled by the gateway)")."""
    state = "enabled" if plan.enabled else "disabled"
    stayed = f" {unchanged_sentence(len(plan.unchanged), state)}" if plan.unchanged else ""
    automatic = len(plan.auto_disabled)
    if not automatic:
        among = ""
    elif automatic == len(plan.changing) == 1:
        among = " (it was auto-disabled by the gateway)"
    else:
        among = f" ({automatic:,} of them auto-disabled by the gateway)"
    return f"{plan.verb}d the {plural(len(plan.changing), 'channel')} tagged {label}{among}.{stayed}"


@dataclass(frozen=True, slots=True)
class StatusPlan:
    """The channels a user asked to enable (or disable), sorted into what happens to each."""

    enabled: bool
    targets: tuple[Channel, ...]
    hidden_ids: frozenset[int] = frozenset()
    """Ids of targets the current filter hides from the table."""
    site: str = ""
    """The site the targets are on."""

    @property
    def verb(self) -> str:
        return "Enable" if self.enabled else "Disable"

    @property
    def changing(self) -> tuple[Channel, ...]:
        return tuple(c for c in self.targets if not stays_as_is(c, self.enabled))

    @property
    def unchanged(self) -> tuple[Channel, ...]:
        return tuple(c for c in self.targets if stays_as_is(c, self.enabled))

    @property
    def auto_disabled(self) -> tuple[Channel, ...]:
        """Changing channels the gateway turned off because they failed (only an enable changes them)."""
        return tuple(c for c in self.changing if c.status is ChannelStatus.AUTO_DISABLED)

    @property
    def hidden(self) -> tuple[Channel, ...]:
        """Changing channels the current filter hides."""
        return tuple(c for c in self.changing if c.id in self.hidden_ids)

    @property
    def needs_confirming(self) -> bool:
        """More than one channel changes, or one the user cannot see, or one the gateway turned off."""
        return len(self.changing) > 1 or bool(self.hidden) or bool(self.auto_disabled)

    def without_auto_disabled(self) -> StatusPlan:
        """The same plan, leaving the auto-disabled channels as they are."""
        kept = tuple(c for c in self.targets if c.status is not ChannelStatus.AUTO_DISABLED)
        return StatusPlan(self.enabled, kept, self.hidden_ids, self.site)


async def tag_plan(backend: Backend, tag: str, enabled: bool, *, site: str = "") -> StatusPlan:
    """Enabling (disabling) every channel carrying `tag`, planned over its members as the server
    lists them now (never rows loaded earlier: the gateway may have auto-disabled one since)."""
    members = tuple(c for c in await backend.list_channels() if c.tag == tag)
    return StatusPlan(enabled, members, site=site)


def tag_route_fits(plan: StatusPlan, *, leave_auto_disabled: bool = False) -> bool:
    """Whether the server's tag route may carry out `plan` (a whole tag's change): it writes the
    status on every member, so a disable must meet no auto-disabled one (it would become disabled by
    hand, which the gateway never re-enables), nor an enable told to leave them as they are."""
    if plan.enabled and not leave_auto_disabled:
        return True
    return not any(c.status is ChannelStatus.AUTO_DISABLED for c in plan.targets)


def unchanged_sentence(count: int, state: str, automatic: int = 0) -> str:
    """The sentence for the `count` channels a status change leaves because they are `state`
    already, `automatic` of them auto-disabled by the gateway; "" for none."""
    if not count:
        return ""
    if count == 1:
        return f"1 other, already {state}{' (auto-disabled by the gateway)' if automatic else ''}, stays as it is."
    detail = f" ({automatic:,} of them auto-disabled by the gateway)" if automatic else ""
    return f"{count:,} others, already {state}{detail}, stay as they are."


LEFT_NAMED = 3
"""How many auto-disabled members a whole tag's change names before "and N more"."""


def tag_left_alone(plan: StatusPlan, *, leaving: bool = False) -> str:
    """The sentence a whole tag's change says about the auto-disabled members it leaves (a disable
    always does; an enable when told to, `leaving`), or ""."""
    members = sorted((c for c in plan.targets if c.status is ChannelStatus.AUTO_DISABLED), key=lambda c: c.id)
    automatic = len(members)
    if not automatic or (plan.enabled and not leaving):
        return ""
    stays = "stays as it is" if automatic == 1 else "stay as they are"
    named = ", ".join(f"#{c.id} {c.name}" for c in members[:LEFT_NAMED])
    if automatic > LEFT_NAMED:
        named += f" and {automatic - LEFT_NAMED:,} more"
    if plan.enabled:
        how = "the others are enabled one by one (the tag route would enable every member)."
    else:
        how = "the others are disabled one by one, not by the tag route, which would mark every member disabled by hand."
    return (
        f"{plural(automatic, 'channel')} auto-disabled by the gateway ({named}) {stays}, for the gateway to re-enable "
        f"when its upstream recovers: {how}"
    )


def tag_unchanged(label: str, plan: StatusPlan) -> str:
    """What a whole tag's change whose members all have the wanted status already says (nothing is
    written): "Nothing to disable: the 2 channels tagged x are disabled already, 1 of them
    auto-disabled by the gateway, left so."."""
    state = "enabled" if plan.enabled else "disabled"
    automatic = sum(c.status is ChannelStatus.AUTO_DISABLED for c in plan.targets)
    note = f", {automatic} of them auto-disabled by the gateway, left so" if automatic and not plan.enabled else ""
    return (
        f"Nothing to {plan.verb.lower()}: the {plural(len(plan.targets), 'channel')} tagged {label} "
        f"{agrees(len(plan.targets), 'is', 'are')} {state} already{note}."
    )


@dataclass(frozen=True, slots=True)
class StatusPlans:
    """One status change over one or several sites: a `StatusPlan` per site, all enabling or all
    disabling."""

    plans: tuple[StatusPlan, ...]

    @property
    def enabled(self) -> bool:
        return self.plans[0].enabled

    @property
    def verb(self) -> str:
        return self.plans[0].verb

    @property
    def targets(self) -> tuple[Channel, ...]:
        return tuple(c for p in self.plans for c in p.targets)

    @property
    def changing(self) -> tuple[Channel, ...]:
        return tuple(c for p in self.plans for c in p.changing)

    @property
    def unchanged(self) -> tuple[Channel, ...]:
        return tuple(c for p in self.plans for c in p.unchanged)

    @property
    def auto_disabled(self) -> tuple[Channel, ...]:
        return tuple(c for p in self.plans for c in p.auto_disabled)

    @property
    def hidden(self) -> tuple[Channel, ...]:
        return tuple(c for p in self.plans for c in p.hidden)

    @property
    def sites(self) -> int:
        """How many sites have a channel that changes."""
        return sum(bool(p.changing) for p in self.plans)

    @property
    def needs_confirming(self) -> bool:
        """More than one channel changes, or one on another site the user cannot see, or one the
        gateway turned off."""
        return len(self.changing) > 1 or any(p.needs_confirming for p in self.plans)

    def without_auto_disabled(self) -> StatusPlans:
        return StatusPlans(tuple(p.without_auto_disabled() for p in self.plans))


def plan_summary(plan: StatusPlans) -> str:
    """What a status change does, in counts and warnings (what stays, what the filter hides, what
    is auto-disabled), without naming a channel: a confirmation shows it first."""
    changing, unchanged = plan.changing, plan.unchanged
    target = "enabled" if plan.enabled else "disabled"
    where = f" on {plan.sites} sites" if plan.sites > 1 else ""
    lines = [f"{plural(len(changing), 'channel')}{where} will be {target}."]
    if unchanged:
        automatic = sum(c.status is ChannelStatus.AUTO_DISABLED for c in unchanged)
        lines.append(unchanged_sentence(len(unchanged), target, 0 if plan.enabled else automatic))
    if plan.hidden:
        verb = "is" if len(plan.hidden) == 1 else "are"
        lines.append(f"{len(plan.hidden):,} of the {len(changing):,} {verb} hidden by the current filter.")
    if len(plan.auto_disabled) == 1:
        lines.append("Auto-disabled by the gateway because it failed: 1 of them. Enabling it sends requests to it again.")
    elif plan.auto_disabled:
        lines.append(
            f"Auto-disabled by the gateway because they failed: {len(plan.auto_disabled):,} of them. "
            "Enabling them sends requests to them again."
        )
    return "\n".join(lines)


def plan_message(plan: StatusPlans, notes: str = "") -> str:
    """A confirmation's text: the counts and warnings, then `notes` (groups left without a channel,
    sites left out), then the channels that change, the first ten named (per site when several),
    then how to undo it."""
    names = named_channels([(p.site, p.changing) for p in plan.plans], heading=f"Will be {plan.verb.lower()}d:")
    undo = "ctrl+z undoes it afterwards: each channel goes back to the status it has now."
    return "\n\n".join(filter(None, [plan_summary(plan), notes, names, undo]))


@dataclass
class StatusChange:
    """What one status change wrote: each channel's status before it and the status it set."""

    title: str
    serial: int = 0
    """Parts of one change on several sites share it; a later change has a larger one."""
    before: dict[int, ChannelStatus] = field(default_factory=dict)
    after: dict[int, ChannelStatus] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    """Each written channel as it was, to know it again (`identity.same_channel`): an id another
    channel took since is not this one."""
    entries: dict[int, int] = field(default_factory=dict)
    """Each written channel's journal entry, which its undo names as the entry it reverses."""

    def __len__(self) -> int:
        return len(self.after)

    def journalled(self, operation: Operation) -> Operation:
        """`operation` (a status write per channel) noting the journal entry each write made."""

        async def run(channel: Channel) -> ChannelResult:
            with written_entries() as written:
                result = await operation(channel)
            entry = next((e for e in reversed(written) if e.ok), None)
            if entry is not None:
                self.entries[channel.id] = entry.id
            return result

        return run

    @staticmethod
    def next_serial() -> int:
        return next(_SERIALS)

    def recorder(self, channels: Iterable[Channel]) -> Callable[[ChannelResult], None]:
        """An `on_result` for a status batch over `channels` that records each change, with the
        status the server held just before the write (`bulk.set_status` reads it and says it in
        `extra["before"]`), else the channel's as given."""
        by_id = {channel.id: channel for channel in channels}

        def arrived(result: ChannelResult) -> None:
            channel = by_id.get(result.channel_id)
            if channel is not None and result.ok and result.value:
                before = result.extra.get("before")
                self.before[channel.id] = ChannelStatus(before) if before else channel.status
                self.after[channel.id] = ChannelStatus(result.value)
                self.names[channel.id] = result.name or channel.name
                self.channels[channel.id] = channel

        return arrived

    def undo_plan(self, current: Mapping[int, Channel]) -> UndoPlan:
        """What an undo would do, given the channels as the server holds them now (read them
        just before: a list loaded earlier may not show a change made since)."""
        restore: list[Channel] = []
        moved: list[str] = []
        for channel_id, now in self.after.items():
            channel = current.get(channel_id)
            if channel is None:
                moved.append(f"#{channel_id} {self.names[channel_id]} (gone)")
            elif channel_id in self.channels and not same_channel(self.channels[channel_id], channel):
                moved.append(f"#{channel_id} {self.names[channel_id]} (gone: #{channel_id} is now {channel.name})")
            elif self.before[channel_id] is ChannelStatus.AUTO_DISABLED and channel.status is written_status(
                ChannelStatus.AUTO_DISABLED
            ):
                continue  # disabled by hand already: what the undo would write, nothing to put back
            elif channel.status is not now:
                moved.append(f"#{channel_id} {channel.name} (now {channel.status.label})")
            else:
                restore.append(channel)
        return UndoPlan(self, tuple(restore), tuple(moved))


_SERIALS = count(1)


@dataclass(frozen=True, slots=True)
class TagStatusChange:
    """A whole tag enabled or disabled at once by the server's tag route: the one journal entry it
    wrote, undone as the history undoes an entry (`undo.plan_undo`, then `undo.apply_undo`)."""

    title: str
    entry: Entry
    serial: int

    def __len__(self) -> int:
        return len(self.entry.changes)


LastChange = StatusChange | TagStatusChange
"""A site's last enable / disable, which ctrl+z undoes."""


def latest_changes(changes: Iterable[tuple[str, LastChange | None]]) -> list[tuple[str, LastChange]]:
    """Of each site's last change (site, change), the parts of the latest one that wrote anything."""
    recorded = [(site, change) for site, change in changes if change is not None and len(change)]
    if not recorded:
        return []
    last = max(change.serial for _site, change in recorded)
    return [(site, change) for site, change in recorded if change.serial == last]


@dataclass(frozen=True, slots=True)
class UndoPlan:
    """An undo: the channels to set back, and those left alone because they changed since."""

    change: StatusChange
    restore: tuple[Channel, ...]
    moved: tuple[str, ...]

    def describe(self) -> str:
        """What the undo restores, in words: per status, and what it cannot restore exactly."""
        return describe_undos({"": self})


def describe_undos(undos: Mapping[str, UndoPlan]) -> str:
    """What undoing a change on one site or several (`undos` by site) sets back, counts and
    warnings first: how many channels to which status, on how many sites; how many were
    auto-disabled before (they go back disabled by hand); which are left alone because they
    changed since. Then, over several sites, one line per site."""
    plans = list(undos.values())
    restore = [(plan, channel) for plan in plans for channel in plan.restore]
    counts = Counter(written_status(plan.change.before[channel.id]) for plan, channel in restore)
    parts = ", ".join(f"{count:,} to {status.label}" for status, count in counts.items())
    sites = sum(bool(plan.restore) for plan in plans)
    where = f" on {sites} sites" if sites > 1 else ""
    if restore:
        lines = [f"Sets {plural(len(restore), 'channel')} back{where}: {parts}."]
    else:
        lines = ["No channel still has the status the change set."]
    automatic = sum(plan.change.before[channel.id] is ChannelStatus.AUTO_DISABLED for plan, channel in restore)
    if automatic:
        lines.append(auto_disabled_before(automatic, len(restore)))
    moved = [item for plan in plans for item in plan.moved]
    if moved:
        shown = ", ".join(moved[:5]) + (f" and {len(moved) - 5} more" if len(moved) > 5 else "")
        lines.append(f"Left alone, changed since: {shown}.")
    if len(undos) > 1:
        lines.append("")
        lines += [
            f"{site}: {plural(len(plan.restore), 'channel')}"
            + (f", {len(plan.moved):,} left alone" if plan.moved else "")
            for site, plan in undos.items()
        ]
    return "\n".join(lines)


def auto_disabled_before(automatic: int, restored: int) -> str:
    """What an undo says of the `automatic` of its `restored` channels that the gateway had
    auto-disabled before the change, in the singular for one: they go back disabled by hand."""
    if automatic == 1:
        who = "It was" if restored == 1 else "1 of them was"
        return (
            f"{who} auto-disabled before the change: it is set to disabled by hand, as only the gateway "
            "itself marks a channel auto-disabled (re-enable it once its upstream works)."
        )
    return (
        f"{automatic:,} of them were auto-disabled before the change: they are set to disabled by hand, as "
        "only the gateway itself marks a channel auto-disabled (re-enable them once their upstreams work)."
    )


def written_status(before: ChannelStatus) -> ChannelStatus:
    """The status an undo writes for a channel that had `before`: enabled, or disabled by hand
    (a client can only enable or disable; auto-disabled is the gateway's own mark)."""
    return ChannelStatus.ENABLED if before is ChannelStatus.ENABLED else ChannelStatus.MANUALLY_DISABLED


def undo_operation(backend: Backend, plan: UndoPlan) -> Operation:
    """Set each channel of `plan` back to its status before the change; the result's value is the
    status written (disabled by hand for a channel that was auto-disabled), or for a channel left
    alone the status it has now. Each write is journalled as an undo of the entry the change's
    write of that channel made.

    The channels are read again once, when the first one is about to be written (the plan was
    read before its confirmation, which may have stayed open a while): a channel that no longer
    has the status the change set fails with the reason and is left as it is, as every undo does
    (`undo.moved_since`), unless someone set it back meanwhile: that one is skipped, not failed."""
    before, after = plan.change.before, plan.change.after
    reading: asyncio.Future[dict[int, Channel]] | None = None

    async def current() -> dict[int, Channel]:
        nonlocal reading
        if reading is None:
            reading = asyncio.ensure_future(read_current(backend, [c.id for c in plan.restore]))
        return await asyncio.shield(reading)

    async def run(channel: Channel) -> ChannelResult:
        expected = {"status": after[channel.id].value}
        now = (await current()).get(channel.id)
        moved = moved_since(backend.capabilities, expected, now, planned=channel)
        status = before[channel.id]
        written = written_status(status)
        if moved and now is not None and same_channel(channel, now) and now.status in (status, written):
            left = skipped(channel, f"already {now.status.label} (set so since the undo was checked): left alone")
            return replace(left, value=now.status.value)
        if moved:
            return failed(channel, moved, value=now.status.value if now is not None else None)
        with acting("undo", undoes=plan.change.entries.get(channel.id)):
            await backend.set_status(channel.id, written is ChannelStatus.ENABLED)
        note = " (was auto-disabled)" if status is ChannelStatus.AUTO_DISABLED else ""
        return succeeded(channel, f"{written.label}{note}", value=written.value)

    return run
