"""The command line's grammar: every command, its options and its help text.

Only argparse and the backend registry (for the `--kind` choices and flavor names) are imported
here, so `--help` and argument errors come back fast. Each command's `group` default names the
module of this package that runs it; `parser` is the subparser, for usage errors.
"""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

from .. import __version__
from ..backends.registry import FAMILIES, supported_gateways
from ..demo.names import DEMO_SITES
from .common import STATUSES, id_list, name_list, positive_int, status_word

KINDS = tuple(kind.value for kind in FAMILIES)

BATCH_COMMANDS = {
    "sync": "sync channels' models from their upstreams (a preview first; --dry-run stops there)",
    "test": "test channels' connectivity and record their response times",
    "balance": "refresh channels' upstream balances (New API family, One Hub)",
}
"""`channels` actions that run a batch over a site's channels, and their one-line help."""

EXIT_RULE = (
    "Exit code 0 when every row was created or skipped as already present (with --dry-run: when no "
    "row is blocked), 1 when a row failed or was blocked, 2 for usage errors."
)
"""How `keys import` and `channels restore` end, for their help."""

EDIT_OPTIONS = {
    "new_tag": "rename the tag",
    "priority": "priority for every channel of the tag",
    "weight": "weight for every channel of the tag",
    "models": "comma-separated models (replaces each channel's list)",
    "groups": "comma-separated user groups",
    "model_mapping": "JSON object of model mappings",
    "param_override": "JSON object merged into request bodies",
    "header_override": "JSON object of upstream headers",
}
"""`tags edit` options: the field each sets, and its help."""


class SiteNamingParser(argparse.ArgumentParser):
    """argparse's parser, whose usage error is one line on standard error (argparse prints the
    usage first; `--help` still shows it whole), and whose usage error for a missing `--site`
    names the sites to choose from (`site_names`, set per `build_parser`; subcommands' parsers are
    of the same class).

    A one-site command's `--site` may come before the command too, so argparse does not require it
    (`cli.settle_site` does); a usage error for other missing arguments names a missing `--site`
    first all the same, as argparse would for a required option (`argv`: the command line parsed).
    """

    site_names: tuple[str, ...] = ()
    whose: str = ""
    argv: tuple[str, ...] = ()

    def parse_args(self, args=None, namespace=None):  # type: ignore[no-untyped-def, override]
        type(self).argv = tuple(sys.argv[1:] if args is None else args)
        return super().parse_args(args, namespace)

    def error(self, message: str) -> NoReturn:
        if self._misses_site() and "required" in message and "--site" not in message:
            missing = message.partition("required: ")[2] if message.startswith("the following") else ""
            message = f"the following arguments are required: --site{', ' + missing if missing else ''}"
        if self.site_names and "--site" in message and "required" in message:
            message += f" (the {self.whose}sites: {', '.join(self.site_names)})"
        self.exit(2, f"{self.prog}: error: {message}\n")

    def _misses_site(self) -> bool:
        given = any(arg == "--site" or arg.startswith("--site=") for arg in self.argv)
        return bool(self.get_default("site_required")) and not given


