"""The README tells the truth about the main screen's keys: every key the help screen lists (on a
New API site and on an Octopus site) is in the README's main-screen section, and every key the
section's key tables name is bound."""

from __future__ import annotations

import re
from pathlib import Path

from tui_channels.demo.session import OCTOPUS_SITE
from tui_channels.screens.main import MainScreen
from tui_channels.widgets.channel_table import ChannelTable

from .ui_helpers import main_screen, running_app

README = Path(__file__).resolve().parent.parent / "README.md"

SPELLINGS = {
    "⏎": "enter", "esc": "escape", "del": "delete", "pgup": "pageup", "pgdn": "pagedown", "↑": "up", "↓": "down",
    "plus": "+", "minus": "-", "slash": "/", "question_mark": "?",
}
"""One name per key: the help screen's and the README's short names and Textual's binding names."""


def normal(key: str) -> str:
    key = key.strip().strip("`")
    key = re.sub(r"^\^", "ctrl+", key)
    return SPELLINGS.get(key.lower(), key if len(key) == 1 else key.lower())


def main_section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("## The main screen")
    return text[start : text.index("\n## ", start + 1)]


def readme_keys() -> set[str]:
    """Every key in backticks in the main-screen section."""
    return {normal(k) for k in re.findall(r"`([^`\s]{1,9})`", main_section())}


def table_keys() -> set[str]:
    """The keys the section's key tables name in their key columns."""
    found = set()
    for line in main_section().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2 or not cells[0].startswith("`"):
            continue
        for cell in cells[0::2]:
            found |= {normal(k) for k in re.findall(r"`([^`]+)`", cell)}
    return found


def bound_keys() -> set[str]:
    keys = set()
    for owner in (MainScreen, ChannelTable):
        for cls in owner.__mro__:
            for binding in cls.__dict__.get("BINDINGS", []):
                keys |= {normal(k) for k in getattr(binding, "key", "").split(",")}
    return keys | {"ctrl+p", "ctrl+q", "tab"}


async def test_every_key_of_the_help_screen_is_in_the_readme() -> None:
    documented = readme_keys()
    missing = set()
    for site in (None, OCTOPUS_SITE):
        async with running_app(site=site) as (app, _pilot, _demo):
            for _title, rows in main_screen(app)._help_sections():
                for keys, text in rows:
                    missing |= {f"{key} ({text})" for key in keys.split(" / ") if normal(key) not in documented}
    assert not missing, "keys the help screen lists and the README does not:\n" + "\n".join(sorted(missing))


def test_every_key_of_the_readme_tables_is_bound() -> None:
    unbound = table_keys() - bound_keys()
    assert not unbound, f"the README's key tables name keys nothing binds: {sorted(unbound)}"


def test_the_sites_add_synopsis_names_every_kind_the_command_takes() -> None:
    from tui_channels.cli.parser import KINDS

    line = next(line for line in README.read_text(encoding="utf-8").splitlines() if "sites add NAME --kind" in line)
    kinds = re.search(r"--kind (\S+)", line)
    assert kinds is not None and kinds.group(1).split("|") == list(KINDS), line
