"""Benchmark: the fleet view over 20 demo sites of 5,000 channels each (100,000 channels), New API
and Octopus mixed.

The emulated sites run in processes of their own (`tui_channels.demo.serve`, two processes of ten
sites each), so the figures are the app's: the real `ChannelsApp` runs headless at 160x50 in this
process, opened on the fleet view, with each site configured as a user would (secrets in the
environment, a throw-away config folder). Printed:

- load: from starting the app until every site is loaded and the table has painted all 100,000
  rows (sites load at once; New API pages of 100, Octopus in one answer);
- filter keystroke: from a key event reaching the app, as the terminal driver posts it while a
  user types and backspaces in the search box, until the search box has taken it, the table has
  filtered every row and the screen has been repainted; p50 and p95. (`pilot.press` is not used
  to time it: it waits for the process to go idle, at least 20 ms three times per key.) Each key
  follows the previous repaint at once, so each arrives within a frame of the last one: Textual
  repaints at most 60 times a second, and a key whose own work takes less than a frame waits for
  the next one (up to 16.7 ms), which is most of the difference between the wall time and the
  app's CPU time per key. The same keys are then typed at a fast typist's pace (`PACE_S`), where
  that wait is gone. The time ends with the repaint that follows the table's filtering (the
  table's repaint request reaches the screen before the bench's wait for a refresh does), and the
  frames the app painted meanwhile are counted: more than one per key means the search box went
  out in a frame of its own before the filtered table;
- sort: from `sort_by` (what the sort picker and the palette call) until repainted, over several
  columns each way; the first sort by a column computes its keys, later ones reuse them;
- resident memory of this process after the load, and its peak.

Goals: load < 5 s, keystroke p95 < 30 ms, RSS < 400 MB. Prints figures only; nothing asserts on
time. Run: `.venv/bin/python bench/fleet.py [--sites 20] [--channels 5000]` when the machine is
quiet (`uptime`).

Before and after a change: `--against CHECKOUT` (another checkout of the project, such as a git
worktree of main, with its own `.venv` if its dependencies differ) measures both in the same run
over the same gateways, each run in a fresh process of its own, alternating which goes first for
`--rounds` rounds after one warm-up run of each, and prints each figure's median for both and the
ratio (this checkout / the other). On a shared machine wall times move
with the load; the app's CPU time until loaded and the ratios move less.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from contextlib import ExitStack
from pathlib import Path

from rich.console import RenderableType
from textual import events
from textual.screen import Screen

from tui_channels.app import ChannelsApp
from tui_channels.config import AppConfig, SiteProfile
from tui_channels.demo.serve import GatewayProcess, ServedSite
from tui_channels.models import BackendKind
from tui_channels.screens.main import MainScreen
from tui_channels.secret_store import env_var_name

SIZE = (160, 50)
PROCESSES = 2

TYPED = (
    "o", "p", "e", "n", "backspace", "backspace", "backspace", "backspace",
    "c", "l", "a", "u", "d", "e", "backspace", "backspace", "backspace", "backspace", "backspace", "backspace",
    "g", "p", "t", "minus", "4", "o", "backspace", "backspace", "backspace", "backspace", "backspace", "backspace",
    "d", "e", "e", "p", "backspace", "backspace", "backspace", "backspace",
    "b", "a", "c", "k", "u", "p", "backspace", "backspace", "backspace", "backspace", "backspace", "backspace",
)
"""Keys pressed in the search box, in order (run twice)."""

CHARACTERS = {"minus": "-", "backspace": None}
"""The character of each key of TYPED that is not its own character."""


def typed(text: str, key: str) -> str:
    """The search box's text after `key`."""
    return text[:-1] if key == "backspace" else text + CHARACTERS.get(key, key)


PACE_S = 0.12
"""Seconds from one repaint to the next key at a typist's pace (500 keys a minute)."""

SORTS = tuple(
    (column, descending)
    for column in ("name", "site", "status", "type", "models", "id")
    for descending in (False, True)
)


