"""Balance refresh (New API family): ask the gateway to query each channel's upstream balance.

The gateway can only query some channel types and no multi-key channel; it answers the others
with a refusal, which each backend raises as `NoBalance` and which is reported as skipped with
the reason, not as a failure.
"""

from __future__ import annotations

import time
from dataclasses import replace

from ..backends.base import Backend
from ..errors import NoBalance
from ..models import Channel
from .batch import Operation
from .batch import skipped, succeeded
from .results import ChannelResult, Outcome


def balance_operation(backend: Backend) -> Operation:
    """Refresh one channel's balance; the result's value is the new balance in USD."""

    async def refresh(channel: Channel) -> ChannelResult:
        try:
            balance = await backend.update_balance(channel.id)
        except NoBalance as error:
            return skipped(channel, error.message)
        return succeeded(channel, f"${balance:,.2f}", value=balance)

    return refresh


def with_balance(channel: Channel, result: ChannelResult, now: float | None = None) -> Channel:
    """The channel with the balance a successful refresh reported, queried just now."""
    if result.outcome is not Outcome.OK or not isinstance(result.value, (int, float)):
        return channel
    return replace(channel, balance=float(result.value), balance_time=int(time.time() if now is None else now))
