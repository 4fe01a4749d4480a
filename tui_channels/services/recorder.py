"""The journalling backend: every write a site session sends is recorded in the site's journal.

`SiteSession.connect` wraps each site's backend in a `JournaledBackend`, so the app, every
command and the fleet's cross-site actions write through it, whatever screen or service asked:
nothing has to remember to journal. Each `Backend` method (and each backend family's extra) is one
of three things, and `tests/test_journal_coverage.py` fails for a method that is none of them:

- a read (`READS`): passed through; channel reads also keep the channels' last known state,
  which is what a write's "before" values come from without another request;
- a measurement (`MEASUREMENTS`): the server records a test time or a balance and nothing an
  admin set, so it is not journalled;
- a write (`WRITES`): journalled with the channels it touched and their values before and after.
  A method no list names is journalled all the same (its arguments, scrubbed, and the channels
  they name), so a write added later is never silent.

A write to a read-only site (its profile, or a `--read-only` run: `read_only` says why) is refused
with `ReadOnly` before it is sent, whichever screen, command or batch asked: the last guard behind
the actions that leave such sites out. The journal is checked before the first write: if it cannot
be written, the write is refused with `JournalError` and nothing is sent. A write that fails is journalled as failed, with the reason
and the values it asked for; one interrupted before the server answered is journalled as failed
too, saying it may or may not have been made. A write refused as not supported (a field or route
the server does not have, refused before sending or answered 404) changed nothing and is not
journalled.

What a user was doing (an import, a restore, a sync, an undo) is set around the calls with
`acting(...)`; without it the entry's action is the operation itself. Writes sent by one batch
(`BatchRun`, any bulk action) carry one batch id (`one_batch`), so they can be undone together.
"""

from __future__ import annotations

import asyncio
import inspect
import uuid
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..backends.base import Backend, Capabilities, FieldKind, ProgressCallback
from ..errors import ChannelsError, NotSupported, ReadOnly, describe
from ..models import Channel, ChannelSpec, ChannelStatus, TestResult, TypeCode
from ..redact import logger, mask_remembered, scrub
from ..model_groups import ModelGroup
from .change_values import FieldValues, group_values, looks_secret, plain, projected, requested, same, values_of
from .journal import Change, Entry, Journal, JournalError

READS = frozenset(
    {
        "connect",
        "close",
        "verify",
        "list_channels",
        "search_channels",
        "get_channel",
        "fetch_models",
        "fetch_models_adhoc",
        "list_groups",
        "tag_models",
        "tags",
        "tag_members",
        "model_catalog",
        "enabled_models",
        "last_server_sync",
        "key_status",
        "reveal_key",
        "list_model_groups",
        "system_task",
        "missing_permissions",
        "list_warnings",
    }
)
"""Methods that change nothing on the server (a revealed key is read, never journalled; the
permission probes send bodies the server cannot parse)."""

MEASUREMENTS = {
    "test_channel": "a test; the server records its response time",
    "update_balance": "a balance refresh; the server records the upstream's balance",
    "update_all_balances": "a balance refresh of every channel",
    "detect_upstream_updates": "an upstream check; the server records the models it found, applies none",
    "start_upstream_check_all": "the server's upstream check of every watched channel; applies none",
}
"""Methods after which the server holds a new measurement and nothing an admin set."""

WRITES = {
    "create_channel": "create",
    "update_channel": "update",
    "set_status": "status",
    "delete_channel": "delete",
    "delete_channels": "delete",
    "delete_disabled": "delete_disabled",
    "set_tag": "tag",
    "set_tag_status": "tag_status",
    "edit_tag": "tag_edit",
    "update_channels": "batch_update",
    "copy_channel": "copy",
    "server_sync": "server_sync",
    "fix_abilities": "fix_abilities",
    "test_all": "test_all",
    "manage_keys": "multi_key",
    "apply_upstream_updates": "upstream_apply",
    "apply_all_upstream_updates": "upstream_apply_all",
    "create_model_group": "group_create",
    "update_model_group": "group_update",
    "delete_model_group": "group_delete",
}
"""Every write the journal knows, by method, with the operation its entries name."""

