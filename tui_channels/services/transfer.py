"""Export channels to a JSON file, and plan restoring them (or copying live ones) into any site.

An export keeps each channel twice: the backend's own record, verbatim, so a restore into the same
kind of site loses nothing the server gave, and the neutral fields, so a person or a script can
read it. Keys are in it only when the user asked and the backend gave them (Octopus lists them,
Claude Code Hub reveals them on request through `revealed_keys`, New API never does); such a file
is written readable by its owner only, and the caller warns about it.

Restore and copy share one path: channels (from an export file, from the delete trash of
`services/trash.py`, or from a loaded site) are mapped to the target with `channel_mapping`,
checked for duplicates and previewed as a `ChannelPlan`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from ..backends.base import Capabilities, Operation
from ..backends.registry import family_of, type_catalog
from ..backends.secret_fields import dropped, hide_url_credentials, redact
from ..config import data_dir, write_atomic
from ..errors import BadRecord, ChannelsError
from ..models import BackendKind, Channel, ChannelStatus
from ..wording import plural
from .channel_mapping import Origin, map_channel
from .channel_plan import ChannelPlan, PlannedChannel
from .group_transfer import ExportedGroup

EXPORT_FORMAT = "tui-channels/channels"


class TransferFileError(ChannelsError):
    """An export file that cannot be written, read or understood."""

    title = "Channel file problem"


class ExportedChannel(BaseModel):
    """One channel in an export: the neutral fields, and the backend's record as it came."""

    model_config = ConfigDict(extra="forbid")

    id: int
    name: str
    type: int | str
    type_name: str
    status: str
    base_url: str
    key: str | None = None
    models: list[str]
    groups: list[str] = []
    priority: int | None = None
    weight: int | None = None
    tag: str | None = None
    record: dict[str, Any]
    withheld: list[str] = []
    """The record's fields whose secrets an export without keys left out (`secret_fields`)."""


class ChannelExport(BaseModel):
    """The export file."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["tui-channels/channels"] = EXPORT_FORMAT
    version: Literal[1] = 1
    site: str
    kind: BackendKind
    flavor: str
    exported_at: datetime
    includes_keys: bool
    secrets_left_out: bool = False
    """Exported without --with-keys: keys and every other secret are out of the file."""
    keys_left_out: bool = False
    """Exported without --with-keys from a site that gives keys (with it, the file would hold them)."""
    note: str = ""
    channels: list[ExportedChannel]
    groups: list[ExportedGroup] = []
    """The site's groups with a member among these channels (Octopus), members named by channel."""

    @property
    def origin(self) -> Origin:
        return Origin(site=self.site, kind=self.kind, flavor=self.flavor, keys_left_out=self.keys_left_out)


LEFT_OUT_NOTE = (
    "Exported without --with-keys: channel keys and every other secret (header values, proxy "
    "passwords, credentials in settings) were left out; each channel's `withheld` names its fields "
    "that held one. A restore from this file asks for the keys and creates the channels without "
    "the other withheld fields."
)
"""What an export without keys says it left out, in the file itself."""

WITHOUT_KEYS = "exported without --with-keys"
LEFT_OUT_LOSS = f"its secret is not in the file ({WITHOUT_KEYS}): set it after the restore"


def exports_keys(capabilities: Capabilities) -> bool:
    """Whether an export of this site can hold keys: the server lists them, or reveals them on request."""
    return capabilities.returns_keys or capabilities.supports(Operation.REVEAL_KEY)


def key_warning(capabilities: Capabilities, include_keys: bool) -> str:
    """What to tell the user about keys in an export of this site, or ""."""
    if not include_keys:
        return ""
    if not exports_keys(capabilities):
        return (
            f"{capabilities.flavor_label} never returns channel keys, so the file holds none; it holds the "
            "channels' other secrets (header values, proxy passwords) in plain text and is readable by you only."
        )
    return (
        "The file holds the channels' API keys and other secrets (header values, proxy passwords) in plain "
        "text; it is readable by you only. Keep it safe."
    )