def status_mib(field: str) -> float:
    """A memory figure of this process (VmRSS now, VmHWM the peak) from /proc/self/status, in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def plan(names: list[str], channels: int) -> dict[str, object]:
    """Half the sites New API, half Octopus, alternating, each seeded differently."""
    sites = []
    for number, name in enumerate(names):
        kind = "newapi" if number % 2 == 0 else "octopus"
        sites.append({"name": name, "kind": kind, "channels": channels, "seed": 100 + number})
    return {"sites": sites}


def profile(site: ServedSite) -> SiteProfile:
    login = {"user_id": site.user_id} if site.user_id else {"username": site.username}
    return SiteProfile(name=site.name, kind=site.kind, url=site.url, **login)


def percentile(samples: list[float], p: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[p - 1]


def count_frames(app: ChannelsApp) -> list[float]:
    """A list that gets the time of every frame `app` paints from now on (headless, Textual still
    composes each frame and hands it to `App._display`, which then skips writing it out)."""
    frames: list[float] = []
    display = app._display

    def counted(screen: Screen, update: RenderableType | None) -> None:
        frames.append(time.perf_counter())
        display(screen, update)

    app._display = counted  # type: ignore[method-assign]
    return frames


def several(frames: list[int]) -> str:
    """How many keys took more than one frame to show."""
    return f"{sum(1 for n in frames if n > 1)} of {len(frames)} keys painted over two frames or more"


async def measure(sites: list[ServedSite], total: int) -> dict[str, float]:
    """Run the app on `sites`, print the figures and return them (times in s and ms, memory in MiB)."""
    for site in sites:
        os.environ[env_var_name(site.name)] = site.secret
    config = AppConfig(sites=[profile(site) for site in sites])
    app = ChannelsApp(config=config, fleet=True)
    before = status_mib("VmRSS")
    started = time.perf_counter()
    cpu_started = time.process_time()
    async with app.run_test(size=SIZE) as pilot:
        screen = next(s for s in app.screen_stack if isinstance(s, MainScreen))
        table = screen.table
        while screen.fleet is None or screen.fleet.pending_sites() or table.total_count < total:
            await pilot.pause(0.01)
        await table.wait_for_refresh()
        loaded = time.perf_counter() - started
        loaded_cpu = time.process_time() - cpu_started
        await pilot.pause(0.5)
        rss = status_mib("VmRSS")
        print(f"{len(sites)} sites, {table.total_count:,} channels")
        print(
            f"load (app start to every row painted): {loaded:.2f} s, {loaded_cpu:.2f} s of the app's CPU"
            "   (goal < 5 s)"
        )

        frames = count_frames(app)
        await pilot.press("slash")
        keystrokes: list[float] = []
        keystroke_frames: list[int] = []
        keystrokes_cpu: list[float] = []
        text = ""
        for key in TYPED * 2:
            text = typed(text, key)
            start, cpu_start = time.perf_counter(), time.process_time()
            painted = len(frames)
            app.post_message(events.Key(key, CHARACTERS.get(key, key)))
            while table.view_state.search != text:
                await asyncio.sleep(0)
            await table.wait_for_refresh()
            keystrokes.append((time.perf_counter() - start) * 1000)
            keystrokes_cpu.append((time.process_time() - cpu_start) * 1000)
            keystroke_frames.append(len(frames) - painted)
        print(
            f"filter keystroke through the search box, n={len(keystrokes)}: "
            f"p50 {percentile(keystrokes, 50):.1f} ms, p95 {percentile(keystrokes, 95):.1f} ms   (goal p95 < 30 ms); "
            f"the app's CPU per keystroke p50 {percentile(keystrokes_cpu, 50):.1f} ms, "
            f"p95 {percentile(keystrokes_cpu, 95):.1f} ms; {several(keystroke_frames)}"
        )
        paced: list[float] = []
        paced_frames: list[int] = []
        for key in TYPED:
            text = typed(text, key)
            await asyncio.sleep(PACE_S)
            start = time.perf_counter()
            painted = len(frames)
            app.post_message(events.Key(key, CHARACTERS.get(key, key)))
            while table.view_state.search != text:
                await asyncio.sleep(0)
            await table.wait_for_refresh()
            paced.append((time.perf_counter() - start) * 1000)
            paced_frames.append(len(frames) - painted)
        print(
            f"the same keys a key every {PACE_S * 1000:.0f} ms after the repaint, n={len(paced)}: "
            f"p50 {percentile(paced, 50):.1f} ms, p95 {percentile(paced, 95):.1f} ms; {several(paced_frames)}"
        )

        sorts: list[float] = []
        for column, descending in SORTS:
            start = time.perf_counter()
            screen.sort_by(column, descending)
            await table.wait_for_refresh()
            sorts.append((time.perf_counter() - start) * 1000)
        print(
            f"sort over every row, n={len(sorts)}: p50 {percentile(sorts, 50):.1f} ms, "
            f"p95 {percentile(sorts, 95):.1f} ms, slowest {max(sorts):.1f} ms (a column's first sort)"
        )
        print(
            f"resident memory: {rss:.0f} MiB after the load (+{rss - before:.0f} MiB for the fleet), "
            f"peak {status_mib('VmHWM'):.0f} MiB   (goal < 400 MB)"
        )
    return {
        "load s": loaded,
        "load CPU s": loaded_cpu,
        "keystroke p50 ms": percentile(keystrokes, 50),
        "keystroke p95 ms": percentile(keystrokes, 95),
        "keystroke CPU p50 ms": percentile(keystrokes_cpu, 50),
        "keystroke CPU p95 ms": percentile(keystrokes_cpu, 95),
        "paced keystroke p50 ms": percentile(paced, 50),
        "paced keystroke p95 ms": percentile(paced, 95),
        "paced keys over 2+ frames": sum(1 for n in paced_frames if n > 1),
        "sort p50 ms": percentile(sorts, 50),
        "sort p95 ms": percentile(sorts, 95),
        "RSS after load MiB": rss,
        "RSS peak MiB": status_mib("VmHWM"),
    }


FIGURES = "figures: "
"""Prefix of the line a run started by `--against` prints its figures on, as JSON."""


def run_once(checkout: Path, served: Path, total: int) -> dict[str, float]:
    """One measuring run in a fresh process, importing the project from `checkout` and running in
    its own `.venv` when it has one (its dependencies may differ), else in this interpreter."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    own = checkout / ".venv" / "bin" / "python"
    python = str(own) if own.exists() else sys.executable
    command = [python, __file__, "--served", str(served), "--total", str(total)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the run on {checkout} failed:\n{done.stderr[-3000:]}")
    line = next(line for line in done.stdout.splitlines() if line.startswith(FIGURES))
    return json.loads(line.removeprefix(FIGURES))


def compare(other: Path, sites: list[ServedSite], total: int, rounds: int, folder: Path) -> None:
    """Measure this checkout and `other` alternately over the same gateways; print medians and ratios."""
    this = Path(__file__).resolve().parent.parent
    served = folder / "served.json"
    served.write_text(json.dumps([{**asdict(site), "kind": site.kind.value} for site in sites]))
    runs: dict[str, list[dict[str, float]]] = {"this": [], "other": []}
    for checkout in (this, other):  # a first run compiles the checkout's and its venv's modules
        run_once(checkout, served, total)
        print(f"warm-up run of {checkout} done (not counted)")
    for number in range(rounds):
        order = [("this", this), ("other", other)]
        for label, checkout in order if number % 2 == 0 else reversed(order):
            figures = run_once(checkout, served, total)
            runs[label].append(figures)
            shown = ", ".join(f"{name} {value:.1f}" for name, value in figures.items())
            print(f"round {number + 1}, {label}: {shown}   (load average {os.getloadavg()[0]:.1f})")
    print(f"\nmedians of {rounds} runs each: this checkout ({this}) and the other ({other})")
    print(f"{'measure':<24} {'this':>9} {'other':>9} {'this/other':>11}")
    for name in runs["this"][0]:
        mine = statistics.median(run[name] for run in runs["this"])
        theirs = statistics.median(run[name] for run in runs["other"])
        print(f"{name:<24} {mine:>9.1f} {theirs:>9.1f} {mine / theirs:>10.2f}x")


def isolate(stack: ExitStack) -> Path:
    """A throw-away config and data folder for this process (removed when `stack` closes)."""
    folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tui-channels-bench-")))
    os.environ["TUI_CHANNELS_CONFIG_DIR"] = str(folder / "config")
    os.environ["TUI_CHANNELS_DATA_DIR"] = str(folder / "data")
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=20)
    parser.add_argument("--channels", type=int, default=5000, help="channels per site")
    parser.add_argument(
        "--against", type=Path, metavar="CHECKOUT", help="another checkout to measure alternately, for ratios"
    )
    parser.add_argument("--rounds", type=int, default=3, help="runs of each checkout with --against")
    parser.add_argument("--served", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--total", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.served is not None:
        served = [ServedSite(**{**site, "kind": BackendKind(site["kind"])}) for site in json.loads(args.served.read_text())]
        with ExitStack() as stack:
            isolate(stack)
            print(FIGURES + json.dumps(asyncio.run(measure(served, args.total))))
        return
    names = [f"fleet-{number:02d}" for number in range(1, args.sites + 1)]
    with ExitStack() as stack:
        folder = isolate(stack)
        started = time.perf_counter()
        shares = [names[i::PROCESSES] for i in range(PROCESSES)]
        processes = [stack.enter_context(GatewayProcess(plan(share, args.channels))) for share in shares]
        sites = [site for process in processes for site in process.sites]
        print(
            f"gateways: {PROCESSES} processes (pids {', '.join(str(p.pid) for p in processes)}), "
            f"seeded in {time.perf_counter() - started:.1f} s; the app runs in pid {os.getpid()}"
        )
        if args.against is not None:
            compare(args.against.resolve(), sites, args.sites * args.channels, args.rounds, folder)
        else:
            asyncio.run(measure(sites, args.sites * args.channels))


if __name__ == "__main__":
    main()
