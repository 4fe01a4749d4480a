"""Current New API's own upstream model updates, emulated (docs/contracts/newapi-upstream-updates.md).

Per channel, `settings` (a JSON string) holds the detector's switches and findings. `detect` asks
the channel's upstream for its models and stores the models to add and to remove (mapping sources
are aliases, never removed; mapping targets are never added; ignored models, or `regex:` patterns,
are never proposed); `apply` adds, removes or ignores the chosen ones among those found; the "all"
variants run over every enabled channel with checks on, `detect_all` as a background system task
that `GET /api/system-task/:task_id` reports on, `apply_all` before it answers.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from ...services.model_mapping import model_mapping, upstream_changes
from .channels import fail, read_json, reply
from .probe import Upstream, model_ids
from .store import ChannelTable, Flavor, key_lines

CHECK = "upstream_model_update_check_enabled"
AUTO_SYNC = "upstream_model_update_auto_sync_enabled"
LAST_CHECK = "upstream_model_update_last_check_time"
DETECTED = "upstream_model_update_last_detected_models"
REMOVED = "upstream_model_update_last_removed_models"
IGNORED = "upstream_model_update_ignored_models"
BUSY = "已有模型更新任务正在运行或等待中，不能启动本次手动任务"


def names(values: Any) -> list[str]:
    """normalizeModelNames: trimmed, no empty names, first occurrence kept."""
    if not isinstance(values, list):
        return []
    return list(dict.fromkeys(str(v).strip() for v in values if str(v).strip()))


def settings_of(row: dict[str, Any]) -> dict[str, Any]:
    try:
        data = json.loads(row.get("settings") or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def store_settings(row: dict[str, Any], settings: dict[str, Any]) -> None:
    """Go's `omitempty`: false, 0 and empty lists are left out of the stored JSON."""
    row["settings"] = json.dumps(
        {k: v for k, v in settings.items() if v not in (False, 0, [], None, "")}, ensure_ascii=False
    )


def pending_changes(
    local: list[str], upstream: list[str], ignored: list[str], mapping: dict[str, str]
) -> tuple[list[str], list[str]]:
    """collectPendingUpstreamModelChangesFromModels: (models to add, models to remove).

    The alias rule (sources never removed, targets never added) is `services.model_mapping`'s, the
    one the app's own sync follows; ignored models and `regex:` patterns are never proposed.
    """
    changes = upstream_changes(local, upstream, mapping)

    def ignored_name(model: str) -> bool:
        for rule in names(ignored):
            if rule.startswith("regex:"):
                try:
                    if re.search(rule[len("regex:") :].strip(), model):
                        return True
                except re.error:
                    continue
            elif rule == model:
                return True
        return False

    return [m for m in changes.add if not ignored_name(m)], list(changes.remove)