INTERRUPTED = "interrupted before the server answered: the change may or may not have been made"
_LIST_NAMES = {FieldKind.URL_LIST: "base_urls", FieldKind.KEY_LIST: "keys"}
_TAG_EDIT_NAMES = {"new_tag": "tag"}
_log = logger(__name__)


@dataclass(frozen=True, slots=True)
class Acting:
    """What the user is doing while writes are sent, for the entries they make."""

    action: str
    undoes: int | None = None


_acting: ContextVar[Acting | None] = ContextVar("journal_acting", default=None)


@contextmanager
def acting(action: str, *, undoes: int | None = None) -> Iterator[None]:
    """Label the writes sent inside (and in tasks started inside) with `action`; `undoes` names
    the entry an undo reverses."""
    token = _acting.set(Acting(action, undoes))
    try:
        yield
    finally:
        _acting.reset(token)


_batch: ContextVar[str | None] = ContextVar("journal_batch", default=None)


@contextmanager
def one_batch() -> Iterator[str]:
    """Mark the writes sent inside (and in tasks started inside) as one batch, so the history can
    show and undo them together; inside another batch, the outer one goes on. Yields the batch id."""
    outer = _batch.get()
    if outer is not None:
        yield outer
        return
    batch = uuid.uuid4().hex[:10]
    token = _batch.set(batch)
    try:
        yield batch
    finally:
        _batch.reset(token)


_written: ContextVar[list[Entry] | None] = ContextVar("journal_written", default=None)


@contextmanager
def written_entries() -> Iterator[list[Entry]]:
    """Collect the entries journalled for the writes sent inside (and in tasks started inside), in
    the order they were written, so that what was just done can be undone as the history would.
    An entry the journal could not write is not among them."""
    collected: list[Entry] = []
    token = _written.set(collected)
    try:
        yield collected
    finally:
        _written.reset(token)


def form_field_names(capabilities: Capabilities) -> list[str]:
    """Every field of the site's channel form, by the name `update_channel` takes."""
    return [_LIST_NAMES.get(spec.kind, spec.name) for spec in capabilities.fields]


@dataclass(frozen=True, slots=True)
class _Draft:
    op: str
    at: datetime
    args: dict[str, Any]
    acting: Acting | None
    batch: str | None


