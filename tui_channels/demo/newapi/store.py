"""Stored channel rows of the emulated New API-family server: wire shapes, binding, cached orderings.

Rows are the server's table as wire dicts with the real key. Each flavor has its own column set
(§4 and §7 of newapi.md), and each column its Go type and whether it is a pointer, because that
decides both how a JSON body binds and which values a GORM `Updates(struct)` ignores. Ordered id
lists are cached per sort and filter; any write to the table or to a row (including a test poking
`server.store` directly) drops them, so a page of 10,000 channels costs a slice, not a sort.
"""

from __future__ import annotations

import copy
import json
import random
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ...channel_types import NEWAPI_TYPES, ONEAPI_TYPES, VELOERA_TYPES
from ...models import TypeCatalog
from ..seed import SeedChannel, seed_channels

NEWAPI_TYPE_BY_PROVIDER = {
    "openai": 1,
    "anthropic": 14,
    "gemini": 24,
    "deepseek": 43,
    "mistral": 42,
    "moonshot": 25,
    "qwen": 17,
    "zhipu": 26,
    "xai": 48,
    "siliconflow": 40,
}
ONEAPI_TYPE_BY_PROVIDER = {
    **NEWAPI_TYPE_BY_PROVIDER,
    "deepseek": 36,
    "mistral": 28,
    "zhipu": 16,
    "xai": 45,
    "siliconflow": 44,
}


@dataclass(frozen=True, slots=True)
class Column:
    """One channel column: Go type, pointer-ness, and the value a fresh row gets when it is left zero."""

    name: str
    go_type: str
    pointer: bool = False
    default: Any = None


def _columns(spec: str) -> tuple[Column, ...]:
    """Parse `name:type[:default]` lines; a `*type` is a pointer field (nullable, written when non-null)."""
    columns = []
    for line in spec.split():
        name, go_type, *default = line.split(":", 2)
        pointer = go_type.startswith("*")
        value = json.loads(default[0]) if default else (None if pointer else _ZERO[go_type])
        columns.append(Column(name, go_type.lstrip("*"), pointer, value))
    return tuple(columns)


_ZERO: dict[str, Any] = {"int": 0, "int64": 0, "uint": 0, "float64": 0.0, "string": "", "ChannelInfo": None}

_NEWAPI_COLUMNS = """
id:int type:int key:string openai_organization:*string test_model:*string status:int:1 name:string
weight:*uint:0 created_time:int64 test_time:int64 response_time:int base_url:*string:"" other:string
balance:float64 balance_updated_time:int64 models:string group:string:"default" used_quota:int64
model_mapping:*string:"" status_code_mapping:*string:"" priority:*int64:0 auto_ban:*int:1
other_info:string tag:*string setting:*string param_override:*string header_override:*string
remark:*string channel_info:ChannelInfo settings:string
"""
_ONEAPI_COLUMNS = """
id:int type:int key:string status:int:1 name:string weight:*uint:0 created_time:int64 test_time:int64
response_time:int base_url:*string:"" other:*string:"" balance:float64 balance_updated_time:int64
models:string group:string:"default" used_quota:int64 model_mapping:*string:"" priority:*int64:0
config:string system_prompt:*string
"""
_CURRENT_ONLY = {"header_override", "remark", "channel_info", "settings"}

CURRENT_COLUMNS = _columns(_NEWAPI_COLUMNS)
LEGACY_COLUMNS = tuple(c for c in CURRENT_COLUMNS if c.name not in _CURRENT_ONLY)
VELOERA_COLUMNS = LEGACY_COLUMNS + _columns("model_prefix:*string")
ONEAPI_COLUMNS = _columns(_ONEAPI_COLUMNS)

READ_ONLY = frozenset({"created_time", "test_time", "response_time", "balance", "balance_updated_time", "used_quota"})
"""Columns the current flavor zeroes (so ignores) on update."""