def build_parser(*, demo: bool = False) -> argparse.ArgumentParser:
    """The whole command line: `sites`, `channels`, `keys` and `tags` with their actions. With
    `demo` (the command line holds `--demo`), a missing `--site` is answered with the demo's sites."""
    names = {"site_names": DEMO_SITES, "whose": "demo's "} if demo else {}
    parser_class = type("Parser", (SiteNamingParser,), names)
    parser = parser_class(
        prog="tui-channels",
        description=f"Administer the channels of {supported_gateways()} gateways.",
        epilog="Without a command, opens the app on the last used site.",
    )
    parser.set_defaults(group=None, parser=parser)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--site",
        dest="open_site",
        metavar="NAME",
        help="open the app on this site (`all`: every site at once); before a command, the site it works on",
    )
    parser.add_argument(
        "--read-only",
        action="store_true",
        help="browse only: the app and the commands refuse everything that writes to a gateway "
        "(a site's profile can say read_only too)",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="run against the embedded demo gateway with one seeded site per backend (New API, Octopus, "
        "AxonHub, Claude Code Hub, Veloera, One Hub, Done Hub); works with the commands below too",
    )
    parser.add_argument(
        "--channels", type=positive_int, metavar="N", help="with --demo: channels on the New API demo site"
    )
    groups = parser.add_subparsers(title="commands", metavar="COMMAND")
    _add_sites_commands(groups)
    _add_channels_commands(groups)
    _add_keys_commands(groups)
    _add_tags_commands(groups)
    _add_groups_commands(groups)
    _add_fleet_commands(groups)
    _add_history_commands(groups)
    _add_trash_commands(groups)
    return parser


def _command(
    actions: argparse._SubParsersAction, name: str, group: str, action: str | None = None, **about: str
) -> argparse.ArgumentParser:
    """A subcommand whose `group` module runs `action` (default: its name); `about` is help and description."""
    command = actions.add_parser(name, **about)
    command.set_defaults(group=group, action=action or name, parser=command)
    return command


def _site_option(parser: argparse.ArgumentParser, help: str | None = None) -> None:
    """A required `--site`, which may also come before the command (`tui-channels --site a channels
    list`); so argparse does not require it itself: `cli.settle_site` does, with `site_required`."""
    parser.add_argument("--site", metavar="NAME", help=f"{help or 'the site'} (required)")
    parser.set_defaults(site_required=True)


def _status_option(parser: argparse.ArgumentParser) -> None:
    """`--status`, with the choices of the app's status filter, on every listing."""
    parser.add_argument(
        "--status",
        type=status_word,
        choices=STATUSES,
        help="the status --json prints (enabled, manually_disabled, auto_disabled: the gateway turned it off), "
        "or disabled for both kinds; auto-disabled is taken for auto_disabled",
    )


def _json_option(parser: argparse.ArgumentParser, help: str = "print JSON instead of a table") -> None:
    parser.add_argument("--json", action="store_true", help=help)


def _dry_run_option(parser: argparse.ArgumentParser, help: str) -> None:
    parser.add_argument("--dry-run", action="store_true", help=help)


def _add_sites_commands(groups: argparse._SubParsersAction) -> None:
    sites = groups.add_parser("sites", help="list, add, remove and verify gateway sites")
    actions = sites.add_subparsers(title="actions", metavar="ACTION", required=True)

    _command(actions, "list", "sites", help="show the configured sites and where their secrets are")

    add = _command(
        actions,
        "add",
        "sites",
        help="add a site and store its secret",
        description=f"Add a site. The secret ({_secret_names()}) is read from a hidden prompt, or from "
        "one line of standard input with --secret-stdin; it is stored in the system keyring, never in "
        "the config file or on the command line.",
    )
    add.add_argument("name", help="a unique name for the site")
    add.add_argument("--kind", required=True, choices=KINDS, help="backend family")
    add.add_argument("--url", required=True, help="base URL, e.g. https://gateway.example.com")
    login = add.add_mutually_exclusive_group()
    login.add_argument("--user-id", type=positive_int, metavar="ID", help="New API: the admin's numeric user id")
    login.add_argument("--username", metavar="USER", help="Octopus: the admin user name")
    login.add_argument("--email", metavar="EMAIL", help="AxonHub: the admin's sign-in email address")
    add.add_argument("--no-verify-tls", action="store_true", help="accept any TLS certificate (test servers only)")
    add.add_argument(
        "--timeout", type=float, metavar="SECONDS", help="seconds a whole request may take, answer included (default 15)"
    )
    add.add_argument(
        "--read-only",
        dest="site_read_only",
        action="store_true",
        help="browse only: the app and the commands refuse everything that writes to this site",
    )
    add.add_argument(
        "--flavor",
        default="auto",
        help="pin the protocol flavor instead of detecting it "
        f"({_pinnable_flavors()})",
    )
    add.add_argument("--secret-stdin", action="store_true", help="read the secret from one line of standard input")

    remove = _command(actions, "remove", "sites", help="remove a site and its stored secret")
    remove.add_argument("name")

    verify = _command(
        actions,
        "verify",
        "sites",
        help="check that a site is reachable, which backend it runs, and that its credentials work",
    )
    verify.add_argument("name")

    set_secret = _command(actions, "set-secret", "sites", help="replace a site's stored secret (e.g. a rotated token)")
    set_secret.add_argument("name")
    set_secret.add_argument(
        "--secret-stdin", action="store_true", help="read the secret from one line of standard input"
    )


