"""The journal cannot be bypassed: every backend method is a read, a measurement or a journalled
write; each write, sent through a site session's backend against the demo, leaves an entry; the
sessions are where every backend comes from; and no key ever reaches a journal file."""

from __future__ import annotations

import ast
import inspect
import itertools
from dataclasses import replace
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

import tui_channels
from tui_channels.backends.base import Backend, BackendBase, Operation
from tui_channels.backends.registry import FAMILIES
from tui_channels.config import SiteProfile, data_dir
from tui_channels.demo.gateway import DemoGateway
from tui_channels.errors import NotSupported
from tui_channels.model_groups import GroupMember, ModelGroup
from tui_channels.models import Channel, ChannelSpec, ChannelStatus
from tui_channels.secret_store import SecretStore, env_var_name
from tui_channels.services.base_urls import for_site
from tui_channels.services.journal import Journal, read_entries
from tui_channels.services.key_import import openai_type
from tui_channels.services.recorder import MEASUREMENTS, READS, WRITES, JournaledBackend
from tui_channels.services.sites import SiteSession

from .backend_helpers import FLAVORS, emulated_site
from .ui_helpers import demo_profile

PACKAGE = Path(tui_channels.__file__).parent
_names = itertools.count(1)


def _dummy_profile(kind) -> SiteProfile:
    login = FAMILIES[kind].login_field
    values = {"user_id": 1, "username": "admin", "email": "admin@example.com"}
    return SiteProfile(name="x", kind=kind, url="http://127.0.0.1:9", **({login: values[login]} if login else {}))


def _coroutine_methods(cls: type) -> set[str]:
    return {
        name
        for name, member in inspect.getmembers(cls)
        if not name.startswith("_") and inspect.iscoroutinefunction(member)
    }


def test_every_backend_method_is_a_read_a_measurement_or_a_journalled_write() -> None:
    classes: list[type] = [BackendBase]
    for kind, family in FAMILIES.items():
        classes.append(type(family.create(_dummy_profile(kind), "dummy-secret-0123", {})))
    protocol = {name for name, _ in inspect.getmembers(Backend) if not name.startswith("_")} - {"capabilities"}
    methods = protocol.union(*(_coroutine_methods(cls) for cls in classes))
    known = READS | set(MEASUREMENTS) | set(WRITES)
    assert methods - known == set(), "classify these in services/recorder.py (READS, MEASUREMENTS or WRITES)"
    assert not READS & set(WRITES) and not set(MEASUREMENTS) & set(WRITES)


# -- every write leaves an entry ------------------------------------------------------------------


def _spec(backend: Backend, upstream: str) -> ChannelSpec:
    capabilities = backend.capabilities
    return ChannelSpec(
        name=f"journal-{next(_names)}",
        type=openai_type(capabilities),
        key="sk-journal-coverage-0123456789",
        base_url=for_site(capabilities, f"{upstream}/p/openai/v1"),
        models=("gpt-4o",),
    )


def _tagged(channels: list[Channel]) -> str:
    return next(c.tag for c in channels if c.tag)


def _group(backend: Backend, channels: list[Channel]) -> ModelGroup:
    spec = backend.capabilities.groups
    assert spec is not None
    member = GroupMember(channels[0].id, channels[0].models[0])
    return ModelGroup(None, f"journal-group-{next(_names)}", spec.default_mode, (member,))


async def _update_group(backend: Any, channels: list[Channel]) -> None:
    saved = await backend.create_model_group(_group(backend, channels))
    await backend.update_model_group(saved, replace(saved, name=saved.name + "-x"))


async def _delete_group(backend: Any, channels: list[Channel]) -> None:
    saved = await backend.create_model_group(_group(backend, channels))
    await backend.delete_model_group(saved.id)


