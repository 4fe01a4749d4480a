"""A new emulated site of any flavor with a connected client, for service tests on every backend."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TypeVar

import pytest

from tui_channels.backends.base import Backend
from tui_channels.backends.http import RetryPolicy
from tui_channels.backends.registry import create_backend, family_of
from tui_channels.config import SiteProfile
from tui_channels.demo.gateway import EMULATED_FLAVORS, DemoGateway, DemoSite
from tui_channels.models import Channel
from tui_channels.secret_store import SecretStore, env_var_name
from tui_channels.services.journal import Entry, Journal
from tui_channels.services.recorder import JournaledBackend
from tui_channels.services.sites import SiteSession

FAST_RETRY = RetryPolicy(max_retries=1, base_delay=0.01, max_delay=1)
HUNG_SERVER_TIMEOUT = 2.0
"""Seconds of a client's deadline in tests of a server that never answers: short enough for the
suite, and many times what the demo takes to answer (login included) even on a loaded machine."""
_names = itertools.count()

FLAVORS = EMULATED_FLAVORS
"""Every emulated backend flavor, for suites that run the same tests against all of them."""


def profile_of(site: DemoSite) -> SiteProfile:
    """The profile a user would write for an emulated site (the flavor left to detection)."""
    login = family_of(site.kind).login_field
    extra = {login: getattr(site, login)} if login else {}
    return SiteProfile(name=site.name, kind=site.kind, url=site.url, **extra)


async def connect(site: DemoSite) -> Backend:
    """A connected client for `site`, built through the registry as the app builds it."""
    backend = create_backend(profile_of(site), site.secret, retry=FAST_RETRY)
    try:
        await backend.connect()
    except BaseException:
        await backend.close()
        raise
    return backend


def emulated_site(gateway: DemoGateway, kind: str, *, channels: int, prefix: str) -> tuple[DemoSite, Backend]:
    """A new emulated site of `kind` (one of `FLAVORS`) and a client for it, not yet connected."""
    site = gateway.add_flavor(f"{prefix}-{kind}-{next(_names)}", kind, channels=channels)
    return site, create_backend(profile_of(site), site.secret, retry=FAST_RETRY)


async def connected_site(
    gateway: DemoGateway, kind: str, *, channels: int, prefix: str
) -> tuple[DemoSite, Backend]:
    """`kind` is one of `FLAVORS`; the client is connected."""
    site = gateway.add_flavor(f"{prefix}-{kind}-{next(_names)}", kind, channels=channels)
    return site, await connect(site)


@dataclass
class UndoSubject:
    """A journalled session on a new emulated site, for undo tests, and another admin's client."""

    site: DemoSite
    session: SiteSession
    backend: JournaledBackend
    other: Backend
    """Another admin's client: its writes are not journalled."""
    channels: list[Channel]

    def entries(self) -> list[Entry]:
        return Journal(self.site.name).entries()

    def last(self) -> Entry:
        return self.entries()[-1]

    async def close(self) -> None:
        await self.session.disconnect()
        await self.other.close()


SubjectT = TypeVar("SubjectT", bound=UndoSubject)


async def undo_subject(
    gateway: DemoGateway,
    flavor: str,
    monkeypatch: pytest.MonkeyPatch,
    *,
    prefix: str,
    kind: type[SubjectT] = UndoSubject,  # type: ignore[assignment]
) -> SubjectT:
    """A new site of `flavor` with six channels, loaded through a journalled session as the app loads
    it (its secret in the environment), and a second client connected to it."""
    site, other = emulated_site(gateway, flavor, channels=6, prefix=prefix)
    monkeypatch.setenv(env_var_name(site.name), site.secret)
    session = SiteSession(profile=profile_of(site), secrets=SecretStore())
    channels = await session.load()
    await other.connect()
    assert isinstance(session.backend, JournaledBackend)
    return kind(site, session, session.backend, other, channels)
