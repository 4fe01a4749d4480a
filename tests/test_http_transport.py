"""The wire under `HttpTransport`: aiohttp for direct connections, httpx's own through a proxy.

The error classes over this wire are pinned by the hostile-network and client tests; these pin
what the choice of wire itself changes: a proxy named in the environment is still used, and a
client dropped without being closed does not print aiohttp's complaint on the terminal.
"""

from __future__ import annotations

import string
import subprocess
import sys
import textwrap

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui_channels.backends.http import HttpTransport
from tui_channels.demo.gateway import DemoGateway


async def test_a_proxy_named_in_the_environment_is_used(gateway: DemoGateway, monkeypatch: pytest.MonkeyPatch):
    """With HTTP_PROXY naming another server (the fake upstream stands in for the proxy), a request
    for the site goes to that server, and the site never sees it."""
    site = gateway.add_newapi("proxied", channels=1)
    monkeypatch.setenv("HTTP_PROXY", gateway.upstream_url)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    transport = HttpTransport(site.url)
    try:
        await transport.request("GET", "/api/status", timeout=10)
    finally:
        await transport.aclose()
    assert gateway.upstream_stats.count("GET", "*/api/status") == 1  # in the absolute form a proxy is sent
    assert site.stats.count("GET", "*/api/status") == 0


async def test_without_a_proxy_the_request_goes_straight_to_the_server(gateway: DemoGateway):
    transport = HttpTransport(gateway.upstream_url)
    try:
        answer = await transport.request("GET", "/p/openai/v1/models", timeout=10)
    finally:
        await transport.aclose()
    assert answer.status_code == 401  # the fake upstream wants a key: the server itself answered