def _secret_names() -> str:
    return " or ".join(f"{family.label} {family.secret}" for family in FAMILIES.values())


def _pinnable_flavors() -> str:
    return "; ".join(
        f"{kind.value}: {', '.join(f for f in family.flavors if f != 'auto')}"
        for kind, family in FAMILIES.items()
        if len(family.flavors) > 1
    )


def _add_channels_commands(groups: argparse._SubParsersAction) -> None:
    channels = groups.add_parser("channels", help="list a site's channels; test, sync and refresh them in bulk")
    actions = channels.add_subparsers(title="actions", metavar="ACTION", required=True)
    listing = _command(
        actions,
        "list",
        "channels",
        help="print every channel of a site, optionally filtered",
        description="Load every channel of a site and print a table, or JSON with --json. "
        "Keys are always masked.",
    )
    _site_option(listing, "the site to read")
    _json_option(listing, "print a JSON list instead of a table")
    listing.add_argument(
        "--search", metavar="KEYWORD", help="keep channels whose name or base URL contains it, or whose id it is"
    )
    _status_option(listing)
    for action, summary in BATCH_COMMANDS.items():
        _add_batch_command(actions, action, summary)
    _add_channel_transfer_commands(actions)
    _add_fix_command(actions)
    _add_server_sync_command(actions)
    _add_upstream_commands(actions)


def _add_batch_command(actions: argparse._SubParsersAction, action: str, summary: str) -> None:
    batch = _command(
        actions,
        action,
        "batch",
        help=summary,
        description=f"{summary[0].upper()}{summary[1:]}. Progress goes to standard error, a report per "
        "channel to standard output. Exit code 0 when no channel failed (skipped channels, left out on "
        "purpose, do not count), 1 otherwise, 2 for usage errors.",
    )
    _site_option(batch, "the site to work on")
    scope = batch.add_mutually_exclusive_group(required=True)
    scope.add_argument("--all", action="store_true", help="every channel of the site")
    scope.add_argument("--ids", type=id_list, metavar="1,2,3", help="these channel ids")
    scope.add_argument(
        "--search", metavar="KEYWORD", help="channels whose name or base URL contains it, or whose id it is"
    )
    _add_batch_options(
        batch,
        action,
        json_help="print a JSON list of per-channel results",
        concurrency_help="channels in flight at once (default: the site's)",
    )


def _add_batch_options(parser: argparse.ArgumentParser, action: str, *, json_help: str, concurrency_help: str) -> None:
    """What a batch takes after its scope, on one site or on the fleet."""
    _dry_run_option(
        parser,
        "compute and print the preview, write nothing"
        if action == "sync"
        else "list the channels it would work on, send nothing to them",
    )
    _json_option(parser, json_help)
    parser.add_argument("--concurrency", type=positive_int, metavar="N", help=concurrency_help)
    if action == "sync":
        parser.add_argument("--keep-unlisted", action="store_true", help="keep models the upstream does not offer")
    if action == "test":
        parser.add_argument("--model", metavar="NAME", help="test with this model instead of each channel's own")


