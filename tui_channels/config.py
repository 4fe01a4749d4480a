"""Site profiles and UI preferences, kept in `config.toml` under the user's config folder.

The file never holds a secret: tokens and passwords live in `secret_store`. Everything read from
disk is validated here, so the rest of the app can trust a `SiteProfile`; a bad file becomes one
`ConfigError` line that names the file and the setting, never a pydantic dump.

Several processes share the file (the app open for hours, `tui-channels sites add` in a shell,
two commands at once), so a save takes the config lock (`file_lock`), re-reads the file, applies
only this process's changes to it (`config_merge`) and replaces it atomically.
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
from filelock import FileLock, Timeout
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from .backends.registry import FAMILIES, family_of
from .config_merge import merge
from .errors import ConfigError, UnknownSite
from .models import BackendKind
from .validation import check_url

APP_NAME = "tui-channels"
CONFIG_FILE = "config.toml"
LOCK_TIMEOUT = 10.0
"""Seconds a save waits for another process's save to finish before giving up."""
ENV_PREFIX = "TUI_CHANNELS_SECRET_"
KEY_SOURCE_ENTRY = "key-source:{}"
"""The secret store entry of a key source's access token, by the key source's name."""
LIBRARY_ENTRY = "key-library"
"""The secret store entry of the key library's upstream keys."""


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


def env_var_name(entry: str) -> str:
    """The environment variable that supplies a secret store entry (a site name).

    An ASCII name is upper-cased with every character other than A-Z and 0-9 as `_` ("my site-1"
    → TUI_CHANNELS_SECRET_MY_SITE_1), as it always was. A name with any other character is first
    written in Punycode, the encoding of international domain names, and marked `XN_` ("站点" →
    TUI_CHANNELS_SECRET_XN_3PXX9S, "网关" → TUI_CHANNELS_SECRET_XN_D6Q013I), so non-ASCII names
    no longer share a variable. Names that still clash ("a-b" and "a b") are refused when added.
    """
    if not entry.isascii():
        entry = "xn " + entry.encode("punycode").decode("ascii")
    return ENV_PREFIX + re.sub(r"[^A-Z0-9]", "_", entry.upper())


def file_lock(path: Path) -> FileLock:
    """The lock that serialises read-modify-write of `path` across processes (`.<name>.lock` beside it).

    Acquiring it raises `filelock.Timeout` after `LOCK_TIMEOUT` seconds, or `OSError` when the
    folder cannot be written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(path.with_name(f".{path.name}.lock"), timeout=LOCK_TIMEOUT)


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
    `octopus`, `axonhub`, `claudecodehub` or `onehub` (One Hub and Done Hub)."""
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
    limit; unset starts from the detected server generation's stock limit (New API 360 per 180 s,
    legacy 180, One API 480), 0 turns the budget off. Either way the server's 429s correct it."""
    budget_window: float = Field(default=180.0, gt=0)
    """Length in seconds of the window a `request_budget` set here counts over (New API's is 180 s)."""
    max_wait: float = Field(default=300.0, gt=0)
    """Seconds of waiting a rate-limited server may ask for (HTTP 429, `Retry-After`); when it asks
    for longer, requests fail at once and a running batch stops, saying until when."""
    max_answer_mb: float = Field(default=32.0, gt=0)
    """The largest answer accepted, in MB (after decompression); a larger one is dropped unread."""
    sync_include: tuple[str, ...] = ()
    """Model sync keeps only upstream models matching one of these (a substring, or `/regex/`)."""
    sync_exclude: tuple[str, ...] = ()
    """Model sync drops upstream models matching any of these (a substring, or `/regex/`)."""
    sync_channels: dict[int, SyncRules] = Field(default_factory=dict)
    """Per-channel sync rules by channel id, applied after the site's rules."""
    read_only: bool = False
    """Browse only: the app and the command line refuse every action that writes to this gateway."""

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
            raise ValueError(
                f"{family.article.capitalize()} {family.label} site needs {login.hint or login.field} ({login.field})"
            )
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


