"""Config file: round trip, readable validation errors, folder overrides, atomic writes, per-kind rules."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import platformdirs
import pytest
from pydantic import BaseModel

from tui_channels import config as config_module
from tui_channels.config import (
    AppConfig,
    SiteProfile,
    SortPref,
    UiPrefs,
    config_dir,
    config_path,
    data_dir,
    load_config,
    new_site,
    save_config,
)
from tui_channels.errors import ConfigError
from tui_channels.models import BackendKind


def newapi(name: str = "prod", **fields: Any) -> SiteProfile:
    return SiteProfile(name=name, kind="newapi", url="https://gw.example.com", user_id=1, **fields)


def octopus(name: str = "octo", **fields: Any) -> SiteProfile:
    return SiteProfile(name=name, kind="octopus", url="http://10.0.0.2:8080", username="admin", **fields)


def full_config() -> AppConfig:
    return AppConfig(
        last_site="octo",
        sites=[
            newapi(timeout=12.5, flavor="veloera", concurrency=16),
            octopus(verify_tls=False, flavor="legacy"),
        ],
        ui=UiPrefs(
            columns={"newapi": ["id", "name", "status"], "octopus": ["name", "models"]},
            sort={"prod": SortPref(column="priority", descending=True), "octo": SortPref(column="id")},
            theme="gruvbox",
        ),
    )


def write_config(text: str) -> Path:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def load_error(text: str) -> str:
    path = write_config(text)
    with pytest.raises(ConfigError) as caught:
        load_config()
    message = caught.value.message
    assert str(path) in message
    assert "\n" not in message
    assert "pydantic" not in message
    return message


class TestFolders:
    def test_env_overrides(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("TUI_CHANNELS_CONFIG_DIR", str(tmp_path / "c"))
        monkeypatch.setenv("TUI_CHANNELS_DATA_DIR", str(tmp_path / "d"))
        assert config_dir() == tmp_path / "c"
        assert data_dir() == tmp_path / "d"
        save_config(AppConfig(sites=[newapi()]))
        assert (tmp_path / "c" / "config.toml").is_file()

    def test_platform_defaults(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("TUI_CHANNELS_CONFIG_DIR")
        monkeypatch.delenv("TUI_CHANNELS_DATA_DIR")
        assert config_dir() == Path(platformdirs.user_config_dir("tui-channels"))
        assert data_dir() == Path(platformdirs.user_data_dir("tui-channels"))


class TestRoundTrip:
    def test_missing_file_is_empty_config(self) -> None:
        assert load_config() == AppConfig()

    def test_save_then_load_is_exact(self) -> None:
        original = full_config()
        save_config(original)
        text = config_path().read_text()
        loaded = load_config()
        assert loaded == original
        save_config(loaded)
        assert config_path().read_text() == text

    def test_none_values_are_omitted(self) -> None:
        save_config(AppConfig(sites=[newapi()]))
        text = config_path().read_text()
        assert "username" not in text
        assert "timeout" not in text
        assert "last_site" not in text
        assert "theme" not in text

    def test_kind_is_written_as_its_toml_value(self) -> None:
        save_config(AppConfig(sites=[octopus()]))
        assert 'kind = "octopus"' in config_path().read_text()
        assert load_config().sites[0].kind is BackendKind.OCTOPUS

    def test_hand_written_file(self) -> None:
        write_config(
            """
            last_site = "home"

            [[sites]]
            name = "home"
            kind = "newapi"
            url = "https://home.example/"
            user_id = 7
            timeout = 30

            [ui.sort.home]
            column = "name"
            """
        )
        loaded = load_config()
        assert loaded.site("home").url == "https://home.example"
        assert loaded.site("home").timeout == 30.0
        assert loaded.ui.sort["home"] == SortPref(column="name", descending=False)


class TestAtomicSave:
    def test_file_is_private(self) -> None:
        save_config(full_config())
        assert stat.S_IMODE(config_path().stat().st_mode) == 0o600

    def test_failed_replace_keeps_old_file_and_leaves_no_temp(self, monkeypatch: pytest.MonkeyPatch) -> None:
        save_config(AppConfig(sites=[newapi()]))
        before = config_path().read_text()

        def broken_replace(src: str, dst: str) -> None:
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(config_module.os, "replace", broken_replace)
        with pytest.raises(ConfigError) as caught:
            save_config(full_config())
        assert "No space left on device" in caught.value.message
        assert str(config_path()) in caught.value.message
        assert config_path().read_text() == before
        assert sorted(p.name for p in config_dir().iterdir() if p.suffix != ".lock") == ["config.toml"]


class TestReadableErrors:
    def test_invalid_toml(self) -> None:
        message = load_error("[[sites]\nname = 1")
        assert "not valid TOML" in message
        assert "line 1" in message

    def test_bad_url_names_the_site(self) -> None:
        message = load_error('[[sites]]\nname = "prod"\nkind = "newapi"\nurl = "ftp://x"\nuser_id = 1\n')
        assert 'site "prod" url: must be an http:// or https:// address' in message

    def test_unknown_setting(self) -> None:
        message = load_error('[[sites]]\nname = "p"\nkind = "newapi"\nurl = "http://x"\nuser_id = 1\ntoken = "sk-1"\n')
        assert 'site "p" token: is not a known setting' in message
        assert "sk-1" not in message

    def test_bad_kind(self) -> None:
        message = load_error('[[sites]]\nname = "p"\nkind = "openai"\nurl = "http://x"\n')
        assert 'site "p" kind:' in message
        assert "openai" not in message

    def test_per_kind_rule(self) -> None:
        message = load_error('[[sites]]\nname = "o"\nkind = "octopus"\nurl = "http://x"\n')
        assert 'site "o": An Octopus site needs the admin\'s username (username)' in message

    def test_duplicate_names(self) -> None:
        site = '[[sites]]\nname = "a"\nkind = "octopus"\nurl = "http://x"\nusername = "u"\n'
        assert 'two sites are named "a"' in load_error(site + site)

    def test_several_problems_on_one_line(self) -> None:
        message = load_error('[[sites]]\nname = ""\nkind = "newapi"\nurl = "x"\nuser_id = 1\n')
        assert "name: must not be empty" in message
        assert "url: must be" in message


class TestSiteRules:
    def test_normalisation(self) -> None:
        site = new_site(name="  prod ", kind="newapi", url=" https://gw.example.com/// ", user_id=3)
        assert site.name == "prod"
        assert site.url == "https://gw.example.com"
        assert (site.verify_tls, site.timeout, site.flavor, site.concurrency) == (True, None, "auto", 4)

    @pytest.mark.parametrize(
        ("fields", "expected"),
        [
            ({"kind": "newapi"}, "A New API site needs the admin's numeric user id (user_id)"),
            ({"kind": "newapi", "user_id": 1, "username": "u"}, "username applies to Octopus sites only"),
            ({"kind": "newapi", "user_id": 0}, "user_id"),
            ({"kind": "octopus"}, "An Octopus site needs the admin's username (username)"),
            ({"kind": "octopus", "username": "  "}, "An Octopus site needs the admin's username (username)"),
            ({"kind": "octopus", "username": "u", "user_id": 1}, "user_id applies to New API sites only"),
            ({"kind": "newapi", "user_id": 1, "flavor": "legacy"}, "flavor 'legacy' is not one of"),
            ({"kind": "octopus", "username": "u", "flavor": "oneapi"}, "flavor 'oneapi' is not one of"),
            ({"kind": "newapi", "user_id": 1, "concurrency": 0}, "concurrency"),
            ({"kind": "newapi", "user_id": 1, "concurrency": 65}, "concurrency"),
            ({"kind": "newapi", "user_id": 1, "timeout": 0}, "timeout: must be a positive number"),
            ({"kind": "newapi", "user_id": 1, "name": " "}, "name: must not be empty"),
            ({"kind": "newapi", "user_id": 1, "url": "gw.example.com"}, "url: must be an http"),
            ({"kind": "newapi", "user_id": 1, "url": "https://"}, "url: must be an http"),
            ({"kind": "newapi", "user_id": 1, "url": "https://me:pw@gw"}, "must not contain a user name or password"),
            ({"kind": "newapi", "user_id": 1, "url": "https://gw:99999"}, "url: has port 99999, outside 1–65535"),
            ({"kind": "newapi", "user_id": 1, "url": "https://gw:abc"}, "url: has a port that is not a number"),
            ({"kind": "newapi", "user_id": 1, "url": "https://gw:"}, "url: has an empty port after ':'"),
            ({"kind": "newapi", "user_id": 1, "url": "https://g w.example"}, "url: must not contain spaces"),
            ({"kind": "newapi", "user_id": 1, "url": "https://gw?x=1"}, "url: must not contain a query"),
        ],
    )
    def test_invalid(self, fields: dict[str, Any], expected: str) -> None:
        values = {"name": "s", "url": "https://gw.example.com", **fields}
        with pytest.raises(ConfigError) as caught:
            new_site(**values)
        assert expected in caught.value.message
        assert "\n" not in caught.value.message
        assert "pw" not in caught.value.message.replace("password", "")

    @pytest.mark.parametrize("flavor", ["auto", "newapi", "newapi-legacy", "oneapi", "veloera"])
    def test_newapi_flavors(self, flavor: str) -> None:
        assert newapi(flavor=flavor).flavor == flavor

    @pytest.mark.parametrize("flavor", ["auto", "current", "legacy"])
    def test_octopus_flavors(self, flavor: str) -> None:
        assert octopus(flavor=flavor).flavor == flavor

    def test_every_setting_documents_itself(self) -> None:
        models: list[type[BaseModel]] = [SiteProfile, SortPref, UiPrefs, AppConfig]
        for model in models:
            for name, field in model.model_fields.items():
                assert field.description, f"{model.__name__}.{name} has no docstring"


class TestSiteMethods:
    def test_site_lookup_error_says_what_to_do(self) -> None:
        with pytest.raises(ConfigError, match="no site named \"nope\"; the configured sites are .*`tui-channels sites list`"):
            full_config().site("nope")

    def test_add_duplicate(self) -> None:
        config = full_config()
        with pytest.raises(ConfigError, match='a site named "prod" already exists'):
            config.add_site(octopus("prod"))
        config.add_site(octopus("other"))
        assert [s.name for s in config.sites] == ["prod", "octo", "other"]

    def test_remove_drops_its_preferences(self) -> None:
        config = full_config()
        config.remove_site("octo")
        assert [s.name for s in config.sites] == ["prod"]
        assert config.last_site is None
        assert "octo" not in config.ui.sort
        with pytest.raises(ConfigError):
            config.remove_site("octo")

    def test_replace_in_place(self) -> None:
        config = full_config()
        config.replace_site("prod", newapi("prod", timeout=5))
        assert config.sites[0].timeout == 5

    def test_rename_carries_preferences(self) -> None:
        config = full_config()
        config.replace_site("octo", octopus("octopus-home"))
        assert [s.name for s in config.sites] == ["prod", "octopus-home"]
        assert config.last_site == "octopus-home"
        assert config.ui.sort["octopus-home"] == SortPref(column="id")
        assert "octo" not in config.ui.sort

    def test_rename_onto_existing_name(self) -> None:
        config = full_config()
        with pytest.raises(ConfigError, match='a site named "prod" already exists'):
            config.replace_site("octo", octopus("prod"))
        assert [s.name for s in config.sites] == ["prod", "octo"]


def test_profile_is_immutable() -> None:
    site = newapi()
    with pytest.raises(ValueError):
        site.url = "http://other"  # type: ignore[misc]
