"""Connectivity tests over many channels, and what a result changes in the channel's row.

New API tests a channel on its own route (optionally with a chosen model) and records the
response time; Octopus has no test route, so its backend times a model fetch with the channel's
own settings instead. Either way a failed upstream is a failed result with the upstream's message,
and the result's `value` is the response time in seconds. A listing test whose upstream listed no
models failed (see `upstream_models`), whatever the gateway answered. What a server cannot test
comes from its `Capabilities`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace

from ..backends.base import Backend, Capabilities
from ..models import Channel, TestResult
from .batch import Operation, failed, skipped, succeeded
from .channel_view import format_duration_ms
from .results import ChannelResult, Outcome
from .upstream_models import EmptyUpstream


def skip_reason(channel: Channel, capabilities: Capabilities, model: str | None = None) -> str | None:
    """Why a channel cannot be tested (with `model`, when one is chosen), or None when it can."""
    if channel.type.code in capabilities.untestable_types:
        return f"the gateway cannot test {channel.type.name} channels"
    if capabilities.upstream_needs_key and not channel.key:
        return "the channel has no enabled key to test with"
    if capabilities.test_needs_model and not model and not channel.models:
        return "the channel has no model to test with: add one, or choose the test model"
    return None


def disable_warning(capabilities: Capabilities) -> str:
    """What to say before a batch test on a server that may switch failing channels off, or ""."""
    return disable_warning_on([("", capabilities)])


def disable_warning_on(sites: Sequence[tuple[str, Capabilities]]) -> str:
    """What to say once before a test over `sites` ((site name, capabilities), those with channels
    in the test) whose servers may switch failing channels off, or "": each such server named once,
    with its sites when the test spans several ("One Hub (hub-a) and Done Hub (hub-b) may
    disable…"), however many sites run it."""
    several = len({name for name, _capabilities in sites}) > 1
    servers: dict[str, list[str]] = {}
    for name, capabilities in sites:
        if capabilities.test_may_disable:
            servers.setdefault(capabilities.flavor_label, []).append(name)
    if not servers:
        return ""
    named = [f"{label} ({', '.join(names)})" if several else label for label, names in servers.items()]
    who = named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"
    one = [len(names) for names in servers.values()] == [1]
    return (
        f"{who} may disable a channel whose test fails "
        f"({'its' if one else 'their'} own auto-disable rule); check the results for channels "
        f"{'it' if one else 'they'} switched off."
    )


def response_ms(seconds: float) -> int:
    """Seconds as whole milliseconds, at least 1 (0 means "never tested" on the servers)."""
    return max(1, round(seconds * 1000))


def connectivity_operation(backend: Backend, model: str | None = None) -> Operation:
    """Test one channel (with `model` when given); the result's value is the seconds it took."""
    capabilities = backend.capabilities

    async def run_test(channel: Channel) -> ChannelResult:
        reason = skip_reason(channel, capabilities, model)
        if reason is not None:
            return skipped(channel, reason)
        outcome = await backend.test_channel(channel, model)
        used = {"model": tested_model(channel, model, outcome)}
        if outcome.ok and outcome.models_listed == 0:
            return failed(channel, EmptyUpstream().message, value=outcome.seconds, extra=used)
        if not outcome.ok:
            return failed(channel, failure_text(outcome), value=outcome.seconds, extra=used)
        timing = "" if outcome.seconds is None else f" in {format_duration_ms(response_ms(outcome.seconds))}"
        detail = f" · {outcome.message}" if outcome.message else ""
        return succeeded(channel, f"answered{timing}{detail}", value=outcome.seconds, extra=used)

    return run_test


def tested_model(channel: Channel, model: str | None, outcome: TestResult) -> str:
    """What the test asked for, for the results: the chosen model, the channel's own test model
    (New API `test_model`), "the model list" where the test was a listing; "" where unknown."""
    if model:
        return model
    if outcome.models_listed is not None:
        return "(the model list)"
    return str(channel.raw.get("test_model") or "")


def failure_text(outcome: TestResult) -> str:
    """A failed test in words: the gateway's message, its error code and how long it took."""
    details = [f"error code {outcome.error_code}"] if outcome.error_code else []
    if outcome.seconds:
        details.append(f"after {format_duration_ms(response_ms(outcome.seconds))}")
    text = outcome.message or "the test failed"
    return f"{text} ({', '.join(details)})" if details else text


def with_test_result(channel: Channel, result: ChannelResult, now: float | None = None) -> Channel:
    """The channel as the gateway now records it: a passed test sets its response and test time."""
    if result.outcome is not Outcome.OK or not isinstance(result.value, (int, float)):
        return channel
    return replace(
        channel,
        response_time_ms=response_ms(result.value),
        test_time=int(time.time() if now is None else now),
    )
