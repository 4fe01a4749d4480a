"""`tui-channels sites ...`: manage site profiles and their secrets, and check that a site answers."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys

from ..backends.registry import FAMILIES, family_of
from ..config import SiteProfile, load_config, new_site, save_config
from ..errors import ChannelsError, ConfigError, InvalidSecret
from ..models import BackendKind
from ..secret_store import SecretLocation, SecretStore, env_var_name
from .common import UsageError, format_table

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
    """One row per site; ACCESS says read-only for a site its profile marks so (every site in a
    `--read-only` run), as the app's site switcher does."""
    config = load_config()
    if not config.sites:
        kinds = "|".join(kind.value for kind in FAMILIES)
        print(f"No sites yet; add one with `tui-channels sites add NAME --kind {kinds} --url URL ...`.")
        return 0
    store = SecretStore()
    rows = [
        (
            site.name,
            site.kind.value,
            site.url,
            _login_of(site),
            "yes" if site.verify_tls else "no",
            "read-only" if site.read_only or args.read_only else "read-write",
            _location_label(store.location(site.name)),
        )
        for site in config.sites
    ]
    print(format_table(("NAME", "KIND", "URL", "USER", "VERIFY TLS", "ACCESS", "SECRET"), rows))
    return 0


def _login_of(site: SiteProfile) -> object:
    """The admin account a site logs in as, or None for a family whose secret is enough."""
    field = family_of(site.kind).login_field
    return getattr(site, field) if field else None


def _location_label(location: SecretLocation | None) -> str:
    return location.value if location else "missing"


def add_site(args: argparse.Namespace) -> int:
    profile = _profile_from_args(args)
    config = load_config()
    config.add_site(profile)
    if config.last_site is None:
        config.last_site = profile.name
    secret = _read_secret(profile, from_stdin=args.secret_stdin)
    save_config(config)
    store = SecretStore()
    try:
        location = store.set(profile.name, secret)
    except ChannelsError:
        config.remove_site(profile.name)
        save_config(config)
        raise
    print(f'Added site "{profile.name}" ({family_of(profile.kind).server_label(profile.flavor)}, {profile.url}).')
    _report_secret(store, profile, location)
    return 0


def _profile_from_args(args: argparse.Namespace) -> SiteProfile:
    """The profile the options describe; the login option of another backend family is a usage error."""
    kind = BackendKind(args.kind)
    family = family_of(kind)
    login = family.login
    takes = f"takes {_option(login.field)}" if login is not None else f"needs only its {family.secret}"
    for other in FAMILIES.values():
        field = other.login_field
        if field is not None and field != family.login_field and getattr(args, field) is not None:
            raise UsageError(f"{_option(field)} is for {other.label} sites; {family.article} {family.label} site {takes}")
    if login is not None and getattr(args, login.field) is None:
        hint = f" ({login.hint})" if login.hint else ""
        raise UsageError(f"{_option(login.field)} is required with --kind {kind.value}{hint}")
    try:
        return new_site(
            name=args.name,
            kind=kind,
            url=args.url,
            user_id=args.user_id,
            username=args.username,
            email=args.email,
            verify_tls=not args.no_verify_tls,
            timeout=args.timeout,
            flavor=args.flavor,
            read_only=args.site_read_only,
        )
    except ConfigError as exc:
        raise UsageError(exc.message) from None


def _option(field: str) -> str:
    """The command-line option of a profile setting: `user_id` is `--user-id`."""
    return f"--{field.replace('_', '-')}"


def _read_secret(profile: SiteProfile, *, from_stdin: bool) -> str:
    """The secret from a hidden prompt or one line of stdin: never from argv, where `ps` would show it."""
    what = family_of(profile.kind).secret
    if from_stdin:
        secret = sys.stdin.readline().rstrip("\r\n")
    else:
        try:
            secret = getpass.getpass(f"{family_of(profile.kind).server_label(profile.flavor)} {what} for {profile.name}: ")
        except EOFError:
            secret = ""
    if not secret.strip():
        raise ChannelsError(f'no {what} was given for site "{profile.name}"; nothing was saved', title="No secret")
    try:
        return family_of(profile.kind).check_secret(secret)
    except InvalidSecret as error:
        raise InvalidSecret(f"{error.message} Nothing was saved.") from None


def _report_secret(store: SecretStore, profile: SiteProfile, location: SecretLocation) -> None:
    print(f"Its {family_of(profile.kind).secret} is stored in {PLACES[location]}.")
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
    from ..services.verify import verify_site as check_site

    profile = load_config().site(args.name)
    secret = SecretStore().require(profile.name)
    checks = asyncio.run(check_site(profile, secret))
    width = max(len(check.name) for check in checks)
    for check in checks:
        print(f"{check.mark} {check.name:<{width}}  {check.detail}")
    return 0 if all(check.ok for check in checks) else 1
