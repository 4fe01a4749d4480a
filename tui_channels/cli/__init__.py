"""Command line: `tui-channels` opens the app; subcommands manage sites, list channels and run batches.

Only argparse is imported up front. Each command imports what it needs when it runs (the app and
Textual only when the app opens), so `--help` and the plain commands start fast.

Exit codes: 0 success, 1 the operation failed (a `ChannelsError`, shown as one line), 2 usage error,
130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .. import __version__
from ..backends.registry import FAMILIES
from ..errors import ChannelsError
from . import tags, transfer
from .common import id_list

KINDS = tuple(kind.value for kind in FAMILIES)


class UsageError(Exception):
    """A command line that parses but makes no sense; reported like argparse's own errors."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tui-channels",
        description="Administer the channels of New API / One API and Octopus gateways.",
        epilog="Without a command, opens the app on the last used site.",
    )
    parser.set_defaults(group=None, parser=parser)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--site", dest="open_site", metavar="NAME", help="open the app on this site")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="run against the embedded demo gateway with two seeded sites (New API and Octopus); "
        "works with the commands below too",
    )
    parser.add_argument(
        "--channels", type=_positive_int, metavar="N", help="with --demo: channels on the New API demo site"
    )
    groups = parser.add_subparsers(title="commands", metavar="COMMAND")
    _add_sites_commands(groups)
    _add_channels_commands(groups)
    transfer.add_keys_commands(groups)
    tags.add_tags_commands(groups)
    return parser


def _add_sites_commands(groups: argparse._SubParsersAction) -> None:
    sites = groups.add_parser("sites", help="list, add, remove and verify gateway sites")
    actions = sites.add_subparsers(title="actions", metavar="ACTION", required=True)

    listing = actions.add_parser("list", help="show the configured sites and where their secrets are")
    listing.set_defaults(group="sites", action="list", parser=listing)

    add = actions.add_parser(
        "add",
        help="add a site and store its secret",
        description=f"Add a site. The secret ({_secret_names()}) is read from a hidden prompt, or from "
        "one line of standard input with --secret-stdin; it is stored in the system keyring, never in "
        "the config file or on the command line.",
    )
    add.set_defaults(group="sites", action="add", parser=add)
    add.add_argument("name", help="a unique name for the site")
    add.add_argument("--kind", required=True, choices=KINDS, help="backend family")
    add.add_argument("--url", required=True, help="base URL, e.g. https://gateway.example.com")
    login = add.add_mutually_exclusive_group()
    login.add_argument("--user-id", type=_positive_int, metavar="ID", help="New API: the admin's numeric user id")
    login.add_argument("--username", metavar="USER", help="Octopus: the admin user name")
    add.add_argument("--no-verify-tls", action="store_true", help="accept any TLS certificate (test servers only)")
    add.add_argument("--timeout", type=float, metavar="SECONDS", help="per-request timeout")
    add.add_argument(
        "--flavor",
        default="auto",
        help="pin the protocol flavor instead of detecting it "
        f"({_pinnable_flavors()})",
    )
    add.add_argument("--secret-stdin", action="store_true", help="read the secret from one line of standard input")

    remove = actions.add_parser("remove", help="remove a site and its stored secret")
    remove.set_defaults(group="sites", action="remove", parser=remove)
    remove.add_argument("name")

    verify = actions.add_parser(
        "verify", help="check that a site is reachable, which backend it runs, and that its credentials work"
    )
    verify.set_defaults(group="sites", action="verify", parser=verify)
    verify.add_argument("name")

    set_secret = actions.add_parser("set-secret", help="replace a site's stored secret (e.g. a rotated token)")
    set_secret.set_defaults(group="sites", action="set-secret", parser=set_secret)
    set_secret.add_argument("name")
    set_secret.add_argument(
        "--secret-stdin", action="store_true", help="read the secret from one line of standard input"
    )


def _secret_names() -> str:
    return " or ".join(f"{family.label} {family.secret}" for family in FAMILIES.values())


def _pinnable_flavors() -> str:
    return "; ".join(
        f"{kind.value}: {', '.join(f for f in family.flavors if f != 'auto')}" for kind, family in FAMILIES.items()
    )