FLEET_EXIT_RULE = (
    "Exit code 0 when every site answered and no channel failed (skipped channels, left out on "
    "purpose or on a server without the operation, do not count), 1 otherwise, 2 for usage errors."
)


def _add_fleet_commands(groups: argparse._SubParsersAction) -> None:
    fleet = groups.add_parser(
        "fleet",
        help="every site at once: batches across sites, health, where a URL, model or key is",
        description="Work on every configured site at once (or on those --sites names). Sites load "
        "together; a site that does not answer is reported and the others go on.",
    )
    actions = fleet.add_subparsers(title="actions", metavar="ACTION", required=True)
    for action, summary in BATCH_COMMANDS.items():
        batch = _command(
            actions,
            action,
            "fleet",
            help=f"{summary}, on every site at once",
            description=f"{summary[0].upper()}{summary[1:]}, on every site at once: each site under its "
            "own concurrency and request budget. Progress (per site) goes to standard error, a report "
            "grouped by site to standard output. " + FLEET_EXIT_RULE,
        )
        _add_sites_option(batch)
        scope = batch.add_mutually_exclusive_group(required=True)
        scope.add_argument("--all", action="store_true", help="every channel of every site")
        scope.add_argument(
            "--search", metavar="KEYWORD", help="channels whose name or base URL contains it, or whose id it is"
        )
        _add_batch_options(
            batch,
            action,
            json_help="print JSON: each site's outcome and every result",
            concurrency_help="channels in flight per site (default: each site's)",
        )

    listing = _command(
        actions,
        "list",
        "fleet",
        help="every channel of every site, with its site",
        description="Load every site at once and print its channels (keys masked), by site name, then by id. "
        + FLEET_EXIT_RULE,
    )
    _add_sites_option(listing)
    _json_option(listing)
    listing.add_argument(
        "--search", metavar="KEYWORD", help="keep channels whose name or base URL contains it, or whose id it is"
    )
    _status_option(listing)

    health = _command(
        actions,
        "health",
        "fleet",
        help="what needs attention across the fleet",
        description="Auto-disabled channels, channels whose last test failed, slow channels, low "
        "balances, channels without models, one upstream (base URL and key) serving on several "
        "sites, and sites that do not answer. Thresholds are the [health] settings of config.toml. "
        "Exit code 0 when nothing needs attention, 1 when something does, 2 for usage errors.",
    )
    _add_sites_option(health)
    _json_option(health)
    health.add_argument(
        "--slow-ms", type=positive_int, metavar="MS", help="slow above this response time (default: [health] slow_ms)"
    )
    health.add_argument(
        "--low-balance", type=float, metavar="USD", help="low under this balance (default: [health] low_balance)"
    )

    find = _command(
        actions,
        "find",
        "fleet",
        help="every channel on every site that has a base URL, a model or an upstream key",
        description="Type a base URL (or part of one), a model name or an upstream key once; see every "
        "channel of every site that has it. Keys are matched where a server returns them (Octopus, "
        "AxonHub) and through the key library; New API never returns keys, and the report says so. "
        "Exit code 0 when something was found, 1 when nothing was, 2 for usage errors.",
    )
    find.add_argument(
        "text", help="a base URL, a model name or an upstream key; - reads it from standard input (keep keys out of shell history)"
    )
    _add_sites_option(find)
    _json_option(find)


def _add_sites_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sites", type=name_list, metavar="A,B", help="only these sites (default: every configured site)"
    )