class JournaledBackend:
    """A site's backend that journals every write it sends (see the module docstring)."""

    def __init__(
        self,
        inner: Backend,
        site: str,
        journal: Journal | None = None,
        *,
        read_only: Callable[[], str | None] = lambda: None,
    ) -> None:
        self._inner = inner
        self._read_only = read_only
        self.site = site
        self.journal = journal or Journal(site)
        self._appends = _GroupAppends()
        self._known: dict[int, Channel] = {}
        self._complete = False
        self._groups: dict[int, ModelGroup] = {}

    @property
    def inner(self) -> Backend:
        return self._inner

    @property
    def capabilities(self) -> Capabilities:
        return self._inner.capabilities

    def __getattr__(self, name: str) -> Any:
        """Reads and measurements pass through; any other coroutine method is journalled."""
        if name.startswith("_"):
            raise AttributeError(name)
        attribute = getattr(self._inner, name)
        if name in READS or name in MEASUREMENTS or not inspect.iscoroutinefunction(attribute):
            return attribute
        return self._journaled_call(name, attribute)

    # -- reads that keep the channels' last known state -------------------------------------------

    async def connect(self) -> Capabilities:
        return await self._inner.connect()

    async def close(self) -> None:
        await self._inner.close()

    async def list_channels(self, on_progress: ProgressCallback | None = None) -> list[Channel]:
        channels = await self._inner.list_channels(on_progress)
        self._known = {c.id: c for c in channels}
        self._complete = True
        return channels

    async def search_channels(self, keyword: str) -> list[Channel]:
        return self._remember(await self._inner.search_channels(keyword))

    async def get_channel(self, channel_id: int) -> Channel:
        return self._remember([await self._inner.get_channel(channel_id)])[0]

    async def test_channel(self, channel: Channel, model: str | None = None) -> TestResult:
        return await self._inner.test_channel(channel, model)

    async def fetch_models(self, channel: Channel) -> list[str]:
        return await self._inner.fetch_models(channel)

    async def fetch_models_adhoc(self, type_code: TypeCode, base_url: str, key: str) -> list[str]:
        return await self._inner.fetch_models_adhoc(type_code, base_url, key)

    async def verify(self) -> Capabilities:
        return await self._inner.verify()

    def _remember(self, channels: list[Channel]) -> list[Channel]:
        for channel in channels:
            self._known[channel.id] = channel
        return channels

    async def _known_channel(self, channel_id: int) -> Channel | None:
        """The channel's last known state, read from the server when none is known yet."""
        known = self._known.get(channel_id)
        if known is not None:
            return known
        try:
            return await self.get_channel(channel_id)
        except ChannelsError:
            return None

    async def _known_channels(self, channel_ids: Iterable[int]) -> list[Channel]:
        found = [await self._known_channel(i) for i in channel_ids]
        return [c for c in found if c is not None]

    async def _everything(self) -> list[Channel]:
        """Every channel, listed once when no full list has been read yet (for tag-wide writes)."""
        if not self._complete:
            await self.list_channels()
        return list(self._known.values())

    # -- channel writes -----------------------------------------------------------------------

    async def create_channel(self, spec: ChannelSpec) -> Channel:
        draft = await self._begin("create_channel")
        try:
            channel = await self._inner.create_channel(spec)
        except BaseException as error:
            await self._failed(draft, error, [Change(name=mask_remembered(spec.name))])
            raise
        self._remember([channel])
        after = self._values(channel, form_field_names(self.capabilities))
        await self._done(draft, [self._change(channel, None, after)])
        return channel

    async def update_channel(self, channel: Channel, changes: Mapping[str, Any]) -> Channel:
        if not changes:
            return await self._inner.update_channel(channel, changes)
        draft = await self._begin("update_channel")
        names = list(changes)
        before = self._values(channel, names)
        try:
            updated = await self._inner.update_channel(channel, changes)
        except BaseException as error:
            await self._failed(draft, error, [self._change(channel, before, requested(self.capabilities, changes))])
            raise
        self._remember([updated])
        await self._done(draft, [self._change(updated, before, self._values(updated, names))])
        return updated

    async def set_status(self, channel_id: int, enabled: bool) -> None:
        wanted = ChannelStatus.ENABLED if enabled else ChannelStatus.MANUALLY_DISABLED
        await self._projected_write(
            "set_status",
            lambda: self._inner.set_status(channel_id, enabled),
            await self._known_channels([channel_id]),
            {"status": wanted},
            args={"enabled": enabled},
            missing=[channel_id],
        )

    async def set_tag(self, channel_ids: Sequence[int], tag: str | None) -> None:
        await self._projected_write(
            "set_tag",
            lambda: self._inner.set_tag(channel_ids, tag),  # type: ignore[attr-defined]
            await self._known_channels(channel_ids),
            {"tag": tag or None},
            args={"tag": tag},
            missing=channel_ids,
        )

    async def set_tag_status(self, tag: str, enabled: bool) -> None:
        wanted = ChannelStatus.ENABLED if enabled else ChannelStatus.MANUALLY_DISABLED
        members = [c for c in await self._everything() if c.tag == tag]
        await self._projected_write(
            "set_tag_status",
            lambda: self._inner.set_tag_status(tag, enabled),  # type: ignore[attr-defined]
            members,
            {"status": wanted},
            args={"tag": tag, "enabled": enabled},
        )

    async def edit_tag(self, tag: str, changes: Mapping[str, Any]) -> None:
        members = [c for c in await self._everything() if c.tag == tag]
        fields = {_TAG_EDIT_NAMES.get(name, name): value for name, value in changes.items()}
        await self._projected_write(
            "edit_tag",
            lambda: self._inner.edit_tag(tag, changes),  # type: ignore[attr-defined]
            members,
            fields,
            args={"tag": tag, "fields": sorted(fields)},
        )

    async def update_channels(self, channel_ids: Sequence[int], changes: Mapping[str, Any]) -> int:
        return await self._projected_write(
            "update_channels",
            lambda: self._inner.update_channels(channel_ids, changes),  # type: ignore[attr-defined]
            await self._known_channels(channel_ids),
            dict(changes),
            args={"fields": sorted(changes)},
            missing=channel_ids,
        )

    async def _projected_write(
        self,
        method: str,
        call: Callable[[], Awaitable[Any]],
        channels: list[Channel],
        changes: Mapping[str, Any],
        *,
        args: dict[str, Any],
        missing: Iterable[int] = (),
    ) -> Any:
        """A write that answers no record: its "after" is each channel with `changes` applied.
        Only the channels it changes are journalled, each with the fields it changes (`_written_only`)."""
        draft = await self._begin(method, args)
        names = list(changes)
        before = {c.id: self._values(c, names) for c in channels}
        afterwards = [projected(c, changes) for c in channels]
        records = _written_only([self._change(new, before[new.id], self._values(new, names)) for new in afterwards])
        unknown = [Change(id=i) for i in missing if i not in before]
        try:
            result = await call()
        except BaseException as error:
            await self._failed(draft, error, records + unknown)
            raise
        self._remember(afterwards)
        await self._done(draft, records + unknown, result=result)
        return result

    async def delete_channel(self, channel_id: int) -> None:
        await self._delete("delete_channel", lambda: self._inner.delete_channel(channel_id), [channel_id])

    async def delete_channels(self, channel_ids: Sequence[int]) -> int:
        return await self._delete("delete_channels", lambda: self._inner.delete_channels(channel_ids), channel_ids)

    async def delete_disabled(self) -> int:
        disabled = [c.id for c in await self._everything() if c.status.is_disabled]
        return await self._delete("delete_disabled", lambda: self._inner.delete_disabled(), disabled)  # type: ignore[attr-defined]

    async def _delete(self, method: str, call: Callable[[], Awaitable[Any]], channel_ids: Sequence[int]) -> Any:
        """Deletes keep each channel's last values as "before"; the channel itself is in the trash."""
        channels = await self._known_channels(channel_ids)
        draft = await self._begin(method)
        names = form_field_names(self.capabilities)
        records = [self._change(c, self._values(c, names), None) for c in channels]
        known = {c.id for c in channels}
        records += [Change(id=i) for i in channel_ids if i not in known]
        try:
            result = await call()
        except BaseException as error:
            await self._failed(draft, error, records)
            raise
        for channel_id in channel_ids:
            self._known.pop(channel_id, None)
        await self._done(draft, records, result=result)
        return result

    async def copy_channel(self, channel_id: int, suffix: str = "_copy") -> int:
        source = await self._known_channel(channel_id)
        draft = await self._begin("copy_channel", {"source": channel_id})
        try:
            new_id = await self._inner.copy_channel(channel_id, suffix)  # type: ignore[attr-defined]
        except BaseException as error:
            await self._failed(draft, error, [Change(name=mask_remembered(source.name + suffix) if source else "")])
            raise
        try:
            copy = await self.get_channel(new_id)
        except ChannelsError:
            record = Change(id=new_id, name=mask_remembered(source.name + suffix) if source else "", after={})
        else:
            record = self._change(copy, None, self._values(copy, form_field_names(self.capabilities)))
        await self._done(draft, [record])
        return new_id

    async def apply_upstream_updates(
        self, channel_id: int, *, add: Sequence[str] = (), remove: Sequence[str] = (), ignore: Sequence[str] = ()
    ) -> Any:
        """The models the server found, applied: "before" and "after" are the channel's model lists.

        (Models moved to the ignore list are named in `args`; the list itself is not journalled.)
        """
        channel = await self._known_channel(channel_id)
        draft = await self._begin(
            "apply_upstream_updates", {"add": list(add), "remove": list(remove), "ignore": list(ignore)}
        )
        before = self._values(channel, ["models"]) if channel is not None else None
        try:
            done = await self._inner.apply_upstream_updates(  # type: ignore[attr-defined]
                channel_id, add=add, remove=remove, ignore=ignore
            )
        except BaseException as error:
            await self._failed(draft, error, [self._change(channel, before, None) if channel else Change(id=channel_id)])
            raise
        if channel is None:
            record = Change(id=channel_id)
        else:
            kept = [m for m in channel.models if m not in done.removed]
            models = done.models or (*kept, *(m for m in done.added if m not in kept))
            saved = projected(channel, {"models": models})
            self._remember([saved])
            record = self._change(saved, before, self._values(saved, ["models"]))
        await self._done(draft, [record])
        return done

    async def apply_all_upstream_updates(self) -> Any:
        """Everything the server found, applied on every watched channel: the model lists either side."""
        return await self._server_models_write(
            "apply_all_upstream_updates",
            lambda: self._inner.apply_all_upstream_updates(),  # type: ignore[attr-defined]
            lambda report: {
                "channels": report.channels,
                "added": report.added,
                "removed": report.removed,
                "failed_ids": list(report.failed_ids),
            },
        )

    async def server_sync(self) -> str | None:
        """The server changes channels' models itself: "before" and "after" are the lists either side."""
        return await self._server_models_write(
            "server_sync",
            lambda: self._inner.server_sync(),  # type: ignore[attr-defined]
            lambda problem: {"result": problem} if problem else {},
        )

    async def _server_models_write(
        self, method: str, call: Callable[[], Awaitable[Any]], summary: Callable[[Any], dict[str, Any]]
    ) -> Any:
        """A write after which the server has changed channels' models itself: every channel is
        listed right before and after (never the list loaded earlier, which another admin's edit
        may have outdated), and each whose models differ is journalled."""
        before = {c.id: c for c in await self.list_channels()}
        draft = await self._begin(method)
        try:
            result = await call()
        except BaseException as error:
            await self._failed(draft, error, [])
            raise
        args = {**draft.args, **_safe_args(summary(result))}
        draft = dataclasses.replace(draft, args=args)
        try:
            after = await self.list_channels()
        except ChannelsError as error:
            await self._done(draft, [], note=f"the channels could not be read back: {error.message}")
            return result
        records = [
            self._change(new, self._values(old, ["models"]), self._values(new, ["models"]))
            for new in after
            if (old := before.get(new.id)) is not None and old.models != new.models
        ]
        await self._done(draft, records)
        return result

    # -- model groups -----------------------------------------------------------------------------

    async def list_model_groups(self) -> list[ModelGroup]:
        groups = await self._inner.list_model_groups()
        self._groups = {g.id: g for g in groups if g.id is not None}
        return groups

    async def create_model_group(self, group: ModelGroup) -> ModelGroup:
        draft = await self._begin("create_model_group")
        try:
            saved = await self._inner.create_model_group(group)
        except BaseException as error:
            await self._failed(draft, error, [_group_change(group, None, group_values(group))])
            raise
        self._remember_group(saved)
        await self._done(draft, [_group_change(saved, None, group_values(saved))])
        return saved

    async def update_model_group(self, old: ModelGroup, new: ModelGroup) -> ModelGroup:
        draft = await self._begin("update_model_group")
        before = group_values(old)
        try:
            saved = await self._inner.update_model_group(old, new)
        except BaseException as error:
            await self._failed(draft, error, [_group_change(old, before, group_values(new))])
            raise
        self._remember_group(saved)
        await self._done(draft, [_group_change(saved, *_changed_only(before, group_values(saved)))])
        return saved

    async def delete_model_group(self, group_id: int) -> None:
        group = self._groups.get(group_id)
        if group is None:
            try:
                group = next((g for g in await self.list_model_groups() if g.id == group_id), None)
            except ChannelsError:
                group = None
        draft = await self._begin("delete_model_group")
        record = _group_change(group, group_values(group), None) if group else Change(of="group", id=group_id)
        try:
            await self._inner.delete_model_group(group_id)
        except BaseException as error:
            await self._failed(draft, error, [record])
            raise
        self._groups.pop(group_id, None)
        await self._done(draft, [record])

    def _remember_group(self, group: ModelGroup) -> None:
        if group.id is not None:
            self._groups[group.id] = group

    # -- any other write ------------------------------------------------------------------------

    def _journaled_call(self, name: str, method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        """A write the journal has no recipe for: its arguments and the channels they name."""
        signature = inspect.signature(method)

        async def call(*args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(*args, **kwargs).arguments
            ids = [bound["channel_id"]] if isinstance(bound.get("channel_id"), int) else []
            ids += [i for i in bound.get("channel_ids") or () if isinstance(i, int)]
            channels = await self._known_channels(ids)
            records = [self._change(c, {}, {}) for c in channels]
            known = {c.id for c in channels}
            records += [Change(id=i, before={}, after={}) for i in ids if i not in known]
            draft = await self._begin(name, {k: v for k, v in bound.items() if k not in ("channel_id", "channel_ids")})
            try:
                result = await method(*args, **kwargs)
            except BaseException as error:
                await self._failed(draft, error, records)
                raise
            await self._done(draft, records, result=result)
            return result

        return call

    # -- entries --------------------------------------------------------------------------------

    def _values(self, channel: Channel, names: Iterable[str]) -> FieldValues:
        return values_of(self.capabilities, channel, names)

    @staticmethod
    def _change(channel: Channel, before: FieldValues | dict | None, after: FieldValues | dict | None) -> Change:
        withheld: list[str] = []
        sides = []
        for side in (before, after):
            if isinstance(side, FieldValues):
                withheld += side.withheld
                sides.append(side.values)
            else:
                sides.append(side)
        return Change(
            id=channel.id,
            name=mask_remembered(channel.name),
            created=channel.created_time,
            before=sides[0],
            after=sides[1],
            withheld=tuple(dict.fromkeys(withheld)),
        )

    async def _begin(self, method: str, args: Mapping[str, Any] | None = None) -> _Draft:
        """Check the site may be written to and the journal can be written (else nothing is sent,
        `ReadOnly` or `JournalError`), and note when the write starts."""
        reason = self._read_only()
        if reason is not None:
            raise ReadOnly(f"{reason}: nothing was written to {self.site}.")
        if not self.journal.known_writable:
            await asyncio.to_thread(self.journal.ensure_writable)
        return _Draft(WRITES.get(method, method), datetime.now(UTC), _safe_args(args or {}), _acting.get(), _batch.get())

    async def _done(self, draft: _Draft, changes: list[Change], *, result: Any = None, note: str = "") -> None:
        args = dict(draft.args)
        if dataclasses.is_dataclass(result) and not isinstance(result, type):
            args.update(_safe_args(dataclasses.asdict(result)))
        elif isinstance(result, (str, int)) and not isinstance(result, bool) and result != "":
            args.update(_safe_args({"result": result}))
        if note:
            args["note"] = scrub(note)
        await self._append(draft, changes, args=args, ok=True, error="")

    async def _failed(self, draft: _Draft, error: BaseException, changes: list[Change]) -> None:
        """Journal a failed write; one the server has no route or field for changed nothing and is left out."""
        if isinstance(error, NotSupported):
            return
        message = describe(error)[1] if isinstance(error, Exception) else INTERRUPTED
        await self._append(draft, changes, args=draft.args, ok=False, error=message)

    async def _append(self, draft: _Draft, changes: list[Change], *, args: dict[str, Any], ok: bool, error: str) -> None:
        capabilities = self.capabilities
        acting_now = draft.acting
        fields = {
            "at": draft.at,
            "backend": capabilities.kind.value,
            "flavor": capabilities.flavor,
            "op": draft.op,
            "action": acting_now.action if acting_now else "",
            "ok": ok,
            "error": scrub(error),
            "args": args,
            "changes": tuple(changes),
            "undoes": acting_now.undoes if acting_now else None,
            "batch": draft.batch,
        }
        try:
            entry = await self._appends.add(self.journal, fields)
        except JournalError as problem:
            _log.warning("%s", problem.message)
            return
        collected = _written.get()
        if collected is not None:
            collected.append(entry)


class _GroupAppends:
    """Appends to a journal that arrive while one is being written go together in the next write:
    one lock, one file open and one fsync for all of them (`Journal.append_all`), off the event
    loop. Each caller still returns only once its own entry is on disk; a caller cancelled in the
    meantime (its write was sent) still has its entry written."""

    def __init__(self) -> None:
        self._waiting: list[tuple[Mapping[str, Any], asyncio.Future[Entry]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def add(self, journal: Journal, fields: Mapping[str, Any]) -> Entry:
        future: asyncio.Future[Entry] = asyncio.get_running_loop().create_future()
        self._waiting.append((fields, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write(journal))
        return await asyncio.shield(future)

    async def _write(self, journal: Journal) -> None:
        batch: list[tuple[Mapping[str, Any], asyncio.Future[Entry]]] = []
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                try:
                    entries = await asyncio.to_thread(journal.append_all, [fields for fields, _ in batch])
                except Exception as problem:  # JournalError, or a bug: each caller meets it
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(problem)
                else:
                    for (_, future), entry in zip(batch, entries):
                        if not future.done():
                            future.set_result(entry)
                batch = []
        except BaseException:
            for _, future in [*batch, *self._waiting]:
                if not future.done():
                    future.cancel()
            self._waiting = []
            raise
        finally:
            self._writer = None


def _group_change(group: ModelGroup, before: FieldValues | None, after: FieldValues | None) -> Change:
    withheld = [*(before.withheld if before else ()), *(after.withheld if after else ())]
    return Change(
        of="group",
        id=group.id,
        name=mask_remembered(group.name),
        before=before.values if before else None,
        after=after.values if after else None,
        withheld=tuple(dict.fromkeys(withheld)),
    )


def _changed_only(before: FieldValues, after: FieldValues) -> tuple[FieldValues, FieldValues]:
    """The fields an update changed (all of them when none did, so the entry still says what was sent)."""
    names = [n for n in after.values if before.values.get(n) != after.values[n]] or list(after.values)
    return (
        FieldValues({n: before.values.get(n) for n in names}, before.withheld),
        FieldValues({n: after.values[n] for n in names}, after.withheld),
    )


def _written_only(records: list[Change]) -> list[Change]:
    """Of a write over several channels (a tag route, a tag edit), the channels whose values it
    changes, each with only the fields it changes: a member already disabled is not journalled as
    "disabled → disabled". A record with a withheld secret stays (its change cannot be compared).
    Every record stays when none changes, so the entry still says what was sent."""
    kept = []
    for record in records:
        before, after = record.before or {}, record.after or {}
        names = [name for name in after if not same(before.get(name), after[name])]
        if names or record.withheld:
            kept.append(
                record.model_copy(
                    update={"before": {n: before.get(n) for n in names}, "after": {n: after[n] for n in names}}
                )
            )
    return kept or records


def _safe_args(args: Mapping[str, Any]) -> dict[str, Any]:
    """A call's arguments as plain JSON, any that holds a secret named but not kept."""
    safe: dict[str, Any] = {}
    for name, value in args.items():
        value = plain(value)
        if not isinstance(value, (str, int, float, bool, list, dict, type(None))):
            value = scrub(str(value))
        safe[name] = "(withheld)" if looks_secret(value) else value
    return safe
