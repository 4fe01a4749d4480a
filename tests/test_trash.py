"""The local trash file: what a delete writes first, its permissions, and reading it back."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tui_channels.backends.base import Operation
from tui_channels.backends.http import RetryPolicy
from tui_channels.backends.octopus.client import OctopusBackend
from tui_channels.config import data_dir
from tui_channels.demo.gateway import EMULATED_FLAVORS, DemoGateway
from tui_channels.models import Channel
from tui_channels.services import trash
from tui_channels.services.revealed_keys import with_keys

from .backend_helpers import connected_site

MOMENT = datetime(2026, 8, 30, 12, 34, 56, tzinfo=UTC)
README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.fixture
async def octopus_channels(gateway: DemoGateway):
    site = gateway.add_octopus("trash-octopus", generation="legacy", channels=4)
    backend = OctopusBackend(site.url, username=site.username or "", password=site.secret, retry=RetryPolicy())
    capabilities = await backend.connect()
    channels = await backend.list_channels()
    yield capabilities, channels
    await backend.close()


def test_the_trash_lives_in_the_data_folder() -> None:
    assert trash.trash_path() == data_dir() / "trash.jsonl"


async def test_records_hold_the_raw_record_and_the_neutral_fields(octopus_channels) -> None:
    capabilities, channels = octopus_channels
    path = trash.append(channels[:2], site="home", capabilities=capabilities, now=MOMENT).path
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    channel: Channel = channels[0]
    assert first["version"] == 1 and first["deleted_at"] == "2026-08-30T12:34:56Z"
    assert len(first.pop("entry")) == 32
    assert (first["site"], first["backend"], first["flavor"], first["reason"]) == (
        "home", "octopus", "octopus-legacy", "delete"
    )
    assert first["raw"] == json.loads(json.dumps(dict(channel.raw)))
    assert first["raw"]["keys"][0]["channel_key"] == channel.key
    assert first["channel"] == {
        "id": channel.id,
        "name": channel.name,
        "type": channel.type.code,
        "type_name": channel.type.name,
        "status": channel.status.value,
        "base_url": channel.base_url,
        "key": channel.key,
        "models": list(channel.models),
        "groups": [],
        "priority": None,
        "weight": None,
        "tag": None,
    }


async def test_appends_and_reads_back_in_order_owner_only(octopus_channels) -> None:
    capabilities, channels = octopus_channels
    trash.append(channels[:1], site="home", capabilities=capabilities, now=MOMENT)
    path = trash.append(channels[1:3], site="home", capabilities=capabilities, reason="delete_disabled").path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    records = trash.read()
    assert [r["channel"]["id"] for r in records] == [c.id for c in channels[:3]]
    assert [r["reason"] for r in records] == ["delete", "delete_disabled", "delete_disabled"]


def test_nothing_deleted_yet_reads_as_empty(tmp_path) -> None:
    assert trash.read(tmp_path / "none.jsonl") == []


async def test_an_unwritable_trash_stops_the_delete(octopus_channels, tmp_path) -> None:
    capabilities, channels = octopus_channels
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(trash.TrashError, match="Nothing was deleted"):
        trash.append(channels, site="home", capabilities=capabilities, path=blocker / "trash.jsonl")


def test_a_damaged_line_is_reported_with_its_number(tmp_path) -> None:
    path = tmp_path / "trash.jsonl"
    path.write_text('{"raw": {"id": 1}}\n\n{"raw": \n', encoding="utf-8")
    with pytest.raises(trash.TrashError, match="Line 3 of"):
        trash.read(path)
    path.write_text('{"raw": {"id": 1}}\n[1]\n', encoding="utf-8")
    with pytest.raises(trash.TrashError, match="Line 2 of .* not a trash record"):
        trash.read(path)


def test_each_site_reads_only_its_own_deleted_channels_and_groups(octopus_channels, tmp_path):
    from tui_channels.model_groups import ModelGroup
    from tui_channels.services.group_transfer import read_group_trash, trash_groups
    from tui_channels.services.transfer import trashed_channels

    capabilities, (first, second, *_rest) = octopus_channels
    trash.append([first], site="home", capabilities=capabilities, path=tmp_path / "t.jsonl")
    trash.append([second], site="work", capabilities=capabilities, path=tmp_path / "t.jsonl")
    records = trash.read(tmp_path / "t.jsonl")
    assert [t.channel.name for t in trashed_channels(records, site="home")] == [first.name]
    assert [t.channel.name for t in trashed_channels(records)] == [second.name, first.name]

    groups = tmp_path / "g.jsonl"
    trash_groups([ModelGroup(1, "home-group", 1)], [], site="home", flavor="octopus", path=groups)
    trash_groups([ModelGroup(2, "work-group", 1)], [], site="work", flavor="octopus", path=groups)
    assert [t.group.name for t in read_group_trash(groups, site="work")] == ["work-group"]


KEYLESS_TRASH = frozenset({"newapi", "newapi-legacy", "oneapi"})
"""The flavors whose trash records hold no key: the server never returns a stored key."""


@pytest.mark.parametrize("flavor", EMULATED_FLAVORS)
async def test_what_the_trash_keeps_of_a_key_is_what_the_readme_says(gateway: DemoGateway, flavor: str) -> None:
    """The channels a delete trashes (as the delete reads them: `with_keys`) hold their key on every
    family but New API and One API, and the README's trash section names each such family."""
    site, backend = await connected_site(gateway, flavor, channels=3, prefix="trash-keys")
    try:
        if not backend.capabilities.supports(Operation.DELETE):
            pytest.skip(f"{backend.capabilities.flavor_label} cannot delete a channel")
        channels = await with_keys(backend, await backend.list_channels())
        untagged = [c for c in channels if not c.tag] or channels
        record = trash.trash_record(
            untagged[0], site=site.name, capabilities=backend.capabilities, reason="delete", deleted_at=datetime.now(UTC)
        )
        assert bool(record["channel"]["key"]) is (flavor not in KEYLESS_TRASH), record["channel"]
        section = README.read_text(encoding="utf-8").split("### Deleted channels and the trash")[1].split("\n## ")[0]
        said = section.split("**include the key**")[1].split("The trash is readable")[0]
        label = backend.capabilities.flavor_label.removesuffix(" (legacy)")
        assert (flavor in KEYLESS_TRASH) is (label not in said), (label, said)
    finally:
        await backend.close()
