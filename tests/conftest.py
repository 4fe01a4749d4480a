"""Shared fixtures: one embedded demo gateway per test worker, real HTTP on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tui_channels.demo.gateway import DemoGateway


@pytest.fixture(scope="session")
def gateway() -> Iterator[DemoGateway]:
    """The demo gateway with its fake upstream running; tests add the sites they need."""
    with DemoGateway() as demo:
        yield demo


@pytest.fixture(autouse=True)
def _isolated_config(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never touch the developer's real config folder or keyring from a test."""
    monkeypatch.setenv("TUI_CHANNELS_CONFIG_DIR", str(tmp_path_factory.mktemp("config")))
    monkeypatch.setenv("TUI_CHANNELS_DATA_DIR", str(tmp_path_factory.mktemp("data")))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