def left_out_summary(export: ChannelExport, *, keeps: str = "--with-keys") -> str:
    """What an export without keys left out besides keys, for the user to read once it is written
    (`keeps` names the option that keeps them): "" when it kept everything or its channels held no
    other secret."""
    if not export.secrets_left_out:
        return ""
    keys = family_of(export.kind).secrets.key_fields
    holding = [[n for n in c.withheld if n not in keys] for c in export.channels]
    fields = list(dict.fromkeys(name for names in holding for name in names))
    if not fields:
        return ""
    count = plural(sum(1 for names in holding if names), "channel")
    return f"Secrets left out ({keeps} keeps them): {', '.join(fields)} of {count}."


def export_channels(
    site: str,
    capabilities: Capabilities,
    channels: Sequence[Channel],
    *,
    include_keys: bool,
    groups: Sequence[ExportedGroup] = (),
) -> ChannelExport:
    """The file for `channels`; `groups` are the site's groups that go with them (`groups_for_export`)."""
    secrets = family_of(capabilities.kind).secrets
    entries = []
    for c in channels:
        hidden = None if include_keys else redact(secrets, c.raw, dropped)
        entries.append(
            ExportedChannel(
                id=c.id,
                name=c.name,
                type=c.type.code,
                type_name=c.type.name,
                status=c.status.value,
                base_url=hide_url_credentials(c.base_url, dropped) if hidden else c.base_url,
                key=c.key if include_keys else None,
                models=list(c.models),
                groups=list(c.groups),
                priority=c.priority,
                weight=c.weight,
                tag=c.tag,
                record=hidden.record if hidden else dict(c.raw),
                withheld=list(hidden.withheld) if hidden else [],
            )
        )
    return ChannelExport(
        site=site,
        kind=capabilities.kind,
        flavor=capabilities.flavor,
        exported_at=datetime.now(timezone.utc).replace(microsecond=0),
        includes_keys=include_keys and any(e.key for e in entries),
        secrets_left_out=not include_keys,
        keys_left_out=not include_keys and exports_keys(capabilities),
        note="" if include_keys else LEFT_OUT_NOTE,
        channels=entries,
        groups=list(groups),
    )


def default_export_path(site: str, now: datetime | None = None) -> Path:
    """`<data dir>/exports/<site>-<UTC time>.json`, the site name made safe for a file name."""
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%d-%H%M%S")
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in site)
    return data_dir() / "exports" / f"{safe}-{stamp}.json"


def write_export(export: ChannelExport, path: Path) -> None:
    """Write atomically, mode 0600 (the file may hold keys)."""
    try:
        write_atomic(path, export.model_dump_json(indent=2) + "\n")
    except OSError as exc:
        raise TransferFileError(f"Cannot write {path}: {exc.strerror or type(exc).__name__}.") from None


def read_export(path: Path) -> ChannelExport:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise TransferFileError(f"Cannot read {path}: {reason}.") from None
    try:
        export = ChannelExport.model_validate_json(text)
    except ValidationError as exc:
        where = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'file'}: {e['msg']}"
            for e in exc.errors(include_url=False, include_input=False)[:3]
        )
        raise TransferFileError(f"{path} is not a tui-channels export ({where}).") from None
    if type_catalog(export.kind, export.flavor) is None:
        raise TransferFileError(f"{path} comes from an unknown backend flavor {export.flavor!r}.")
    return export


def rebuilt_channel(
    kind: BackendKind, flavor: str, record: Mapping[str, Any], key: str | None, status: str | None = None
) -> Channel:
    """A channel as its backend would list it, from its saved record (and a key kept beside it).

    `status` is the neutral status saved beside the record: the app changes a channel's status
    without reading its record again, so the record may still show the status it was loaded with.
    """
    types = type_catalog(kind, flavor)
    if types is None:
        raise TransferFileError(f"Channels of the unknown backend flavor {flavor!r} cannot be restored.")
    try:
        channel = family_of(kind).read_channel(record, types)
    except BadRecord:
        name = record.get("name") if isinstance(record, Mapping) else None
        raise TransferFileError(f"The saved record of {name!r} is broken; it cannot be restored.") from None
    saved = next((s for s in ChannelStatus if s.value == status), channel.status)
    return replace(channel, key=channel.key or key, status=saved)


