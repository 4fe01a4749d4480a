"""The Claude Code Hub client and demo emulation, held to the facts of docs/contracts/claude-code-hub.md.

Every request the client sends (through every operation it has) and every answer the emulated
server gives must fit the note's routes and schemas; the client's write models and the emulation's
validation must list exactly the note's write fields. A drift in any of the three fails here.
"""

from __future__ import annotations

import httpx
import pytest

from tests.backend_helpers import connected_site
from tests.contract_facts import ContractFacts, read_facts
from tui_channels.backends.claudecodehub import wire
from tui_channels.demo.claudecodehub import schema
from tui_channels.demo.faults import LoggedAnswer
from tui_channels.demo.gateway import DemoGateway
from tui_channels.errors import ChannelsError
from tui_channels.models import ChannelSpec, ChannelStatus

FACTS: ContractFacts = read_facts("claude-code-hub.md")
PLAIN_REFUSALS = {400: "Malformed JSON in request body", 415: "Unsupported Media Type"}
VERSION = "/api/version"
"""Outside the REST API: no version header, and its body even when it fails (HTTP 500 offline)."""


def _fields(model: type) -> set[str]:
    return {field.serialization_alias or name for name, field in model.model_fields.items()}


def test_the_note_has_the_schemas_and_routes_the_client_uses() -> None:
    for name in ("ProviderCreate", "ProviderUpdate", "ProviderSummary", "BatchUpdateFields", "Problem", "TestResult"):
        assert FACTS.schemas[name].fields, name
    assert FACTS.schemas["ProviderCreate"].write and not FACTS.schemas["ProviderSummary"].write
    assert FACTS.route("PATCH", "/api/v1/providers/7") is not None
    assert FACTS.route("GET", "/api/v1/providers/7/key:reveal") is not None
    assert FACTS.route("POST", "/api/v1/providers:batchDelete") is not None
    assert FACTS.route("PUT", "/api/v1/providers/7") is None


def test_client_write_models_send_no_field_the_server_lacks() -> None:
    create = FACTS.schemas["ProviderCreate"].fields
    assert _fields(wire.ProviderPatch) == set(create)
    assert {n for n, f in wire.ProviderCreate.model_fields.items() if f.is_required()} == {
        n for n, f in create.items() if f.required
    }
    assert set(wire.NOT_NULLABLE) == {n for n, f in create.items() if not f.nullable}
    assert set(wire.READ_TO_WRITE.values()) <= set(create)
    assert set(wire.READ_TO_WRITE) <= set(FACTS.schemas["ProviderSummary"].fields)
    assert _fields(wire.BatchUpdateFields) <= set(FACTS.schemas["BatchUpdateFields"].fields)
    assert _fields(wire.BatchUpdate) == set(FACTS.schemas["BatchUpdate"].fields)
    assert _fields(wire.TestById) == set(FACTS.schemas["TestById"].fields)
    assert _fields(wire.FetchUpstreamModels) <= set(FACTS.schemas["FetchUpstreamModels"].fields)


def test_demo_validation_accepts_exactly_the_notes_write_fields() -> None:
    create = FACTS.schemas["ProviderCreate"].fields
    assert set(schema.PROVIDER_WRITE) == set(create)
    assert set(schema.CREATE_REQUIRED) == {n for n, f in create.items() if f.required}
    assert {n for n, rule in schema.PROVIDER_WRITE.items() if rule.nullable} == {n for n, f in create.items() if f.nullable}
    batch = FACTS.schemas["BatchUpdateFields"].fields
    assert set(schema.BATCH_UPDATE_FIELDS) == set(batch)
    assert {n for n, rule in schema.BATCH_UPDATE_FIELDS.items() if rule.nullable} == {
        n for n, f in batch.items() if f.nullable
    }
    assert set(schema.FETCH_MODELS) == set(FACTS.schemas["FetchUpstreamModels"].fields)