class UpstreamUpdateApi:
    """The four `/api/channel/upstream_updates/*` handlers and the system-task lookup."""

    def __init__(self, flavor: Flavor, table: ChannelTable, upstream: Upstream) -> None:
        self.flavor = flavor
        self.table = table
        self.upstream = upstream
        self.tasks: dict[str, dict[str, Any]] = {}
        self._runner: asyncio.Task[None] | None = None

    # -- one channel -------------------------------------------------------------------------------

    async def detect_upstream(self, request: Request, _arg: str) -> JSONResponse:
        body, error = await read_json(request)
        if error or not isinstance(body, dict):
            return fail(error or "invalid request")
        row = self.table.get(int(body.get("id") or 0)) if isinstance(body.get("id"), int) else None
        if not isinstance(body.get("id"), int) or body["id"] <= 0:
            return fail("invalid channel id")
        if row is None:
            return fail("record not found")
        settings = settings_of(row)
        problem, auto_added = await self._check(row, settings, auto_apply=False)
        if problem:
            return fail(problem)
        return reply(
            True,
            data={
                "channel_id": row["id"],
                "channel_name": row["name"],
                "add_models": names(settings.get(DETECTED)),
                "remove_models": names(settings.get(REMOVED)),
                "last_check_time": settings.get(LAST_CHECK, 0),
                "auto_added_models": auto_added,
            },
        )

    async def apply_upstream(self, request: Request, _arg: str) -> JSONResponse:
        body, error = await read_json(request)
        if error or not isinstance(body, dict):
            return fail(error or "invalid request")
        if not isinstance(body.get("id"), int) or body["id"] <= 0:
            return fail("invalid channel id")
        row = self.table.get(body["id"])
        if row is None:
            return fail("record not found")
        ignored_before = names(settings_of(row).get(DETECTED))
        result = self._apply(
            row, names(body.get("add_models")), names(body.get("remove_models")), names(body.get("ignore_models"))
        )
        ignored = [m for m in names(body.get("ignore_models")) if m in ignored_before]
        return reply(
            True,
            data={
                "id": row["id"],
                "added_models": result["added_models"],
                "removed_models": result["removed_models"],
                "ignored_models": ignored,
                "remaining_models": result["remaining_models"],
                "remaining_remove_models": result["remaining_remove_models"],
                "models": row["models"],
                "settings": row["settings"],
            },
        )

    # -- every channel -----------------------------------------------------------------------------

    def _watched(self) -> list[dict[str, Any]]:
        return [
            r for r in sorted(self.table, key=lambda r: r["id"]) if r["status"] == 1 and settings_of(r).get(CHECK)
        ]

    async def apply_all_upstream(self, _request: Request, _arg: str) -> JSONResponse:
        results, added, removed = [], 0, 0
        for row in self._watched():
            settings = settings_of(row)
            add, remove = names(settings.get(DETECTED)), names(settings.get(REMOVED))
            if not add and not remove:
                continue
            result = self._apply(row, add, remove, [])
            added += len(result["added_models"])
            removed += len(result["removed_models"])
            results.append({"channel_id": row["id"], "channel_name": row["name"], **result})
        data = {
            "processed_channels": len(results),
            "added_models": added,
            "removed_models": removed,
            "failed_channel_ids": [],
            "results": results,
        }
        return reply(True, data=data)

    async def detect_all_upstream(self, _request: Request, _arg: str) -> JSONResponse:
        active = next((t for t in self.tasks.values() if t["status"] in ("pending", "running")), None)
        if active is not None:
            data = {"task_id": active["task_id"], "status": active["status"], "type": "model_update"}
            return JSONResponse({"success": False, "message": BUSY, "data": data}, 409)
        task_id = f"systask_{secrets.token_urlsafe(24)}"
        now = int(time.time())
        self.tasks[task_id] = {
            "id": len(self.tasks) + 1,
            "task_id": task_id,
            "type": "model_update",
            "status": "pending",
            "payload": {"manual": True},
            "state": None,
            "result": None,
            "error": "",
            "locked_by": "",
            "created_at": now,
            "updated_at": now,
        }
        self._runner = asyncio.get_running_loop().create_task(self._detect_every(task_id))
        return reply(True, data={"task_id": task_id, "status": "pending"})

    async def system_task(self, _request: Request, arg: str) -> JSONResponse:
        task = self.tasks.get(arg)
        if task is None:
            return JSONResponse({"success": False, "message": "task not found"}, 404)
        return reply(True, data=dict(task))

    async def _detect_every(self, task_id: str) -> None:
        """The manual run: every watched channel re-checked now, nothing applied automatically."""
        task = self.tasks[task_id]
        task["status"] = "running"
        summary = {
            "checked_channels": 0,
            "changed_channels": 0,
            "detected_add_models": 0,
            "detected_remove_models": 0,
            "failed_channels": 0,
            "auto_added_models": 0,
        }
        for row in self._watched():
            settings = settings_of(row)
            summary["checked_channels"] += 1
            problem, _ = await self._check(row, settings, auto_apply=False)
            if problem:
                summary["failed_channels"] += 1
                continue
            add, remove = names(settings.get(DETECTED)), names(settings.get(REMOVED))
            summary["detected_add_models"] += len(add)
            summary["detected_remove_models"] += len(remove)
            summary["changed_channels"] += bool(add or remove)
        task.update(status="succeeded", result=summary, updated_at=int(time.time()))

    # -- the detector ------------------------------------------------------------------------------

    async def _check(self, row: dict[str, Any], settings: dict[str, Any], *, auto_apply: bool) -> tuple[str, int]:
        """Fetch the upstream's list and store what to add and remove; (error or "", models auto-added)."""
        base_url = row.get("base_url") or self.flavor.types.get(row["type"]).default_base_url
        keys = key_lines(row["key"])
        answer = await self.upstream.models(base_url, keys[0] if keys else "")
        settings[LAST_CHECK] = int(time.time())
        upstream = model_ids(answer.body) if answer.ok else None
        if upstream is None:
            store_settings(row, settings)
            return (answer.error if not answer.ok else "invalid OpenAI Models response"), 0
        local = names(row["models"].split(","))
        add, remove = pending_changes(local, upstream, names(settings.get(IGNORED)), model_mapping(row))
        auto_added = 0
        if auto_apply and settings.get(AUTO_SYNC) and add:
            row["models"] = ",".join([*local, *add])
            auto_added, add = len(add), []
        settings[DETECTED] = add
        settings[REMOVED] = remove
        store_settings(row, settings)
        return "", auto_added

    def _apply(
        self, row: dict[str, Any], add_in: list[str], remove_in: list[str], ignore_in: list[str]
    ) -> dict[str, Any]:
        """applyChannelUpstreamModelUpdates: only models among those found; add wins over remove."""
        settings = settings_of(row)
        pending_add, pending_remove = names(settings.get(DETECTED)), names(settings.get(REMOVED))
        add = [m for m in add_in if m in pending_add]
        ignore = [m for m in ignore_in if m in pending_add]
        remove = [m for m in remove_in if m in pending_remove and m not in add]
        local = names(row["models"].split(","))
        merged = local + [m for m in add if m not in local]
        row["models"] = ",".join(m for m in merged if m not in remove)
        ignored = names(settings.get(IGNORED)) + [m for m in ignore if m not in names(settings.get(IGNORED))]
        settings[IGNORED] = [m for m in ignored if m not in add]
        remaining = [m for m in pending_add if m not in add and m not in ignore]
        remaining_remove = [m for m in pending_remove if m not in remove]
        settings[DETECTED] = remaining
        settings[REMOVED] = remaining_remove
        settings[LAST_CHECK] = int(time.time())
        store_settings(row, settings)
        return {
            "added_models": add,
            "removed_models": remove,
            "remaining_models": remaining,
            "remaining_remove_models": remaining_remove,
        }


def seed_watch(rows: list[dict[str, Any]], offered: dict[str, tuple[str, ...]], *, now: int) -> None:
    """Demo data: a quarter of the enabled channels watched, some with changes already found."""
    for row in rows:
        if row["status"] != 1 or row["id"] % 4 != 1:
            continue
        local = names(row["models"].split(","))
        provider_models = next((models for models in offered.values() if local and local[0] in models), ())
        settings = settings_of(row)
        settings[CHECK] = True
        settings[AUTO_SYNC] = row["id"] % 8 == 5
        settings[LAST_CHECK] = now - 3600
        new = [m for m in provider_models if m not in local][:2]
        settings[DETECTED] = new if row["id"] % 3 else []
        settings[REMOVED] = [m for m in local if "-custom-" in m]
        store_settings(row, settings)
