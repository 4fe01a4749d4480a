"""The fake upstream providers, spoken to over HTTP: routes, keys and answers, as the emulated
gateways and the tests rely on them (they are served by aiohttp's low-level server)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import aiohttp
import pytest

from tui_channels.demo.gateway import DemoGateway
from tui_channels.demo.upstream import PROVIDERS


async def _call(
    url: str, method: str, path: str, *, key: str | None = "sk-good", body: object = None, **headers: str
) -> tuple[int, str, object]:
    """(status, content type, JSON body or text) of one request to the fake upstream."""
    if key:
        headers.setdefault("Authorization", f"Bearer {key}")
    async with aiohttp.ClientSession() as session:
        async with session.request(method, url + path, json=body, headers=headers) as answer:
            content_type = answer.headers.get("Content-Type", "")
            if content_type.startswith("application/json"):
                return answer.status, content_type, await answer.json()
            return answer.status, content_type, await answer.text()


async def test_a_provider_lists_its_models_as_openai_does(gateway: DemoGateway):
    status, content_type, body = await _call(gateway.upstream_url, "GET", "/p/deepseek/v1/models")
    assert (status, content_type) == (200, "application/json")
    assert body["object"] == "list"
    assert [m["id"] for m in body["data"]] == list(PROVIDERS["deepseek"])
    assert {m["owned_by"] for m in body["data"]} == {"deepseek"}


async def test_a_chat_completion_answers_pong_with_the_model_asked_for(gateway: DemoGateway):
    status, _, body = await _call(
        gateway.upstream_url, "POST", "/p/openai/v1/chat/completions", body={"model": "gpt-4o", "messages": []}
    )
    assert status == 200
    assert body["model"] == "gpt-4o"
    assert body["choices"][0]["message"] == {"role": "assistant", "content": "pong"}


async def test_a_provider_under_another_api_root_answers_only_there(gateway: DemoGateway):
    listed = await _call(gateway.upstream_url, "GET", "/p/ppinfra/v3/openai/models")
    assert listed[0] == 200
    assert [m["id"] for m in listed[2]["data"]] == ["deepseek/deepseek-v3", "qwen/qwen3-235b-a22b"]
    wrong = await _call(gateway.upstream_url, "GET", "/p/ppinfra/v1/models")
    assert wrong[0] == 404
    assert wrong[2]["error"]["code"] == "not_found"
    assert wrong[2]["error"]["message"] == "Unknown URL /p/ppinfra/v1/models"


@pytest.mark.parametrize(
    ("key", "status", "code"),
    [
        (None, 401, "missing_api_key"),
        ("sk-invalid-1", 401, "invalid_api_key"),
        ("sk-revoked", 401, "invalid_api_key"),
        ("sk-ratelimit", 429, "rate_limit_exceeded"),
        ("sk-broken", 500, "server_error"),
    ],
)
async def test_keys_decide_the_outcome(gateway: DemoGateway, key: str | None, status: int, code: str):
    answer = await _call(gateway.upstream_url, "GET", "/p/openai/v1/models", key=key)
    assert answer[0] == status
    assert answer[2]["error"]["code"] == code


async def test_an_echo_key_is_quoted_back_in_full(gateway: DemoGateway):
    status, _, body = await _call(gateway.upstream_url, "GET", "/p/openai/v1/models", key="sk-echo-secret")
    assert status == 401
    assert body["error"]["message"] == "Incorrect API key provided: Bearer sk-echo-secret."


async def test_other_protocols_answer_with_their_own_shapes(gateway: DemoGateway):
    url = gateway.upstream_url
    message = await _call(url, "POST", "/p/anthropic/v1/messages", key=None, body={}, **{"x-api-key": "sk-a"})
    assert message[2]["content"] == [{"type": "text", "text": "pong"}]
    assert message[2]["model"] == "claude-sonnet-4-20250514"
    response = await _call(url, "POST", "/p/openai/v1/responses", body={"model": "o3"})
    assert (response[2]["object"], response[2]["model"]) == ("response", "o3")
    models = await _call(url, "GET", "/p/gemini/v1beta/models?key=sk-g", key=None)
    assert models[2]["models"][0]["name"] == "models/gemini-2.0-flash"
    generated = await _call(url, "POST", "/p/gemini/v1beta/models/gemini-2.5-pro:generateContent", body={})
    assert generated[2]["modelVersion"] == "gemini-2.5-pro"
    unknown = await _call(url, "POST", "/p/gemini/v1beta/models/gemini-2.5-pro:countTokens", body={})
    assert unknown[0] == 404


async def test_a_body_that_is_not_json_is_a_400(gateway: DemoGateway):
    async with aiohttp.ClientSession() as session:
        async with session.post(
            gateway.upstream_url + "/p/openai/v1/chat/completions",
            data=b"{not json",
            headers={"Authorization": "Bearer sk-good"},
        ) as answer:
            assert answer.status == 400
            assert (await answer.json())["error"]["code"] == "invalid_json"


async def test_an_unknown_path_is_a_404_and_a_known_one_asked_wrongly_a_405(gateway: DemoGateway):
    missing = await _call(gateway.upstream_url, "GET", "/somewhere/else")
    assert missing[:2] == (404, "text/plain; charset=utf-8")
    wrong_method = await _call(gateway.upstream_url, "GET", "/p/openai/v1/chat/completions")
    assert wrong_method[0] == 405


async def test_every_request_is_counted_and_logged(gateway: DemoGateway):
    before = gateway.upstream_stats.count("POST", "/p/*/v1/chat/completions")
    await _call(gateway.upstream_url, "POST", "/p/qwen/v1/chat/completions", body={"model": "qwen-max"})
    assert gateway.upstream_stats.count("POST", "/p/*/v1/chat/completions") == before + 1
    logged = gateway.upstream_stats.requests("POST", "/p/qwen/*")[-1]
    assert logged.json() == {"model": "qwen-max"}
    assert logged.content_type.startswith("application/json")
    assert gateway.upstream_stats.in_flight == 0


async def test_a_key_given_its_own_model_list_gets_it(gateway: DemoGateway):
    gateway.upstream.key_models["sk-custom"] = ["only-this"]
    _, _, body = await _call(gateway.upstream_url, "GET", "/p/openai/v1/models", key="sk-custom")
    assert [m["id"] for m in body["data"]] == ["only-this"]


def test_a_gateway_stopped_while_an_upstream_request_is_held_stops_quietly():
    """A request a test holds at the upstream never ends by itself: stopping the gateway cancels it
    instead of leaving it to be destroyed pending ("Task was destroyed but it is pending!")."""
    script = textwrap.dedent(
        """
        import gc
        import threading
        import httpx
        from tui_channels.demo.gateway import DemoGateway

        gateway = DemoGateway().start()
        gateway.upstream.key_holds["sk-held"] = threading.Event()
        arrived = threading.Event()

        def held_call():
            try:
                httpx.get(gateway.upstream_url + "/p/openai/v1/models",
                          headers={"Authorization": "Bearer sk-held"}, timeout=60)
            except httpx.HTTPError:
                pass

        caller = threading.Thread(target=held_call, daemon=True)
        caller.start()
        while gateway.upstream_stats.in_flight == 0:
            caller.join(0.01)
        gateway.stop()
        caller.join(60)
        del gateway
        gc.collect()
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