Call = Callable[[Any, list[Channel], str], Awaitable[Any]]
CALLS: dict[str, tuple[str, Call]] = {
    "create_channel": ("newapi", lambda b, cs, up: b.create_channel(_spec(b, up))),
    "update_channel": ("octopus-current", lambda b, cs, up: b.update_channel(cs[0], {"name": cs[0].name + "-x"})),
    "set_status": ("axonhub-current", lambda b, cs, up: b.set_status(cs[0].id, not cs[0].status.is_enabled)),
    "delete_channel": ("claudecodehub", lambda b, cs, up: b.delete_channel(cs[0].id)),
    "delete_channels": ("octopus-legacy", lambda b, cs, up: b.delete_channels([cs[0].id, cs[1].id])),
    "delete_disabled": ("newapi", lambda b, cs, up: b.delete_disabled()),
    "set_tag": ("newapi", lambda b, cs, up: b.set_tag([cs[0].id], "journal")),
    "set_tag_status": ("newapi", lambda b, cs, up: b.set_tag_status(_tagged(cs), False)),
    "edit_tag": ("newapi", lambda b, cs, up: b.edit_tag(_tagged(cs), {"priority": 9})),
    "update_channels": ("claudecodehub", lambda b, cs, up: b.update_channels([cs[0].id, cs[1].id], {"weight": 7})),
    "copy_channel": ("newapi", lambda b, cs, up: b.copy_channel(cs[0].id, "_copy")),
    "server_sync": ("octopus-current", lambda b, cs, up: b.server_sync()),
    "fix_abilities": ("newapi", lambda b, cs, up: b.fix_abilities()),
    "test_all": ("newapi", lambda b, cs, up: b.test_all()),
    "manage_keys": (
        "newapi",
        lambda b, cs, up: b.manage_keys(next(c.id for c in cs if c.is_multi_key), "disable_key", 0),
    ),
    "apply_upstream_updates": ("newapi", lambda b, cs, up: b.apply_upstream_updates(cs[0].id, add=["o3"])),
    "apply_all_upstream_updates": ("newapi", lambda b, cs, up: b.apply_all_upstream_updates()),
    "create_model_group": ("octopus-current", lambda b, cs, up: b.create_model_group(_group(b, cs))),
    "update_model_group": ("octopus-legacy", lambda b, cs, up: _update_group(b, cs)),
    "delete_model_group": ("octopus-current", lambda b, cs, up: _delete_group(b, cs)),
}
PRIOR = {"update_model_group": ["group_create"], "delete_model_group": ["group_create"]}
"""Writes a call sends before the one it exercises."""


def test_every_write_has_a_call_here() -> None:
    assert set(CALLS) == set(WRITES)


