"""Model sync: what each channel's upstream offers, filtered by rules, diffed, previewed, then saved.

A sync is two batches. The preview fetches each channel's upstream models, keeps those the site's
and the channel's rules allow, and plans the channel's new model list (read-only). Apply writes
exactly the previewed lists, fetching nothing again, so what the user approved is what is saved;
it writes only channels whose model set changed, and sends only the models field.

Channels that cannot list their models (a server or channel type without a model listing, an
Octopus channel without a key), Claude Code Hub providers that serve every model (a sync would
narrow them to a list) and channels the rules leave out are skipped with the reason, never
counted as failures. An upstream that lists no models is a failure (`upstream_models`): a sync
never empties a channel's synced models because a key stopped working.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from ..backends.base import Backend, Capabilities, Operation
from ..config import SiteProfile, rule_regex
from ..errors import ConfigError
from ..models import Channel, split_list
from ..wording import plural
from .batch import Operation as BatchOperation
from .batch import failed, skipped, succeeded
from .model_mapping import describe, model_mapping, upstream_changes
from .current import SharedRead
from .recorder import acting
from .results import ChannelResult, Outcome
from .server_edit import edit_channel
from .upstream_models import channel_models

UPSTREAM_MODELS = "upstream_models"
"""Key of a preview result's `extra` holding the upstream's own list, before the rules."""


@dataclass(frozen=True, slots=True)
class ModelRule:
    """A substring (case-insensitive) or, written `/regex/`, a regular expression searched in a model id."""

    text: str
    regex: re.Pattern[str] | None

    @classmethod
    def parse(cls, text: str) -> ModelRule:
        try:
            return cls(text, rule_regex(text))
        except ValueError as exc:
            raise ConfigError(f"{exc}. Fix the rule, or write it without slashes to match plain text.") from None

    def matches(self, model: str) -> bool:
        if self.regex is not None:
            return self.regex.search(model) is not None
        return self.text.casefold() in model.casefold()


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Include rules (a model must match one, when there are any) and exclude rules (it must match none)."""

    include: tuple[ModelRule, ...] = ()
    exclude: tuple[ModelRule, ...] = ()

    @classmethod
    def parse(cls, include: Iterable[str] = (), exclude: Iterable[str] = ()) -> RuleSet:
        return cls(
            tuple(ModelRule.parse(text) for text in include if text.strip()),
            tuple(ModelRule.parse(text) for text in exclude if text.strip()),
        )

    def allows(self, model: str) -> bool:
        if self.include and not any(rule.matches(model) for rule in self.include):
            return False
        return not any(rule.matches(model) for rule in self.exclude)


@dataclass(frozen=True, slots=True)
class SyncOptions:
    """How a sync plans: the site's rules, each channel's rules on top, and what to keep.

    A model must pass both the site's and its channel's rules. `keep_unlisted` keeps a channel's
    models that its upstream does not offer (aliases, hand-added names) instead of removing them.
    """

    site_rules: RuleSet = RuleSet()
    channel_rules: Mapping[int, RuleSet] = field(default_factory=dict)
    excluded_ids: frozenset[int] = frozenset()
    keep_unlisted: bool = False

    @classmethod
    def from_profile(cls, profile: SiteProfile, *, keep_unlisted: bool = False) -> SyncOptions:
        return cls(
            site_rules=RuleSet.parse(profile.sync_include, profile.sync_exclude),
            channel_rules={
                channel_id: RuleSet.parse(rules.include, rules.exclude)
                for channel_id, rules in profile.sync_channels.items()
            },
            excluded_ids=frozenset(i for i, rules in profile.sync_channels.items() if rules.skip),
            keep_unlisted=keep_unlisted,
        )

    def with_keep(self, keep_unlisted: bool) -> SyncOptions:
        return SyncOptions(self.site_rules, self.channel_rules, self.excluded_ids, keep_unlisted)

    def allows(self, channel_id: int, model: str) -> bool:
        rules = self.channel_rules.get(channel_id)
        return self.site_rules.allows(model) and (rules is None or rules.allows(model))


