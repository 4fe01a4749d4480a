"""AxonHub backend: email and password sign-in, then channel administration over GraphQL.

Follows ../shared/api/axonhub.md, corrected by a real v0.9.38 server. The JWT lives in memory; a
401 (always answered before GraphQL runs, so nothing was done) gets one fresh sign-in and one
retry. On connect the client reads the schema by introspection (through gql) and builds every
document from it with gql's DSL. The traps it handles:

- a new channel starts `disabled` whatever the input says: the chosen status is set afterwards;
- `credentials` and `settings` are replaced whole by an update: the channel is read again, the
  change applied to the complete object, and the whole object sent back;
- `status` inside `updateChannel` is ignored by the server: status goes through
  `updateChannelStatus`;
- the type is fixed on servers whose `UpdateChannelInput` has no `type`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Unpack

from gql import Client
from gql.client import AsyncClientSession
from gql.dsl import DSLInlineFragment, DSLMutation, DSLQuery, DSLSchema, DSLVariableDefinitions, dsl_gql
from gql.graphql_request import GraphQLRequest
from gql.transport.exceptions import TransportQueryError
from graphql import DocumentNode, GraphQLError, GraphQLSchema

from ...errors import (
    AuthError,
    BadRecord,
    BadResponse,
    NotFound,
    NotSupported,
    RequestRejected,
    ServerError,
)
from ...models import NEUTRAL_FIELDS, Channel, ChannelSpec, ChannelStatus, TestResult, TypeCatalog, TypeCode
from ...redact import remember
from ...wording import plural
from ..base import BackendBase, Capabilities, Operation, ProgressCallback
from ..http import HttpTransport, TransportSettings, decode_json, host_of
from ..wire_values import describe, read_records
from .errors import graphql_error
from .fields import build_capabilities
from .schema import CHANNEL_FIELDS, Features, as_input, selection
from .transport import AdminGraphQL, SessionExpired, call_timeout, error_text
from .wire import STATUS_TO_WIRE, UNSUPPORTED_FIELDS, channel_from_wire, global_id, split_keys, split_tags, wire_value

SIGN_IN = "/admin/auth/signin"
HEALTH = "/health"
PAGE_SIZE = 100
SLOW_CALL_TIMEOUT = 120.0
"""Tests and model fetches wait for the upstream: they get a long timeout."""

_CREDENTIAL_TYPES = frozenset({"anthropic_aws", "anthropic_gcp", "gemini_vertex"})
"""Types whose credentials hold more than keys (AWS or GCP accounts)."""
_NO_MODEL_LIST = frozenset({"volcengine"})
"""Types whose model fetch AxonHub answers with an empty list by design (biz/model_fetcher.go)."""
_NEUTRAL_WIRE = {"name": "name", "base_url": "baseURL", "models": "supportedModels", "type": "type", "tag": "tags"}


class AxonHubBackend(BackendBase):
    """A client for one AxonHub server, any version with the channel GraphQL API."""

    def __init__(self, base_url: str, *, email: str, password: str, **transport: Unpack[TransportSettings]) -> None:
        self._http = HttpTransport(base_url, **transport)
        self._host = host_of(base_url)
        self._email = email
        self._password = password
        self._session_id = 0
        self._sign_in_lock = asyncio.Lock()
        self._session: AsyncClientSession | None = None
        self._schema: GraphQLSchema | None = None
        self._ds: DSLSchema | None = None
        self._features: Features | None = None
        self._documents: dict[str, DocumentNode] = {}
        self._version = "unknown"

    # -- session ---------------------------------------------------------------------------

    async def _sign_in(self) -> None:
        self._http.set_header("Authorization", None)
        credentials = {"email": self._email, "password": self._password}
        response = await self._http.request("POST", SIGN_IN, json_body=credentials)
        status = response.status_code
        if status == 401:
            raise AuthError(
                f"The email or password for {self._host} is wrong (AxonHub answered 401: "
                f"{error_text(response) or 'unauthorized'}). Check the site's AxonHub sign-in."
            )
        if status == 400:
            raise AuthError(
                f"AxonHub at {self._host} refused the sign-in as malformed ({error_text(response) or 'HTTP 400'}). "
                "The site's email must be a valid email address."
            )
        if status == 404:
            raise NotSupported(
                f"{self._host} has no {SIGN_IN} route (HTTP 404). Check that the site URL points at an AxonHub server."
            )
        if status >= 500:
            raise ServerError(
                f"AxonHub at {self._host} failed to sign in (HTTP {status}"
                + (f": {error_text(response)}" if error_text(response) else "")
                + "). Check the gateway's log; try again later."
            )
        body = decode_json(response)
        token = body.get("token") if isinstance(body, dict) else None
        if status != 200 or not isinstance(token, str) or not token:
            raise BadResponse(
                f"{SIGN_IN} on {self._host} answered HTTP {status} without a token. "
                "Check that the site URL points at an AxonHub server."
            )
        remember(token)
        self._http.set_header("Authorization", f"Bearer {token}")
        self._session_id += 1

    async def _resign(self, seen_session: int) -> None:
        """Sign in unless another task already did since `seen_session` (one sign-in for many callers)."""
        async with self._sign_in_lock:
            if self._session_id == seen_session:
                await self._sign_in()

    # -- GraphQL ---------------------------------------------------------------------------

    async def _execute(
        self, document: DocumentNode, variables: Mapping[str, Any], action: str, name: str | None = None
    ) -> dict[str, Any]:
        """Run one document; a refused session gets one fresh sign-in and one retry."""
        session = self._require_session()
        request = GraphQLRequest(document, variable_values=dict(variables))
        result = await self._retrying(lambda: session.execute(request), action, name)
        if not isinstance(result, dict):
            raise BadResponse(f"AxonHub at {self._host} answered the request to {action} without data.")
        return result

    async def _retrying(self, call: Callable[[], Awaitable[Any]], action: str, name: str | None = None) -> Any:
        for attempt in (1, 2):
            seen = self._session_id
            try:
                return await call()
            except SessionExpired:
                if attempt == 2:
                    raise AuthError(
                        f"AxonHub at {self._host} refused the session again right after a fresh sign-in "
                        f"(while trying to {action}). Check that the account is still active."
                    ) from None
                await self._resign(seen)
            except TransportQueryError as exc:
                raise graphql_error(exc.errors or [str(exc)], host=self._host, action=action, name=name) from None
            except GraphQLError as exc:
                raise BadResponse(
                    f"The request to {action} does not fit the schema of AxonHub at {self._host} "
                    f"({exc}). Reconnect to the site."
                ) from None
        raise AssertionError("unreachable")

    def _require_session(self) -> AsyncClientSession:
        if self._session is None:
            raise RuntimeError("connect() must be awaited first")
        return self._session

    @property
    def _dsl(self) -> tuple[GraphQLSchema, DSLSchema, Features]:
        if self._schema is None or self._ds is None or self._features is None:
            raise RuntimeError("connect() must be awaited first")
        return self._schema, self._ds, self._features

    def _channel_selection(self) -> list[Any]:
        schema, ds, _ = self._dsl
        return selection(schema, ds, "Channel", CHANNEL_FIELDS)

    def _document(self, key: str, build: Any) -> DocumentNode:
        document = self._documents.get(key)
        if document is None:
            document = self._documents[key] = build()
        return document

    def _mutation(self, key: str, field: str, args: Mapping[str, str], returns_channel: bool = True) -> DocumentNode:
        """`mutation($a: T, ...) { field(a: $a, ...) { <channel> } }`, built once from the schema."""

        def build() -> DocumentNode:
            _, ds, _ = self._dsl
            variables = DSLVariableDefinitions()
            call = getattr(ds.Mutation, field).args(**{arg: getattr(variables, var) for arg, var in args.items()})
            if returns_channel:
                call = call.select(*self._channel_selection())
            operation = DSLMutation(call)
            operation.variable_definitions = variables
            return dsl_gql(operation)

        return self._document(key, build)

    # -- connection ------------------------------------------------------------------------

    async def connect(self) -> Capabilities:
        """Read the version, sign in, read the schema by introspection, and describe the server."""
        self._version = await self._read_version()
        self.detected_label = f"AxonHub, version {self._version}"
        await self._resign(self._session_id)
        client = Client(
            transport=AdminGraphQL(self._http),
            fetch_schema_from_transport=True,
            introspection_args={"descriptions": False, "input_value_deprecation": False},
            execute_timeout=None,
        )
        session = await self._retrying(client.connect_async, "read its GraphQL schema")
        schema = client.schema
        if schema is None or schema.get_type("Channel") is None or schema.mutation_type is None:
            raise BadResponse(
                f"The GraphQL schema of {self._host} has no Channel type: this is not an AxonHub admin API."
            )
        self._session = session
        self._schema, self._ds = schema, DSLSchema(schema)
        self._features = Features.of(schema)
        self._documents.clear()
        self._capabilities = build_capabilities(self._features, version=self._version)
        return self._capabilities

    async def _read_version(self) -> str:
        """`GET /health` (public) names the build; a server without it is still tried."""
        try:
            response = await self._http.request("GET", HEALTH)
            body = decode_json(response) if response.status_code == 200 else {}
        except BadResponse:
            return "unknown"
        version = body.get("version") if isinstance(body, dict) else None
        return str(version) if version else "unknown"

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
        await self._http.aclose()

    async def verify(self) -> Capabilities:
        """Connect, then list one channel: proves the account may read channels."""
        capabilities = await self.connect()
        await self._page(None, 1)
        return capabilities

    # -- listing ---------------------------------------------------------------------------

    def _list_document(self) -> DocumentNode:
        def build() -> DocumentNode:
            _, ds, features = self._dsl
            variables = DSLVariableDefinitions()
            connection = ds.ChannelConnection
            inner = (
                connection.edges.select(ds.ChannelEdge.node.select(*self._channel_selection())),
                connection.pageInfo.select(ds.PageInfo.hasNextPage, ds.PageInfo.endCursor),
                connection.totalCount,
            )
            if features.paged_query:
                call = ds.Query.queryChannels.args(input=variables.input)
            else:
                call = ds.Query.channels.args(first=variables.first, after=variables.after, where=variables.where)
            operation = DSLQuery(call.select(*inner))
            operation.variable_definitions = variables
            return dsl_gql(operation)

        return self._document("list", build)

    async def _page(self, after: str | None, first: int, where: Mapping[str, Any] | None = None) -> dict[str, Any]:
        _, _, features = self._dsl
        args: dict[str, Any] = {"first": first, "after": after}
        if where:
            args["where"] = dict(where)
        variables = {"input": args} if features.paged_query else args
        data = await self._execute(self._list_document(), variables, "list channels")
        page = data.get("queryChannels" if features.paged_query else "channels")
        if not isinstance(page, dict):
            raise BadResponse(f"AxonHub at {self._host} answered the channel list without a connection.")
        return page

    async def _all(self, where: Mapping[str, Any] | None, on_progress: ProgressCallback | None) -> list[Channel]:
        """Every channel `where` selects, page by page; a node that cannot be a channel is skipped
        into `list_warnings`, a page that cannot be read raises `BadResponse`."""
        nodes: list[Any] = []
        after: str | None = None
        while True:
            page = await self._page(after, PAGE_SIZE, where)
            edges = page.get("edges")
            if edges is not None and not isinstance(edges, list):
                raise BadResponse(f"AxonHub at {self._host} answered a page of channels whose edges are not a list.")
            nodes.extend(edge.get("node") if isinstance(edge, dict) else edge for edge in edges or [])
            total = page.get("totalCount")
            if on_progress is not None:
                on_progress(len(nodes), total if isinstance(total, int) and not isinstance(total, bool) else None)
            info = page.get("pageInfo")
            info = info if isinstance(info, dict) else {}
            cursor = info.get("endCursor")
            if not info.get("hasNextPage") or not cursor or cursor == after:
                channels, self.list_warnings = read_records(nodes, self._listed)
                return channels
            after = cursor

    def _listed(self, node: Any, position: int) -> Channel:
        """One node of a list; `BadRecord` naming it when it cannot be a channel, so the list goes on."""
        if not isinstance(node, dict):
            raise BadRecord(f"{describe(node, position)} is not a channel object; it was skipped.")
        try:
            return channel_from_wire(node, self._types)
        except (KeyError, TypeError, ValueError):
            raise BadRecord(f"{describe(node, position)} has no usable global id; it was skipped.") from None

    def _channel(self, record: Mapping[str, Any]) -> Channel:
        try:
            return channel_from_wire(record, self._types)
        except (KeyError, TypeError, ValueError):
            raise BadResponse(
                f"AxonHub at {self._host} returned a channel without a usable global id. "
                "The server may be a version this app does not know."
            ) from None

    @property
    def _types(self) -> TypeCatalog:
        return self.capabilities.types

    async def list_channels(self, on_progress: ProgressCallback | None = None) -> list[Channel]:
        return await self._all(None, on_progress)

    async def search_channels(self, keyword: str) -> list[Channel]:
        """Name or base URL containing `keyword`, case-insensitively, filtered by the server."""
        _, _, features = self._dsl
        wanted = [f for f in ("nameContainsFold", "baseURLContainsFold") if f in features.where_fields]
        if not wanted:
            lowered = keyword.lower()
            return [c for c in await self.list_channels() if lowered in c.name.lower() or lowered in c.base_url.lower()]
        return await self._all({"or": [{name: keyword} for name in wanted]}, None)

    async def get_channel(self, channel_id: int) -> Channel:
        return await self._read(Channel(id=channel_id, name="", type=self._types.get(""), status=ChannelStatus.UNKNOWN))

    async def _read(self, channel: Channel) -> Channel:
        """The channel as the server holds it now (`node(id:)`)."""

        def build() -> DocumentNode:
            _, ds, _ = self._dsl
            variables = DSLVariableDefinitions()
            on_channel = DSLInlineFragment().on(ds.Channel).select(*self._channel_selection())
            call = ds.Query.node.args(id=variables.id).select(on_channel)
            operation = DSLQuery(call)
            operation.variable_definitions = variables
            return dsl_gql(operation)

        data = await self._execute(
            self._document("node", build), {"id": global_id(channel)}, f"read channel {channel.id}"
        )
        node = data.get("node")
        if not isinstance(node, dict) or "id" not in node:
            raise NotFound(
                f"Channel {channel.id} does not exist on {self._host}; it may have been deleted. Reload the list."
            )
        return self._channel(node)

    # -- create / update -------------------------------------------------------------------

    async def create_channel(self, spec: ChannelSpec) -> Channel:
        """Create, then set the chosen status: AxonHub starts every new channel disabled."""
        schema, _, features = self._dsl
        body = self._create_input(spec, schema, features)
        document = self._mutation("create", "createChannel", {"input": "input"})
        data = await self._execute(document, {"input": body}, f"create channel {spec.name!r}", name=body["name"])
        created = self._channel(_field(data, "createChannel", self._host))
        wanted = spec.status is not ChannelStatus.MANUALLY_DISABLED and spec.status is not ChannelStatus.AUTO_DISABLED
        if created.status.is_enabled != wanted:
            created = await self._set_status(created, wanted)
        return created

    def _create_input(self, spec: ChannelSpec, schema: GraphQLSchema, features: Features) -> dict[str, Any]:
        channel_type = self._types.get(spec.type)
        base_url = spec.base_url.strip() or channel_type.default_base_url
        if not base_url:
            raise RequestRejected(f"A base URL is required for an AxonHub channel of type {channel_type.name}.")
        keys = split_keys(spec.key)
        if not keys:
            raise RequestRejected("A channel needs an API key. Enter the upstream API key for this channel.")
        if len(keys) > 1 and not features.key_list:
            raise RequestRejected(
                "This AxonHub server holds one key per channel, and several keys were given. "
                "Create one channel per key, or enter a single key."
            )
        models = list(spec.models)
        body: dict[str, Any] = {
            "type": spec.type,
            "name": spec.name.strip(),
            "baseURL": base_url,
            "credentials": {"apiKeys": keys} if features.key_list else {"apiKey": keys[0]},
            "supportedModels": models,
            "defaultTestModel": str(spec.extra.get("defaultTestModel") or (models[0] if models else "")),
        }
        if spec.tag and features.tags:
            body["tags"] = split_tags(spec.tag)
        if features.create_status:
            body["status"] = STATUS_TO_WIRE[spec.status.is_enabled]
        self._apply_wire(body, spec.extra, schema.get_type("CreateChannelInput"), "create")
        if spec.priority or spec.weight:
            raise NotSupported(
                "AxonHub channels have no priority or weight: routing order and weights live in its "
                "load-balancer and API-key profile settings."
            )
        return body

    def _apply_wire(self, body: dict[str, Any], wire: Mapping[str, Any], input_type: Any, verb: str) -> None:
        """Copy backend wire fields (`remark`, `settings`, …) the server's input has; refuse the others."""
        for name, value in wire.items():
            if name == "defaultTestModel" and verb == "create":
                continue
            if name not in input_type.fields:
                raise RequestRejected(
                    f"This AxonHub server cannot {verb} a channel's {name!r}: its API has no such field."
                )
            shaped = wire_value(name, value)
            if name == "settings":
                shaped = self._whole("settings", shaped, input_type)
            body[name] = shaped

    def _whole(self, name: str, value: Any, input_type: Any) -> Any:
        """An aggregate in its input shape; refuses when a part of it could not be written back."""
        lost: list[str] = []
        shaped = as_input(value, input_type.fields[name].type, name, lost)
        if lost:
            raise RequestRejected(
                f"This AxonHub server cannot write back {', '.join(lost)}; saving would erase "
                f"{'it' if len(lost) == 1 else 'them'} because the server replaces the whole {name}. "
                "Change it in AxonHub's web UI instead."
            )
        return shaped

    async def update_channel(self, channel: Channel, changes: Mapping[str, Any]) -> Channel:
        """Scalars go as sent; keys and settings go inside the complete objects read just before."""
        schema, _, features = self._dsl
        update_type = schema.get_type("UpdateChannelInput")
        body: dict[str, Any] = {}
        wire: dict[str, Any] = {}
        status = changes.get("status")
        for name, value in changes.items():
            if name == "status":
                continue
            if name in UNSUPPORTED_FIELDS:
                raise NotSupported(
                    f"AxonHub channels have no {name}: routing order and weights live in its load-balancer "
                    "and API-key profile settings."
                )
            if name == "key":
                if value and "•" not in str(value):
                    body["credentials"] = None
                continue
            if name == "type" and value != channel.type.code and not features.type_editable:
                raise RequestRejected(
                    f"This AxonHub server ({self._version}) cannot change a channel's type: create a new "
                    "channel of the new type instead."
                )
            if name in NEUTRAL_FIELDS:
                if name == "base_url" and not str(value).strip():
                    raise RequestRejected("An AxonHub channel needs a base URL; it cannot be cleared.")
                if name == "tag" and not features.tags:
                    raise NotSupported(f"This AxonHub server ({self._version}) has no channel tags.")
                body[_NEUTRAL_WIRE[name]] = wire_value(_NEUTRAL_WIRE[name], value)
            else:
                wire[name] = value
        self._apply_wire(body, {k: v for k, v in wire.items() if k != "settings"}, update_type, "change")
        if "credentials" in body or "settings" in wire:
            fresh = await self._read(channel)
            if "credentials" in body:
                body["credentials"] = self._credentials(fresh, str(changes["key"]), update_type, features)
            if "settings" in wire:
                if _plain(fresh.raw.get("settings")) != _plain(channel.raw.get("settings")):
                    raise RequestRejected(
                        f"The settings of {channel.name!r} changed on the server since the list was loaded; "
                        "reload the list and edit them again."
                    )
                body["settings"] = self._whole("settings", wire_value("settings", wire["settings"]), update_type)
        updated = channel
        if body:
            document = self._mutation("update", "updateChannel", {"id": "id", "input": "input"})
            data = await self._execute(
                document,
                {"id": global_id(channel), "input": body},
                f"update channel {channel.name!r}",
                name=body.get("name"),
            )
            updated = self._channel(_field(data, "updateChannel", self._host))
        if (
            isinstance(status, ChannelStatus)
            and status is not ChannelStatus.UNKNOWN
            and status.is_enabled != updated.status.is_enabled
        ):
            updated = await self._set_status(updated, status.is_enabled)
        return updated

    def _credentials(self, fresh: Channel, typed: str, update_type: Any, features: Features) -> dict[str, Any]:
        """The stored credentials with their keys replaced by `typed`, everything else kept."""
        keys = split_keys(typed)
        if not keys:
            raise RequestRejected(
                "A channel key cannot be empty. Enter the upstream API key, or leave it to keep the stored one."
            )
        if len(keys) > 1 and not features.key_list:
            raise RequestRejected("This AxonHub server holds one key per channel: enter a single key.")
        if not features.readable_keys:
            if fresh.type.code in _CREDENTIAL_TYPES:
                raise RequestRejected(
                    f"This AxonHub server never returns credentials, and a {fresh.type.name} channel's credentials "
                    "hold more than a key: replacing the key would erase them. Change it in AxonHub's web UI."
                )
            return {"apiKey": keys[0]}
        stored = dict(fresh.raw.get("credentials") or {})
        oauth = stored.get("oauth")
        if isinstance(oauth, Mapping) and oauth.get("accessToken"):
            raise RequestRejected(
                f"{fresh.name!r} signs in to its upstream with OAuth; its credentials are managed by AxonHub's "
                "sign-in flow, not by a key."
            )
        if features.key_list:
            stored.update(apiKey="", apiKeys=keys)
        else:
            stored["apiKey"] = keys[0]
        return self._whole("credentials", stored, update_type)

    async def set_status(self, channel_id: int, enabled: bool) -> None:
        await self._set_status(
            Channel(id=channel_id, name=str(channel_id), type=self._types.get(""), status=ChannelStatus.UNKNOWN),
            enabled,
        )

    async def _set_status(self, channel: Channel, enabled: bool) -> Channel:
        document = self._mutation("status", "updateChannelStatus", {"id": "id", "status": "status"})
        action = f"{'enable' if enabled else 'disable'} channel {channel.name!r}"
        data = await self._execute(document, {"id": global_id(channel), "status": STATUS_TO_WIRE[enabled]}, action)
        updated = self._channel(_field(data, "updateChannelStatus", self._host))
        if updated.status.is_enabled != enabled:
            raise BadResponse(
                f"AxonHub at {self._host} answered the request to {action} with the status "
                f"{updated.raw.get('status')!r}. Reload the list and check the channel."
            )
        return updated

    # -- delete ----------------------------------------------------------------------------

    async def delete_channel(self, channel_id: int) -> None:
        self.capabilities.require(Operation.DELETE)
        document = self._mutation("delete", "deleteChannel", {"id": "id"}, returns_channel=False)
        channel = Channel(id=channel_id, name="", type=self._types.get(""), status=ChannelStatus.UNKNOWN)
        data = await self._execute(document, {"id": global_id(channel)}, f"delete channel {channel_id}")
        if data.get("deleteChannel") is not True:
            raise RequestRejected(f"AxonHub at {self._host} did not delete channel {channel_id}.")

    async def delete_channels(self, channel_ids: Sequence[int]) -> int:
        """One `bulkDeleteChannels` where the server has it, else one call per channel (gone ones skipped).

        The bulk mutation answers `true` even for ids that were already gone (v0.9.38), so its count
        is the number of ids asked for.
        """
        self.capabilities.require(Operation.DELETE)
        if not channel_ids:
            return 0
        if not self.capabilities.supports(Operation.BATCH_DELETE):
            deleted = 0
            for channel_id in channel_ids:
                try:
                    await self.delete_channel(channel_id)
                except NotFound:
                    continue
                deleted += 1
            return deleted
        document = self._mutation("bulk-delete", "bulkDeleteChannels", {"ids": "ids"}, returns_channel=False)
        ids = [
            global_id(Channel(id=i, name="", type=self._types.get(""), status=ChannelStatus.UNKNOWN))
            for i in channel_ids
        ]
        data = await self._execute(document, {"ids": ids}, f"delete {plural(len(ids), 'channel')}")
        if data.get("bulkDeleteChannels") is not True:
            raise RequestRejected(f"AxonHub at {self._host} did not delete the {plural(len(ids), 'channel')}.")
        return len(ids)

    # -- upstream-facing operations ----------------------------------------------------------

    async def test_channel(self, channel: Channel, model: str | None = None) -> TestResult:
        """The server's own test (`testChannel`); an upstream failure is a failed result."""
        document = self._document("test", lambda: self._payload_mutation("testChannel", "TestChannelPayload"))
        body: dict[str, Any] = {"channelID": global_id(channel)}
        if model:
            body["modelID"] = model
        started = time.perf_counter()
        try:
            with _slow():
                data = await self._execute(document, {"input": body}, f"test channel {channel.name!r}")
        except RequestRejected as exc:
            return TestResult(ok=False, seconds=time.perf_counter() - started, message=exc.message)
        payload = _field(data, "testChannel", self._host)
        latency = payload.get("latency")
        seconds = float(latency) if isinstance(latency, (int, float)) else None
        message = str(payload.get("error") or payload.get("message") or "")
        if not payload.get("success"):
            return TestResult(ok=False, seconds=seconds, message=message or "the test failed")
        return TestResult(ok=True, seconds=seconds, message=message)

    def _payload_mutation(self, field: str, payload_type: str) -> DocumentNode:
        schema, ds, _ = self._dsl
        variables = DSLVariableDefinitions()
        call = getattr(ds.Mutation, field).args(input=variables.input).select(*selection(schema, ds, payload_type))
        operation = DSLMutation(call)
        operation.variable_definitions = variables
        return dsl_gql(operation)

    async def fetch_models(self, channel: Channel) -> list[str]:
        """The upstream's models with the channel's stored key (the server picks it when none is sent)."""
        self.capabilities.require(Operation.FETCH_MODELS)
        body = {"channelType": str(channel.type.code), "baseURL": channel.base_url, "channelID": global_id(channel)}
        return await self._fetch_models(body, channel.type.code, f"fetch the upstream models of {channel.name!r}")

    async def fetch_models_adhoc(self, type_code: TypeCode, base_url: str, key: str) -> list[str]:
        self.capabilities.require(Operation.FETCH_MODELS_ADHOC)
        keys = split_keys(key)
        if not keys:
            raise RequestRejected("Enter the API key first: the models are fetched with it.")
        body = {"channelType": str(type_code), "baseURL": base_url, "apiKey": keys[0]}
        return await self._fetch_models(body, type_code, "fetch the upstream models for this key")

    async def _fetch_models(self, body: dict[str, Any], type_code: TypeCode, action: str) -> list[str]:
        if type_code in _NO_MODEL_LIST:
            raise NotSupported(
                f"AxonHub does not list the upstream models of {self._types.get(type_code).name} channels "
                "(it answers an empty list for them): enter the models by hand."
            )

        def build() -> DocumentNode:
            schema, ds, _ = self._dsl
            variables = DSLVariableDefinitions()
            call = ds.Query.fetchModels.args(input=variables.input).select(*selection(schema, ds, "FetchModelsPayload"))
            operation = DSLQuery(call)
            operation.variable_definitions = variables
            return dsl_gql(operation)

        with _slow():
            data = await self._execute(self._document("fetch-models", build), {"input": body}, action)
        payload = _field(data, "fetchModels", self._host)
        if payload.get("error"):
            raise RequestRejected(f"AxonHub at {self._host} could not {action}: {payload['error']}")
        models = payload.get("models")
        if not isinstance(models, list):
            raise BadResponse(f"AxonHub at {self._host} answered a model fetch without a list of models.")
        return [str(m["id"]) for m in models if isinstance(m, dict) and m.get("id")]


def _field(data: Mapping[str, Any], name: str, host: str) -> dict[str, Any]:
    value = data.get(name)
    if not isinstance(value, dict):
        raise BadResponse(f"AxonHub at {host} answered {name} without the expected object.")
    return value


def _plain(value: Any) -> Any:
    """An aggregate compared by content only: unset and empty members are alike."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@contextmanager
def _slow() -> Iterator[None]:
    token = call_timeout.set(SLOW_CALL_TIMEOUT)
    try:
        yield
    finally:
        call_timeout.reset(token)