def exported_channels(export: ChannelExport) -> list[tuple[Channel, Origin]]:
    """The file's channels as their backend listed them, each with where it came from.

    A field whose secret the export left out (a header's value, a proxy's password) is not in the
    rebuilt channel at all, so a restore never sends what is left of it; its origin names it. The
    base URL is the exception: it keeps its host without the password (without one, the channel
    would go to its type's default upstream).
    """
    keys = family_of(export.kind).secrets.key_fields
    channels = []
    for e in export.channels:
        left_out = tuple(name for name in e.withheld if name not in keys)
        record = {name: value for name, value in e.record.items() if name not in left_out}
        channel = rebuilt_channel(export.kind, export.flavor, record, e.key, e.status)
        if left_out and e.base_url != channel.base_url:
            channel = replace(channel, base_url=e.base_url)
        channels.append((channel, replace(export.origin, left_out=left_out)))
    return channels


@dataclass(frozen=True, slots=True)
class TrashedChannel:
    """A channel from the delete trash (`services/trash.py`): what it was, where, and when it went."""

    channel: Channel
    origin: Origin
    deleted_at: str
    entry: str = ""
    """The trash record's id, to mark it restored."""
    restored: str = ""
    """Where and when it was restored ("demo-newapi #31 at 2026-…"), "" while it is not."""


def trashed_channels(records: Sequence[Mapping[str, Any]], *, site: str | None = None) -> list[TrashedChannel]:
    """The trash's records, newest first, as channels ready to plan a restore.

    With `site`, only the channels deleted from that site (the trash file holds every site's: a
    restore offers a site its own deleted channels, never another site's).
    """
    trashed = []
    for record in records:
        if site is not None and record.get("site") != site:
            continue
        try:
            kind = BackendKind(record.get("backend"))
        except ValueError:
            raise TransferFileError(f"A trash record names an unknown backend {record.get('backend')!r}.") from None
        flavor = str(record.get("flavor") or "")
        neutral = record.get("channel") if isinstance(record.get("channel"), Mapping) else {}
        channel = rebuilt_channel(kind, flavor, record["raw"], neutral.get("key"), neutral.get("status"))
        origin = Origin(site=str(record.get("site") or "?"), kind=kind, flavor=flavor)
        mark = record.get("restored")
        restored = f"{mark.get('site')} #{mark.get('id')} at {mark.get('marked_at')}" if isinstance(mark, Mapping) else ""
        entry = str(record.get("entry") or "")
        trashed.append(TrashedChannel(channel, origin, str(record.get("deleted_at") or ""), entry, restored))
    return trashed[::-1]


def plan_transfer(
    items: Sequence[tuple[Channel, Origin]],
    target: Capabilities,
    existing: Sequence[Channel],
    *,
    site: str,
    title: str,
    action: str = "restore",
) -> ChannelPlan:
    """The preview of recreating each channel (from its origin) on `site`, which holds `existing`;
    `action` says what it is for the history journal ("restore" or "copy")."""
    rows = []
    for position, (channel, origin) in enumerate(items, start=1):
        carried = map_channel(channel, origin, target)
        rows.append(
            PlannedChannel(
                position,
                carried.spec,
                origin=f"#{channel.id} on {origin.site}",
                problem=carried.problem,
                models_error=carried.models_error,
                losses=(*carried.losses, *(f"{name}: {LEFT_OUT_LOSS}" for name in origin.left_out)),
                needs_key=carried.needs_key,
                key_left_out=origin.keys_left_out,
                key_count=carried.key_count,
            )
        )
    return ChannelPlan.build(title, site, target, rows, existing, action=action)
