"""A demo ended by SIGTERM or SIGHUP removes its temporary folder on the way out; one killed
outright (SIGKILL) leaves it behind, and the next demo removes it at start."""

from __future__ import annotations

import fcntl
import os
import pty
import signal
import struct
import subprocess
import sys
import termios
import threading
import time

import pytest

from tui_channels.demo.session import FOLDER_PREFIX, OWNER_FILE, sweep_stale_folders


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_folders_of_gone_demos_are_removed_and_running_ones_kept(tmp_path):
    gone = tmp_path / f"{FOLDER_PREFIX}gone"
    (gone / "data").mkdir(parents=True)
    (gone / OWNER_FILE).write_text(str(dead_pid()))
    running = tmp_path / f"{FOLDER_PREFIX}running"
    running.mkdir()
    (running / OWNER_FILE).write_text(str(os.getpid()))
    fresh_unowned = tmp_path / f"{FOLDER_PREFIX}older-version"
    fresh_unowned.mkdir()
    old_unowned = tmp_path / f"{FOLDER_PREFIX}older-version-old"
    old_unowned.mkdir()
    os.utime(old_unowned, (0, 0))
    other = tmp_path / "something-else"
    other.mkdir()

    assert sorted(sweep_stale_folders(tmp_path)) == sorted([gone, old_unowned])
    assert running.exists() and fresh_unowned.exists() and other.exists()


def _demo_folders(parent, pid: int) -> list:
    found = []
    for folder in parent.glob(f"{FOLDER_PREFIX}*"):
        try:
            if (folder / OWNER_FILE).read_text(encoding="ascii").strip() == str(pid):
                found.append(folder)
        except OSError:
            continue
    return found


def _wait(condition, what: str, timeout: float = 60.0) -> None:
    """Poll `condition` until it holds (a real process on a loaded machine: its own pace)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="POSIX signals")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_demo_app_ended_by_a_signal_removes_its_folder(tmp_path, signum) -> None:
    """`tui-channels --demo` in a terminal (a pseudo-terminal here), ended by `kill` or by its
    terminal closing: its temporary folder, journal and trash included, goes with it."""
    env = {**os.environ, "TMPDIR": str(tmp_path), "TERM": "xterm-256color", "COLUMNS": "80", "LINES": "24"}
    pid, terminal = pty.fork()
    if pid == 0:
        os.execve(sys.executable, [sys.executable, "-m", "tui_channels", "--demo"], env)
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    screen = bytearray()
    reading = threading.Thread(target=_drain, args=(terminal, screen), daemon=True)
    reading.start()
    status = None
    try:
        _wait(lambda: bool(_demo_folders(tmp_path, pid)), "the demo's folder")
        (folder,) = _demo_folders(tmp_path, pid)
        _wait(lambda: b"demo-newapi" in screen, "the app on screen")
        assert (folder / "config").is_dir()
        os.kill(pid, signum)
        _wait(lambda: os.waitpid(pid, os.WNOHANG)[0] == pid, "the demo to exit")
        status = "exited"
    finally:
        if status is None:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(terminal)
    assert not folder.exists(), sorted(str(p) for p in folder.rglob("*"))


def _drain(terminal: int, screen: bytearray) -> None:
    """Read what the app writes (a full pseudo-terminal would block it)."""
    while True:
        try:
            chunk = os.read(terminal, 65536)
        except OSError:
            return
        if not chunk:
            return
        screen.extend(chunk)