@pytest.mark.parametrize("method", sorted(CALLS))
async def test_each_write_sent_through_a_session_is_journalled(
    method: str, gateway: DemoGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    flavor, call = CALLS[method]
    site, _client = emulated_site(gateway, flavor, channels=8, prefix="journal")
    monkeypatch.setenv(env_var_name(site.name), site.secret)
    session = SiteSession(profile=demo_profile(site), secrets=SecretStore())
    try:
        channels = await session.load()
        await call(session.backend, channels, gateway.upstream_url)
    finally:
        await session.disconnect()
    entries = Journal(site.name).entries()
    assert [e.op for e in entries] == [*PRIOR.get(method, []), WRITES[method]]
    entry = entries[-1]
    assert (entry.op, entry.ok, entry.site) == (WRITES[method], True, site.name)
    assert entry.backend == site.kind.value


async def test_a_failed_write_is_journalled_as_failed_with_the_reason(
    gateway: DemoGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    site, _client = emulated_site(gateway, "newapi", channels=4, prefix="journal")
    monkeypatch.setenv(env_var_name(site.name), site.secret)
    session = SiteSession(profile=demo_profile(site), secrets=SecretStore())
    try:
        channels = await session.load()
        with pytest.raises(Exception):
            await session.backend.update_channel(channels[0], {"models": ""})
    finally:
        await session.disconnect()
    [entry] = Journal(site.name).entries()
    assert not entry.ok and "cannot clear" in entry.error
    assert entry.changes[0].after == {"models": ""} and entry.changes[0].before["models"]


async def test_sessions_hand_out_journalling_backends(gateway: DemoGateway, monkeypatch: pytest.MonkeyPatch) -> None:
    site, _client = emulated_site(gateway, "octopus-current", channels=2, prefix="journal")
    monkeypatch.setenv(env_var_name(site.name), site.secret)
    session = SiteSession(profile=demo_profile(site), secrets=SecretStore())
    try:
        assert isinstance(await session.connect(), JournaledBackend)
    finally:
        await session.disconnect()


def test_backends_are_built_only_where_sessions_wrap_them() -> None:
    """`create_backend` is called by the site session (which journals) and by `sites verify`
    (which only reads); a new caller would be a way around the journal."""
    callers = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "create_backend":
                callers.add(path.relative_to(PACKAGE).as_posix())
    assert callers == {"services/sites.py", "services/verify.py"}


# -- no secret in the journal ---------------------------------------------------------------------

KEYS = ("sk-journalA0b1C2d3E4f5G6h7", "sk-journalZ9y8X7w6V5u4T3s2", "plainsecretvalue0123456789")


@pytest.mark.parametrize("flavor", FLAVORS)
async def test_no_key_ever_reaches_the_journal(flavor: str, gateway: DemoGateway, monkeypatch: pytest.MonkeyPatch) -> None:
    site, _client = emulated_site(gateway, flavor, channels=4, prefix="journal")
    monkeypatch.setenv(env_var_name(site.name), site.secret)
    session = SiteSession(profile=demo_profile(site), secrets=SecretStore())
    try:
        channels = await session.load()
        backend = session.backend
        assert backend is not None
        spec = _spec(backend, gateway.upstream_url)
        spec.key = KEYS[0]
        created = await backend.create_channel(spec)
        capabilities = backend.capabilities
        changes: dict[str, Any] = {"key": KEYS[1], "name": created.name + "-renamed"}
        for field in capabilities.fields:
            if "header" in field.name and field.kind.value == "json":
                changes[field.name] = f'{{"Authorization": "Bearer {KEYS[2]}"}}'
        updated = await backend.update_channel(created, changes)
        base_url = capabilities.field("base_url")
        if base_url is not None and base_url.kind.value == "text":
            await backend.update_channel(updated, {"base_url": f"https://relay.example.com/v1?key={KEYS[2]}"})
        if capabilities.supports(Operation.DELETE):
            await backend.delete_channel(created.id)
        await backend.set_status(channels[0].id, not channels[0].status.is_enabled)
    finally:
        await session.disconnect()
    text = "".join(path.read_text(encoding="utf-8") for path in (data_dir() / "journal").glob("*.jsonl"))
    entries = read_entries().entries
    assert [e.op for e in entries][:2] == ["create", "update"]
    for key in KEYS:
        assert key not in text and key[3:15] not in text
    assert "key" in entries[1].changes[0].withheld


async def test_a_write_the_server_does_not_support_changes_nothing_and_is_not_journalled(
    gateway: DemoGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    site, _client = emulated_site(gateway, "octopus-current", channels=2, prefix="journal")
    monkeypatch.setenv(env_var_name(site.name), site.secret)
    session = SiteSession(profile=demo_profile(site), secrets=SecretStore())
    try:
        channels = await session.load()
        with pytest.raises(NotSupported):
            await session.backend.update_channel(channels[0], {"priority": 7})
        await session.backend.update_channel(channels[0], {"name": channels[0].name + "-x"})
    finally:
        await session.disconnect()
    assert [e.op for e in Journal(site.name).entries()] == ["update"]


# -- names are records, not secrets -------------------------------------------------------------

PROVIDER_LIKE_NAMES = ("xai-official-90", "sk-team", "sk-prod-eu", "xai-official-backup-0123456789-eu-west")


async def test_names_that_look_like_key_prefixes_are_journalled_as_they_are(
    gateway: DemoGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A channel named like a provider key (`xai-official-90`) keeps its name in the journal, on the
    entry and in the renamed value, however long; the key field stays withheld."""
    site, _client = emulated_site(gateway, "newapi", channels=2, prefix="journal")
    monkeypatch.setenv(env_var_name(site.name), site.secret)
    session = SiteSession(profile=demo_profile(site), secrets=SecretStore())
    try:
        channels = await session.load()
        channel = channels[0]
        for name in PROVIDER_LIKE_NAMES:
            channel = await session.backend.update_channel(channel, {"name": name})
        await session.backend.set_status(channel.id, not channel.status.is_enabled)
        await session.backend.update_channel(channel, {"key": KEYS[0]})
    finally:
        await session.disconnect()
    entries = Journal(site.name).entries()
    renames = [e.changes[0] for e in entries[: len(PROVIDER_LIKE_NAMES)]]
    assert [c.after for c in renames] == [{"name": n} for n in PROVIDER_LIKE_NAMES]
    assert [c.name for c in renames] == list(PROVIDER_LIKE_NAMES)
    assert entries[-2].changes[0].name == PROVIDER_LIKE_NAMES[-1]
    assert "key" in entries[-1].changes[0].withheld
    text = "".join(path.read_text(encoding="utf-8") for path in (data_dir() / "journal").glob("*.jsonl"))
    assert KEYS[0] not in text and KEYS[0][3:15] not in text
