"""The upstream keys a user holds: pasted or read from a file, or listed from relay accounts.

Keys are secrets, so the library of pasted keys is kept in the secret store (one entry,
`key-library`), never in the config file; relay accounts are profiles in the config with their
access token in the secret store under `key-source:<name>`. Every `UpstreamKey` masks its key in
`repr`, and errors name lines and entries, never a key.

Accepted input (`parse_keys`): a JSON list of objects with `name`, `base_url`, `key` (and an
optional `source`), CSV lines `name,base_url,key[,source]` (an optional header line), or one bare
key per line, for which the caller supplies the base URL once.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from ..backends.newapi.tokens import TokenClient, UserToken
from ..backends.registry import family_of
from ..config import KEY_SOURCE_ENTRY, LIBRARY_ENTRY, AppConfig, KeySourceProfile
from ..errors import ChannelsError, ConfigError, PermissionDenied, SecretStoreError
from ..models import BackendKind, mask_secret
from ..redact import remember
from ..secret_store import SecretStore
from ..wording import plural
from . import base_urls

LIBRARY_SECRET = LIBRARY_ENTRY
CSV_FIELDS = ("name", "base_url", "key", "source")


class KeyInputError(ChannelsError):
    """Pasted text or a key file that cannot be read as keys."""

    title = "Cannot read the keys"


class BaseUrlNeeded(KeyInputError):
    """Bare keys, one per line: the caller must say once which base URL they belong to."""

    title = "Base URL needed"


class UpstreamKey(BaseModel):
    """One upstream key: what it is called, where it comes from, where it works, and the key.

    `key` is None for an account token whose full key the relay would not reveal.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    source: str
    base_url: str
    key: str | None = None

    @property
    def masked_key(self) -> str:
        return mask_secret(self.key) if self.key else "(not revealed)"

    @property
    def identity(self) -> tuple[str, str | None]:
        """Two entries with the same normalised base URL and key are the same upstream key."""
        return base_urls.comparable(self.base_url), self.key

    def __repr_args__(self) -> Iterable[tuple[str | None, object]]:
        for name, value in super().__repr_args__():
            yield name, self.masked_key if name == "key" else value


class _Entry(BaseModel):
    """One object of a JSON key file."""

    model_config = ConfigDict(extra="forbid")

    name: str = ""
    base_url: str = ""
    key: str
    source: str = ""

    @field_validator("name", "base_url", "key", "source")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()


class _StoredLibrary(BaseModel):
    """The secret store's `key-library` entry."""

    version: int = 1
    keys: list[UpstreamKey] = []


def _build(entry: _Entry, where: str, *, base_url: str | None, source: str | None) -> UpstreamKey:
    url = base_urls.clean(entry.base_url or base_url or "")
    if not url:
        raise BaseUrlNeeded(f"{where} has no base URL; give one for these keys.")
    if not base_urls.is_http_url(url):
        raise KeyInputError(f"{where}: the base URL must start with http:// or https:// and name a host.")
    if not entry.key or any(c.isspace() for c in entry.key):
        raise KeyInputError(f"{where}: the key is empty or contains spaces.")
    return UpstreamKey(
        name=entry.name or f"key-{entry.key[-4:]}",
        source=entry.source or source or base_urls.host_of(url),
        base_url=url,
        key=entry.key,
    )


def _json_entries(text: str) -> list[tuple[str, _Entry]]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise KeyInputError(f"The JSON is malformed near line {getattr(exc, 'lineno', '?')}.") from None
    if not isinstance(data, list):
        raise KeyInputError("A JSON key file must be a list of objects with name, base_url and key.")
    entries = []
    for index, item in enumerate(data, start=1):
        try:
            entries.append((f"Entry {index}", _Entry.model_validate(item)))
        except ValidationError as exc:
            fields = ", ".join(sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]})) or "the entry"
            raise KeyInputError(f"Entry {index} of the JSON list is not valid ({fields}).") from None
    return entries


def _csv_entries(lines: list[tuple[int, str]]) -> list[tuple[str, _Entry]]:
    entries = []
    for position, (number, line) in enumerate(lines):
        row = [cell.strip() for cell in next(csv.reader(io.StringIO(line)))]
        if position == 0 and [cell.lower() for cell in row] == list(CSV_FIELDS[: len(row)]):
            continue
        if len(row) not in (3, 4):
            raise KeyInputError(f"Line {number} has {plural(len(row), 'field')}; expected name,base_url,key[,source].")
        entries.append((f"Line {number}", _Entry(**dict(zip(CSV_FIELDS, row)))))
    return entries


def parse_keys(text: str, *, base_url: str | None = None, source: str | None = None) -> list[UpstreamKey]:
    """Keys from pasted text or a file's content, one per entry, in order, repeats included.

    A repeat (same base URL and key) is not dropped here: an import plan lists it as already
    present, naming the row it repeats, and the key library keeps one of each (`unique`).

    `base_url` fills in entries without one (bare keys need it: `BaseUrlNeeded` otherwise);
    `source` names the source site of entries without one (default: the base URL's host).
    """
    text = text.lstrip("\ufeff").strip()
    if not text:
        raise KeyInputError("There is nothing to read: paste keys or choose a file with keys in it.")
    if text.startswith("["):
        entries = _json_entries(text)
    else:
        lines = [(n, line.strip()) for n, line in enumerate(text.splitlines(), start=1)]
        lines = [(n, line) for n, line in lines if line and not line.startswith("#")]
        if any("," in line for _, line in lines):
            entries = _csv_entries(lines)
        else:
            if not base_url:
                raise BaseUrlNeeded(
                    f"These are {plural(len(lines), 'bare key')}; give the base URL they belong to (asked once for all)."
                )
            entries = [(f"Line {n}", _Entry(key=line)) for n, line in lines]
    return [_build(entry, where, base_url=base_url, source=source) for where, entry in entries]


