"""The demo's temporary data folder, known as such, so that the history can say why it is empty.

A demo run keeps its trash and journal in a folder removed when it exits; the history screen and
`tui-channels history` use `temporary_data_note` to say so and to name the folder a real run
uses. Kept apart from the demo gateway so that they can ask without loading it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..config import data_dir

_real_data_dirs: dict[Path, Path] = {}
"""Each running demo's temporary data folder -> the data folder a real run would use."""


@contextmanager
def temporary_data_folder(folder: Path) -> Iterator[None]:
    """While inside, `folder` is a demo's temporary data folder (enter it before pointing
    `TUI_CHANNELS_DATA_DIR` at it, so the real one is known)."""
    _real_data_dirs[folder] = data_dir()
    try:
        yield
    finally:
        _real_data_dirs.pop(folder, None)


def temporary_data_note() -> str | None:
    """When the data folder is a running demo's temporary one: that its history holds this run's
    changes only, and where a real run keeps its journal; None otherwise."""
    folder = data_dir()
    real = _real_data_dirs.get(folder)
    if real is None:
        return None
    return (
        f"This is the demo: its data folder ({folder}) is temporary and removed when the demo exits, so "
        f"its history holds only the changes made in this run. A real run keeps its journal in "
        f"{real / 'journal'} (TUI_CHANNELS_DATA_DIR moves it); `tui-channels history` without --demo lists it."
    )
