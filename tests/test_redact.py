"""The one scrubber: what it masks, and the ordinary words it must leave alone."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui_channels.errors import RequestRejected
from tui_channels import models
from tui_channels.redact import mask_remembered, remember, scrub
from tui_channels.services.results import ChannelResult, Outcome


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("Incorrect API key provided: Bearer sk-proj-abcdefghijklmnop1234", "Bearer sk-proj…"),
        ("status code 401: Incorrect API key provided: sk-abcdef0123456789xyz", "sk-abcd…"),
        ("invalid token Zq+7Lm2Xr9Tb4Vw8Ne1Hk6Ys3Pd0Gu5A= for user 1", "token Zq+7…"),
        ("token 5e1b09c7a4d2f8e63b0a917c4d5e2f80 refused", "token 5e1b…"),
        ('{"password": "hunter2hunter2", "username": "admin"}', '"password": "…"'),
        ("auth=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig-nature_x", "auth=eyJh…"),
        ("key AIzaSyA1234567890abcdefghijklmnopqrstu rejected", "AIza…"),
    ],
)
def test_credentials_are_masked(text: str, masked: str) -> None:
    assert masked in scrub(text)


@pytest.mark.parametrize(
    "text",
    [
        "The upstream answered but does not list claude-3-5-sonnet-20241022.",
        "meta-llama/Meta-Llama-3.1-405B-Instruct and deepseek-ai/DeepSeek-R1-Distill-Qwen-32B",
        "/api/channel/fetch_models/12 answered malformed JSON (HTTP 200).",
        "无权进行此操作，access token 无效",
        "The access token has expired; Basic auth failed; Bearer token missing.",
        "https://api.example.com:8443/v1/chat/completions timed out after 15 s",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert scrub(text) == text


def test_a_remembered_secret_is_masked_as_libraries_quote_it() -> None:
    remember("Pa55-word-with\nline-break")
    quoted = "Illegal header value b'Bearer Pa55-word-with\\nline-break'; and Pa55-word-with"
    assert "Pa55" not in scrub(quoted)


def test_every_message_carrier_is_scrubbed() -> None:
    key = "sk-liveKey0123456789abcdefXYZ"
    assert key not in RequestRejected(f"refused {key}").message
    assert key not in models.TestResult(ok=False, seconds=None, message=f"bad key {key}").message
    assert key not in ChannelResult(1, "x", Outcome.FAILED, message=f"bad key {key}").message


@pytest.mark.parametrize("length", [40, 5000])
def test_a_secret_remembered_after_a_text_was_scrubbed_is_masked_in_it_next_time(length: int) -> None:
    """Short texts are kept scrubbed for the next time (a batch repeats its messages); a secret
    remembered in between must still be masked in them, and in long texts, never kept."""
    secret = f"hunter2-later-remembered-{length}"
    text = f"login failed for {secret} ".ljust(length, ".")
    assert secret in scrub(text)  # no rule masks this one until it is remembered
    remember(secret)
    assert secret not in scrub(text)


@pytest.mark.parametrize(
    "name",
    ["xai-official-90", "sk-team", "sk-prod-eu", "xai-sg-22", "gsk_groq-backup-eu-01", "hf_mirror-west", "ak-relay-2024-b"],
)
def test_names_with_a_provider_prefix_are_left_alone(name: str) -> None:
    """A channel named after its provider is a name, not a key: the journal and messages keep it."""
    text = f"#5 {name}: status enabled → disabled"
    assert scrub(text) == text


_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=9)
_NUMBER = st.integers(min_value=0, max_value=9999).map(str)


@given(
    prefix=st.sampled_from(["sk", "xai", "gsk", "pk", "ak", "hf", "nvapi"]),
    parts=st.lists(st.one_of(_WORD, _NUMBER), min_size=1, max_size=3),
)
def test_prefixed_names_survive_the_scrubber(prefix: str, parts: list[str]) -> None:
    name = "-".join([prefix, *parts])
    assert scrub(f"channel {name} disabled") == f"channel {name} disabled"


_KEY_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


@given(
    prefix=st.sampled_from(["sk-", "sk-proj-", "xai-", "gsk_", "nvapi-"]),
    body=st.text(alphabet=_KEY_ALPHABET, min_size=32, max_size=96),
)
def test_real_looking_keys_are_masked(prefix: str, body: str) -> None:
    key = prefix + body
    assert key not in scrub(f"refused {key} upstream")
    assert body[8:] not in scrub(f"refused {key} upstream")


@pytest.mark.parametrize("key", ["sk-new-0123456789", "sk-invalid-0123456789abcdef", "xai-liveKey0123456789"])
def test_short_keys_with_a_random_run_are_masked(key: str) -> None:
    assert key not in scrub(f"bad key {key}")


def test_a_remembered_secret_inside_a_name_is_masked_by_the_identifier_rule() -> None:
    remember("xai-remembered-site-secret")
    assert mask_remembered("xai-official-90") == "xai-official-90"
    assert "remembered" not in mask_remembered("copy of xai-remembered-site-secret")
