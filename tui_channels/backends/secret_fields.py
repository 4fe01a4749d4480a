"""Where a family's channel records hold credentials, and those records with the credentials hidden.

Each family declares its `SecretFields` once (`BackendFamily.secrets`). Everything that shows or
writes a server record (the details screen, an export without keys, the CLI's JSON, copy and
restore previews) goes through `redact`, so a field added to a family's definition is hidden
everywhere at once. The rules, by what a field holds:

- `keys`: the whole value is a credential: a key, a newline key list, a JSON service account, an
  AxonHub `credentials` object (every text in it).
- `key_lists`: each entry's key in a list of key records (legacy Octopus `keys[].channel_key`).
- `headers`: every header's value, whatever the header is called (users put API keys in
  `X-Api-Key`, `X-Custom-Auth`, …); the names stay. A JSON object, its text, or a list of
  `{header_key, header_value}` entries (Octopus).
- `urls`: a URL's user information (a proxy's `http://user:password@host`): the password, or the
  user where it stands alone (a token as user name).
- `settings`: JSON objects or their text (New API `setting`/`settings`/`other`, One API `config`,
  One Hub `plugin`): entries named like a credential (`password`, `sk`, `ak`, `vertex_ai_adc`,
  `auth`, …) whole, URLs' user information, and any text the scrubber takes for a credential.

Anywhere else in a record, a URL's user information is hidden too (a base URL with a password).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..models import mask_secret
from ..redact import scrub

Hide = Callable[[str], str]
"""What a secret text becomes: masked like a key on screen (`masked`), or nothing in a file (`dropped`)."""

_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)([^/@\s:?#]*)(?::([^/@\s?#]*))?@")
_CREDENTIAL_NAME = re.compile(
    r"(?i)^(?:.*(?:key|secret|password|passwd|token|credential|cookie|authorization)s?|auth|pwd|sk|ak|adc"
    r"|vertex_ai_adc|json_?data|access_?key_?id)$"
)
_NOT_CREDENTIAL = re.compile(r"(?i)(?:type|mode|count|size|index|name|expires?(?:_?at)?|time|status|list)$")
"""Names the credential pattern catches that say something about a credential, never hold one
(`vertex_key_type`, `multi_key_mode`, `tokenType`)."""


SHORT_SECRET = 20
"""A secret shorter than this (a password, a short header value) is shown as dots alone: the
four first and last characters a key keeps would be half of it."""


def masked(value: str) -> str:
    """A secret as a screen or a report shows it: like a key, a short prefix and dots."""
    return mask_secret(value) if len(value.strip()) >= SHORT_SECRET else "•" * 8


def dropped(value: str) -> str:
    """A secret as a file without keys keeps it: nothing."""
    return ""


@dataclass(frozen=True, slots=True)
class SecretFields:
    """The fields of a family's channel records that hold credentials (see the module docstring)."""

    keys: tuple[str, ...] = ()
    key_lists: tuple[tuple[str, str], ...] = ()
    """(list field, the key's name in each entry)."""
    headers: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    settings: tuple[str, ...] = ()

    @property
    def key_fields(self) -> frozenset[str]:
        """The record fields that hold the channel's keys (a restore asks for these)."""
        return frozenset(self.keys) | {name for name, _ in self.key_lists}


@dataclass(frozen=True, slots=True)
class Redacted:
    """A record with its secrets hidden, and the record's fields that held one (in record order)."""

    record: dict[str, Any]
    withheld: tuple[str, ...]


def redact(secrets: SecretFields, record: Mapping[str, Any], hide: Hide = masked) -> Redacted:
    """A copy of `record` with every secret `secrets` names hidden by `hide`, and which fields held one."""
    clean: dict[str, Any] = {}
    withheld: list[str] = []
    key_lists = dict(secrets.key_lists)
    for name, value in record.items():
        if name in secrets.keys:
            new = _whole(value, hide)
        elif name in key_lists:
            new = _key_list(value, key_lists[name], hide)
        elif name in secrets.headers:
            new = _in_json_text(value, lambda v: _headers(v, hide))
        elif name in secrets.settings:
            new = _in_json_text(value, lambda v: _setting(v, hide))
        elif name in secrets.urls and isinstance(value, str):
            new = _url_field(value, hide)
        else:
            new = _urls_anywhere(value, hide)
        clean[name] = new
        if new != value and _holds_something(value):
            withheld.append(name)
    return Redacted(clean, tuple(withheld))