def _answer_problems(answer: LoggedAnswer) -> list[str]:
    """Why one logged exchange breaks the note (empty when it does not)."""
    request = answer.request
    where = f"{request.method} {request.path} -> {answer.status}"
    route = FACTS.route(request.method, request.path)
    if route is None:
        return [f"{where}: no such route in the note"]
    found = []
    if request.body:
        if "application/json" not in request.content_type:
            found.append(f"{where}: body sent as {request.content_type!r}")
        if route.body is not None:
            found += [f"{where}: request {p}" for p in FACTS.schemas[route.body].problems(request.json())]
    if request.path != VERSION and answer.headers.get("x-api-version") != "1.0.0":
        found.append(f"{where}: no X-API-Version header")
    if answer.status == route.success or (request.path == VERSION and answer.status == 500):
        if route.answer is not None:
            found += [f"{where}: answer {p}" for p in _answer_schema_problems(route.answer, answer.json())]
    elif answer.content_type.startswith("application/problem+json"):
        found += [f"{where}: {p}" for p in FACTS.schemas["Problem"].problems(answer.json())]
    elif PLAIN_REFUSALS.get(answer.status) != answer.body.decode():
        found.append(f"{where}: an error answer that is neither problem+json nor a known plain refusal")
    return found


def _answer_schema_problems(name: str, body: object) -> list[str]:
    problems = FACTS.schemas[name].problems(body)
    if name == "ProviderList" and not problems and isinstance(body, dict):
        for item in body["items"]:
            problems += FACTS.schemas["ProviderSummary"].problems(item)
    return problems


async def test_every_request_and_answer_follows_the_contract(gateway: DemoGateway) -> None:
    site, backend = await connected_site(gateway, "claudecodehub", channels=8, prefix="contract")
    upstream = gateway.upstream_url
    try:
        await backend.verify()
        channels = await backend.list_channels()
        await backend.search_channels("relay")
        await backend.get_channel(channels[0].id)
        created = await backend.create_channel(
            ChannelSpec(
                name="contract-new",
                type="claude",
                key="sk-contract-key-0001",
                base_url=f"{upstream}/p/anthropic",
                models=("claude-sonnet-4-20250514",),
                status=ChannelStatus.MANUALLY_DISABLED,
                groups=("default", "vip"),
                priority=2,
                weight=30,
                extra={"cost_multiplier": 1.5, "limit_daily_usd": 20.0, "custom_headers": {"X-Team": "a"}},
            )
        )
        edited = await backend.update_channel(
            created, {"weight": 60, "groups": ("vip",), "models": ("claude-opus-4-20250514",), "status": ChannelStatus.ENABLED}
        )
        await backend.update_channel(edited, {"limit_daily_usd": None, "key": "sk-contract-key-0002"})
        await backend.set_status(created.id, False)
        await backend.reveal_key(created.id)
        await backend.test_channel(edited)
        await backend.test_channel(edited, "claude-3-5-haiku-20241022")
        await backend.fetch_models(edited)
        await backend.fetch_models_adhoc("gemini", f"{upstream}/p/gemini", "sk-contract-gemini")
        with pytest.raises(ChannelsError):
            await backend.fetch_models_adhoc("openai-compatible", f"{upstream}/p/openai", "sk-invalid-contract")
        await backend.list_groups()
        await backend.update_channels([created.id, channels[0].id], {"status": True, "priority": 1, "weight": 5})
        with pytest.raises(ChannelsError):
            await backend.get_channel(9999)
        await backend.delete_channels([created.id, 9999])
        await backend.delete_channel(channels[1].id)
    finally:
        await backend.close()
    answers = list(site.stats.answers)
    assert len(answers) >= 20
    problems = [problem for answer in answers for problem in _answer_problems(answer)]
    assert problems == []


async def test_the_contract_check_catches_a_field_the_server_lacks(gateway: DemoGateway) -> None:
    """The check above can fail: a body with a read-style name breaks the note, and the demo refuses it."""
    site = gateway.add_claudecodehub("contract-negative", channels=2)
    async with httpx.AsyncClient(base_url=site.url, headers={"Authorization": f"Bearer {site.secret}"}) as client:
        response = await client.patch("/api/v1/providers/1", json={"isEnabled": False})
    answer = site.stats.answers_to("PATCH")[-1]
    assert response.status_code == 400
    assert any("isEnabled: not a field" in p for p in _answer_problems(answer))
    assert response.json()["invalidParams"][0]["code"] == "unrecognized_keys"
