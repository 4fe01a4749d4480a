"""Secret store: environment variable, keyring and 0600 file, in that order, and never a leaked secret."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from keyring.backends.chainer import ChainerBackend
from keyring.errors import KeyringLocked, PasswordDeleteError

from tui_channels import secret_store
from tui_channels.errors import SecretStoreError
from tui_channels.secret_store import SecretLocation, SecretStore, env_var_name, secrets_path

SECRET = "sk-very-secret-0123456789"
Backend = TypeVar("Backend", bound=KeyringBackend)


class MemoryKeyring(KeyringBackend):
    """A working keyring that keeps passwords in a dict."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.passwords.pop((service, username), None) is None:
            raise PasswordDeleteError("not found")


class LockedKeyring(KeyringBackend):
    """A keyring that looks fine but refuses every call, like a locked desktop keyring."""

    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked("locked")

    def delete_password(self, service: str, username: str) -> None:
        raise KeyringLocked("locked")


class EmptyChainer(ChainerBackend):
    """The chainer keyring picks when it has found no backend to chain."""

    backends = ()  # type: ignore[assignment]


@contextmanager
def installed(backend: Backend) -> Iterator[Backend]:
    """Make `backend` the process's keyring for the block, then put the previous one back."""
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    with installed(MemoryKeyring()) as backend:
        yield backend


@pytest.fixture
def locked_keyring() -> Iterator[LockedKeyring]:
    with installed(LockedKeyring()) as backend:
        yield backend


def file_mode() -> int:
    return stat.S_IMODE(secrets_path().stat().st_mode)


@pytest.mark.parametrize(
    ("site", "variable"),
    [
        ("my site-1", "TUI_CHANNELS_SECRET_MY_SITE_1"),
        ("prod", "TUI_CHANNELS_SECRET_PROD"),
        ("a.b/c:d", "TUI_CHANNELS_SECRET_A_B_C_D"),
        ("Octopus 2", "TUI_CHANNELS_SECRET_OCTOPUS_2"),
        ("ü", "TUI_CHANNELS_SECRET_XN_TDA"),
        ("站点", "TUI_CHANNELS_SECRET_XN_3PXX9S"),
        ("网关", "TUI_CHANNELS_SECRET_XN_D6Q013I"),
        ("my 站点", "TUI_CHANNELS_SECRET_XN_MY__O27G354B"),
    ],
)
def test_env_var_name(site: str, variable: str) -> None:
    assert env_var_name(site) == variable