PREFERENCES: frozenset[str] = frozenset({"ui", "last_site"})
"""`AppConfig` settings that only remember how the UI was left: losing them loses no work."""

FORMLESS_SETTINGS: frozenset[str] = frozenset(
    {
        "concurrency",
        "request_budget",
        "budget_window",
        "max_wait",
        "max_answer_mb",
        "sync_include",
        "sync_exclude",
        "sync_channels",
    }
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


FLEET_COLUMNS = "fleet"
"""The key of the fleet view's columns in `UiPrefs.columns` (beside the backend kinds)."""


class UiPrefs(BaseModel):
    """What the user arranged in the UI, remembered between runs."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    columns: dict[str, list[str]] = Field(default_factory=dict)
    """Visible table columns per backend kind (`newapi`, `octopus`, …), and for the fleet view
    (`fleet`), in display order."""
    sort: dict[str, SortPref] = Field(default_factory=dict)
    """Table sort order per site name."""
    fleet_sort: SortPref | None = None
    """Table sort order of the fleet view (every site at once); unset sorts by site."""
    fleet_opened: bool = False
    """The fleet view was on screen last: the app opens on it again when no site is named."""
    theme: str | None = None
    """Textual theme name; unset means the app's default."""


class HealthSettings(BaseModel):
    """What the fleet's health report flags (`[health]` in config.toml, `H` and `fleet health`)."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    slow_ms: int = Field(default=5000, ge=1)
    """A channel whose last response time (as its server records it: New API's last test, Octopus's
    mean wait per request) is above this many milliseconds is slow."""
    low_balance: float = Field(default=1.0, ge=0)
    """A channel whose upstream balance (USD, where the server queries balances: New API) is below
    this is low; a balance the server never queried is not reported."""
    shared_upstreams: bool = True
    """Report one upstream (the same base URL and key) serving on several sites; keys are known only
    where servers return them (Octopus, AxonHub)."""


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
    _saved: dict[str, Any] | None = PrivateAttr(default=None)
    """The file's content as this process last read or wrote it: the base of the next merge."""

    def unsaved(self) -> set[str]:
        """The top-level settings changed since the file was last read or written (all, if never)."""
        current = self.model_dump(mode="json", exclude_none=True)
        if self._saved is None:
            return set(type(self).model_fields)
        return {name for name in type(self).model_fields if current.get(name) != self._saved.get(name)}

    def revert(self, names: set[str]) -> None:
        """Put these top-level settings back as they were last read or written."""
        if self._saved is None:
            return
        saved = type(self).model_validate(self._saved)
        for name in names:
            setattr(self, name, getattr(saved, name))

    def __eq__(self, other: object) -> bool:
        """Equal settings, whatever each copy last read from the file."""
        return isinstance(other, AppConfig) and self.model_dump() == other.model_dump()

    __hash__ = None  # type: ignore[assignment]
    health: HealthSettings = Field(default_factory=HealthSettings)
    """Thresholds of the fleet's health report."""

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
        """The profile called `name`; an `UnknownSite` that names the configured sites otherwise."""
        for site in self.sites:
            if site.name == name:
                return site
        raise self.unknown_sites([name])

    def unknown_sites(self, names: Sequence[str]) -> UnknownSite:
        """The error for site names no profile has: which sites are configured, and how to list them."""
        asked = ", ".join(f'"{name}"' for name in names)
        if not self.sites:
            return UnknownSite(f"no site named {asked}: no site is configured yet (`tui-channels sites add` adds one)")
        known = [site.name for site in self.sites]
        shown = ", ".join(known[:10]) + (f" and {len(known) - 10} more" if len(known) > 10 else "")
        return UnknownSite(
            f"no site named {asked}; the configured sites are {shown} (`tui-channels sites list` shows them)"
        )

    def has_site(self, name: str) -> bool:
        return any(site.name == name for site in self.sites)

    def add_site(self, profile: SiteProfile) -> None:
        if self.has_site(profile.name):
            raise ConfigError(
                f'a site named "{profile.name}" already exists; choose another name, '
                f"or remove it first with `tui-channels sites remove`"
            )
        self.check_secret_entry(profile.name)
        self.sites.append(profile)

    def secret_entries(self) -> dict[str, str]:
        """Every secret store entry the config names, with what it belongs to (for messages)."""
        entries = {site.name: f'site "{site.name}"' for site in self.sites}
        entries.update(
            {KEY_SOURCE_ENTRY.format(source.name): f'key source "{source.name}"' for source in self.key_sources}
        )
        entries[LIBRARY_ENTRY] = "the key library"
        return entries

    def check_secret_entry(self, entry: str, *, replacing: str | None = None) -> None:
        """Refuse a new entry whose environment variable another entry already uses."""
        variable = env_var_name(entry)
        for other, owner in self.secret_entries().items():
            if other not in (entry, replacing) and env_var_name(other) == variable:
                raise ConfigError(
                    f"{owner} already uses the environment variable {variable} for its secret; "
                    "choose a name that differs in letters or digits, not only in case or punctuation"
                )

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
            self.check_secret_entry(profile.name, replacing=old_name)
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


RESERVED_SITE_NAMES = frozenset({"all"})
"""Names a new site cannot take: `tui-channels --site all` opens every site at once."""


def new_site(**fields: Any) -> SiteProfile:
    """Build a profile from user input, as a `ConfigError` with a readable message when invalid.

    A site added or edited here cannot take a reserved name (one written by hand in config.toml
    loads, but opens from the site switcher only).
    """
    name = fields.get("name")
    if isinstance(name, str) and name.strip().casefold() in RESERVED_SITE_NAMES:
        raise ConfigError(
            f'the site name "{name.strip()}" is reserved: `--site {name.strip()}` opens every site at once. '
            "Choose another name.",
            title="Invalid site settings",
        )
    try:
        return SiteProfile(**fields)
    except ValidationError as exc:
        raise ConfigError(_describe_errors(exc), title="Invalid site settings") from None


def load_config() -> AppConfig:
    """Read `config.toml`; a missing file is an empty config, a broken one a `ConfigError`."""
    path = config_path()
    data = _read_data(path)
    config = _validated(path, data)
    config._saved = config.model_dump(mode="json", exclude_none=True)
    return config


def _read_data(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None


def _validated(path: Path, data: Mapping[str, Any]) -> AppConfig:
    try:
        return AppConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{path} has invalid settings: {_describe_errors(exc, data)}") from None


def save_config(config: AppConfig) -> None:
    """Apply this process's changes to `config.toml`, keeping every change others saved meanwhile.

    Under the config lock: re-read the file, merge (`config_merge.merge`: what `config` changed
    since it was loaded or last saved goes on top of the file as it is now), write through a
    temporary file and a rename. `config` then holds the merged result, sites others added
    included. A config built in memory rather than loaded replaces the file. Raises `ConfigError`
    when the folder cannot be written, another save holds the lock too long, or another process
    saved a conflicting entry.
    """
    path = config_path()
    try:
        with file_lock(path):
            theirs = _validated(path, _read_data(path)).model_dump(mode="json", exclude_none=True)
            mine = config.model_dump(mode="json", exclude_none=True)
            base = config._saved if config._saved is not None else theirs
            merged = _validated(path, merge(base, mine, theirs))
            data = merged.model_dump(mode="json", exclude_none=True)
            write_atomic(path, tomli_w.dumps(data))
    except Timeout:
        raise ConfigError(
            f"{path} is being saved by another tui-channels process (waited {LOCK_TIMEOUT:g} s); try again"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from None
    for name in AppConfig.model_fields:
        setattr(config, name, getattr(merged, name))
    config._saved = data


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
