"""Three-way merge of `config.toml`, so a save applies only its own change.

The app keeps the config in memory for hours while `tui-channels sites add` runs in a shell, and
two commands may save at once. Each save therefore re-reads the file (under the config lock) and
merges: `base` is the file as this process last read or wrote it, `mine` is what it holds now,
`theirs` is the file as it is now. Whatever this process did not change comes from `theirs`;
whatever it changed is applied on top. The merge works on the JSON-shaped data of the models, so a
setting added to `AppConfig` later is merged like every other, with no code here.

- A value (a string, a number, a list of strings): mine if I changed it, else theirs.
- A table (a dict): merged key by key, the same way.
- A list of named entries (sites, key sources): merged by `name`; an entry I removed goes, one I
  added or changed is mine, one others added stays; adding a name that others added meanwhile
  with other settings is a conflict (`ConfigError`).
"""

from __future__ import annotations

from typing import Any

from .errors import ConfigError

_MISSING: Any = object()


def merge(base: Any, mine: Any, theirs: Any, *, where: str = "") -> Any:
    """`theirs` with the changes from `base` to `mine` applied; `_MISSING` stands for "absent"."""
    if mine == base:
        return theirs
    if theirs == base or theirs == mine:
        return mine
    if isinstance(mine, dict) and isinstance(theirs, dict):
        return _merge_tables(base if isinstance(base, dict) else {}, mine, theirs, where)
    if _named(mine) and _named(theirs):
        return _merge_named(base if _named(base) else [], mine, theirs, where)
    return mine


def _merge_tables(base: dict[str, Any], mine: dict[str, Any], theirs: dict[str, Any], where: str) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for key in [*mine, *(k for k in theirs if k not in mine), *(k for k in base if k not in mine and k not in theirs)]:
        value = merge(base.get(key, _MISSING), mine.get(key, _MISSING), theirs.get(key, _MISSING), where=key)
        if value is not _MISSING:
            merged[key] = value
    return merged


def _named(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, dict) and "name" in item for item in value)


def _merge_named(
    base: list[dict[str, Any]], mine: list[dict[str, Any]], theirs: list[dict[str, Any]], where: str
) -> list[dict[str, Any]]:
    """Entries by name: mine in my order, then the ones others added, in theirs' order."""
    by_base = {entry["name"]: entry for entry in base}
    by_theirs = {entry["name"]: entry for entry in theirs}
    merged = []
    for entry in mine:
        name = entry["name"]
        old, other = by_base.get(name, _MISSING), by_theirs.get(name, _MISSING)
        if old is _MISSING and other is not _MISSING and other != entry:
            what = where.rstrip("s").replace("_", " ") or "entry"
            raise ConfigError(
                f'another tui-channels saved a {what} named "{name}" meanwhile, with other settings; '
                "nothing was saved: reload and try again, or choose another name"
            )
        value = merge(old, entry, other, where=where)
        if value is not _MISSING:
            merged.append(value)
    kept = {entry["name"] for entry in mine}
    for entry in theirs:
        name = entry["name"]
        if name in kept or name in by_base:
            continue
        merged.append(entry)
    return merged
