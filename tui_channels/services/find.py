"""Where is it? Every channel on every site that has a base URL, a model or an upstream key.

The text is typed once and matched three ways, each match saying how it matched:

- base URL: the text (or its normal form, for a URL) is part of the channel's base URL (the type's
  default URL when the channel has none);
- model: the text is part of one of the channel's model names (the names are listed);
- key: the text is one of the channel's keys, or a piece of one (8 characters or more) — only on
  servers that list keys (Octopus, AxonHub). New API never returns stored keys (and Claude Code
  Hub reveals them only one channel at a time), so there a key is found only through the key library: a library key that matches leads to the channels a key
  import made from it, by the name the import gave them (`<source> | <key name> (auto)`).

What could not be checked is said in `notes`, never passed over. Nothing here imports Textual.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..models import Channel, mask_secret
from . import base_urls
from .health import upstream_keys
from .key_import import channel_name
from .key_library import UpstreamKey
from .shown_secrets import shown_url
from .sites import LoadState, SiteSession

KEY_FRAGMENT = 8
"""The shortest piece of a key that is looked for inside keys (shorter text would match by chance)."""
SHOWN_MODELS = 4
"""Matching model names a match lists before "+N more"."""


class Via(str, enum.Enum):
    """How a channel matched."""

    BASE_URL = "base_url"
    MODEL = "model"
    KEY = "key"
    KEY_LIBRARY = "key_library"

    @property
    def label(self) -> str:
        return {
            "base_url": "base URL",
            "model": "model",
            "key": "key",
            "key_library": "key (by its import name)",
        }[self.value]


@dataclass(frozen=True, slots=True)
class Match:
    site: str
    channel_id: int
    name: str
    via: Via
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {"site": self.site, "channel_id": self.channel_id, "name": self.name, "via": self.via.value, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class Found:
    """The matches, site by site, and what could not be checked."""

    text: str
    matches: tuple[Match, ...]
    notes: tuple[str, ...]

    @property
    def sites(self) -> list[str]:
        return list(dict.fromkeys(m.site for m in self.matches))


def _key_matches(text: str, key: str) -> bool:
    return key == text or (len(text) >= KEY_FRAGMENT and text in key)


def find(text: str, sessions: Sequence[SiteSession], library: Sequence[UpstreamKey] = ()) -> Found:
    """Every channel of the loaded `sessions` that has `text`, with how it matched (see the module)."""
    needle = text.strip()
    if not needle:
        return Found(text, (), ())
    folded = needle.casefold()
    url_form = base_urls.comparable(needle) if base_urls.is_http_url(needle) else folded
    library_hits = [k for k in library if k.key and _key_matches(needle, k.key)]
    import_names = {channel_name(k.source, k.name): k for k in library_hits}
    matches: list[Match] = []
    hidden_keys: list[str] = []
    for session in sessions:
        capabilities = session.capabilities
        returns_keys = capabilities is not None and capabilities.returns_keys
        if session.channels and not returns_keys:
            hidden_keys.append(session.name)
        for channel in session.channels:
            matches.extend(_channel_matches(session.name, channel, needle, folded, url_form, returns_keys, import_names))
    return Found(text, tuple(matches), tuple(_notes(needle, sessions, hidden_keys, library_hits)))


def _channel_matches(
    site: str,
    channel: Channel,
    needle: str,
    folded: str,
    url_form: str,
    returns_keys: bool,
    import_names: dict[str, UpstreamKey],
) -> list[Match]:
    found: list[Match] = []

    def match(via: Via, detail: str) -> None:
        found.append(Match(site, channel.id, channel.name, via, detail))

    url = channel.base_url or channel.type.default_base_url
    if url and (url_form in base_urls.comparable(url) or folded in url.casefold()):
        match(Via.BASE_URL, shown_url(url))
    models = [m for m in channel.models if folded in m.casefold()]
    if models:
        more = len(models) - SHOWN_MODELS
        match(Via.MODEL, ", ".join(models[:SHOWN_MODELS]) + (f" +{more} more" if more > 0 else ""))
    if returns_keys:
        keys = [k for k in upstream_keys(channel) if _key_matches(needle, k)]
        if keys:
            match(Via.KEY, ", ".join(mask_secret(k) for k in keys))
    else:
        library_key = import_names.get(channel.name)
        if library_key is not None:
            match(Via.KEY_LIBRARY, f"imported from the library key {library_key.name} ({library_key.masked_key})")
    return found


_NOT_A_KEY = re.compile(r"\s|/|^[\w.-]+:\d+$|^\d{1,3}(\.\d{1,3}){3}$")
"""Text no upstream key has: a space, a slash (a URL's path), a host:port or an IPv4 address."""


def could_be_key(needle: str) -> bool:
    """Whether `needle` could be (a part of) an upstream key: long enough (`KEY_FRAGMENT`), and not
    plainly a URL, a host:port or an address, for which the note on unlisted keys would mislead."""
    return len(needle) >= KEY_FRAGMENT and not base_urls.is_http_url(needle) and not _NOT_A_KEY.search(needle)


def _notes(
    needle: str, sessions: Sequence[SiteSession], hidden_keys: list[str], library_hits: list[UpstreamKey]
) -> list[str]:
    notes = []
    if hidden_keys and could_be_key(needle):
        where = ", ".join(hidden_keys)
        if library_hits:
            notes.append(
                f"{where}: the server does not list keys; channels there are found by the name a key "
                "import gives them (the key library holds this key), not by the key itself."
            )
        else:
            notes.append(
                f"{where}: the server does not list keys and the key library does not hold this one, "
                "so a channel there with this key cannot be found."
            )
    open_ended = [s.name for s in sessions if any(c.all_models for c in s.channels)]
    if open_ended and not base_urls.is_http_url(needle):
        notes.append(
            "Channels that accept every model (no allowed-model list) are not listed under a model: "
            + ", ".join(open_ended) + (" has some." if len(open_ended) == 1 else " have some.")
        )
    unloaded = [s.name for s in sessions if not s.channels and s.state is not LoadState.READY]
    if unloaded:
        notes.append("Not searched (not loaded): " + ", ".join(unloaded) + ".")
    return notes