@dataclass(frozen=True)
class Flavor:
    """What differs between the four emulated servers.

    `splits_keys`: an add turns each line of the key into its own channel (every flavor but
    Veloera, which stores the key as sent and uses comma-separated keys in turn).
    `page_size_required`: a list without a positive `page_size` asks the database for `LIMIT 0` and
    answers nothing (Veloera; veloera.md §3.1). `reads_keys`: `GET /:id` and the `PUT` answer carry
    the stored key (Veloera; One API on PUT only). `search_base_url`: search also matches base URLs.
    """

    name: str
    columns: tuple[Column, ...]
    types: TypeCatalog
    type_by_provider: dict[str, int]
    user_header: str | None
    untestable_types: frozenset[int] = frozenset({2, 5, 36, 50, 51, 52, 54})
    splits_keys: bool = True
    page_size_required: bool = False
    reads_keys: bool = False
    search_base_url: bool = True

    @property
    def current(self) -> bool:
        return self.name == "newapi"

    @property
    def oneapi(self) -> bool:
        return self.name == "oneapi"

    @cached_property
    def column_map(self) -> dict[str, Column]:
        return {c.name: c for c in self.columns}


FLAVORS = {
    "newapi": Flavor("newapi", CURRENT_COLUMNS, NEWAPI_TYPES, NEWAPI_TYPE_BY_PROVIDER, None),
    "newapi-legacy": Flavor("newapi-legacy", LEGACY_COLUMNS, NEWAPI_TYPES, NEWAPI_TYPE_BY_PROVIDER, "New-Api-User"),
    "veloera": Flavor(
        "veloera",
        VELOERA_COLUMNS,
        VELOERA_TYPES,
        NEWAPI_TYPE_BY_PROVIDER,
        "Veloera-User",
        untestable_types=frozenset({2, 5, 36}),
        splits_keys=False,
        page_size_required=True,
        reads_keys=True,
        search_base_url=False,
    ),
    "oneapi": Flavor("oneapi", ONEAPI_COLUMNS, ONEAPI_TYPES, ONEAPI_TYPE_BY_PROVIDER, None, untestable_types=frozenset()),
}


def single_key_info() -> dict[str, Any]:
    """`channel_info` of an ordinary channel, as the current flavor serialises it."""
    return {
        "is_multi_key": False,
        "multi_key_size": 0,
        "multi_key_status_list": None,
        "multi_key_polling_index": 0,
        "multi_key_mode": "",
    }


def multi_key_info(size: int, mode: str) -> dict[str, Any]:
    return {**single_key_info(), "is_multi_key": True, "multi_key_size": size, "multi_key_mode": mode or "random"}


def is_multi_key(row: dict[str, Any]) -> bool:
    info = row.get("channel_info")
    return bool(isinstance(info, dict) and info.get("is_multi_key"))


def key_lines(key: str) -> list[str]:
    """The keys of a `\\n`-separated key field, trimmed, without blank lines."""
    return [line.strip() for line in key.split("\n") if line.strip()]


def with_json_fields(text: str | None, **values: Any) -> str:
    """A JSON-object string column (`other_info`) with some keys set, marshalled the way Go does."""
    try:
        data = json.loads(text) if text else {}
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    data.update(values)
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# -- binding -------------------------------------------------------------------------------------


def json_kind(value: Any, *, literal: bool = False) -> str:
    """How Go's decoder names a JSON value in an unmarshal error (numbers with their text if `literal`)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return f"number {json.dumps(value)}" if literal else "number"
    return {str: "string", dict: "object", list: "array"}.get(type(value), "value")


def _fits(column: Column, value: Any) -> bool:
    if column.go_type == "string":
        return isinstance(value, str)
    if column.go_type == "ChannelInfo":
        return isinstance(value, dict)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return column.go_type == "float64" or isinstance(value, int)


def bind(flavor: Flavor, body: dict[str, Any], struct: str = "Channel") -> tuple[dict[str, Any], str]:
    """The known, non-null fields of a JSON object as Go's decoder would accept them, or its error.

    Nulls are dropped: a null pointer means "unchanged" (update) or "use the default" (create),
    and a null plain field stays zero, which both paths ignore as well.
    """
    columns = flavor.column_map
    values: dict[str, Any] = {}
    for name, value in body.items():
        column = columns.get(name)
        if column is None or value is None:
            continue
        if not _fits(column, value) or (column.go_type == "uint" and value < 0):
            numeric = column.go_type in ("int", "int64", "uint", "float64")
            go_type = "model.ChannelInfo" if column.go_type == "ChannelInfo" else column.go_type
            kind = json_kind(value, literal=numeric)
            return {}, f"json: cannot unmarshal {kind} into Go struct field {struct}.{name} of type {go_type}"
        values[name] = value
    return values, ""


def is_zero(value: Any) -> bool:
    """Whether GORM's `Updates(struct)` would skip this plain (non-pointer) value."""
    return value is None or value == "" or (isinstance(value, (int, float)) and value == 0)


