"""What a channel mapping works on: where a channel comes from, and what of it reaches the target."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..models import BackendKind, ChannelSpec


@dataclass(frozen=True, slots=True)
class Origin:
    """Where channels come from: the site's name and its backend kind and flavor."""

    site: str
    kind: BackendKind
    flavor: str
    keys_left_out: bool = False
    """A file exported without --with-keys from a site that gives keys: a missing key is the
    file's doing, not the server's."""
    left_out: tuple[str, ...] = ()
    """The channel's fields whose secrets that file left out, other than its keys: not carried."""


@dataclass
class Carried:
    """A channel mapped for the target: the spec to create, and what could not be carried."""

    spec: ChannelSpec
    losses: list[str] = field(default_factory=list)
    problem: str = ""
    needs_key: bool = False
    models_error: str = ""
    """Why the spec has no models ("" when it has some, or when none is what the original meant)."""
    key_count: int = 1
    """How many keys to supply when `needs_key`: a multi-key pool's size where the target keeps pools."""