class TestWithoutKeyring:
    """conftest installs keyring's `fail` backend for every test."""

    def test_nothing_stored(self) -> None:
        store = SecretStore()
        assert store.get("prod") is None
        assert store.location("prod") is None

    def test_file_fallback_with_warning(self) -> None:
        store = SecretStore()
        assert store.warning is not None
        assert "plain text" in store.warning
        assert str(secrets_path()) in store.warning
        assert store.set("prod", SECRET) is SecretLocation.FILE
        assert file_mode() == 0o600
        assert store.get("prod") == SECRET
        assert store.location("prod") is SecretLocation.FILE
        assert SecretStore().get("prod") == SECRET

    def test_plain_text_is_warned_of_only_when_a_secret_is_stored_there(self, monkeypatch) -> None:
        """No keyring works, but while every secret comes from the environment (the demo) nothing
        is stored in plain text, so nothing warns; once the file holds one, the warning names it."""
        monkeypatch.setenv(env_var_name("prod"), SECRET)
        store = SecretStore()
        assert store.get("prod") == SECRET and store.warning is not None
        assert store.plain_text_warning is None
        assert store.set("stage", SECRET) is SecretLocation.FILE
        warning = store.plain_text_warning
        assert warning is not None and "The secret of stage is stored in plain text" in warning
        assert str(secrets_path()) in warning and "no system keyring" in warning

    def test_set_strips_and_rejects_empty(self) -> None:
        store = SecretStore()
        store.set("prod", f"  {SECRET}\n")
        assert store.get("prod") == SECRET
        with pytest.raises(SecretStoreError, match="empty"):
            store.set("other", "  ")

    def test_several_sites_and_delete(self) -> None:
        store = SecretStore()
        store.set("a", "secret-a")
        store.set("b b", "secret-b")
        store.delete("a")
        assert store.get("a") is None
        assert store.get("b b") == "secret-b"
        store.delete("missing")

    def test_env_var(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("TUI_CHANNELS_SECRET_MY_SITE_1", SECRET)
        store = SecretStore()
        assert store.get("my site-1") == SECRET
        assert store.location("my site-1") is SecretLocation.ENV
        assert not secrets_path().exists()

    def test_env_var_wins_over_file_and_set_never_writes_env(self, monkeypatch: pytest.MonkeyPatch) -> None:
        store = SecretStore()
        store.set("prod", "from-file")
        monkeypatch.setenv("TUI_CHANNELS_SECRET_PROD", "from-env")
        assert store.get("prod") == "from-env"
        assert store.set("prod", "newer") is SecretLocation.FILE
        assert os.environ["TUI_CHANNELS_SECRET_PROD"] == "from-env"
        store.delete("prod")
        assert store.get("prod") == "from-env"
        monkeypatch.delenv("TUI_CHANNELS_SECRET_PROD")
        assert store.get("prod") is None

    def test_loose_mode_is_repaired(self) -> None:
        SecretStore().set("prod", SECRET)
        os.chmod(secrets_path(), 0o644)
        assert SecretStore().get("prod") == SECRET
        assert file_mode() == 0o600

    def test_loose_mode_that_cannot_be_fixed_is_refused(self, monkeypatch: pytest.MonkeyPatch) -> None:
        SecretStore().set("prod", SECRET)
        os.chmod(secrets_path(), 0o640)

        def refuse(path: object, mode: int) -> None:
            raise PermissionError(1, "Operation not permitted")

        monkeypatch.setattr(secret_store.os, "chmod", refuse)
        with pytest.raises(SecretStoreError) as caught:
            SecretStore().get("prod")
        assert "readable by other users" in caught.value.message
        assert "chmod 600" in caught.value.message
        assert SECRET not in repr(caught.value) and SECRET not in str(caught.value)

    def test_require_says_how_to_provide_it(self) -> None:
        with pytest.raises(SecretStoreError) as caught:
            SecretStore().require("my site")
        assert "TUI_CHANNELS_SECRET_MY_SITE" in caught.value.message
        assert "sites set-secret 'my site'" in caught.value.message


class TestWithKeyring:
    def test_keyring_is_used(self, memory_keyring: MemoryKeyring) -> None:
        store = SecretStore()
        assert store.warning is None
        assert store.set("prod", SECRET) is SecretLocation.KEYRING
        assert memory_keyring.passwords == {("tui-channels", "prod"): SECRET}
        assert not secrets_path().exists()
        assert store.get("prod") == SECRET
        assert store.location("prod") is SecretLocation.KEYRING
        store.delete("prod")
        assert memory_keyring.passwords == {}
        store.delete("prod")

    def test_env_var_wins_over_keyring(self, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch) -> None:
        store = SecretStore()
        store.set("prod", "from-keyring")
        monkeypatch.setenv("TUI_CHANNELS_SECRET_PROD", "from-env")
        assert store.get("prod") == "from-env"
        assert store.location("prod") is SecretLocation.ENV

    def test_file_secret_moves_to_keyring(self, memory_keyring: MemoryKeyring) -> None:
        keyring.set_keyring(fail.Keyring())
        SecretStore().set("prod", "old")
        keyring.set_keyring(memory_keyring)
        store = SecretStore()
        assert store.location("prod") is SecretLocation.FILE
        assert store.set("prod", "new") is SecretLocation.KEYRING
        assert store.location("prod") is SecretLocation.KEYRING
        assert "prod" not in secrets_path().read_text()

    def test_keyring_failing_on_use_falls_back_to_file(self, locked_keyring: LockedKeyring) -> None:
        store = SecretStore()
        assert store.get("prod") is None
        assert store.warning is not None and "KeyringLocked" in store.warning
        assert store.set("prod", SECRET) is SecretLocation.FILE
        assert store.get("prod") == SECRET

    def test_chainer_without_backends_counts_as_no_keyring(self) -> None:
        with installed(EmptyChainer()):
            store = SecretStore()
            assert store.warning is not None
            assert store.set("prod", SECRET) is SecretLocation.FILE


class TestNoLeaks:
    def test_returned_values_do_not_show_the_secret(self) -> None:
        store = SecretStore()
        location = store.set("prod", SECRET)
        for shown in (repr(location), str(location), repr(store), str(store), str(store.warning)):
            assert SECRET not in shown

    def test_broken_file_error_does_not_quote_it(self) -> None:
        secrets_path().parent.mkdir(parents=True, exist_ok=True)
        secrets_path().write_text(f'prod = "{SECRET}\x07"\n')
        os.chmod(secrets_path(), 0o600)
        with pytest.raises(SecretStoreError) as caught:
            SecretStore().get("prod")
        assert "not valid TOML (error at line 1, column" in caught.value.message
        for shown in (str(caught.value), repr(caught.value)):
            assert SECRET not in shown
            assert "Illegal character" not in shown

    def test_non_text_entry_error_does_not_quote_it(self) -> None:
        secrets_path().parent.mkdir(parents=True, exist_ok=True)
        secrets_path().write_text(f'prod = ["{SECRET}"]\n')
        os.chmod(secrets_path(), 0o600)
        with pytest.raises(SecretStoreError) as caught:
            SecretStore().get("prod")
        assert "'prod' is not a string" in caught.value.message
        assert SECRET not in str(caught.value) and SECRET not in repr(caught.value)

    def test_non_utf8_file(self) -> None:
        secrets_path().parent.mkdir(parents=True, exist_ok=True)
        secrets_path().write_bytes(b'prod = "\xff\xfe"\n')
        os.chmod(secrets_path(), 0o600)
        with pytest.raises(SecretStoreError, match="not UTF-8"):
            SecretStore().get("prod")