def new_row(flavor: Flavor, values: dict[str, Any]) -> dict[str, Any]:
    """A row as GORM inserts it: given values, with column defaults where a value is zero or absent."""
    row: dict[str, Any] = {}
    for column in flavor.columns:
        value = values.get(column.name)
        if value is None or (not column.pointer and is_zero(value)):
            value = copy.deepcopy(column.default)
        row[column.name] = value
    if "channel_info" in row:
        row["channel_info"] = single_key_info()
    return row


def public_view(row: dict[str, Any], *, keep_key: bool = False) -> dict[str, Any]:
    """A row as the read routes return it: key blanked, multi-key disabled reasons and times stripped."""
    view = dict(row)
    if not keep_key:
        view["key"] = ""
    info = view.get("channel_info")
    if isinstance(info, dict) and info.get("is_multi_key"):
        view["channel_info"] = {
            k: v for k, v in info.items() if k not in ("multi_key_disabled_reason", "multi_key_disabled_time")
        }
    return view


def plain(row: dict[str, Any]) -> dict[str, Any]:
    """A deep copy as plain dicts, detached from the table."""
    return copy.deepcopy(dict(row))


# -- seeding -------------------------------------------------------------------------------------


def seed_rows(flavor: Flavor, count: int, *, seed: int, upstream_url: str) -> list[dict[str, Any]]:
    """Rows built from the shared seed data; on the current flavor every twelfth one is multi-key."""
    return [_seed_row(flavor, s) for s in seed_channels(count, seed=seed, upstream_url=upstream_url)]


def _seed_row(flavor: Flavor, s: SeedChannel) -> dict[str, Any]:
    values: dict[str, Any] = {
        "id": s.id,
        "type": flavor.type_by_provider[s.provider],
        "key": s.key,
        "status": s.status,
        "name": s.name,
        "weight": s.weight,
        "created_time": s.created_time,
        "test_time": s.test_time,
        "response_time": s.response_time,
        "base_url": s.base_url,
        "balance": s.balance,
        "balance_updated_time": max(s.test_time, s.created_time) if s.balance else 0,
        "models": ",".join(s.models),
        "group": s.group,
        "used_quota": s.used_quota,
        "model_mapping": s.model_mapping,
        "priority": s.priority,
        "tag": s.tag,
        "remark": s.remark,
    }
    if s.status == 3:
        reason = "Incorrect API key provided." if "invalid" in s.key else "status code 500: upstream error"
        values["other_info"] = with_json_fields("", status_reason=reason, status_time=s.test_time or s.created_time)
    row = new_row(flavor, values)
    if flavor.current and s.id % 12 == 7:
        _make_multi_key(row, s)
    return row


def _make_multi_key(row: dict[str, Any], s: SeedChannel) -> None:
    rng = random.Random(s.id)
    size = 3 + s.id % 3
    keys = [s.key] + [f"{s.key[:-8]}{rng.getrandbits(32):08x}" for _ in range(size - 1)]
    info = multi_key_info(size, "polling" if s.id % 2 else "random")
    disabled_at = s.test_time or s.created_time
    info["multi_key_status_list"] = {str(size - 1): 3}
    info["multi_key_disabled_reason"] = {str(size - 1): "Incorrect API key provided."}
    info["multi_key_disabled_time"] = {str(size - 1): disabled_at}
    if size > 3:
        info["multi_key_status_list"]["1"] = 2
        info["multi_key_disabled_reason"]["1"] = "manually disabled"
        info["multi_key_disabled_time"]["1"] = disabled_at
    row["key"] = "\n".join(keys)
    row["channel_info"] = info


# -- the table -----------------------------------------------------------------------------------


class _Row(dict):  # type: ignore[type-arg]
    """A stored row; any change to it drops the table's cached orderings."""

    __slots__ = ("_changed",)

    def __init__(self, data: dict[str, Any], changed: Callable[[], None]) -> None:
        super().__init__(data)
        self._changed = changed

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        self._changed()

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self._changed()

    def update(self, *args: Any, **kwargs: Any) -> None:
        super().update(*args, **kwargs)
        self._changed()

    def pop(self, *args: Any) -> Any:
        self._changed()
        return super().pop(*args)

    def setdefault(self, key: str, default: Any = None) -> Any:
        self._changed()
        return super().setdefault(key, default)


