"""Balance refresh (New API family): ask the gateway to query each channel's upstream balance.

The gateway can only query some channel types and no multi-key channel; it answers the others
with a refusal, which is reported as skipped with the reason, not as a failure.
"""

from __future__ import annotations

import time
from dataclasses import replace

from ..backends.base import Backend
from ..errors import RequestRejected
from ..models import Channel
from .batch import Operation
from .batch import skipped, succeeded
from .results import ChannelResult, Outcome

CANNOT_QUERY = {
    "尚未实现": "the gateway cannot query the balance of this channel type",
    "not implemented": "the gateway cannot query the balance of this channel type",
    "多密钥渠道不支持余额查询": "the gateway cannot query the balance of a multi-key channel",
}
"""Refusals that mean "this channel has no balance to query" (the server's own words) -> reason."""


def balance_operation(backend: Backend) -> Operation:
    """Refresh one channel's balance; the result's value is the new balance in USD."""

    async def refresh(channel: Channel) -> ChannelResult:
        try:
            balance = await backend.update_balance(channel.id)
        except RequestRejected as error:
            reason = next((why for marker, why in CANNOT_QUERY.items() if marker in error.message.lower()), None)
            if reason is None:
                raise
            return skipped(channel, reason)
        return succeeded(channel, f"${balance:,.2f}", value=balance)

    return refresh


def with_balance(channel: Channel, result: ChannelResult, now: float | None = None) -> Channel:
    """The channel with the balance a successful refresh reported, queried just now."""
    if result.outcome is not Outcome.OK or not isinstance(result.value, (int, float)):
        return channel
    return replace(channel, balance=float(result.value), balance_time=int(time.time() if now is None else now))
