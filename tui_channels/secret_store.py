"""Where each site's secret (New API access token, Octopus password) is kept, one per site.

Resolution order when reading, first hit wins:

1. the environment variable `TUI_CHANNELS_SECRET_<SITE>` (see `config.env_var_name`): explicit
   beats implicit, so it overrides what is stored;
2. the system keyring (service "tui-channels", user name = site name), when a keyring works;
3. `secrets.toml` in the config folder: plain text, mode 0600, only used when no keyring works.

Writing goes to the keyring, or to the file when no keyring works (never to an environment
variable); deleting clears the keyring entry and the file entry alike. The file is the last resort,
so the store says so through `warning` and through the location `set` returns.

No secret ever reaches a message, a log or a repr: errors name the site and the place, never the
value, and secret values are only returned by `get`.
"""

from __future__ import annotations

import enum
import os
import re
import shlex
import stat
import tomllib
from pathlib import Path
from collections.abc import Mapping
from typing import Any

import tomli_w
from filelock import Timeout

from .config import ENV_PREFIX, LIBRARY_ENTRY, config_dir, env_var_name, file_lock, write_atomic
from .errors import SecretStoreError
from .redact import remember

SERVICE = "tui-channels"
SECRETS_FILE = "secrets.toml"

_NO_KEYRING = object()
"""What `SecretStore._keyring_call` returns when the keyring cannot be used."""


class SecretLocation(str, enum.Enum):
    """Where a site's secret was found or put."""

    ENV = "env"
    KEYRING = "keyring"
    FILE = "file"


def secrets_path() -> Path:
    return config_dir() / SECRETS_FILE