def _add_keys_commands(groups: argparse._SubParsersAction) -> None:
    keys = groups.add_parser("keys", help="import upstream keys as channels")
    actions = keys.add_subparsers(title="actions", metavar="ACTION", required=True)
    importing = _command(
        actions,
        "import",
        "transfer",
        help="turn the keys of a file into OpenAI-compatible channels of a site",
        description="Read keys from a file (CSV name,base_url,key[,source]; a JSON list of objects "
        "with those fields; or one key per line with --base-url), fetch each key's models from its "
        "upstream through the site, and create one channel per key named "
        "'<source> | <key name> (auto)'. A key already on the site (same name, or same base URL and "
        "key where the site returns keys) is skipped. " + EXIT_RULE,
    )
    _site_option(importing, "the site to create channels on")
    importing.add_argument("--file", required=True, metavar="F", help="the key file")
    importing.add_argument("--base-url", metavar="URL", help="base URL for keys listed without one")
    importing.add_argument("--source", metavar="NAME", help="source site name for keys listed without one")
    importing.add_argument("--groups", metavar="G1,G2", help="New API: user groups of the new channels")
    _add_plan_options(importing)


def _add_channel_transfer_commands(actions: argparse._SubParsersAction) -> None:
    exporting = _command(
        actions,
        "export",
        "transfer",
        help="write channels of a site to a JSON file",
        description="Write the chosen channels (their server records plus neutral fields) to a JSON "
        "file. Keys and every other secret (header values, proxy passwords, credentials in settings) are left "
        "out unless --with-keys; Octopus and AxonHub return keys, Claude Code Hub reveals them on request, New "
        "API never returns them.",
    )
    _site_option(exporting, "the site to read")
    scope = exporting.add_mutually_exclusive_group(required=True)
    scope.add_argument("--all", action="store_true", help="every channel of the site")
    scope.add_argument("--ids", type=id_list, nargs="+", metavar="1,2,3", help="these channel ids")
    exporting.add_argument("--out", required=True, metavar="F", help="the file to write")
    exporting.add_argument(
        "--with-keys",
        action="store_true",
        help="a full backup: include keys where the server returns them, header values, proxy passwords "
        "and other secrets (plain text!)",
    )

    restoring = _command(
        actions,
        "restore",
        "transfer",
        help="recreate the channels of an export file, or of the delete trash, on a site",
        description="Map the channels of an export file (or of the delete trash, with --trash) to the "
        "site (any backend), show what cannot be carried, and create them. Channels whose key the "
        "file lacks (New API never returns keys) are blocked. " + EXIT_RULE,
    )
    _site_option(restoring, "the site to create channels on")
    source = restoring.add_mutually_exclusive_group(required=True)
    source.add_argument("--file", metavar="F", help="an export file")
    source.add_argument(
        "--trash", action="store_true", help="channels deleted from the site, from the local delete trash"
    )
    restoring.add_argument(
        "--deleted-from", metavar="SITE", help="with --trash: channels deleted from this other site instead"
    )
    restoring.add_argument(
        "--ids", type=id_list, nargs="+", metavar="1,2,3", help="with --trash: only these (former) channel ids"
    )
    _add_plan_options(restoring)


def _add_plan_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--include-present", action="store_true", help="create rows already present too")
    _dry_run_option(parser, "print the preview and create nothing")
    _json_option(parser, "print JSON instead of tables")


def _add_tags_commands(groups: argparse._SubParsersAction) -> None:
    tags = groups.add_parser("tags", help="list channel tags, enable, disable or edit a tag (New API, One Hub)")
    actions = tags.add_subparsers(title="actions", metavar="ACTION", required=True)
    listing = _command(actions, "list", "tags", help="every tag with its channel counts (untagged channels too)")
    _site_option(listing)
    _json_option(listing)
    for action, summary in (("enable", "enable every channel of a tag"), ("disable", "disable every channel of a tag")):
        command = _command(actions, action, "tags", help=summary)
        command.add_argument("tag")
        _site_option(command)
        if action == "enable":
            command.add_argument(
                "--skip-auto-disabled",
                action="store_true",
                help="leave the channels the gateway auto-disabled (their upstream failed) as they are; "
                "the others are enabled one by one",
            )
    edit = _command(
        actions,
        "edit",
        "tags",
        help="change fields of every channel of a tag",
        description="Fields left out stay as they are.",
    )
    edit.add_argument("tag")
    _site_option(edit)
    for field, summary in EDIT_OPTIONS.items():
        edit.add_argument(f"--{field.replace('_', '-')}", dest=field, metavar="VALUE", help=summary)