def hand_added_models(channel: Channel) -> frozenset[str]:
    """Models a sync must never remove: Octopus keeps hand-added ones in `custom_model`, apart from
    the synced `model` (octopus.md §3), and AxonHub in `manualModels` (axonhub.md §3.3); New API
    has no such distinction."""
    manual = channel.raw.get("manualModels")
    listed = frozenset(str(m) for m in manual) if isinstance(manual, list) else frozenset()
    return frozenset(split_list(channel.raw.get("custom_model"))) | listed


def skip_reason(channel: Channel, capabilities: Capabilities, options: SyncOptions) -> str | None:
    """Why this channel is left out of a sync, or None when its upstream can be asked."""
    if channel.id in options.excluded_ids:
        return "excluded from model sync by the site's rules"
    if not capabilities.supports(Operation.FETCH_MODELS):
        return capabilities.unsupported_reason(Operation.FETCH_MODELS)
    listable = capabilities.listable_types
    if listable is not None and channel.type.code not in listable:
        return f"the gateway cannot list the upstream models of {channel.type.name} channels"
    if capabilities.upstream_needs_key and not channel.key:
        return "the channel has no enabled key to list its upstream models with"
    if channel.all_models:
        return "it serves every model (no model list), and a sync would restrict it to the upstream's list"
    return None


def allowed_models(channel: Channel, upstream: Sequence[str], options: SyncOptions) -> list[str]:
    """The upstream's models that the site's and the channel's rules let onto the channel."""
    return [m for m in dict.fromkeys(upstream) if options.allows(channel.id, m)]


def plan_models(channel: Channel, upstream: Sequence[str], options: SyncOptions) -> tuple[str, ...]:
    """The channel's models after a sync: its current ones that stay, in order, then the new ones.

    A current model stays if the rules allow it and the upstream offers it, if it was added by
    hand, if it is a model-mapping alias (`model_mapping`), or (with `keep_unlisted`) if the
    upstream does not offer it at all. A model the upstream offers is not added when it is only a
    mapping target: requests for it already reach the channel through its alias.
    """
    offered = set(upstream)
    wanted = allowed_models(channel, upstream, options)
    pinned = hand_added_models(channel)
    changes = upstream_changes(channel.models, wanted, model_mapping(channel.raw))
    removed = set(changes.remove)
    kept = [
        m for m in channel.models if m not in removed or m in pinned or (options.keep_unlisted and m not in offered)
    ]
    return (*kept, *changes.add)


def is_change(result: ChannelResult) -> bool:
    """A previewed channel whose model set would change."""
    return (
        result.outcome is Outcome.OK
        and result.old_models is not None
        and result.new_models is not None
        and set(result.old_models) != set(result.new_models)
    )


def diff_text(old: Sequence[str], new: Sequence[str]) -> str:
    """`+3 −1` for a change, `unchanged` otherwise."""
    added = len(set(new) - set(old))
    removed = len(set(old) - set(new))
    return f"+{added} −{removed}" if added or removed else "unchanged"


def planned(channel: Channel, upstream: Sequence[str], options: SyncOptions) -> ChannelResult:
    """The preview result of one channel whose upstream listed `upstream`."""
    new = plan_models(channel, upstream, options)
    extra = {UPSTREAM_MODELS: list(upstream)}
    if not new and channel.models:
        return failed(
            channel,
            "no upstream model passes the sync rules; a sync would leave the channel without models, "
            "so it is left as it is",
            old_models=channel.models,
            new_models=channel.models,
            extra=extra,
        )
    mapping = model_mapping(channel.raw)
    notes = describe(upstream_changes(channel.models, allowed_models(channel, upstream, options), mapping), mapping)
    message = diff_text(channel.models, new) + (f" · {notes}" if notes else "")
    return succeeded(channel, message, old_models=channel.models, new_models=new, extra=extra)


