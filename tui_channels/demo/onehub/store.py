"""The channel table of an emulated One Hub / Done Hub, with the server's write rules (onehub.md §3-4).

The trap that matters most lives here: an update whose `models` is non-empty writes every column,
so whatever the body leaves out becomes zero (the key, the name, the status, the type); an update
without `models` merges, skipping zero values of plain columns (pointer columns are written
whenever they are present).
"""

from __future__ import annotations

import copy
from typing import Any

PLAIN_COLUMNS: dict[str, Any] = {
    "type": 0,
    "key": "",
    "status": 0,
    "name": "",
    "created_time": 0,
    "test_time": 0,
    "response_time": 0,
    "other": "",
    "balance": 0,
    "balance_updated_time": 0,
    "models": "",
    "group": "",
    "tag": "",
    "test_model": "",
    "only_chat": False,
    "pre_cost": 0,
    "compatible_response": False,
    "allow_extra_body": False,
}
"""Columns written as their zero value by an overwrite, and skipped when zero by a merge."""
POINTER_COLUMNS = (
    "weight", "priority", "base_url", "model_mapping", "model_headers", "custom_parameter", "proxy", "plugin",
    "disabled_stream",
)
"""Nullable columns: an overwrite sets the ones left out to null; a merge writes any that are sent."""
DONEHUB_PLAIN = {"pass_through_body": False}
DONEHUB_POINTERS = ("header_override", "cost_ratio")
CREATE_DEFAULTS: dict[str, Any] = {"status": 1, "weight": 1, "group": "default", "pre_cost": 1, "priority": 0}
"""What the database fills in when a create leaves a column out."""
ORDER_FIELDS = frozenset({"id", "name", "group", "type", "status", "response_time", "balance", "priority", "weight"})
DONEHUB_ORDER_FIELDS = frozenset({"used_quota", "cost_ratio"})


class ChannelTable:
    """Stored channels by id, soft-deleted ones gone from every answer."""

    def __init__(self, *, donehub: bool) -> None:
        self.donehub = donehub
        self.rows: dict[int, dict[str, Any]] = {}
        self._next_id = 1

    @property
    def plain(self) -> dict[str, Any]:
        return {**PLAIN_COLUMNS, **(DONEHUB_PLAIN if self.donehub else {})}

    @property
    def pointers(self) -> tuple[str, ...]:
        return POINTER_COLUMNS + (DONEHUB_POINTERS if self.donehub else ())

    def blank(self) -> dict[str, Any]:
        return {**self.plain, **{name: None for name in self.pointers}, "used_quota": 0}

    def insert(self, values: dict[str, Any]) -> dict[str, Any]:
        row = self.blank()
        row.update(CREATE_DEFAULTS)
        row.update({k: v for k, v in values.items() if k in row and v is not None})
        row["id"] = self._next_id
        self._next_id += 1
        self.rows[row["id"]] = row
        return row

    def get(self, channel_id: int) -> dict[str, Any] | None:
        return self.rows.get(channel_id)

    def overwrite(self, channel_id: int, body: dict[str, Any]) -> None:
        """`Select("*").Omit("UsedQuota")`: every column from the body, zero or null when absent."""
        row = self.rows[channel_id]
        for name, zero in self.plain.items():
            row[name] = body.get(name) if body.get(name) is not None else zero
        for name in self.pointers:
            row[name] = body.get(name)

    def merge(self, channel_id: int, body: dict[str, Any]) -> None:
        """GORM `Updates(struct)`: plain columns only when non-zero, pointer columns when sent."""
        row = self.rows[channel_id]
        for name in self.plain:
            if body.get(name) not in (None, "", 0, False):
                row[name] = body[name]
        for name in self.pointers:
            if body.get(name) is not None:
                row[name] = body[name]

    def delete(self, channel_id: int) -> bool:
        return self.rows.pop(channel_id, None) is not None

    def shown(self, row: dict[str, Any], *, with_key: bool) -> dict[str, Any]:
        """A row as the server answers it: the key only where the route gives it, `disabled_stream`
        left out when null."""
        record = copy.deepcopy(row)
        if not with_key:
            record["key"] = ""
        if record.get("disabled_stream") is None:
            record.pop("disabled_stream", None)
        return record

    def tag_members(self, tag: str) -> list[dict[str, Any]]:
        return sorted((r for r in self.rows.values() if r["tag"] == tag), key=lambda r: r["id"])

    def tags(self) -> list[str]:
        return sorted({r["tag"] for r in self.rows.values() if r["tag"]})


def order_key(order: str, *, donehub: bool) -> tuple[list[tuple[str, bool]], str]:
    """(fields with descending flags, error) of the list's `order` parameter (default `-id`)."""
    allowed = ORDER_FIELDS | (DONEHUB_ORDER_FIELDS if donehub else frozenset())
    fields: list[tuple[str, bool]] = []
    for part in (order or "-id").split(","):
        part = part.strip()
        descending = part.startswith("-")
        name = part.lstrip("-")
        if name not in allowed:
            return [], f"不支持的排序字段: {name}"
        fields.append((name, descending))
    return fields, ""


def sort_rows(rows: list[dict[str, Any]], fields: list[tuple[str, bool]]) -> list[dict[str, Any]]:
    for name, descending in reversed(fields):
        rows = sorted(rows, key=lambda r: _sortable(r.get(name)), reverse=descending)
    return rows


def _sortable(value: Any) -> tuple[int, Any]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, value)
    return (1, str(value or ""))
