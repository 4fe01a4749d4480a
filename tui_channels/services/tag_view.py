"""Tag mode: channels grouped by tag, built client-side from the full list.

The server's own tag-mode list omits untagged channels; building the groups from every loaded
channel keeps them visible in a group of their own, and lets the filters and sort of the normal
view apply inside each group.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..models import Channel, ChannelStatus
from ..validation import check_name

UNTAGGED = ""
"""The group key of channels without a tag."""


@dataclass(frozen=True, slots=True)
class TagGroup:
    """One tag and the channels carrying it, in view order."""

    tag: str
    channels: tuple[Channel, ...]

    @property
    def label(self) -> str:
        return self.tag or "(untagged)"

    @property
    def count(self) -> int:
        return len(self.channels)

    @property
    def enabled(self) -> int:
        return sum(c.status is ChannelStatus.ENABLED for c in self.channels)

    @property
    def disabled(self) -> int:
        return self.count - self.enabled

    @property
    def status(self) -> str:
        """Aggregate status: all enabled, all disabled, or mixed."""
        if self.enabled == self.count:
            return "enabled"
        if self.enabled == 0:
            return "disabled"
        return "mixed"

    @property
    def ids(self) -> frozenset[int]:
        return frozenset(c.id for c in self.channels)


def group_by_tag(channels: Iterable[Channel]) -> list[TagGroup]:
    """Groups by tag name (case-insensitive), untagged last; channels within in the view's order."""
    groups: dict[str, list[Channel]] = {}
    for channel in channels:
        groups.setdefault(channel.tag or UNTAGGED, []).append(channel)
    ordered = sorted((tag for tag in groups if tag != UNTAGGED), key=lambda tag: (tag.casefold(), tag))
    if UNTAGGED in groups:
        ordered.append(UNTAGGED)
    return [TagGroup(tag, tuple(groups[tag])) for tag in ordered]


@dataclass(frozen=True, slots=True)
class TagRow:
    """A line of the tag-mode table: a group header, or a channel inside an expanded group."""

    group: TagGroup
    channel: Channel | None = None


def tag_rows(groups: Sequence[TagGroup], expanded: set[str]) -> list[TagRow]:
    """Header rows, each followed by its channels when its tag is in `expanded`."""
    rows: list[TagRow] = []
    for group in groups:
        rows.append(TagRow(group))
        if group.tag in expanded:
            rows.extend(TagRow(group, channel) for channel in group.channels)
    return rows


INT_FIELDS = ("priority", "weight")
JSON_FIELDS = ("model_mapping", "param_override", "header_override")


def tag_changes(values: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """(changes to send, errors by field) from the form's texts; empty fields are left alone."""
    changes: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field, text in values.items():
        text = text.strip()
        if not text:
            continue
        if field == "new_tag":
            try:
                check_name(text)
            except ValueError as problem:
                errors[field] = f"the tag {problem}"
                continue
        if field in INT_FIELDS:
            try:
                changes[field] = int(text)
            except ValueError:
                errors[field] = "a whole number"
        elif field in JSON_FIELDS:
            try:
                parsed = json.loads(text)
            except ValueError as exc:
                errors[field] = f"not valid JSON ({exc.msg})"
                continue
            if not isinstance(parsed, dict):
                errors[field] = "must be a JSON object"
                continue
            changes[field] = json.dumps(parsed, ensure_ascii=False)
        elif field in ("models", "groups"):
            changes[field] = ",".join(dict.fromkeys(p.strip() for p in text.replace("\n", ",").split(",") if p.strip()))
        else:
            changes[field] = text
    return changes, errors