def _add_history_commands(groups: argparse._SubParsersAction) -> None:
    history = groups.add_parser(
        "history",
        help="list the changes this tool made to your sites, and undo one",
        description="Every write the app and these commands send (create, edit, status, delete, tag, sync, "
        "import, restore, undo) is journalled per site in the data folder, with the values before and "
        "after (never a secret). Without an action: list them, oldest first.",
    )
    history.set_defaults(group="history", action="list", parser=history)
    history.add_argument("--site", metavar="NAME", help="only this site's changes (default: every site's)")
    history.add_argument("--channel", metavar="ID", help="only changes to this channel (id, or exact name)")
    history.add_argument(
        "--since", metavar="WHEN", help="only changes since: 30m, 12h, 7d, 2w, or a UTC date or time"
    )
    history.add_argument(
        "--op",
        metavar="OP",
        help="only this operation or action: create, edit, status, delete, tag, sync, import, restore, undo…",
    )
    history.add_argument("--batch", metavar="ID", help="only the entries of this batch (a bulk action, an import)")
    history.add_argument("--limit", type=positive_int, metavar="N", help="only the newest N")
    _json_option(history, "print the entries as JSON")
    actions = history.add_subparsers(title="actions", metavar="ACTION")
    undo = _command(
        actions,
        "undo",
        "history",
        help="put back the values from before a change",
        description="Read the channels again and, if the server still holds the values the change left, "
        "send the values from before it (a delete is undone by creating the channels again from the "
        "trash; a create by deleting the channel, to the trash first, which needs --yes or a typed y). "
        "Refused, with the reason, when the channel changed since, is gone, or the change cannot be "
        "undone (a secret, the server's own sync, maintenance). The undo is journalled too. Exit code "
        "0 when every channel was put back, 1 when it was refused or a channel failed, 2 for usage "
        "errors, 3 when all went through but a key could not be restored, 4 when --batch left an "
        "entry or a site of the batch alone.",
    )
    undo.add_argument("entry", type=positive_int, metavar="ENTRY_ID", help="the entry's id (per site)")
    _site_option(undo, "the site the entry belongs to")
    undo.add_argument("--yes", action="store_true", help="confirm an undo that deletes channels")
    undo.add_argument(
        "--batch",
        action="store_true",
        help="undo every entry of the entry's batch that can be, on every site the batch reached "
        "(newest first; deletes are left to their own undo)",
    )
    _json_option(undo, "print the results as JSON")


def _add_server_sync_command(actions: argparse._SubParsersAction) -> None:
    server_sync = _command(
        actions,
        "server-sync",
        "server",
        help="run the server's own model sync of its auto-sync channels (Octopus) and report the changes",
        description="Ask the server to sync the models of every channel with auto sync on, wait for it to "
        "finish, and print what changed per channel (from the channel list before and after). Exit code 0 "
        "when every channel synced, 1 when the server reported a failure or the sync could not run.",
    )
    _site_option(server_sync, "the site to sync")
    _json_option(server_sync)


def _add_trash_commands(groups: argparse._SubParsersAction) -> None:
    commands = groups.add_parser("trash", help="list or purge the local trash of deleted channels")
    actions = commands.add_subparsers(title="actions", metavar="ACTION", required=True)
    listing = _command(
        actions,
        "list",
        "trash",
        help="the deleted channels, newest first (restored ones with --all)",
        description="One row per deleted channel: when, from which site, its id and name, and where it "
        "was restored. Restored channels are left out unless --all: a restore is offered once.",
    )
    listing.add_argument("--all", action="store_true", help="restored channels too")
    _json_option(listing)
    purge = _command(
        actions,
        "purge",
        "trash",
        help="remove old or restored records from the trash",
        description="Remove the records of channels deleted more than DAYS days ago (--older-than), and "
        "those already restored (--restored); at least one of the two. Prints how many went.",
    )
    purge.add_argument("--older-than", type=positive_int, metavar="DAYS", help="deleted more than DAYS days ago")
    purge.add_argument("--restored", action="store_true", help="already restored")