def preview_operation(backend: Backend, options: SyncOptions) -> BatchOperation:
    """Fetch and plan one channel (read-only): an OK result carries the old and the new models."""
    capabilities = backend.capabilities

    async def preview(channel: Channel) -> ChannelResult:
        reason = skip_reason(channel, capabilities, options)
        if reason is not None:
            return skipped(channel, reason)
        return planned(channel, await channel_models(backend, channel), options)

    return preview


def replan(
    previews: Sequence[ChannelResult], channels: Mapping[int, Channel], options: SyncOptions
) -> list[ChannelResult]:
    """The preview again under other options, from the upstream lists it already holds."""
    results = []
    for result in previews:
        channel = channels.get(result.channel_id)
        upstream = result.extra.get(UPSTREAM_MODELS)
        if result.outcome is Outcome.SKIPPED or channel is None or upstream is None:
            results.append(result)
        else:
            again = planned(channel, upstream, options)
            results.append(replace(again, attempts=result.attempts, duration=result.duration))
    return results


def changes(previews: Iterable[ChannelResult]) -> dict[int, ChannelResult]:
    """The previewed channels that apply would write, by id."""
    return {r.channel_id: r for r in previews if is_change(r)}


def apply_operation(
    backend: Backend,
    plans: Mapping[int, ChannelResult],
    on_saved: Callable[[Channel], None] | None = None,
) -> BatchOperation:
    """Write one channel's previewed models, and only them, onto the channel as the server holds it
    when the first write is about to go (one read for every planned channel); a channel whose models
    changed on the server since the preview fails with both lists and is left as it is (preview
    again), one deleted since fails too. `on_saved` sees the server's copy."""
    current = SharedRead(backend, plans)

    async def apply(channel: Channel) -> ChannelResult:
        plan = plans[channel.id]
        new = plan.new_models or ()
        shown = replace(channel, models=tuple(plan.old_models)) if plan.old_models is not None else channel
        with acting("sync"):
            saved = await edit_channel(
                backend, shown, {"models": list(new)}, current=current, since="the preview", hint="preview again"
            )
        if on_saved is not None:
            on_saved(saved)
        summary = diff_text(plan.old_models or (), new)
        return succeeded(channel, f"saved ({summary})", old_models=plan.old_models, new_models=new)

    return apply


def merged(previews: Sequence[ChannelResult], applied: Iterable[ChannelResult]) -> list[ChannelResult]:
    """One result per previewed channel: what apply did to it, else what the preview found."""
    by_id = {r.channel_id: r for r in applied}
    return [by_id.get(r.channel_id, r) for r in previews]


@dataclass(frozen=True, slots=True)
class SyncTotals:
    """Counts over a preview: channels that change, models added and removed, and the rest."""

    channels: int
    changed: int
    added: int
    removed: int
    unchanged: int
    skipped: int
    failed: int
    cancelled: int

    def describe(self) -> str:
        parts = [
            f"{self.changed:,} of {plural(self.channels, 'channel')} change: +{self.added:,} −{self.removed:,} models"
        ]
        for count, label in (
            (self.unchanged, "unchanged"),
            (self.skipped, "skipped"),
            (self.failed, "failed"),
            (self.cancelled, "cancelled"),
        ):
            if count:
                parts.append(f"{count:,} {label}")
        return " · ".join(parts)


def totals(previews: Sequence[ChannelResult]) -> SyncTotals:
    changing = [r for r in previews if is_change(r)]
    return SyncTotals(
        channels=len(previews),
        changed=len(changing),
        added=sum(len(r.added_models) for r in changing),
        removed=sum(len(r.removed_models) for r in changing),
        unchanged=sum(r.outcome is Outcome.OK and not is_change(r) for r in previews),
        skipped=sum(r.outcome is Outcome.SKIPPED for r in previews),
        failed=sum(r.outcome is Outcome.FAILED for r in previews),
        cancelled=sum(r.outcome is Outcome.CANCELLED for r in previews),
    )
