"""An edit sent onto the channel as the server holds it now, never onto the row the app listed.

A form, the model editor or a sync preview shows a channel as it was read some time ago; another
admin may have edited it since. Saving then reads the channel again (`get_channel`, through the
site's journalling backend, so the journal's "before" is what the server held) and:

- sends only the fields the user changed, onto that fresh record: a field changed on the server
  that the user did not touch stays as the server holds it;
- refuses the whole save when the server changed a field the user changed too (the server's value
  is not the one the user started from), naming the field and both values, so nothing is silently
  overwritten ("priority changed on the server since you opened the form: 5, was 0; reload with r");
- refuses a channel deleted since, saying so.

Secrets are compared where the server returns them (Octopus keys), and named without their values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..backends.base import Backend, Capabilities
from ..errors import ChannelsError, NotFound
from ..models import Channel
from .change_values import INSTRUCTIONS, is_secret_field, plain, same
from .channel_form import ChannelForm, FormMode
from .current import SharedRead
from .history import short


class ChangedOnServer(ChannelsError):
    """The server changed a field since it was shown, and the user changed it too: nothing was saved."""

    title = "Changed on the server"


def shown_values(capabilities: Capabilities, channel: Channel, names: Iterable[str]) -> dict[str, Any]:
    """The channel's value of each named field as an edit would send it, secrets included (for
    comparing two reads of one channel; never journalled or shown)."""
    wanted = [n for n in dict.fromkeys(names) if n not in INSTRUCTIONS]
    sent = ChannelForm(capabilities, FormMode.EDIT, channel).sent_values(wanted)
    values: dict[str, Any] = {}
    for name in wanted:
        if name == "key":
            values[name] = channel.key or ""
        elif name in sent and not is_secret_field(capabilities, name):
            values[name] = plain(sent[name])
        elif hasattr(channel, name) and name not in ("raw", "type"):
            values[name] = plain(getattr(channel, name))
        else:
            values[name] = plain(channel.raw.get(name))
    return values


def conflicts(capabilities: Capabilities, shown: Channel, now: Channel, changes: Mapping[str, Any]) -> list[str]:
    """The fields of `changes` whose value on the server (`now`) is neither the one `shown` nor the
    one the change asks for, each as "priority: 5, was 0" (a secret without its values)."""
    before, after = shown_values(capabilities, shown, changes), shown_values(capabilities, now, changes)
    found = []
    for name in before:
        if not same(before[name], after[name]) and not same(plain(changes[name]), after[name]):
            label = name.replace("_", " ")
            if is_secret_field(capabilities, name):
                found.append(label)
            else:
                found.append(f"{label}: {short(after[name])}, was {short(before[name])}")
    return found


def conflict_message(found: list[str], since: str, hint: str) -> str:
    """One line: "priority changed on the server since you opened the form: 5, was 0; reload with r"."""
    first, *others = found
    name, _, values = first.partition(": ")
    head = f"{name} changed on the server since {since}" + (f": {values}" if values else "")
    return "; ".join([head, *others, hint])


async def read_for_edit(backend: Backend, shown: Channel) -> Channel:
    """The channel as the server holds it now. Raises `NotFound` (saying nothing was saved) once it is gone."""
    try:
        return await backend.get_channel(shown.id)
    except NotFound:
        raise NotFound(gone(shown)) from None


def gone(shown: Channel) -> str:
    return f"#{shown.id} {shown.name} is no longer on the server (deleted since it was listed); nothing was saved."


def check_unchanged(
    capabilities: Capabilities,
    shown: Channel,
    now: Channel,
    changes: Mapping[str, Any],
    *,
    since: str = "you opened the form",
    hint: str = "reload with r",
) -> None:
    """Raise `ChangedOnServer` when the server changed a field of `changes` since `shown` was read."""
    found = conflicts(capabilities, shown, now, changes)
    if found:
        raise ChangedOnServer(conflict_message(found, since, hint))


async def edit_channel(
    backend: Backend,
    shown: Channel,
    changes: Mapping[str, Any],
    *,
    current: SharedRead | None = None,
    since: str = "you opened the form",
    hint: str = "reload with r",
) -> Channel:
    """Send `changes` (the fields the user changed, as `update_channel` takes them) onto the channel
    as the server holds it now (read here, or taken from `current`, a batch's one read of all its
    channels), and return the saved channel. Raises `ChangedOnServer` when the server changed one of
    those fields since `shown` was read, `NotFound` when it is gone, or what the write raises."""
    if not changes:
        return shown
    now = await read_for_edit(backend, shown) if current is None else await current.get(shown.id)
    if now is None:
        raise NotFound(gone(shown))
    check_unchanged(backend.capabilities, shown, now, changes, since=since, hint=hint)
    sending = still_to_send(backend.capabilities, now, changes)
    return await backend.update_channel(now, sending) if sending else now


def still_to_send(capabilities: Capabilities, now: Channel, changes: Mapping[str, Any]) -> dict[str, Any]:
    """`changes` without the fields the server holds as asked already (another admin made the same
    change); instructions such as a key mode go with the field they apply to."""
    held = shown_values(capabilities, now, changes)
    kept = {n: v for n, v in changes.items() if n in INSTRUCTIONS or not same(plain(v), held[n])}
    return kept if any(n not in INSTRUCTIONS for n in kept) else {}
