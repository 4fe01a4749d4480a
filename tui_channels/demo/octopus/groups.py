"""Emulated Octopus groups, both generations (docs/contracts/octopus-groups.md), traps included.

Legacy stores members of channels that do not exist and models a channel lacks, takes any int
mode, and writes both priority and weight on a member update (a field left out becomes 0). Current
checks members against the channels, takes only `manual` / `failover`, resets relay settings left
out of an update, and routes a manual group to its active member only. Both answer HTTP 500 for
a missing group and for duplicate names, list groups in no particular order, and lose members when
their channel is deleted or (current, and both after a server sync) no longer has the model.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from ...models import split_list

DEFAULT_RELAY_CONFIG = {
    "member_max_attempts": 2,
    "member_retry_interval_seconds": 3,
    "member_non_stream_response_timeout_seconds": 120,
    "member_stream_first_event_timeout_seconds": 30,
    "member_cooldown_seconds": 60,
    "member_affinity_seconds": 300,
}
_RELAY_MINIMUM = {name: (0 if name == "member_affinity_seconds" else 1) for name in DEFAULT_RELAY_CONFIG}


class GroupError(Exception):
    """An error answer of a group route: HTTP status (= envelope code) and message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _Wire(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")


class ItemIn(_Wire):
    channel_id: int = 0
    model_name: str = ""
    priority: int = 0
    weight: int = 0


class ItemUpdateIn(_Wire):
    id: int
    priority: int = 0
    weight: int = 0


class LegacyGroupIn(_Wire):
    name: str = ""
    mode: int = 0
    match_regex: str = ""
    first_token_time_out: int = 0
    session_keep_time: int = 0
    items: list[ItemIn] = []


class CurrentGroupIn(_Wire):
    name: str = ""
    mode: str = ""
    relay_config: dict[str, int] = {}
    items: list[ItemIn] = []


class _UpdateIn(_Wire):
    id: int
    name: str | None = None
    items_to_add: list[ItemIn] = []
    items_to_update: list[ItemUpdateIn] = []
    items_to_delete: list[int] = []


class LegacyUpdateIn(_UpdateIn):
    mode: int | None = None
    match_regex: str | None = None
    first_token_time_out: int | None = None
    session_keep_time: int | None = None


class CurrentUpdateIn(_UpdateIn):
    mode: str | None = None
    relay_config: dict[str, int] | None = None


class ActiveIn(_Wire):
    item_id: int | None = None


def _parse(model: type[_Wire], raw: bytes) -> Any:
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        field = ".".join(str(part) for part in first["loc"])
        raise GroupError(400, f"json: cannot unmarshal {first['type']} into Go struct field {field}") from exc


class GroupStore:
    """The groups of one emulated server, over that server's channel records."""

    def __init__(self, *, legacy: bool, channels: dict[int, dict[str, Any]]) -> None:
        self.legacy = legacy
        self.channels = channels
        self.groups: dict[int, dict[str, Any]] = {}
        self._next_group = 1
        self._next_item = 1

    # -- routes ------------------------------------------------------------------------------------

    def listed(self) -> list[dict[str, Any]]:
        """Every group, newest first: the real server's order comes from a map, not from the ids."""
        return [self._shown(g) for g in sorted(self.groups.values(), key=lambda g: -g["id"])]

    def create(self, raw: bytes) -> dict[str, Any]:
        if self.legacy:
            body = _parse(LegacyGroupIn, raw)
            self._check_regex(body.match_regex)
            fields: dict[str, Any] = {
                "name": body.name,
                "mode": body.mode,
                "match_regex": body.match_regex,
                "first_token_time_out": body.first_token_time_out,
                "session_keep_time": body.session_keep_time,
            }
        else:
            body = _parse(CurrentGroupIn, raw)
            name = body.name.strip()
            if not name:
                raise GroupError(500, "group name is required")
            fields = {
                "name": name,
                "mode": self._mode(body.mode or "manual"),
                "active_item_id": 0,
                "relay_config": self._relay(body.relay_config),
            }
            self._check_items(body.items)
        self._check_name(fields["name"], None)
        group_id = self._next_group
        self._next_group += 1
        record = {"id": group_id, **fields, "items": []}
        self._add_items(record, body.items, create=True)
        self.groups[group_id] = record
        return self._shown(record)

    def update(self, raw: bytes) -> dict[str, Any]:
        body = _parse(LegacyUpdateIn if self.legacy else CurrentUpdateIn, raw)
        record = self.groups.get(body.id)
        if record is None:
            raise GroupError(500, "group not found")
        changes: dict[str, Any] = {}
        if body.name is not None:
            name = body.name if self.legacy else body.name.strip()
            if not name:
                raise GroupError(500, "group name is required")
            changes["name"] = name
        if body.mode is not None:
            changes["mode"] = body.mode if self.legacy else self._mode(body.mode)
        if self.legacy:
            if body.match_regex is not None:
                self._check_regex(body.match_regex)
                changes["match_regex"] = body.match_regex
            for name in ("first_token_time_out", "session_keep_time"):
                if getattr(body, name) is not None:
                    changes[name] = getattr(body, name)
        else:
            if body.relay_config is not None:
                changes["relay_config"] = self._relay(body.relay_config)
            self._check_items(body.items_to_add)
        if "name" in changes:
            try:
                self._check_name(changes["name"], body.id)
            except GroupError as exc:
                raise GroupError(500, f"failed to update group: {exc.message}") from exc
        draft = copy.deepcopy(record)
        draft.update(changes)
        gone = set(body.items_to_delete)
        draft["items"] = [i for i in draft["items"] if i["id"] not in gone]
        if not self.legacy and draft["active_item_id"] in gone:
            draft["active_item_id"] = 0
        by_id = {i["id"]: i for i in draft["items"]}
        for change in body.items_to_update:
            item = by_id.get(change.id)
            if item is not None:
                item["priority"] = change.priority
                if self.legacy:
                    item["weight"] = change.weight
        self._add_items(draft, body.items_to_add, create=False)
        self.groups[body.id] = draft
        return self._shown(draft)

    def delete(self, group_id: int) -> str:
        if self.groups.pop(group_id, None) is None:
            raise GroupError(500, "group not found")
        return "group deleted successfully"

    def set_active(self, group_id: int, raw: bytes) -> dict[str, Any]:
        body = _parse(ActiveIn, raw)
        if body.item_id is None:
            field = "GroupActiveItemUpdateRequest.ItemID"
            raise GroupError(
                400, f"Key: '{field}' Error:Field validation for 'ItemID' failed on the 'required' tag"
            )
        record = self.groups.get(group_id)
        if record is None:
            raise GroupError(500, "group not found")
        if body.item_id and all(i["id"] != body.item_id for i in record["items"]):
            raise GroupError(500, "group item not found")
        record["active_item_id"] = body.item_id
        return self._shown(record)

    # -- what channel changes do to groups (contract §4) -------------------------------------------

    def channel_deleted(self, channel_id: int) -> None:
        for record in self.groups.values():
            self._drop(record, [i for i in record["items"] if i["channel_id"] == channel_id])

    def channel_models_changed(self, channel_id: int, models: Iterable[str]) -> None:
        """Current only: members of models the channel no longer has are deleted."""
        if self.legacy:
            return
        kept = set(models)
        for record in self.groups.values():
            stale = [i for i in record["items"] if i["channel_id"] == channel_id and i["model_name"] not in kept]
            self._drop(record, stale)

    def models_removed_by_sync(self, channel_id: int, removed: Iterable[str]) -> None:
        gone = set(removed)
        for record in self.groups.values():
            stale = [i for i in record["items"] if i["channel_id"] == channel_id and i["model_name"] in gone]
            self._drop(record, stale)

    def auto_group(self, channel: dict[str, Any]) -> None:
        """Legacy, after a sync: add the channel's models to groups by name (1 fuzzy, 2 exact, 3 regex)."""
        kind = channel.get("auto_group") or 0
        if not self.legacy or not kind:
            return
        models = split_list(f"{channel.get('model') or ''},{channel.get('custom_model') or ''}")
        for record in self.groups.values():
            name = record["name"].strip().lower()
            if kind == 1:
                matched = [m for m in models if name and name in m.lower()]
            elif kind == 3 and record["match_regex"]:
                pattern = re.compile(record["match_regex"])
                matched = [m for m in models if pattern.search(m)]
            else:
                matched = [m for m in models if m.lower() == name]
            present = {(i["channel_id"], i["model_name"]) for i in record["items"]}
            priority = max((i["priority"] for i in record["items"]), default=0) + 1
            for model in matched:
                if (channel["id"], model) not in present:
                    record["items"].append(self._item(record["id"], channel["id"], model, priority, 1))
                    priority += 1

    # -- helpers -----------------------------------------------------------------------------------

    def _shown(self, record: dict[str, Any]) -> dict[str, Any]:
        """The group as the server answers it: members omitted when there are none; current sorts them."""
        shown = copy.deepcopy(record)
        items = shown.pop("items")
        if not self.legacy:
            items.sort(key=lambda i: (i["priority"], i["id"]))
        if items:
            shown["items"] = items
        return shown

    def _drop(self, record: dict[str, Any], items: list[dict[str, Any]]) -> None:
        ids = {i["id"] for i in items}
        if not ids:
            return
        record["items"] = [i for i in record["items"] if i["id"] not in ids]
        if not self.legacy and record["active_item_id"] in ids:
            record["active_item_id"] = 0

    def _item(self, group_id: int, channel_id: int, model: str, priority: int, weight: int) -> dict[str, Any]:
        item: dict[str, Any] = {
            "id": self._next_item,
            "group_id": group_id,
            "channel_id": channel_id,
            "model_name": model,
            "priority": priority,
        }
        if self.legacy:
            item["weight"] = weight
        self._next_item += 1
        return item

    def _add_items(self, record: dict[str, Any], items: list[ItemIn], *, create: bool) -> None:
        present = {(i["channel_id"], i["model_name"]) for i in record["items"]}
        for item in items:
            model = item.model_name if self.legacy else item.model_name.strip()
            if (item.channel_id, model) in present:
                prefix = "" if create else "failed to create items: "
                raise GroupError(
                    500,
                    f"{prefix}constraint failed: UNIQUE constraint failed: group_items.group_id, "
                    "group_items.channel_id, group_items.model_name (2067)",
                )
            present.add((item.channel_id, model))
            record["items"].append(self._item(record["id"], item.channel_id, model, item.priority, item.weight))

    def _check_items(self, items: list[ItemIn]) -> None:
        """Current: every member's channel exists and offers the model (op/group.go)."""
        for item in items:
            model = item.model_name.strip()
            if not model:
                raise GroupError(500, "group item model name is required")
            channel = self.channels.get(item.channel_id)
            if channel is None:
                raise GroupError(500, f"group item channel {item.channel_id} not found")
            if model not in split_list(f"{channel['model']},{channel['custom_model']}"):
                raise GroupError(500, f'model "{model}" not found in channel {item.channel_id}')

    def _check_name(self, name: str, own_id: int | None) -> None:
        if any(g["name"] == name and g["id"] != own_id for g in self.groups.values()):
            raise GroupError(500, "constraint failed: UNIQUE constraint failed: groups.name (2067)")

    @staticmethod
    def _check_regex(pattern: str) -> None:
        if not pattern:
            return
        try:
            re.compile(pattern)
        except re.error as exc:
            raise GroupError(400, f"error parsing regexp: {exc}") from exc

    @staticmethod
    def _mode(mode: str) -> str:
        if mode not in ("manual", "failover"):
            raise GroupError(400, "Key: 'Group.Mode' Error:Field validation for 'Mode' failed on the 'oneof' tag")
        return mode

    @staticmethod
    def _relay(config: dict[str, int]) -> dict[str, int]:
        """Go's binding minimums, then NormalizeGroupRelayConfig: all zeros are the defaults, and each
        field below its minimum is reset, except affinity, where a missing 0 stays 0."""
        for name, value in config.items():
            if name in _RELAY_MINIMUM and value and value < _RELAY_MINIMUM[name]:
                field = "".join(part.title() for part in name.split("_"))
                raise GroupError(
                    400,
                    f"Key: 'Group.RelayConfig.{field}' Error:Field validation for '{field}' failed on the 'min' tag",
                )
        given = {name: config.get(name, 0) for name in DEFAULT_RELAY_CONFIG}
        if not any(given.values()):
            return dict(DEFAULT_RELAY_CONFIG)
        return {
            name: value if value >= _RELAY_MINIMUM[name] else DEFAULT_RELAY_CONFIG[name]
            for name, value in given.items()
        }

    def seed(self, plans: list[tuple[str, Any, list[tuple[int, str]], int | None]]) -> None:
        """Groups of the demo data: (name, mode, members as (channel id, model), active member index)."""
        for name, mode, members, active in plans:
            group_id = self._next_group
            self._next_group += 1
            record: dict[str, Any] = {"id": group_id, "name": name, "mode": mode}
            if self.legacy:
                record.update(match_regex="", first_token_time_out=0, session_keep_time=0)
            else:
                record.update(active_item_id=0, relay_config=dict(DEFAULT_RELAY_CONFIG))
            record["items"] = [
                self._item(group_id, channel_id, model, position + 1, 1 + position % 3)
                for position, (channel_id, model) in enumerate(members)
            ]
            if not self.legacy and active is not None and record["items"]:
                record["active_item_id"] = record["items"][active]["id"]
            self.groups[group_id] = record
