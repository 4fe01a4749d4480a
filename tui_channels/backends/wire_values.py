"""Lenient readers of wire values, shared by every backend's record parsers.

Servers, forks and proxies answer with types the contract does not promise: an id as a string, a
model list as a JSON list instead of a comma-separated string, a count as `"12"`. Where the meaning
is clear the value is read (a list of models is a list of models); where it is not, the field
reads as absent; and a record that cannot be a channel at all (not an object, no usable id)
raises `BadRecord`, which the list parsers turn into "skipped" with a warning naming the record.
None of these functions raises anything else, whatever the input.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..errors import BadRecord
from ..models import Channel, split_list

MAX_SHOWN = 60
"""Characters of a record's name or text quoted in a warning."""


def is_mapping(value: Any) -> bool:
    """Whether `value` is a JSON object (a dict, the common case, checked first: cheaper than the ABC)."""
    return type(value) is dict or isinstance(value, Mapping)


def as_int(value: Any) -> int | None:
    """A whole number from an int, a finite float or a numeric string; None otherwise (and for bools)."""
    if type(value) is int:
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else None
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            pass
        try:
            number = float(text)
        except ValueError:
            return None
        return int(number) if math.isfinite(number) else None
    return None


def as_float(value: Any) -> float | None:
    """A finite number from an int, a float or a numeric string; None otherwise (and for bools)."""
    if type(value) is float:
        return value if math.isfinite(value) else None
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def as_text(value: Any) -> str:
    """Text from a string or a number; "" for anything else (a list, an object, null)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, (int, float)):
        return str(value)
    return ""


def as_names(value: Any) -> tuple[str, ...]:
    """Names (models, groups) from a comma-separated string or a list of names or `{id|name}` objects."""
    if isinstance(value, str):
        return split_list(value)
    if isinstance(value, (list, tuple)):
        names = []
        for item in value:
            if isinstance(item, Mapping):
                item = item.get("id", item.get("name"))
            text = as_text(item)
            if text:
                names.append(text)
        return split_list(",".join(names))
    return ()


def as_mapping(value: Any) -> Mapping[str, Any] | None:
    return value if is_mapping(value) else None


def json_object(value: Any) -> dict[str, Any]:
    """A JSON-object column or field (New API's `setting`, a model mapping) as a dict: {} when empty,
    unreadable or not an object; a mapping is copied as it is."""
    if isinstance(value, Mapping):
        return dict(value)
    try:
        data = json.loads(value) if isinstance(value, str) and value.strip() else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else []


def record_id(record: Any, position: int, *, field: str = "id") -> int:
    """The record's numeric id, or `BadRecord` naming the record when it has none usable."""
    if not is_mapping(record):
        raise BadRecord(f"{describe(record, position)} is not a channel object; it was skipped.")
    number = as_int(record.get(field))
    if number is None or number < 0:
        raise BadRecord(f"{describe(record, position)} has no usable {field}; it was skipped.")
    return number


def describe(record: Any, position: int) -> str:
    """A record as a warning names it: its position in the list, and its name or a glimpse of it."""
    where = f"Channel record #{position + 1}"
    if isinstance(record, Mapping):
        name = as_text(record.get("name")).strip()
        return f"{where} ({name[:MAX_SHOWN]!r})" if name else where
    kind = {str: "a string", int: "a number", float: "a number", bool: "a boolean", list: "a list"}.get(
        type(record), "null" if record is None else type(record).__name__
    )
    return f"{where} ({kind})"


def share_strings(record: Any, fields: Iterable[str], shared: dict[str, str]) -> None:
    """Make the text values of a decoded record's `fields` the very strings `shared` already holds
    when equal, and add the others. JSON decoding makes one string per value and a channel keeps
    its record, so 100,000 channels naming the same base URLs, model lists, groups and settings
    held each of them once per channel."""
    if type(record) is dict:
        for field in fields:
            value = record.get(field)
            if type(value) is str:
                record[field] = shared.setdefault(value, value)


def read_records(
    records: Iterable[Any], read: Callable[[Any, int], Channel], *, repeated: Iterable[str] = ()
) -> tuple[list[Channel], list[str]]:
    """The channels `read` makes of `records` (the first of each id, in order), and the message of
    each record it refused with `BadRecord`: the list parsers' one rule for a listing. The text
    values of the `repeated` fields (those many channels share) end up as one string each
    (`share_strings`)."""
    channels: dict[int, Channel] = {}
    skipped = []
    shared: dict[str, str] = {}
    repeated = tuple(repeated)
    for position, record in enumerate(records):
        share_strings(record, repeated, shared)
        try:
            channel = read(record, position)
        except BadRecord as error:
            skipped.append(error.message)
            continue
        channels.setdefault(channel.id, channel)
    return list(channels.values()), skipped