def read_key_file(path: Path, *, base_url: str | None = None, source: str | None = None) -> list[UpstreamKey]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise KeyInputError(f"Cannot read {path}: {reason}.") from None
    return parse_keys(text, base_url=base_url, source=source)


def unique(keys: Iterable[UpstreamKey]) -> list[UpstreamKey]:
    """The first of every set of entries with the same base URL and key, in order."""
    seen: set[tuple[str, str | None]] = set()
    kept = []
    for key in keys:
        identity = key.identity if key.key else (key.source, key.name)
        if identity not in seen:
            seen.add(identity)
            kept.append(key)
    return kept


class KeyLibrary:
    """Pasted keys, kept in the secret store between runs."""

    def __init__(self, secrets: SecretStore) -> None:
        self._secrets = secrets

    def keys(self) -> list[UpstreamKey]:
        stored = self._secrets.get(LIBRARY_SECRET)
        if not stored:
            return []
        try:
            return _StoredLibrary.model_validate_json(stored).keys
        except ValidationError:
            raise SecretStoreError(
                f"The stored key library is damaged; delete the `{LIBRARY_SECRET}` entry from the keyring "
                "(or from secrets.toml) and paste the keys again."
            ) from None

    def add(self, keys: Sequence[UpstreamKey]) -> int:
        """Add keys not in the library yet; returns how many were new."""
        current = self.keys()
        merged = unique([*current, *keys])
        self._save(merged)
        return len(merged) - len(current)

    def remove(self, keys: Sequence[UpstreamKey]) -> None:
        gone = {key.identity for key in keys}
        self._save([key for key in self.keys() if key.identity not in gone])

    def _save(self, keys: list[UpstreamKey]) -> None:
        if keys:
            self._secrets.set(LIBRARY_SECRET, _StoredLibrary(keys=keys).model_dump_json())
        else:
            self._secrets.delete(LIBRARY_SECRET)


# -- relay accounts ----------------------------------------------------------------------------


def account_secret_name(name: str) -> str:
    """The secret store entry of an account's access token, apart from the sites' secrets."""
    return KEY_SOURCE_ENTRY.format(name)


def add_account(config: AppConfig, secrets: SecretStore, profile: KeySourceProfile, access_token: str) -> None:
    """Remember an account: its profile in the config (saved by the caller), its token as a secret."""
    taken = {source.name for source in config.key_sources}
    if profile.name in taken:
        raise ConfigError(f'A key source named "{profile.name}" already exists; choose another name.')
    config.check_secret_entry(account_secret_name(profile.name))
    secrets.set(account_secret_name(profile.name), access_token)
    config.key_sources.append(profile)


def remove_account(config: AppConfig, secrets: SecretStore, name: str) -> None:
    config.key_sources = [source for source in config.key_sources if source.name != name]
    secrets.delete(account_secret_name(name))


@dataclass(frozen=True, slots=True)
class AccountKeys:
    """An account's enabled tokens as upstream keys, and what was left out."""

    source: KeySourceProfile
    keys: list[UpstreamKey]
    inactive: int
    unrevealed: int

    @property
    def summary(self) -> str:
        parts = [plural(len(self.keys), "enabled token")]
        if self.unrevealed:
            parts.append(f"{self.unrevealed} not revealed by the server")
        if self.inactive:
            parts.append(f"{self.inactive} disabled, expired or exhausted left out")
        return f"{self.source.name}: " + ", ".join(parts)


def _client(profile: KeySourceProfile, access_token: str) -> TokenClient:
    """A token client for the account; an access token no relay could receive is `InvalidSecret`."""
    remember(access_token)
    token = family_of(BackendKind.NEWAPI).check_secret(access_token)
    return TokenClient(profile.url, access_token=token, user_id=profile.user_id, verify_tls=profile.verify_tls)


async def _revealed(client: TokenClient, tokens: list[UserToken]) -> list[UserToken]:
    """Full keys where the relay reveals them; one that demands a verification step an access token
    cannot pass (HTTP 403) reveals none, and the tokens are listed as "not revealed"."""
    try:
        return await client.reveal(tokens)
    except PermissionDenied:
        return tokens


async def verify_account(profile: KeySourceProfile, access_token: str) -> str:
    """The account's user name, proving the access token and user id work before they are saved."""
    async with _client(profile, access_token) as client:
        return await client.whoami()


async def fetch_account_keys(profile: KeySourceProfile, secrets: SecretStore) -> AccountKeys:
    """List the account's tokens, reveal masked keys, and keep the enabled ones as upstream keys."""
    token = secrets.get(account_secret_name(profile.name))
    if not token:
        raise SecretStoreError(f'No access token is stored for the key source "{profile.name}"; add the account again.')
    async with _client(profile, token) as client:
        tokens = await client.list_tokens()
        active = await _revealed(client, [t for t in tokens if t.enabled])
    keys = [UpstreamKey(name=t.name, source=profile.name, base_url=profile.url, key=t.key) for t in active]
    return AccountKeys(
        source=profile,
        keys=keys,
        inactive=len(tokens) - len(active),
        unrevealed=sum(1 for t in active if t.key is None),
    )
