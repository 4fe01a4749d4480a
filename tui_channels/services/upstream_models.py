"""What an upstream's model list must be before anything trusts it: never empty.

Gateways do not always say when an upstream refused them: Octopus (both generations) answers a
model fetch whose upstream replied 401, 404 or 500 with HTTP 200 and `data: []` (it decodes the
error body as an empty list). An empty list therefore means "the upstream failed", not "the
upstream offers nothing", for every backend: a test, a model sync, the model editor's fetch and a
key import all go through `require_models`, so a new backend gets the rule without repeating it.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..backends.base import Backend
from ..errors import ChannelsError
from ..models import Channel, TypeCode

EMPTY_UPSTREAM = "the upstream listed no models: the key may be invalid or the base URL wrong"


class EmptyUpstream(ChannelsError):
    """The upstream listed no models; treated as a failed fetch, never as "no models"."""

    title = "No upstream models"

    def __init__(self) -> None:
        super().__init__(EMPTY_UPSTREAM[0].upper() + EMPTY_UPSTREAM[1:] + ".")


def require_models(models: Sequence[str]) -> list[str]:
    """`models` as a list; `EmptyUpstream` when there are none."""
    if not models:
        raise EmptyUpstream()
    return list(models)


async def channel_models(backend: Backend, channel: Channel) -> list[str]:
    """The models the channel's upstream lists with its saved settings; never an empty list."""
    return require_models(await backend.fetch_models(channel))


async def key_models(backend: Backend, type_code: TypeCode, base_url: str, key: str) -> list[str]:
    """The models an upstream lists for a key that is not a channel yet; never an empty list."""
    return require_models(await backend.fetch_models_adhoc(type_code, base_url, key))