class Rows(dict):  # type: ignore[type-arg]
    """id -> row; inserting or removing a row, or changing one, drops the cached orderings."""

    def __init__(self, changed: Callable[[], None]) -> None:
        super().__init__()
        self._changed = changed

    def __setitem__(self, key: int, value: dict[str, Any]) -> None:
        super().__setitem__(key, value if isinstance(value, _Row) else _Row(value, self._changed))
        self._changed()

    def __delitem__(self, key: int) -> None:
        super().__delitem__(key)
        self._changed()

    def pop(self, *args: Any) -> Any:
        self._changed()
        return super().pop(*args)


Sort = tuple[str, bool]
"""(column, descending)."""

SORTABLE = frozenset({"id", "name", "priority", "balance", "response_time", "test_time"})


class ChannelTable:
    """The channel table with cached orderings and filtered id lists."""

    def __init__(self, rows: Iterable[dict[str, Any]]) -> None:
        self._cache: dict[tuple[Any, ...], Any] = {}
        self.rows = Rows(self._drop_cache)
        for row in rows:
            self.rows[row["id"]] = row

    def _drop_cache(self) -> None:
        self._cache.clear()

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(list(self.rows.values()))

    def get(self, channel_id: int) -> dict[str, Any] | None:
        return self.rows.get(channel_id)

    def insert(self, row: dict[str, Any]) -> int:
        """Store a new row; id 0 means "next id" (max + 1, as SQLite assigns it)."""
        if not row.get("id"):
            row["id"] = max(self.rows, default=0) + 1
        self.rows[row["id"]] = row
        return row["id"]

    def delete(self, ids: Iterable[int]) -> int:
        return sum(self.rows.pop(i, None) is not None for i in list(ids))

    def ordered(self, sort: Sort) -> list[int]:
        """Every id in `sort` order, ties broken by id in the same direction."""
        column, descending = sort
        rows = self.rows

        def build() -> list[int]:
            if column == "id":
                return sorted(rows, reverse=descending)
            blank: Any = "" if column == "name" else 0
            return sorted(rows, key=lambda i: (rows[i].get(column) or blank, i), reverse=descending)

        return self.memo(("order", sort), build)

    def memo(self, key: tuple[Any, ...], build: Callable[[], Any]) -> Any:
        """A value derived from the rows, built once until the next write."""
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    def select(self, sort: Sort, *, status: int | None, type_code: int | None, group: str | None) -> list[int]:
        """Ids in `sort` order under the list filters (status 1 = enabled, 0 = anything else)."""
        rows = self.rows

        def build() -> list[int]:
            return [
                i
                for i in self.ordered(sort)
                if passes(rows[i], status, group) and (type_code is None or rows[i].get("type") == type_code)
            ]

        return self.memo(("select", sort, status, type_code, group), build)

    def type_counts(self, *, status: int | None, group: str | None) -> dict[str, int]:
        """Channels per type under the status and group filters, keyed by the type as a string."""
        return self.memo(
            ("types", status, group),
            lambda: count_types(row for row in self.rows.values() if passes(row, status, group)),
        )


def count_types(rows: Iterable[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in rows:
        name = str(row.get("type"))
        counts[name] = counts.get(name, 0) + 1
    return counts


def passes(row: dict[str, Any], status: int | None, group: str | None) -> bool:
    """The list's status filter (1 enabled, 0 anything else, None all) and group filter (one entry)."""
    if status == 1 and row.get("status") != 1 or status == 0 and row.get("status") == 1:
        return False
    return group is None or group in (row.get("group") or "").split(",")


def by_tags(table: ChannelTable, ids: list[int], tags: Iterable[str]) -> list[int]:
    """The ids (kept in order) of the channels carrying each tag, tag after tag."""
    grouped: dict[str, list[int]] = {}
    for channel_id in ids:
        tag = table.rows[channel_id].get("tag")
        if tag:
            grouped.setdefault(tag, []).append(channel_id)
    return [channel_id for tag in tags for channel_id in grouped.get(tag, ())]


def distinct_tags(table: ChannelTable, ids: Iterable[int]) -> list[str]:
    return sorted({tag for i in ids if (tag := table.rows[i].get("tag"))})


_INT = re.compile(r"[+-]?\d+")


def go_atoi(text: str | None) -> tuple[int | None, str]:
    """`strconv.Atoi`: the number, or Go's error text."""
    text = text or ""
    if _INT.fullmatch(text):
        return int(text), ""
    return None, f'strconv.Atoi: parsing "{text}": invalid syntax'