def hide_url_credentials(text: str, hide: Hide = masked) -> str:
    """`text` with the user information of every URL in it hidden (a proxy's password)."""

    def replace(match: re.Match[str]) -> str:
        scheme, user, password = match.group(1), match.group(2), match.group(3)
        if password is None:
            hidden = hide(user)
            return f"{scheme}{hidden}@" if hidden else scheme
        hidden = hide(password)
        return f"{scheme}{user}:{hidden}@" if hidden else f"{scheme}{user}@"

    return _URL_USERINFO.sub(replace, text) if "@" in text else text


def _url_field(value: str, hide: Hide) -> str:
    """A URL field's user information hidden, written with a scheme or without (`user:pw@host:port`)."""
    if "://" in value or "@" not in value:
        return hide_url_credentials(value, hide)
    return hide_url_credentials(f"x://{value}", hide).removeprefix("x://")


def holds_url_credentials(text: str) -> bool:
    return "@" in text and bool(_URL_USERINFO.search(text))


def _holds_something(value: Any) -> bool:
    return value not in (None, "", [], {})


def _whole(value: Any, hide: Hide) -> Any:
    """Every text in `value` hidden; list entries hidden to nothing are left out."""
    if isinstance(value, str):
        return hide(value) if value else value
    if isinstance(value, Mapping):
        return {k: _whole(v, hide) for k, v in value.items()}
    if isinstance(value, list):
        hidden = [_whole(v, hide) for v in value]
        return [v for v in hidden if v != ""]
    return value


def _key_list(value: Any, key: str, hide: Hide) -> Any:
    if not isinstance(value, list):
        return _whole(value, hide)
    return [{**e, key: _whole(e.get(key), hide)} if isinstance(e, Mapping) and key in e else e for e in value]


def _in_json_text(value: Any, change: Callable[[Any], Any]) -> Any:
    """`change` applied to a JSON value, or to the JSON a text holds (written back as text)."""
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return change(value)
        if not isinstance(parsed, (dict, list)):
            return change(value)
        changed = change(parsed)
        return value if changed == parsed else json.dumps(changed, ensure_ascii=False)
    return change(value)


def _headers(value: Any, hide: Hide) -> Any:
    """Every header's value hidden: `{name: value}`, or `[{header_key, header_value}]`."""
    if isinstance(value, Mapping):
        return {k: _header_value(v, hide) for k, v in value.items()}
    if isinstance(value, list):
        return [
            {k: _header_value(v, hide) if "value" in k.lower() else v for k, v in e.items()}
            if isinstance(e, Mapping)
            else _whole(e, hide)
            for e in value
        ]
    return _whole(value, hide)


def _header_value(value: Any, hide: Hide) -> Any:
    if value in (None, ""):
        return value
    return _whole(value if isinstance(value, str) else json.dumps(value), hide)


def _setting(value: Any, hide: Hide) -> Any:
    if isinstance(value, Mapping):
        return {k: _setting_entry(str(k), v, hide) for k, v in value.items()}
    if isinstance(value, list):
        return [_setting(v, hide) for v in value]
    if isinstance(value, str) and value:
        rest = hide_url_credentials(value, dropped)
        if scrub(rest) != rest:
            return hide(value)
        return hide_url_credentials(value, hide)
    return value


def _setting_entry(name: str, value: Any, hide: Hide) -> Any:
    if is_credential_name(name) and isinstance(value, Mapping) and any("value" in str(k).lower() for k in value):
        return _headers([value], hide)[0]
    if is_credential_name(name):
        return _whole(value, hide)
    if "header" in name.lower():
        return _headers(value, hide)
    return _setting(value, hide)


def is_credential_name(name: str) -> bool:
    """Whether a settings entry so named holds a credential (`sk`, `api_key`, `password`, `auth`)."""
    return bool(_CREDENTIAL_NAME.match(name)) and not _NOT_CREDENTIAL.search(name)


def _urls_anywhere(value: Any, hide: Hide) -> Any:
    if isinstance(value, str):
        return hide_url_credentials(value, hide)
    if isinstance(value, Mapping):
        return {k: _urls_anywhere(v, hide) for k, v in value.items()}
    if isinstance(value, list):
        return [_urls_anywhere(v, hide) for v in value]
    return value