def _add_groups_commands(groups: argparse._SubParsersAction) -> None:
    commands = groups.add_parser("groups", help="list, export and restore an Octopus site's groups")
    actions = commands.add_subparsers(title="actions", metavar="ACTION", required=True)
    listing = _command(
        actions,
        "list",
        "groups",
        help="every group with its mode, members and timeout",
        description="One row per group (JSON with every member with --json); a group that serves no enabled "
        "channel is marked 'routes nowhere'.",
    )
    _site_option(listing)
    _json_option(listing)
    exporting = _command(
        actions,
        "export",
        "groups",
        help="every member of every group, or the groups file",
        description="Without --json, one row per member; with --json (or --out) the groups file, each member "
        "with its channel's name, which `groups restore --file` maps back by name on any Octopus site.",
    )
    _site_option(exporting)
    _json_option(exporting, "print the groups file as JSON")
    exporting.add_argument("--out", metavar="F", help="write the groups file to F instead of printing it")
    restoring = _command(
        actions,
        "restore",
        "groups",
        help="recreate groups from a groups file or the group trash",
        description="Map each group's members to the site's channels by channel name, print what could not "
        "be mapped or carried, and create the groups that are ready (a group whose name exists is skipped). "
        "Exit code 1 when a group is blocked or fails.",
    )
    _site_option(restoring)
    restoring.add_argument("--file", metavar="F", help="a file of `groups export --json`")
    restoring.add_argument("--trash", action="store_true", help="groups deleted from the site with this app")
    restoring.add_argument(
        "--deleted-from", metavar="SITE", help="with --trash: groups deleted from this other site instead"
    )
    restoring.add_argument(
        "--name", action="append", metavar="GROUP", help="with --trash: only this group (repeatable)"
    )
    _dry_run_option(restoring, "print the plan and create nothing")
    _json_option(restoring)


def _add_upstream_commands(actions: argparse._SubParsersAction) -> None:
    upstream = actions.add_parser(
        "upstream",
        help="the server's own upstream model findings (current New API): list, check, apply",
        description="Current New API checks the upstream of each watched channel itself and keeps the "
        "models it added and removed. Exit code 1 when the server lacks these routes or a channel failed.",
    )
    steps = upstream.add_subparsers(title="actions", metavar="ACTION", required=True)
    listing = steps.add_parser("list", help="watched channels and what the server found on them")
    check = steps.add_parser("check", help="ask the server to check upstreams now (--all: its background check)")
    apply = steps.add_parser("apply", help="apply what the server found (--all: its own apply-all)")
    for name, parser in (("list", listing), ("check", check), ("apply", apply)):
        parser.set_defaults(group="upstream", upstream_action=name, parser=parser)
        _site_option(parser)
        _json_option(parser)
    for parser in (check, apply):
        scope = parser.add_mutually_exclusive_group()
        scope.add_argument("--all", action="store_true", help="every channel the server watches")
        scope.add_argument("--ids", type=id_list, metavar="1,2,3", help="these channel ids")
        parser.set_defaults(search=None)
    apply.add_argument("--ignore-added", action="store_true", help="ignore the added models instead of adding them")
    _dry_run_option(apply, "print what would be applied, change nothing")


def _add_fix_command(actions: argparse._SubParsersAction) -> None:
    fix = _command(actions, "fix", "tags", help="rebuild the server's abilities table (New API)")
    _site_option(fix)
