"""Model-mapping aliases, and the upstream model changes of a channel that has a mapping.

A New API channel's `model_mapping` is a JSON object `{"name clients ask for": "upstream model"}`.
The client-side name (the source) is an alias: it is on the channel's model list so that requests
for it reach the channel, and the upstream never lists it. The upstream model (the target) is what
the upstream lists. New API's own upstream-update detector (`controller/channel_upstream_update.go`,
`collectPendingUpstreamModelChangesFromModels`, 2026) therefore never removes a source because the
upstream does not list it, and never adds a target the channel does not list itself (requests for
it are already served through the alias). Model sync here and any server-side update feature use
these same rules, so the app and the gateway never disagree about a channel's models.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


def model_mapping(record: Mapping[str, Any]) -> dict[str, str]:
    """The record's mapping as the server reads it: names trimmed, empty entries and bad JSON ignored."""
    text = record.get("model_mapping")
    if not isinstance(text, str) or text.strip() in ("", "{}"):
        return {}
    try:
        parsed = json.loads(text)
    except ValueError:
        return {}
    if not isinstance(parsed, dict):
        return {}
    mapping = {}
    for source, target in parsed.items():
        if isinstance(target, str) and str(source).strip() and target.strip():
            mapping[str(source).strip()] = target.strip()
    return mapping


@dataclass(frozen=True, slots=True)
class UpstreamChanges:
    """What an upstream's list changes on a channel: models to add and to remove, in list order.

    `aliases_kept` are mapping sources the upstream does not list, kept anyway; `targets_not_added`
    are mapping targets the upstream lists but the channel does not, left off on purpose.
    """

    add: tuple[str, ...]
    remove: tuple[str, ...]
    aliases_kept: tuple[str, ...]
    targets_not_added: tuple[str, ...]


def upstream_changes(local: Iterable[str], upstream: Iterable[str], mapping: Mapping[str, str]) -> UpstreamChanges:
    """The changes New API's detector finds between a channel's models and its upstream's list."""
    local_models = tuple(dict.fromkeys(m.strip() for m in local if m.strip()))
    offered = tuple(dict.fromkeys(m.strip() for m in upstream if m.strip()))
    sources, targets = set(mapping), set(mapping.values())
    local_set, offered_set = set(local_models), set(offered)
    return UpstreamChanges(
        add=tuple(m for m in offered if m not in local_set and m not in targets),
        remove=tuple(m for m in local_models if m not in offered_set and m not in sources),
        aliases_kept=tuple(m for m in local_models if m not in offered_set and m in sources),
        targets_not_added=tuple(m for m in offered if m not in local_set and m in targets),
    )


def describe(changes: UpstreamChanges, mapping: Mapping[str, str]) -> str:
    """What the mapping changed about a sync, for a preview: "" when it changed nothing."""
    parts = []
    if changes.aliases_kept:
        aliases = ", ".join(f"{m} (→ {mapping[m]})" for m in changes.aliases_kept)
        parts.append(f"keeps mapping alias{'es' if len(changes.aliases_kept) > 1 else ''} {aliases}")
    if changes.targets_not_added:
        targets = ", ".join(changes.targets_not_added)
        parts.append(f"does not add mapping target{'s' if len(changes.targets_not_added) > 1 else ''} {targets}")
    return "; ".join(parts)
