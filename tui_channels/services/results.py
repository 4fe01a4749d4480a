"""The per-channel outcome of any operation run over many channels (tests, syncs, deletes, imports…).

One shape for every batch, so that one results screen, one CLI report and one JSON format serve
them all.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from ..redact import scrub


class Outcome(str, enum.Enum):
    OK = "ok"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class ChannelResult:
    """What happened to one channel: outcome, message, attempts, time taken and any payload.

    `value` is the operation's payload (a test's seconds, a balance, a new channel id…);
    `old_models` / `new_models` are set by model sync. `message` goes to screens and reports, so it
    is scrubbed of secrets as the result is built. `site` names the channel's site in a batch that
    spans sites (`services.fleet_batch`); empty in a one-site batch of the command line.
    """

    channel_id: int
    name: str
    outcome: Outcome
    message: str = ""
    attempts: int = 0
    duration: float = 0.0
    value: Any = None
    old_models: tuple[str, ...] | None = None
    new_models: tuple[str, ...] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    site: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "message", scrub(self.message))

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.OK

    @property
    def added_models(self) -> tuple[str, ...]:
        if self.old_models is None or self.new_models is None:
            return ()
        old = set(self.old_models)
        return tuple(m for m in self.new_models if m not in old)

    @property
    def removed_models(self) -> tuple[str, ...]:
        if self.old_models is None or self.new_models is None:
            return ()
        new = set(self.new_models)
        return tuple(m for m in self.old_models if m not in new)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["outcome"] = self.outcome.value
        for key in ("old_models", "new_models"):
            if data[key] is not None:
                data[key] = list(data[key])
        if self.old_models is not None and self.new_models is not None:
            data["added_models"] = list(self.added_models)
            data["removed_models"] = list(self.removed_models)
        if not data["extra"]:
            del data["extra"]
        if not data["site"]:
            del data["site"]
        return data


def tally(results: Iterable[ChannelResult]) -> Counter[Outcome]:
    """How many results of each outcome."""
    return Counter(r.outcome for r in results)


def all_ok(results: Iterable[ChannelResult]) -> bool:
    """True when every channel succeeded: the CLI's exit-code rule."""
    return all(r.outcome is Outcome.OK for r in results)
