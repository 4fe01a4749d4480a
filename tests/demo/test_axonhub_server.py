"""The emulated AxonHub over plain HTTP: the wire behaviour and traps a client must survive (axonhub.md)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tui_channels.demo.gateway import DemoGateway, DemoSite

SIGN_IN = "/admin/auth/signin"
GRAPHQL = "/admin/graphql"
_names = itertools.count(1)
CHANNEL = "id name type status baseURL supportedModels settings { modelMappings { from to } }"


@pytest.fixture(params=["current", "older"])
def site(request: pytest.FixtureRequest, gateway: DemoGateway) -> DemoSite:
    return gateway.add_axonhub(f"axon-server-{next(_names)}", generation=request.param, channels=6)


@pytest.fixture
def http(site: DemoSite) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site.url) as client:
        answer = client.post(SIGN_IN, json={"email": site.email, "password": site.secret})
        assert answer.status_code == 200, answer.text
        client.headers["Authorization"] = f"Bearer {answer.json()['token']}"
        yield client


def gql(http: httpx.Client, query: str, **variables: Any) -> dict[str, Any]:
    answer = http.post(GRAPHQL, json={"query": query, "variables": variables})
    assert answer.status_code == 200, answer.text
    return answer.json()


def create(http: httpx.Client, name: str, **fields: Any) -> dict[str, Any]:
    body = {
        "type": "openai",
        "name": name,
        "baseURL": "http://up/v1",
        "credentials": {"apiKey": "sk-1"},
        "supportedModels": ["gpt-4o"],
        "defaultTestModel": "gpt-4o",
        **fields,
    }
    answer = gql(http, f"mutation($i: CreateChannelInput!) {{ createChannel(input: $i) {{ {CHANNEL} }} }}", i=body)
    return answer["data"]["createChannel"]


def test_sign_in_refusals_have_real_statuses(site: DemoSite) -> None:
    with httpx.Client(base_url=site.url) as client:
        wrong = client.post(SIGN_IN, json={"email": site.email, "password": "nope"})
        malformed = client.post(SIGN_IN, json={"email": "not-an-email", "password": "x"})
        anonymous = client.post(GRAPHQL, json={"query": "{ me { email } }"})
    assert (wrong.status_code, malformed.status_code, anonymous.status_code) == (401, 400, 401)
    message = wrong.json()["error"]
    assert (message if isinstance(message, str) else message["message"]) == "Invalid email or password"


def test_a_new_channel_starts_disabled_whatever_was_asked(site: DemoSite, http: httpx.Client) -> None:
    extra = {"status": "enabled"} if site.flavor == "axonhub-older" else {}
    assert create(http, "starts-disabled", **extra)["status"] == "disabled"


def test_an_update_ignores_status_and_replaces_settings_whole(site: DemoSite, http: httpx.Client) -> None:
    created = create(http, "whole", settings={"modelMappings": [{"from": "a", "to": "b"}]})
    channel_id = int(created["id"].rsplit("/", 1)[1])
    site.server.records[channel_id]["settings"]["kept?"] = "no"
    query = f"mutation($id: ID!, $i: UpdateChannelInput!) {{ updateChannel(id: $id, input: $i) {{ {CHANNEL} }} }}"
    updated = gql(http, query, id=created["id"], i={"status": "enabled", "settings": {"modelMappings": []}})
    assert updated["data"]["updateChannel"]["status"] == "disabled"
    assert site.server.records[channel_id]["settings"] == {"modelMappings": []}


def test_a_field_the_generation_lacks_fails_validation_with_422(site: DemoSite, http: httpx.Client) -> None:
    answer = http.post(GRAPHQL, json={"query": 'mutation { deleteChannel(id: "gid://axonhub/Channel/1") }'})
    if site.flavor == "axonhub-current":
        assert answer.status_code == 200 and answer.json()["data"]["deleteChannel"] is True
        return
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_the_older_generation_never_returns_credentials(site: DemoSite, http: httpx.Client) -> None:
    answer = http.post(GRAPHQL, json={"query": "{ channels(first: 1) { edges { node { credentials { apiKey } } } } }"})
    assert answer.status_code == (200 if site.flavor == "axonhub-current" else 422)


def test_paging_walks_every_channel_once(site: DemoSite, http: httpx.Client) -> None:
    seen: list[str] = []
    after = None
    while True:
        page = gql(
            http,
            "query($a: Cursor) { channels(first: 4, after: $a) { edges { node { id } } "
            "pageInfo { hasNextPage endCursor } totalCount } }",
            a=after,
        )["data"]["channels"]
        seen += [edge["node"]["id"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == page["totalCount"] == 6


def test_a_missing_node_and_a_bad_global_id_are_graphql_errors(http: httpx.Client) -> None:
    missing = gql(http, '{ node(id: "gid://axonhub/Channel/999") { id } }')
    bad = gql(http, '{ node(id: "999") { id } }')
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert bad["errors"][0]["message"] == "guid must start with gid://axonhub/"
