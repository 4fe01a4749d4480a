"""Command line: `tui-channels` opens the app; subcommands manage sites, list channels and run batches.

`parser.py` holds the grammar and `common.py` what the commands share; each command group runs
from its own module (`sites`, `channels`, `batch`, `transfer`, `tags`, `groups`, `server`,
`upstream`, `fleet`, `history`), imported only when one of its commands runs, and the app (with
Textual) only when it opens. So `--help` and the plain commands start fast.

Exit codes: 0 success, 1 the operation failed (a `ChannelsError`, shown as one line) or any channel
of a batch failed, 2 usage error (an unknown site name too, whichever command it was given to),
130 interrupted. An unexpected error (a bug) is one line too,
with status 1: never a traceback, whose local variables could show a secret.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ..errors import ChannelsError, ReadOnly, UnknownSite, describe
from .common import ReaderGone, UsageError, name_list
from .parser import build_parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code.

    A reader that stops early (`tui-channels channels list | head -1`) silences standard output or
    error for the rest of the run (`ReaderGone`); the command still finishes and exits with its own
    status, with no BrokenPipeError traceback.
    """
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = ReaderGone(sys.stdout), ReaderGone(sys.stderr)
    try:
        return _main(argv)
    finally:
        sys.stdout, sys.stderr = saved


def _main(argv: Sequence[str] | None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(demo="--demo" in argv)
    try:
        args = parser.parse_args(argv)
        settle_site(args)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    try:
        if args.channels is not None and not args.demo:
            raise UsageError("--channels only applies together with --demo")
        refuse_writes(args)
        return _run(args)
    except (UsageError, UnknownSite) as exc:
        print(f"{args.parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    except ChannelsError as exc:
        print(f"error: {exc.title}: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        title, message = describe(exc)
        print(f"error: {title}: {message}", file=sys.stderr)
        return 1


def settle_site(args: argparse.Namespace) -> None:
    """`--site NAME` given before the command means what it means after it: the site a one-site
    command works on, or for `fleet` its `--sites` (`A,B` names several; `all`: every site). A command that
    works on no named site refuses it, and a one-site command given none says `--site` is required
    (with the site names). Usage errors exit through `args.parser.error` (status 2)."""
    given = args.open_site
    if args.group is None:
        return
    command = args.parser.prog.removeprefix(f"{args.parser.prog.split()[0]} ")
    if hasattr(args, "site"):
        if given is not None and args.site is not None and given != args.site:
            args.parser.error(f"--site names two sites: {given} before the command, {args.site} after it")
        args.site = args.site or given
        if args.site is None and args.parser.get_default("site_required"):
            args.parser.error("the following arguments are required: --site")
    elif given is not None and hasattr(args, "sites"):
        from ..services.fleet import SITE_ALL

        if args.sites is not None:
            args.parser.error(f"{command} takes --sites A,B; --site {given} before it names a site as well")
        args.sites = None if given == SITE_ALL else _site_names(args, given)
    elif given is not None:
        args.parser.error(f"{command} takes no --site: leave out --site {given}")


def _site_names(args: argparse.Namespace, given: str) -> tuple[str, ...]:
    """`--site A,B` before `fleet`: the names `--sites A,B` would give."""
    try:
        return name_list(given)
    except argparse.ArgumentTypeError as exc:
        args.parser.error(f"--site: {exc}")


WRITING_COMMANDS = {
    ("batch", "sync"): "channels sync",
    ("fleet", "sync"): "fleet sync",
    ("transfer", "import"): "keys import",
    ("transfer", "restore"): "channels restore",
    ("tags", "enable"): "tags enable",
    ("tags", "disable"): "tags disable",
    ("tags", "edit"): "tags edit",
    ("tags", "fix"): "channels fix",
    ("groups", "restore"): "groups restore",
    ("server", "server-sync"): "channels server-sync",
    ("upstream", "check"): "channels upstream check",
    ("upstream", "apply"): "channels upstream apply",
    ("history", "undo"): "history undo",
}
"""(group, action) of every command that writes to a gateway, and how a user types it."""


def refuse_writes(args: argparse.Namespace) -> None:
    """Raise `ReadOnly` for a command that would write to a read-only site (`--read-only`, or the
    site's profile); a `--dry-run`, which writes nothing, passes."""
    action = getattr(args, "action", None) or getattr(args, "upstream_action", None)
    command = WRITING_COMMANDS.get((args.group, action))
    if command is None or getattr(args, "dry_run", False):
        return
    if args.read_only:
        raise ReadOnly(f"{command} writes to the gateway, and this run was started with --read-only.")
    site = getattr(args, "site", None)
    if site is None:
        return
    from ..config import load_config

    profile = next((p for p in load_config().sites if p.name == site), None)
    if profile is not None and profile.read_only:
        raise ReadOnly(f"{command} writes to the gateway, and {site} is marked read-only in its profile.")


def _run(args: argparse.Namespace) -> int:
    if not args.demo:
        return _dispatch(args)
    from ..demo.session import DemoSession, ended_by_signals

    options = {} if args.channels is None else {"channels": args.channels}
    with ended_by_signals(), DemoSession(**options):
        return _dispatch(args)


def _dispatch(args: argparse.Namespace) -> int:
    """Run the command in the module its `group` names; without a command, open the app."""
    if args.group == "sites":
        from . import sites

        return sites.run(args)
    if args.group == "channels":
        from . import channels

        return channels.run(args)
    if args.group == "batch":
        from . import batch

        return batch.run(args)
    if args.group == "transfer":
        from . import transfer

        return transfer.run(args)
    if args.group == "tags":
        from . import tags

        return tags.run(args)
    if args.group == "groups":
        from . import groups

        return groups.run(args)
    if args.group == "upstream":
        from . import upstream

        return upstream.run(args)
    if args.group == "trash":
        from . import trash

        return trash.run(args)
    if args.group == "server":
        from . import server

        return server.run(args)
    if args.group == "fleet":
        from . import fleet

        return fleet.run(args)
    if args.group == "history":
        from . import history

        return history.run(args)
    return _open_app(args.open_site, read_only=args.read_only)


def _open_app(site: str | None, *, read_only: bool) -> int:
    """Open the app; `--site all` opens the fleet view (every site at once)."""
    from ..config import load_config
    from ..services.fleet import SITE_ALL

    fleet = site == SITE_ALL
    if site is not None and not fleet:
        load_config().site(site)
    from ..app import run_app

    return run_app(site=None if fleet else site, fleet=fleet, read_only=read_only)
