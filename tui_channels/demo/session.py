"""A throw-away demo setup: the embedded gateway plus a config that points at it.

`tui-channels --demo` runs inside a `DemoSession`: the app reads its config and secrets through the
usual modules, which the session redirects to a fresh temporary folder and to environment
variables, so a demo never touches the user's own config, keyring or secrets file.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import FrameType

from ..backends.registry import family_of
from ..config import AppConfig, SiteProfile, save_config
from ..secret_store import env_var_name
from .data_folder import temporary_data_folder
from .gateway import DemoGateway, DemoSite
from .names import AXONHUB_SITE, CLAUDECODEHUB_SITE, MORE_SITES, NEWAPI_SITE, OCTOPUS_SITE

FOLDER_PREFIX = "tui-channels-demo-"
OWNER_FILE = "owner.pid"
"""The demo folder's file naming the process that made it."""
UNOWNED_AFTER = 24 * 3600
"""A demo folder without an owner file (an older version's) counts as left behind after this many seconds."""


def sweep_stale_folders(parent: Path) -> list[Path]:
    """Remove this user's demo folders whose process is gone (a killed demo cannot clean up after
    itself); returns what was removed. A folder whose owner still runs is left alone."""
    removed = []
    for folder in parent.glob(f"{FOLDER_PREFIX}*"):
        try:
            if not folder.is_dir() or folder.stat().st_uid != os.getuid():
                continue
            owner = folder / OWNER_FILE
            if owner.exists():
                stale = not _running(int(owner.read_text(encoding="ascii").strip() or 0))
            else:
                stale = time.time() - folder.stat().st_mtime > UNOWNED_AFTER
        except (OSError, ValueError):
            continue
        if stale:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _running(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


ENDING_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))
"""The signals that end a demo from outside (`kill`, a closed terminal or tmux session)."""


def _exit_on_signal(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


@contextmanager
def ended_by_signals() -> Iterator[None]:
    """While inside, SIGTERM and SIGHUP end the process as an exit does (SystemExit, status 128 +
    the signal), so that what encloses this (a `DemoSession`, the app) cleans up on the way out:
    by default Python dies on them at once and runs no `finally` nor `atexit`. Outside the main
    thread (where no handler can be set) it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, _exit_on_signal) for signum in ENDING_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


class DemoSession:
    """Starts the demo gateway with a site of every backend, configured and logged in: New API,
    Octopus, AxonHub and Claude Code Hub first (in that order, so pinned ports stay put), then
    `MORE_SITES`."""

    def __init__(
        self,
        *,
        channels: int = 60,
        newapi_flavor: str = "newapi",
        octopus_generation: str = "current",
        axonhub_generation: str = "current",
        port_base: int | None = None,
    ) -> None:
        self.channels = channels
        self.newapi_flavor = newapi_flavor
        self.octopus_generation = octopus_generation
        self.axonhub_generation = axonhub_generation
        self.gateway = DemoGateway(port_base=port_base)
        self._stack = ExitStack()

    @property
    def octopus_channels(self) -> int:
        """The other sites hold a quarter of the New API site's channels, at least 8."""
        return max(8, self.channels // 4)

    def __enter__(self) -> DemoSession:
        try:
            self._start()
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def _start(self) -> None:
        sweep_stale_folders(Path(tempfile.gettempdir()))
        folder = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX))
        (folder / OWNER_FILE).write_text(str(os.getpid()), encoding="ascii")
        self._stack.callback(shutil.rmtree, folder, ignore_errors=True)
        self._stack.enter_context(self.gateway)
        newapi = self.gateway.add_newapi(NEWAPI_SITE, flavor=self.newapi_flavor, channels=self.channels)
        octopus = self.gateway.add_octopus(
            OCTOPUS_SITE, generation=self.octopus_generation, channels=self.octopus_channels
        )
        axonhub = self.gateway.add_axonhub(
            AXONHUB_SITE, generation=self.axonhub_generation, channels=self.octopus_channels
        )
        hub = self.gateway.add_claudecodehub(CLAUDECODEHUB_SITE, channels=self.octopus_channels)
        more = [
            self.gateway.add_flavor(name, flavor, channels=self.octopus_channels, seed=4 + position)
            for position, (name, flavor) in enumerate(MORE_SITES)
        ]
        self._set_env("TUI_CHANNELS_CONFIG_DIR", str(folder / "config"))
        self._stack.enter_context(temporary_data_folder(folder / "data"))
        self._set_env("TUI_CHANNELS_DATA_DIR", str(folder / "data"))
        sites = (newapi, octopus, axonhub, hub, *more)
        for site in sites:
            self._set_env(env_var_name(site.name), site.secret)
        save_config(AppConfig(sites=[_profile(site) for site in sites], last_site=NEWAPI_SITE))

    def _set_env(self, name: str, value: str) -> None:
        """Set an environment variable until the session ends, then put back what was there."""
        previous = os.environ.get(name)
        self._stack.callback(_restore_env, name, previous)
        os.environ[name] = value


def _restore_env(name: str, previous: str | None) -> None:
    if previous is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = previous


def _profile(site: DemoSite) -> SiteProfile:
    """The profile a user would write for a demo site; the flavor is left to detection."""
    login = family_of(site.kind).login_field
    fields = {login: getattr(site, login)} if login else {}
    return SiteProfile(name=site.name, kind=site.kind, url=site.url, **fields)
