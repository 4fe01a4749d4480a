"""Checks for what a person types that ends up in an HTTP request: base URLs, tokens, passwords.

A bad value must be refused where it is entered (the command line, a form, the config file, an
environment variable), with a message that says what is wrong, instead of being stored and then
failing every request with a misleading "cannot connect". Each check returns the cleaned value or
raises `ValueError` whose text completes the sentence "<the thing> …"; callers add the subject
and turn it into their own error. Messages about secrets never quote the secret.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import SplitResult, urlsplit

MAX_PORT = 65535


def check_url(value: str) -> str:
    """A gateway's base URL: http(s), a host, a port in 1–65535 if any; no trailing slash.

    Raises `ValueError` naming the part that is wrong.
    """
    value = value.strip().rstrip("/")
    parts = _address(value, "https://gateway.example.com")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not contain a user name or password; the secret is stored separately")
    if parts.query or parts.fragment or value.endswith(("?", "#")):
        raise ValueError("must not contain a query (?…) or a fragment (#…); give the gateway's root address")
    return value


def check_upstream_url(value: str) -> str:
    """A channel's upstream base URL: http(s), a host, a port in 1–65535 if any; any path.

    Looser than `check_url` (the gateway, not this app, sends to it, and some upstreams want a
    query), but a URL no request could reach is refused. Raises `ValueError` naming the part.
    """
    value = value.strip()
    _address(value, "https://api.example.com/v1")
    return value


def _address(value: str, example: str) -> SplitResult:
    """`value` split, once its scheme, host and port are known to be usable."""
    if any(char.isspace() or not char.isprintable() for char in value):
        raise ValueError("must not contain spaces, line breaks or control characters")
    try:
        parts = urlsplit(value)
    except ValueError:
        raise ValueError("has a host that is not a valid address (an unclosed [ ?)") from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"must be an http:// or https:// address, such as {example}")
    if not parts.hostname:
        raise ValueError("has no host name after the scheme")
    _check_port(parts.netloc)
    try:
        parts.hostname.encode("idna")
    except UnicodeError:
        raise ValueError(f"has a host name that is not a valid domain name ({parts.hostname})") from None
    return parts


def _check_port(netloc: str) -> None:
    host_port = netloc.rsplit("@", 1)[-1]
    port = host_port.rsplit("]", 1)[-1] if host_port.startswith("[") else host_port
    if ":" not in port:
        return
    digits = port.rsplit(":", 1)[1]
    if not digits:
        raise ValueError("has an empty port after ':'; remove the ':' or give a port number")
    if not digits.isascii() or not digits.isdigit():
        raise ValueError(f"has a port that is not a number ({digits!r})")
    if not 1 <= int(digits) <= MAX_PORT:
        raise ValueError(f"has port {int(digits)}, outside 1–{MAX_PORT}")


def check_secret(value: str, *, in_header: bool) -> str:
    """A token or password as typed, trimmed; refused when no server could receive it as meant.

    No line break or other control character (a paste that caught a second line), no invisible
    formatting character (a zero-width space from a web page), and when the secret travels in an
    HTTP header (`in_header`), ASCII only: headers cannot carry anything else. Raises `ValueError`
    with the position of the offending character, never the secret.
    """
    value = value.strip()
    if not value:
        raise ValueError("is empty")
    for position, char in enumerate(value, start=1):
        if char in "\r\n":
            raise ValueError(f"contains a line break (character {position}); enter it on one line")
        category = unicodedata.category(char)
        if category == "Cc":
            raise ValueError(f"contains a control character (character {position}); type it again")
        if category in ("Cf", "Zl", "Zp") or (category == "Zs" and char != " "):
            raise ValueError(
                f"contains an invisible character (U+{ord(char):04X}, character {position}), probably from a "
                "copied web page; type it again"
            )
        if in_header and not char.isascii():
            raise ValueError(
                f"contains a non-ASCII character (character {position}), which cannot be sent in an HTTP "
                "header; check that it was copied whole and unchanged"
            )
    return value


def check_name(value: str) -> str:
    """A channel, tag or group name as typed, trimmed; refused when it would not show as it is.

    No line break or other control character, and no invisible formatting character: a bidi
    override (U+202E turns the rest of a line around), a zero-width space or joiner, a byte-order
    mark. Raises `ValueError` with a one-line reason naming the character and its position.
    """
    value = value.strip()
    for position, char in enumerate(value, start=1):
        category = unicodedata.category(char)
        if char in "\r\n" or category in ("Zl", "Zp"):
            raise ValueError(f"contains a line break (character {position}); a name is one line")
        if category == "Cc":
            raise ValueError(f"contains a control character (U+{ord(char):04X}, character {position})")
        if category == "Cf":
            kind = "a text-direction control" if unicodedata.bidirectional(char) in _BIDI_CONTROLS else "an invisible character"
            raise ValueError(f"contains {kind} (U+{ord(char):04X}, character {position}); type the name without it")
    return value


_BIDI_CONTROLS = frozenset({"LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI"})
"""Bidirectional classes of the explicit direction controls (U+202A-202E, U+2066-2069)."""
