"""A killed demo leaves its temporary folder behind; the next demo removes it at start."""

from __future__ import annotations

import os
import subprocess
import sys

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