def _add_channels_commands(groups: argparse._SubParsersAction) -> None:
    channels = groups.add_parser("channels", help="list a site's channels; test, sync and refresh them in bulk")
    actions = channels.add_subparsers(title="actions", metavar="ACTION", required=True)
    listing = actions.add_parser(
        "list",
        help="print every channel of a site, optionally filtered",
        description="Load every channel of a site and print a table, or JSON with --json. "
        "Keys are always masked.",
    )
    listing.set_defaults(group="channels", action="list", parser=listing)
    listing.add_argument("--site", required=True, metavar="NAME", help="the site to read")
    listing.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    listing.add_argument(
        "--search", metavar="KEYWORD", help="keep channels whose name or base URL contains it, or whose id it is"
    )
    listing.add_argument(
        "--status", choices=("enabled", "disabled"), help="disabled covers manually and automatically disabled"
    )
    for action, summary in BATCH_COMMANDS.items():
        _add_batch_command(actions, action, summary)
    transfer.add_channel_transfer_commands(actions)
    tags.add_fix_command(actions)


BATCH_COMMANDS = {
    "sync": "sync channels' models from their upstreams (a preview first; --dry-run stops there)",
    "test": "test channels' connectivity and record their response times",
    "balance": "refresh channels' upstream balances (New API family)",
}


def _add_batch_command(actions: argparse._SubParsersAction, action: str, summary: str) -> None:
    batch = actions.add_parser(
        action,
        help=summary,
        description=f"{summary[0].upper()}{summary[1:]}. Progress goes to standard error, a report per "
        "channel to standard output. Exit code 0 when no channel failed (skipped channels, left out on "
        "purpose, do not count), 1 otherwise, 2 for usage errors.",
    )
    batch.set_defaults(group="channels", action=action, parser=batch)
    batch.add_argument("--site", required=True, metavar="NAME", help="the site to work on")
    scope = batch.add_mutually_exclusive_group(required=True)
    scope.add_argument("--all", action="store_true", help="every channel of the site")
    scope.add_argument("--ids", type=id_list, metavar="1,2,3", help="these channel ids")
    scope.add_argument(
        "--search", metavar="KEYWORD", help="channels whose name or base URL contains it, or whose id it is"
    )
    batch.add_argument(
        "--dry-run",
        action="store_true",
        help="compute and print the preview, write nothing"
        if action == "sync"
        else "list the channels it would work on, send nothing to them",
    )
    batch.add_argument("--json", action="store_true", help="print a JSON list of per-channel results")
    batch.add_argument(
        "--concurrency", type=_positive_int, metavar="N", help="channels in flight at once (default: the site's)"
    )
    if action == "sync":
        batch.add_argument(
            "--keep-unlisted", action="store_true", help="keep models the upstream does not offer"
        )
    if action == "test":
        batch.add_argument("--model", metavar="NAME", help="test with this model instead of each channel's own")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    try:
        if args.channels is not None and not args.demo:
            raise UsageError("--channels only applies together with --demo")
        return _run(args)
    except UsageError as exc:
        args.parser.print_usage(sys.stderr)
        print(f"{args.parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    except ChannelsError as exc:
        print(f"error: {exc.title}: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _run(args: argparse.Namespace) -> int:
    if not args.demo:
        return _dispatch(args)
    from ..demo.session import DemoSession

    options = {} if args.channels is None else {"channels": args.channels}
    with DemoSession(**options):
        return _dispatch(args)


def _dispatch(args: argparse.Namespace) -> int:
    if args.group == "sites":
        from . import sites

        return sites.run(args)
    if args.group in ("keys", "transfer"):
        return transfer.run(args)
    if args.group == "tags":
        return tags.run(args)
    if args.group == "channels" and args.action in BATCH_COMMANDS:
        from . import batch

        return batch.run(args)
    if args.group == "channels":
        from . import channels

        return channels.run(args)
    return _open_app(args.open_site)


def _open_app(site: str | None) -> int:
    if site is not None:
        from ..config import load_config

        load_config().site(site)
    from ..app import run_app

    run_app(site=site)
    return 0