def test_a_client_dropped_unclosed_prints_nothing():
    """An interrupted command may leave a client unclosed; it must exit without a word on stderr."""
    script = textwrap.dedent(
        """
        import asyncio, gc
        from tui_channels.backends.http import HttpTransport
        from tui_channels.errors import Unreachable

        async def main():
            transport = HttpTransport("http://127.0.0.1:9")
            try:
                await transport.request("GET", "/api/status", timeout=5)
            except Unreachable:
                pass

        asyncio.run(main())
        gc.collect()
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


async def test_a_cookie_the_server_sets_is_sent_back(gateway: DemoGateway):
    """Requests skip `AsyncClient.send`, but the cookie jar works as before: a current Octopus
    answers its login with an `auth` cookie, and the next request is let in by that cookie alone."""
    site = gateway.add_octopus("cookies", channels=1)
    transport = HttpTransport(site.url)
    try:
        listed_before = await transport.request("GET", "/api/v1/channel/list", timeout=10)
        login = {"username": site.username, "password": site.secret, "expire": 600}
        await transport.request("POST", "/api/v1/user/login", json_body=login, timeout=10)
        listed_after = await transport.request("GET", "/api/v1/channel/list", timeout=10)
    finally:
        await transport.aclose()
    assert listed_before.status_code == 401
    assert any(cookie.name == "auth" for cookie in transport.cookies.jar)
    assert listed_after.status_code == 200


async def test_a_closed_transport_sends_nothing(gateway: DemoGateway):
    """A request after `aclose()` is refused, as httpx refuses it, instead of opening new connections."""
    transport = HttpTransport(gateway.upstream_url)
    await transport.aclose()
    with pytest.raises(RuntimeError, match="closed"):
        await transport.request("GET", "/p/after-close/v1/models", timeout=10)
    assert gateway.upstream_stats.count("GET", "/p/after-close/*") == 0


_SEGMENT = st.one_of(
    st.sampled_from([".", "..", "", "api", "v1", "fetch-model", "12", ".hidden", "a..b"]),
    st.text(alphabet=string.ascii_letters + string.digits + "-._~:%@!$&'()*+,;= ?#", min_size=0, max_size=12),
)


@settings(max_examples=300, deadline=None)
@given(
    base=st.sampled_from(
        [
            "http://127.0.0.1:3000",
            "https://Gateway.Example.com/",
            "https://gateway.example.com:443/newapi",
            "http://[::1]:8080/a/b/",
            "http://user:pw@host:81/sub%20dir",
            "http://host/?q=1",
        ]
    ),
    segments=st.lists(_SEGMENT, max_size=4),
    leading_slash=st.booleans(),
)
def test_a_request_url_is_the_one_httpx_parses_from_the_whole_address(
    base: str, segments: list[str], leading_slash: bool
):
    """Requests join plain paths to the base URL parsed once; every URL must still equal, part for
    part, what httpx makes of the whole address (dot segments, escapes, queries included)."""
    path = ("/" if leading_slash else "") + "/".join(segments)
    transport = HttpTransport(base)
    made = httpx.URL(transport._url(path))
    expected = httpx.URL(f"{transport.base_url}/{path.lstrip('/')}")
    assert made == expected
    assert (made.raw_path, made.host, made.port, made.scheme) == (
        expected.raw_path,
        expected.host,
        expected.port,
        expected.scheme,
    )


@pytest.mark.parametrize(
    "path",
    ["/api/status", "/api/channel/", "/api/no-such-route", "/", "/api/channel/test/x"],
)
async def test_an_answer_is_the_one_httpx_makes_from_the_same_bytes(gateway: DemoGateway, path: str):
    """Answers are made without passing their read body through httpx's decoders again: each must
    equal, field for field, what `httpx.Response(content=…)` makes of the same status, headers and
    body (JSON, an error object, the web UI's page, an empty body)."""
    site = gateway.add_newapi("answers", channels=2)
    transport = HttpTransport(site.url, headers={"Authorization": f"Bearer {site.secret}", "New-Api-User": "1"})
    try:
        answer = await transport.request("GET", path, timeout=10)
    finally:
        await transport.aclose()
    wire = [(name, value) for name, value in answer.headers.raw if name.lower() != b"content-length"]
    made = httpx.Response(answer.status_code, headers=wire, content=answer.content, request=answer.request)
    assert answer.headers.raw == made.headers.raw
    assert (answer.status_code, answer.content, answer.text, answer.encoding, answer.charset_encoding) == (
        made.status_code,
        made.content,
        made.text,
        made.encoding,
        made.charset_encoding,
    )
    assert (answer.is_closed, answer.is_stream_consumed) == (made.is_closed, made.is_stream_consumed)
    assert await answer.aread() == made.content
    if "json" in answer.headers.get("content-type", ""):
        assert answer.json() == made.json()


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE"]),
    segments=st.lists(_SEGMENT, min_size=1, max_size=4),
    body=st.none() | _JSON,
    header=st.sampled_from([None, ("Content-Type", "text/plain"), ("Host", "elsewhere"), ("X-Extra", "1")]),
)
def test_a_request_is_the_one_httpx_builds(
    method: str, segments: list[str], body: object, header: tuple[str, str] | None
):
    """Requests are put together without httpx normalising their headers twice; each must equal,
    header for header and byte for byte, the request httpx makes of the same URL, the client's
    headers and the body."""
    transport = HttpTransport("http://127.0.0.1:3000/base", headers={"Authorization": "Bearer k", "New-Api-User": "1"})
    if header is not None:
        transport.set_header(*header)
    path = "/" + "/".join(segments)
    made = transport._build(method, path, body, None, 7.5)
    expected = httpx.Request(
        method,
        transport._url(path),
        headers=transport._client.headers,
        json=body,
        extensions={"timeout": httpx.Timeout(7.5).as_dict()},
    )
    assert (made.method, str(made.url), made.headers.raw, made.content, made.extensions) == (
        expected.method,
        str(expected.url),
        expected.headers.raw,
        expected.content,
        expected.extensions,
    )
