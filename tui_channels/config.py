"""Site profiles and UI preferences, kept in `config.toml` under the user's config folder.

The file never holds a secret: tokens and passwords live in `secret_store`. Everything read from
disk is validated here, so the rest of the app can trust a `SiteProfile`; a bad file becomes one
`ConfigError` line that names the file and the setting, never a pydantic dump.
"""

from __future__ import annotations

import os
import re
import tempfile
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import platformdirs
import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .backends.registry import FAMILIES, family_of
from .errors import ConfigError
from .models import BackendKind
from .validation import check_url

APP_NAME = "tui-channels"
CONFIG_FILE = "config.toml"


def config_dir() -> Path:
    """Where `config.toml` and the fallback `secrets.toml` live; `$TUI_CHANNELS_CONFIG_DIR` wins."""
    override = os.environ.get("TUI_CHANNELS_CONFIG_DIR")
    return Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME))


def data_dir() -> Path:
    """Where app data (such as the trash of deleted channels) lives; `$TUI_CHANNELS_DATA_DIR` wins."""
    override = os.environ.get("TUI_CHANNELS_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME))


def config_path() -> Path:
    return config_dir() / CONFIG_FILE


def rule_regex(rule: str) -> re.Pattern[str] | None:
    """The compiled regex of a model rule written `/regex/`; None for a plain substring rule.

    Raises `ValueError` with a readable reason when the regex does not compile.
    """
    if len(rule) < 2 or not (rule.startswith("/") and rule.endswith("/")):
        return None
    try:
        return re.compile(rule[1:-1])
    except re.error as exc:
        raise ValueError(f"the model rule {rule} is not a valid regular expression ({exc})") from None


def _checked_rules(rules: tuple[str, ...]) -> tuple[str, ...]:
    cleaned = tuple(rule.strip() for rule in rules if rule.strip())
    for rule in cleaned:
        rule_regex(rule)
    return cleaned


class SyncRules(BaseModel):
    """Model sync rules for one channel, on top of the site's own."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    include: tuple[str, ...] = ()
    """Keep only upstream models matching one of these (a substring, or `/regex/`); empty keeps all."""
    exclude: tuple[str, ...] = ()
    """Drop upstream models matching any of these (a substring, or `/regex/`)."""
    skip: bool = False
    """Leave this channel out of model sync altogether (reported as skipped)."""

    @field_validator("include", "exclude")
    @classmethod
    def _rules(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _checked_rules(value)


class SiteProfile(BaseModel):
    """One gateway the app can administer: where it is and how to log in (minus the secret)."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    name: str
    """A unique, non-empty label; also the keyring entry name of the site's secret."""
    kind: BackendKind
    """Backend family, one of `backends.registry.FAMILIES`: `newapi` (New API, One API and forks),
    `octopus`, `axonhub` or `claudecodehub`."""
    url: str
    """Base URL of the gateway, http:// or https://, without a trailing slash."""
    user_id: int | None = Field(default=None, ge=1)
    """New API family only: the admin's numeric user id, sent as the `New-Api-User` header."""
    username: str | None = None
    """Octopus only: the admin user name used to log in."""
    email: str | None = None
    """AxonHub only: the admin's sign-in email address."""
    verify_tls: bool = True
    """Check the server's TLS certificate; turn off only for self-signed test servers."""
    timeout: float | None = None
    """Per-request timeout in seconds; unset means the client's default."""
    flavor: str = "auto"
    """Pin the protocol flavor (one of the family's `flavors`) when detection guesses wrong; `auto` detects it."""
    concurrency: int = Field(default=4, ge=1, le=64)
    """How many requests a batch operation may have in flight at once."""
    request_budget: int | None = Field(default=None, ge=0)
    """At most this many requests per `budget_window`, so batches stay under the gateway's rate
    limit; unset uses the backend family's `request_budget`, 0 turns the budget off."""
    budget_window: float = Field(default=180.0, gt=0)
    """Length in seconds of the window `request_budget` counts over (New API's is 180 s)."""
    sync_include: tuple[str, ...] = ()
    """Model sync keeps only upstream models matching one of these (a substring, or `/regex/`)."""
    sync_exclude: tuple[str, ...] = ()
    """Model sync drops upstream models matching any of these (a substring, or `/regex/`)."""
    sync_channels: dict[int, SyncRules] = Field(default_factory=dict)
    """Per-channel sync rules by channel id, applied after the site's rules."""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be empty")
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return check_url(value)

    @field_validator("username")
    @classmethod
    def _username(cls, value: str | None) -> str | None:
        return value.strip() if value is not None else None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        local, at, domain = value.partition("@")
        if not (local and at and domain) or any(c.isspace() for c in value):
            raise ValueError("must be an email address, such as admin@example.com")
        return value

    @field_validator("timeout")
    @classmethod
    def _timeout(cls, value: float | None) -> float | None:
        if value is not None and value <= 0:
            raise ValueError("must be a positive number of seconds")
        return value

    @field_validator("sync_include", "sync_exclude")
    @classmethod
    def _sync_rules(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _checked_rules(value)

    @property
    def budget_limit(self) -> int | None:
        """The request budget in force: the profile's, else the family default; None when off."""
        limit = self.request_budget if self.request_budget is not None else family_of(self.kind).request_budget
        return limit or None

    @model_validator(mode="after")
    def _per_kind(self) -> SiteProfile:
        family = family_of(self.kind)
        login = family.login
        if login is not None and not getattr(self, login.field):
            hint = f" ({login.hint})" if login.hint else ""
            raise ValueError(f"{login.field} is required for {family.article} {family.label} site{hint}")
        uses = f"use {login.field}" if login is not None else f"need only their {family.secret}"
        for other in FAMILIES.values():
            field = other.login_field
            if field is not None and field != family.login_field and getattr(self, field) is not None:
                raise ValueError(f"{field} applies to {other.label} sites only; {family.label} sites {uses}")
        allowed = family.flavors
        if self.flavor not in allowed:
            raise ValueError(
                f"flavor {self.flavor!r} is not one of {', '.join(allowed)} for a {self.kind.label} site"
            )
        return self


FORMLESS_SETTINGS: frozenset[str] = frozenset(
    {"concurrency", "request_budget", "budget_window", "sync_include", "sync_exclude", "sync_channels"}
)
"""Profile settings kept in config.toml but not in the site form: editing a site keeps them."""


class KeySourceProfile(BaseModel):
    """An account on a New API-family relay whose API tokens are upstream keys to import.

    Its access token lives in `secret_store` under `key-source:<name>`, never in this file.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    name: str
    """A unique label; the "source site name" in the names of channels made from its tokens."""
    url: str
    """Base URL of the relay site, http:// or https://, without a trailing slash."""
    user_id: int = Field(ge=1)
    """The account's numeric user id, sent as the `New-Api-User` header."""
    verify_tls: bool = True
    """Check the relay's TLS certificate."""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return SiteProfile._name(value)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return SiteProfile._url(value)


class SortPref(BaseModel):
    """How the channel table of one site is sorted."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    column: str
    """Column id to sort by (see `backends.base.COLUMNS_ALL`)."""
    descending: bool = False
    """Largest first when true."""


class UiPrefs(BaseModel):
    """What the user arranged in the UI, remembered between runs."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    columns: dict[str, list[str]] = Field(default_factory=dict)
    """Visible table columns per backend kind (`newapi`, `octopus`), in display order."""
    sort: dict[str, SortPref] = Field(default_factory=dict)
    """Table sort order per site name."""
    theme: str | None = None
    """Textual theme name; unset means the app's default."""


class AppConfig(BaseModel):
    """Everything in `config.toml`."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    last_site: str | None = None
    """The site opened last, opened again when no site is named on the command line."""
    sites: list[SiteProfile] = Field(default_factory=list)
    """Configured gateways, in the order the user added them."""
    key_sources: list[KeySourceProfile] = Field(default_factory=list)
    """Relay accounts whose API tokens the key library lists, in the order the user added them."""
    ui: UiPrefs = Field(default_factory=UiPrefs)
    """UI preferences."""

    @model_validator(mode="after")
    def _unique_names(self) -> AppConfig:
        seen: set[str] = set()
        for site in self.sites:
            if site.name in seen:
                raise ValueError(f'two sites are named "{site.name}"; site names must be unique')
            seen.add(site.name)
        sources = [source.name for source in self.key_sources]
        if len(set(sources)) != len(sources):
            raise ValueError("two key sources have the same name; key source names must be unique")
        return self

    def site(self, name: str) -> SiteProfile:
        """The profile called `name`; a `ConfigError` that says how to list the sites otherwise."""
        for site in self.sites:
            if site.name == name:
                return site
        raise ConfigError(f'no site named "{name}"; `tui-channels sites list` shows the configured sites')

    def has_site(self, name: str) -> bool:
        return any(site.name == name for site in self.sites)

    def add_site(self, profile: SiteProfile) -> None:
        if self.has_site(profile.name):
            raise ConfigError(
                f'a site named "{profile.name}" already exists; choose another name, '
                f"or remove it first with `tui-channels sites remove`"
            )
        self.sites.append(profile)

    def remove_site(self, name: str) -> SiteProfile:
        """Drop a site and the preferences that only made sense for it."""
        profile = self.site(name)
        self.sites.remove(profile)
        self.ui.sort.pop(name, None)
        if self.last_site == name:
            self.last_site = None
        return profile

    def replace_site(self, old_name: str, profile: SiteProfile) -> None:
        """Swap a site's profile in place, carrying its preferences over when it is renamed."""
        index = self.sites.index(self.site(old_name))
        if profile.name != old_name:
            if self.has_site(profile.name):
                raise ConfigError(f'a site named "{profile.name}" already exists; choose another name')
            if old_name in self.ui.sort:
                self.ui.sort[profile.name] = self.ui.sort.pop(old_name)
            if self.last_site == old_name:
                self.last_site = profile.name
        self.sites[index] = profile


def _describe_errors(error: ValidationError, data: Mapping[str, Any] | None = None) -> str:
    """Pydantic's errors as one readable line: where, then what; never the offending value.

    With the raw `data`, a site is named by its `name` rather than by its index.
    """
    problems = []
    for item in error.errors(include_url=False, include_input=False):
        where = _location(item["loc"], data)
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "is not a known setting"
        problems.append(f"{where}: {message}" if where else message)
    return "; ".join(problems)


def _location(loc: Sequence[int | str], data: Mapping[str, Any] | None) -> str:
    """`sites.0.url` as `site "prod" url`: a site is named as the user wrote it, else by position."""
    parts = list(loc)
    if len(parts) < 2 or parts[0] != "sites" or not isinstance(parts[1], int):
        return ".".join(str(part) for part in parts)
    index = parts[1]
    name = _raw_site_name(data, index)
    site = f'site "{name}"' if name else f"site #{index + 1}"
    rest = ".".join(str(part) for part in parts[2:])
    return f"{site} {rest}" if rest else site


def _raw_site_name(data: Mapping[str, Any] | None, index: int) -> str | None:
    sites = data.get("sites") if data else None
    entry = sites[index] if isinstance(sites, list) and index < len(sites) else None
    name = entry.get("name") if isinstance(entry, dict) else None
    return name.strip() if isinstance(name, str) and name.strip() else None


def new_site(**fields: Any) -> SiteProfile:
    """Build a profile from user input, as a `ConfigError` with a readable message when invalid."""
    try:
        return SiteProfile(**fields)
    except ValidationError as exc:
        raise ConfigError(_describe_errors(exc), title="Invalid site settings") from None


def load_config() -> AppConfig:
    """Read `config.toml`; a missing file is an empty config, a broken one a `ConfigError`."""
    path = config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return AppConfig()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    try:
        return AppConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{path} has invalid settings: {_describe_errors(exc, data)}") from None


def save_config(config: AppConfig) -> None:
    """Write `config.toml` atomically, so a crash mid-write never leaves half a file."""
    path = config_path()
    try:
        write_atomic(path, tomli_w.dumps(config.model_dump(mode="json", exclude_none=True)))
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc}") from None


def write_atomic(path: Path, text: str) -> None:
    """Replace `path` with `text` through a temp file in the same folder; the file is mode 0600.

    Used for the config and the fallback secrets file alike: a reader sees the old file or the
    new one, never a mix, and the content is never readable by other users, not even briefly.
    Raises `OSError`; callers turn it into their own typed error.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