class SecretStore:
    """Reads and writes site secrets across the environment, the keyring and the fallback file."""

    def __init__(self) -> None:
        self._keyring_problem: str | None = None
        self._keyring_checked = False
        self._warned: set[str] = set()

    @property
    def warning(self) -> str | None:
        """Set when secrets written now would land in the plain-text file; show it to the user."""
        problem = self._keyring_unusable()
        if problem is None:
            return None
        return (
            f"{problem}, so secrets are stored in plain text in {secrets_path()} "
            f"(readable only by you, mode 0600); set {ENV_PREFIX}<SITE> variables or install "
            f"a keyring backend to avoid that"
        )

    @property
    def plain_text_warning(self) -> str | None:
        """Set when the plain-text file holds a site's secret now (names the sites); None while every
        secret comes from the environment or the keyring, whether a keyring works or not."""
        return self._plain_text_warning(self._plain_text_entries(), {})

    def plain_text_warning_once(self, owners: Mapping[str, str]) -> str | None:
        """`plain_text_warning` for the entries not yet warned of by this store (once a session:
        a warning on every visit to the sites hid them and taught nothing new). `owners` names
        what each entry belongs to (`AppConfig.secret_entries`: "the key library")."""
        fresh = [entry for entry in self._plain_text_entries() if entry not in self._warned]
        self._warned.update(fresh)
        return self._plain_text_warning(fresh, owners)

    def warned_of(self, entry: str) -> None:
        """Note that the user was just told `entry` is stored in plain text (when it was saved)."""
        self._warned.add(entry)

    def _plain_text_entries(self) -> list[str]:
        try:
            return sorted(self._read_file())
        except SecretStoreError:
            return []

    def _plain_text_warning(self, stored: list[str], owners: Mapping[str, str]) -> str | None:
        if not stored:
            return None
        problem = self._keyring_unusable()
        named = [owners.get(entry, entry) for entry in stored]
        whose = ", ".join(named)
        if stored == [LIBRARY_ENTRY]:
            subject = "The upstream keys of the key library are"
        else:
            subject = f"The secret of {whose} is" if len(stored) == 1 else f"The secrets of {whose} are"
        because = f" because {problem}" if problem else ""
        return (
            f"{subject} stored in plain text in {secrets_path()} (readable only by you, mode 0600){because}; "
            f"set {ENV_PREFIX}<SITE> variables or use a keyring to avoid that"
        )

    def get(self, site: str) -> str | None:
        found = self._find(site)
        if found is None:
            return None
        remember(found[1])
        return found[1]

    def require(self, site: str) -> str:
        """`get`, or a `SecretStoreError` that says how to provide the missing secret."""
        secret = self.get(site)
        if secret is None:
            raise SecretStoreError(
                f'no secret is stored for site "{site}"; store one with '
                f"`tui-channels sites set-secret {shlex.quote(site)}` or set {env_var_name(site)}"
            )
        return secret

    def fix_hint(self, site: str) -> str:
        """How to replace `site`'s secret where it comes from, for messages about a bad one."""
        if self.location(site) is SecretLocation.ENV:
            return f"It comes from the environment variable {env_var_name(site)}: fix or unset it."
        return f"Store it again with `tui-channels sites set-secret {shlex.quote(site)}` (or S in the app)."

    def location(self, site: str) -> SecretLocation | None:
        found = self._find(site)
        return found[0] if found else None

    def set(self, site: str, secret: str) -> SecretLocation:
        """Store `secret` for `site` in the keyring, or in the file when no keyring works."""
        secret = secret.strip()
        if not secret:
            raise SecretStoreError(f'the secret for site "{site}" is empty; nothing was stored')
        remember(secret)
        if self._keyring_call("set_password", site, secret) is not _NO_KEYRING:
            self._remove_from_file(site)
            return SecretLocation.KEYRING
        self._update_file(site, secret)
        return SecretLocation.FILE

    def delete(self, site: str) -> None:
        """Forget `site`'s secret wherever it is stored; an environment variable stays the user's."""
        if self._keyring_call("get_password", site) not in (None, _NO_KEYRING):
            self._keyring_call("delete_password", site)
        self._remove_from_file(site)

    def _find(self, site: str) -> tuple[SecretLocation, str] | None:
        from_env = os.environ.get(env_var_name(site), "").strip()
        if from_env:
            return SecretLocation.ENV, from_env
        from_keyring = self._keyring_call("get_password", site)
        if isinstance(from_keyring, str) and from_keyring:
            return SecretLocation.KEYRING, from_keyring
        from_file = self._read_file().get(site)
        if from_file:
            return SecretLocation.FILE, from_file
        return None

    def _keyring_unusable(self) -> str | None:
        """Why the keyring cannot be used (checked once, or after a failed call), or None."""
        if not self._keyring_checked:
            self._keyring_checked = True
            self._keyring_problem = _keyring_backend_problem()
        return self._keyring_problem

    def _keyring_call(self, method: str, site: str, *args: str) -> Any:
        """Call a keyring function, or return `_NO_KEYRING` when no keyring works (remembering why)."""
        if self._keyring_unusable() is not None:
            return _NO_KEYRING
        import keyring
        from keyring.errors import KeyringError

        try:
            return getattr(keyring, method)(SERVICE, site, *args)
        except KeyringError as exc:
            self._keyring_problem = f"the system keyring failed ({type(exc).__name__})"
            return _NO_KEYRING

    def _read_file(self) -> dict[str, str]:
        path = secrets_path()
        try:
            _ensure_private(path)
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except tomllib.TOMLDecodeError as exc:
            raise SecretStoreError(f"{path} is not valid TOML ({_toml_position(exc)}); fix or delete it") from None
        except UnicodeDecodeError:
            raise SecretStoreError(f"{path} is not UTF-8 text; fix or delete it") from None
        except OSError as exc:
            raise SecretStoreError(f"cannot read {path}: {exc.strerror or type(exc).__name__}") from None
        bad = sorted(name for name, value in data.items() if not isinstance(value, str))
        if bad:
            raise SecretStoreError(
                f"{path} should hold one text secret per site, but the entry for "
                f"{', '.join(repr(name) for name in bad)} is not a string; fix or delete it"
            )
        return data

    def _update_file(self, site: str, secret: str | None) -> None:
        """Set (or with None, drop) one entry of the file: re-read, change, replace, under its lock,
        so two processes storing secrets at once keep both."""
        path = secrets_path()
        try:
            with file_lock(path):
                entries = self._read_file()
                if secret is None and site not in entries:
                    return
                if secret is None:
                    del entries[site]
                else:
                    entries[site] = secret
                write_atomic(path, tomli_w.dumps(entries))
        except Timeout:
            raise SecretStoreError(f"{path} is being written by another tui-channels process; try again") from None
        except OSError as exc:
            raise SecretStoreError(f"cannot write {path}: {exc.strerror or type(exc).__name__}") from None

    def _remove_from_file(self, site: str) -> None:
        if site in self._read_file():
            self._update_file(site, None)


def _toml_position(error: tomllib.TOMLDecodeError) -> str:
    """Where the parser stopped, without its description, which may quote part of a secret."""
    found = re.search(r"\(at (line \d+, column \d+|end of document)\)", str(error))
    return f"error at {found.group(1)}" if found else "parse error"


def _keyring_backend_problem() -> str | None:
    """Why the configured keyring backend is a non-working one, or None when it looks usable."""
    import keyring
    from keyring.backends import chainer, fail
    from keyring.errors import KeyringError

    try:
        backend = keyring.get_keyring()
    except KeyringError as exc:
        return f"the system keyring failed to start ({type(exc).__name__})"
    if isinstance(backend, fail.Keyring):
        return "no system keyring is available"
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return "no system keyring is available"
    return None


def _ensure_private(path: Path) -> None:
    """Make sure the secrets file is readable by its owner only, repairing the mode if it can."""
    if os.name == "nt" or not _exposed(path):
        return
    try:
        os.chmod(path, 0o600)
    except OSError as exc:
        raise SecretStoreError(_exposed_message(path, exc.strerror or type(exc).__name__)) from None
    if _exposed(path):
        raise SecretStoreError(_exposed_message(path, "the file system ignores permissions"))


def _exposed(path: Path) -> bool:
    return bool(stat.S_IMODE(path.stat().st_mode) & 0o077)


def _exposed_message(path: Path, reason: str) -> str:
    return (
        f"{path} is readable by other users and could not be restricted to mode 0600 ({reason}); "
        f"run `chmod 600 {path}`, and replace the secrets in it if others may have read them"
    )
