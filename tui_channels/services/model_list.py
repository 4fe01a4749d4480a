"""A channel's model list being edited: a checklist, names typed or pasted in, and the upstream's diff.

The model editor screen only draws this state. Names keep the order they were first seen in, so
the list the server gets back reads like the one it gave; unchecking keeps a name on the list
(the user can check it again) while the saved list holds only the checked names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..backends.base import BackendBase, Operation
from ..errors import ChannelsError
from ..models import split_list
from .model_mapping import upstream_changes


def parse_names(text: str) -> tuple[str, ...]:
    """Model names from typed or pasted text: commas, semicolons and line breaks all separate."""
    return split_list(text.replace(";", ","))


@dataclass(frozen=True, slots=True)
class UpstreamDiff:
    """What a fetch from the upstream found, against the models currently checked."""

    upstream: tuple[str, ...]
    new: tuple[str, ...]
    """Offered by the upstream and not checked yet (mapping targets left out)."""
    gone: tuple[str, ...]
    """Checked now, but no longer offered by the upstream (mapping aliases left out)."""
    aliases: tuple[str, ...] = ()
    """Checked model-mapping aliases the upstream does not list: they stay."""
    targets: tuple[str, ...] = ()
    """Mapping targets the upstream lists: reached through their alias, so not offered as new."""

    @property
    def unchanged(self) -> bool:
        return not self.new and not self.gone


def upstream_diff(
    current: Iterable[str], upstream: Iterable[str], mapping: Mapping[str, str] | None = None
) -> UpstreamDiff:
    """The diff by the rules of `model_mapping.upstream_changes` (aliases stay, targets are not added)."""
    changes = upstream_changes(current, upstream, mapping or {})
    return UpstreamDiff(
        upstream=tuple(dict.fromkeys(upstream)),
        new=changes.add,
        gone=changes.remove,
        aliases=changes.aliases_kept,
        targets=changes.targets_not_added,
    )


class ModelChecklist:
    """Every name the editor knows, and which of them are checked."""

    def __init__(self, models: Iterable[str]) -> None:
        self._names: dict[str, None] = dict.fromkeys(models)
        self._checked: set[str] = set(self._names)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._names)

    @property
    def selected(self) -> tuple[str, ...]:
        """The checked names, in list order: what gets saved."""
        return tuple(n for n in self._names if n in self._checked)

    def is_checked(self, name: str) -> bool:
        return name in self._checked

    def visible(self, needle: str) -> list[str]:
        """Names containing `needle` (case-insensitive); every name when it is blank."""
        needle = needle.strip().lower()
        return [n for n in self._names if needle in n.lower()]

    def set_checked(self, name: str, checked: bool) -> None:
        if name not in self._names:
            return
        if checked:
            self._checked.add(name)
        else:
            self._checked.discard(name)

    def select_all(self, names: Iterable[str]) -> None:
        for name in names:
            self.set_checked(name, True)

    def invert(self, names: Iterable[str]) -> None:
        for name in names:
            self.set_checked(name, name not in self._checked)

    def clear(self, names: Iterable[str]) -> None:
        for name in names:
            self.set_checked(name, False)

    def add(self, text: str) -> tuple[str, ...]:
        """Add and check the names in `text`; returns the ones that were not on the list yet."""
        names = parse_names(text)
        added = tuple(n for n in names if n not in self._names)
        for name in names:
            self._names.setdefault(name, None)
            self._checked.add(name)
        return added

    def accept(self, diff: UpstreamDiff, *, drop_gone: bool) -> None:
        """Check what the upstream newly offers; with `drop_gone`, uncheck what it no longer has."""
        for name in diff.new:
            self._names.setdefault(name, None)
            self._checked.add(name)
        if drop_gone:
            self.clear(diff.gone)


async def model_suggestions(backend: BackendBase, *, tag: str | None = None) -> list[str]:
    """Model names to offer while typing: the tag's models, then those enabled channels serve, then
    every model the server knows (New API); whichever the server supports, best first, no repeats."""
    capabilities = backend.capabilities
    sources = []
    if tag and capabilities.supports(Operation.TAG_EDIT):
        sources.append(lambda: backend.tag_models(tag))
    if capabilities.supports(Operation.MODELS_ENABLED):
        sources.append(backend.enabled_models)
    if capabilities.supports(Operation.MODEL_CATALOG):
        sources.append(backend.model_catalog)
    names: dict[str, None] = {}
    for source in sources:
        try:
            names.update(dict.fromkeys(await source()))
        except ChannelsError:
            continue
    return list(names)

