"""`tui-channels sites ...`: manage site profiles and their secrets, and check that a site answers."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys

from .cli import UsageError
from .cli_common import format_table
from .config import SiteProfile, load_config, new_site, save_config
from .errors import ChannelsError, ConfigError
from .models import BackendKind
from .secret_store import SecretLocation, SecretStore, env_var_name

SECRET_NAMES = {BackendKind.NEWAPI: "access token", BackendKind.OCTOPUS: "password"}
PLACES = {
    SecretLocation.KEYRING: "the system keyring",
    SecretLocation.FILE: "the plain-text secrets file",
    SecretLocation.ENV: "an environment variable",
}


def run(args: argparse.Namespace) -> int:
    actions = {
        "list": list_sites,
        "add": add_site,
        "remove": remove_site,
        "verify": verify_site,
        "set-secret": set_secret,
    }
    return actions[args.action](args)


def list_sites(args: argparse.Namespace) -> int:
    config = load_config()
    if not config.sites:
        print("No sites yet; add one with `tui-channels sites add NAME --kind newapi|octopus --url URL ...`.")
        return 0
    store = SecretStore()
    rows = [
        (
            site.name,
            site.kind.value,
            site.url,
            site.user_id if site.kind is BackendKind.NEWAPI else site.username,
            "yes" if site.verify_tls else "no",
            _location_label(store.location(site.name)),
        )
        for site in config.sites
    ]
    print(format_table(("NAME", "KIND", "URL", "USER", "VERIFY TLS", "SECRET"), rows))
    return 0


def _location_label(location: SecretLocation | None) -> str:
    return location.value if location else "missing"


def add_site(args: argparse.Namespace) -> int:
    profile = _profile_from_args(args)
    config = load_config()
    config.add_site(profile)
    if config.last_site is None:
        config.last_site = profile.name
    store = SecretStore()
    location = store.set(profile.name, _read_secret(profile, from_stdin=args.secret_stdin))
    try:
        save_config(config)
    except ConfigError:
        store.delete(profile.name)
        raise
    print(f'Added site "{profile.name}" ({profile.kind.label}, {profile.url}).')
    _report_secret(store, profile, location)
    return 0


def _profile_from_args(args: argparse.Namespace) -> SiteProfile:
    """The profile the options describe; options for the other backend family are usage errors."""
    kind = BackendKind(args.kind)
    if kind is BackendKind.NEWAPI:
        if args.username is not None:
            raise UsageError("--username is for Octopus sites; a New API site takes --user-id")
        if args.user_id is None:
            raise UsageError("--user-id is required with --kind newapi (the admin's numeric user id)")
    else:
        if args.user_id is not None:
            raise UsageError("--user-id is for New API sites; an Octopus site takes --username")
        if args.username is None:
            raise UsageError("--username is required with --kind octopus")
    try:
        return new_site(
            name=args.name,
            kind=kind,
            url=args.url,
            user_id=args.user_id,
            username=args.username,
            verify_tls=not args.no_verify_tls,
            timeout=args.timeout,
            flavor=args.flavor,
        )
    except ConfigError as exc:
        raise UsageError(exc.message) from None


def _read_secret(profile: SiteProfile, *, from_stdin: bool) -> str:
    """The secret from a hidden prompt or one line of stdin: never from argv, where `ps` would show it."""
    what = SECRET_NAMES[profile.kind]
    if from_stdin:
        secret = sys.stdin.readline().rstrip("\r\n")
    else:
        try:
            secret = getpass.getpass(f"{profile.kind.label} {what} for {profile.name}: ")
        except EOFError:
            secret = ""
    if not secret.strip():
        raise ChannelsError(f'no {what} was given for site "{profile.name}"; nothing was saved', title="No secret")
    return secret


def _report_secret(store: SecretStore, profile: SiteProfile, location: SecretLocation) -> None:
    print(f"Its {SECRET_NAMES[profile.kind]} is stored in {PLACES[location]}.")
    if location is SecretLocation.FILE:
        print(f"warning: {store.warning}", file=sys.stderr)
    variable = env_var_name(profile.name)
    if os.environ.get(variable, "").strip():
        print(f"note: {variable} is set and takes precedence over the stored secret", file=sys.stderr)


def set_secret(args: argparse.Namespace) -> int:
    profile = load_config().site(args.name)
    store = SecretStore()
    location = store.set(profile.name, _read_secret(profile, from_stdin=args.secret_stdin))
    _report_secret(store, profile, location)
    return 0


def remove_site(args: argparse.Namespace) -> int:
    config = load_config()
    config.remove_site(args.name)
    save_config(config)
    SecretStore().delete(args.name)
    print(f'Removed site "{args.name}" and its stored secret.')
    return 0


def verify_site(args: argparse.Namespace) -> int:
    """One line per check (reachable, backend, credentials); exit 1 when any of them failed."""
    from .services.verify import verify_site as check_site

    profile = load_config().site(args.name)
    secret = SecretStore().require(profile.name)
    checks = asyncio.run(check_site(profile, secret))
    width = max(len(check.name) for check in checks)
    for check in checks:
        print(f"{check.mark} {check.name:<{width}}  {check.detail}")
    return 0 if all(check.ok for check in checks) else 1
