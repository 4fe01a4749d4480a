"""Deterministic, realistic channel data for the emulated gateways (any count, up to 10,000+).

Seeds are backend-neutral; each emulated server turns them into its own wire records. Most keys
work against the fake upstream; a few contain `invalid` or `broken` so tests and demos fail the way
real channels do.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

from .upstream import PROVIDERS, UpstreamServer

_PREFIXES = {
    "openai": ("openai", "gpt", "oai"),
    "anthropic": ("claude", "anthropic"),
    "gemini": ("gemini", "google"),
    "deepseek": ("deepseek", "ds"),
    "mistral": ("mistral",),
    "moonshot": ("kimi", "moonshot"),
    "qwen": ("qwen", "dashscope"),
    "zhipu": ("glm", "zhipu"),
    "xai": ("grok", "xai"),
    "siliconflow": ("siliconflow", "sf"),
}
_PURPOSES = ("main", "backup", "relay", "pool", "official", "eu", "us", "hk", "sg", "batch", "free", "pro")
_TAGS = (None, None, None, "team-a", "team-b", "backup", "cheap", "premium")
_GROUPS = ("default", "default", "default", "default,vip", "vip", "svip", "default,svip")
_PROVIDER_WEIGHTS = (30, 18, 10, 12, 5, 5, 6, 4, 4, 6)


@dataclass(frozen=True, slots=True)
class SeedChannel:
    id: int
    name: str
    provider: str
    key: str
    base_url: str
    models: tuple[str, ...]
    status: int
    group: str
    priority: int
    weight: int
    tag: str | None
    balance: float
    response_time: int
    test_time: int
    used_quota: int
    created_time: int
    model_mapping: str
    remark: str | None


def seed_channels(
    count: int, *, seed: int, upstream_url: str, now: float | None = None
) -> list[SeedChannel]:
    """`count` channels with ids 1..count, the same for the same seed.

    Times are whole hours (plus half an hour) before `now`, so "5h ago" or "3d ago" on screen
    reads the same for a given seed whenever it is rendered, which keeps snapshots stable.
    """
    rng = random.Random(seed)
    providers = list(PROVIDERS)
    now = int(time.time() if now is None else now) - 1800
    channels: list[SeedChannel] = []
    used_names: set[str] = set()
    for channel_id in range(1, count + 1):
        provider = rng.choices(providers, weights=_PROVIDER_WEIGHTS)[0]
        name = _unique_name(rng, provider, used_names)
        offered = PROVIDERS[provider]
        models = tuple(sorted(rng.sample(offered, k=rng.randint(1, len(offered)))))
        if rng.random() < 0.08:
            models += (f"{provider}-custom-{rng.randint(1, 9)}",)
        roll = rng.random()
        status = 1 if roll < 0.8 else (2 if roll < 0.9 else 3)
        key = f"sk-{provider[:3]}{rng.getrandbits(96):024x}"
        if rng.random() < 0.04:
            key = f"sk-invalid-{rng.getrandbits(48):012x}"
        elif rng.random() < 0.02:
            key = f"sk-broken-{rng.getrandbits(48):012x}"
        tested = rng.random() < 0.85
        channels.append(
            SeedChannel(
                id=channel_id,
                name=name,
                provider=provider,
                key=key,
                base_url=UpstreamServer.base_url(upstream_url, provider),
                models=models,
                status=status,
                group=rng.choice(_GROUPS),
                priority=rng.choice((0, 0, 0, 5, 10)),
                weight=rng.choice((0, 0, 1, 10, 50, 100)),
                tag=rng.choice(_TAGS),
                balance=round(rng.uniform(0, 250), 2) if rng.random() < 0.6 else 0.0,
                response_time=rng.randint(180, 4200) if tested else 0,
                test_time=now - rng.randint(1, 30 * 24) * 3600 if tested else 0,
                used_quota=rng.randint(0, 900_000_000),
                created_time=now - rng.randint(24, 400 * 24) * 3600,
                model_mapping='{"gpt-4": "gpt-4o"}' if provider == "openai" and rng.random() < 0.2 else "",
                remark="rotated quarterly" if rng.random() < 0.1 else None,
            )
        )
    return channels


def _unique_name(rng: random.Random, provider: str, used: set[str]) -> str:
    while True:
        name = f"{rng.choice(_PREFIXES[provider])}-{rng.choice(_PURPOSES)}-{rng.randint(1, 99):02d}"
        if len(used) > 2000 and name in used:
            name = f"{name}-{rng.randint(100, 99999)}"
        if name not in used:
            used.add(name)
            return name
