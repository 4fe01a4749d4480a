"""Plan turning upstream keys into OpenAI-compatible channels of one site, of any backend.

The rules, in one place (each site's part of them comes from its `Capabilities`):

- name: `<source site name> | <key name> (auto)`, never with a second `(auto)`;
- type: the site's OpenAI-compatible type (`Capabilities.openai_type`: New API and One Hub 1,
  Octopus "OpenAI Chat": legacy 0, current "openai"; AxonHub "openai"; Claude Code Hub
  "openai-compatible");
- base URL (`Capabilities.base_url_style`): New API, One Hub and Claude Code Hub append `/v1`
  themselves, so a trailing version segment is dropped; Octopus gets it by the rule of its release
  (`base_urls.for_octopus`: before v0.10.0 `/v1` is appended unless the path has a version segment
  anywhere; from v0.10.0 the server appends it, and a URL with another version segment gets a `#`
  so that it does not); AxonHub gets `/v1` unless the path has a version segment anywhere;
- models: fetched from the upstream with that very key through the site's ad-hoc model fetch; when
  that fails, or lists nothing (`upstream_models`), the row is blocked until the user types them;
- where the site has them: groups `default` unless the user picks others, priority and weight at
  the field's default (else 0), `auto_sync` on (Octopus); a name cut to the longest the site takes;
  always enabled (AxonHub creates channels disabled; its client sets the status right after);
- duplicates (same name, or same base URL and key where keys are known) are "already present" and
  skipped unless the user says otherwise (see `channel_plan`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from ..backends.base import Backend, Capabilities, Operation, VersionSegment
from ..errors import AuthError, ChannelsError, ConfigError
from ..models import Channel, ChannelSpec, TypeCode, split_list
from ..validation import check_upstream_url
from . import base_urls
from ..wording import plural
from .channel_plan import ChannelPlan, PlannedChannel
from .key_library import UpstreamKey
from .upstream_models import EMPTY_UPSTREAM, EmptyUpstream, key_models

AUTO_SUFFIX = "(auto)"
DEFAULT_GROUPS = ("default",)


def _url_problem(url: str) -> str | None:
    """What is wrong with a key's base URL (it "has port 99999, …"), or None."""
    try:
        check_upstream_url(url)
    except ValueError as problem:
        return str(problem)
    return None


def channel_name(source: str, key_name: str) -> str:
    """`<source> | <key name> (auto)`; a key name that already ends with `(auto)` keeps its own."""
    name = f"{source.strip()} | {key_name.strip()}"
    return name if name.endswith(AUTO_SUFFIX) else f"{name} {AUTO_SUFFIX}"


def fitted_name(capabilities: Capabilities, name: str) -> str:
    """`name` cut to the longest the site takes, keeping its `(auto)` mark."""
    spec = capabilities.field("name")
    limit = int(spec.maximum) if spec is not None and spec.maximum else None
    if limit is None or len(name) <= limit:
        return name
    return f"{name[: limit - len(AUTO_SUFFIX) - 1].rstrip()} {AUTO_SUFFIX}"


def openai_type(capabilities: Capabilities) -> TypeCode:
    """The site's OpenAI-compatible type code."""
    if capabilities.openai_type is None:
        raise ConfigError(f"{capabilities.flavor_label} has no OpenAI-compatible channel type to import keys as.")
    return capabilities.openai_type


def _spec(capabilities: Capabilities, key: UpstreamKey, groups: Sequence[str]) -> ChannelSpec:
    """The channel for one key: groups, priority and weight where the site has them, auto sync on
    where it has that (Octopus)."""
    spec = ChannelSpec(
        name=fitted_name(capabilities, channel_name(key.source, key.name)),
        type=openai_type(capabilities),
        key=key.key or "",
        base_url=base_urls.for_site(capabilities, key.base_url),
        groups=tuple(groups) if capabilities.field("groups") else (),
    )
    if capabilities.field("priority"):
        spec.priority = _number_default(capabilities, "priority")
    if capabilities.field("weight"):
        spec.weight = _number_default(capabilities, "weight")
    if capabilities.field("auto_sync"):
        spec.extra = {"auto_sync": True}
    return spec


def _number_default(capabilities: Capabilities, name: str) -> int:
    """A new channel's priority or weight: the field's declared default, else 0."""
    spec = capabilities.field(name)
    return int(spec.default) if spec is not None and isinstance(spec.default, (int, float)) else 0


def set_groups(plan: ChannelPlan, groups: str) -> tuple[str, ...]:
    """Give every planned channel these user groups (comma-separated); empty means `default`."""
    chosen = split_list(groups) or DEFAULT_GROUPS
    for row in plan.rows:
        row.spec.groups = chosen
    return chosen


async def plan_import(
    backend: Backend,
    keys: Sequence[UpstreamKey],
    existing: Sequence[Channel],
    *,
    site: str,
    groups: Sequence[str] = DEFAULT_GROUPS,
    concurrency: int = 4,
    on_progress: Callable[[int, int], None] | None = None,
) -> ChannelPlan:
    """The preview of importing `keys` into the connected site whose channels are `existing`."""
    capabilities = backend.capabilities
    rows = []
    for position, key in enumerate(keys, start=1):
        row = PlannedChannel(position, _spec(capabilities, key, groups), origin=f"{key.source} · {key.masked_key}")
        if not row.spec.base_url:
            row.problem = "base URL missing"
        elif problem := _url_problem(key.base_url):
            row.problem = f"base URL {problem}"
        elif not key.key:
            row.problem = "the relay did not reveal this key: paste it instead"
        rows.append(row)
    plan = ChannelPlan.build(
        f"Import {plural(len(rows), 'key')} into {site}", site, capabilities, rows, existing, action="import"
    )
    await fetch_models(backend, plan, concurrency=concurrency, on_progress=on_progress)
    return plan


async def fetch_models(
    backend: Backend,
    plan: ChannelPlan,
    *,
    concurrency: int = 4,
    on_progress: Callable[[int, int], None] | None = None,
) -> None:
    """Ask the upstream, through the site, which models each row's key offers.

    A failure is the row's `models_error` (the row stays blocked until models are typed), except a
    refusal of the site's own credentials, which would fail every row alike and is raised.
    """
    wanted = [row for row in plan.rows if not row.problem]
    if not plan.capabilities.supports(Operation.FETCH_MODELS_ADHOC):
        for row in wanted:
            row.models_error = f"{plan.capabilities.flavor_label} cannot list the models of a new key"
        return
    limit = asyncio.Semaphore(max(1, concurrency))
    done = 0

    async def one(row: PlannedChannel) -> None:
        nonlocal done
        async with limit:
            try:
                models = await key_models(backend, row.spec.type, row.spec.base_url, row.spec.key)
            except AuthError:
                raise
            except EmptyUpstream:
                row.models_error = EMPTY_UPSTREAM
            except ChannelsError as error:
                row.models_error = error.message
            else:
                plan.set_models(row, ",".join(models))
                row.models_error = ""
        done += 1
        if on_progress is not None:
            on_progress(done, len(wanted))

    await asyncio.gather(*(one(row) for row in wanted))
