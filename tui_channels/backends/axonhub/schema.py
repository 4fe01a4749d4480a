"""What the connected AxonHub's GraphQL schema offers, read once from introspection.

AxonHub's API grows every release (axonhub.md §3.1): v0.1 has no delete, no bulk mutations, no
model fetch and no readable credentials; later servers add `queryChannels`, `deleteChannel`,
`bulk*Channels`, `fetchModels`, key lists, tags and remarks, and on v0.9 a channel's type became
editable. Instead of guessing from the version, the client asks the schema, and builds every
document from it, so it never sends a field the server lacks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from gql.dsl import DSLField, DSLSchema, DSLType
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
)

CHANNEL_FIELDS = (
    "id",
    "createdAt",
    "updatedAt",
    "type",
    "baseURL",
    "name",
    "status",
    "supportedModels",
    "manualModels",
    "autoSyncSupportedModels",
    "autoSyncModelPattern",
    "tags",
    "defaultTestModel",
    "policies",
    "settings",
    "orderingWeight",
    "errorMessage",
    "remark",
    "endpoints",
    "credentials",
    "disabledAPIKeys",
)
"""The channel's own fields a manager reads; each is selected only if the server has it."""

_MAX_DEPTH = 6


@dataclass(frozen=True, slots=True)
class Features:
    """Which channel operations and fields the schema has."""

    paged_query: bool
    """`queryChannels(input:)`; older servers list through the ent connection `channels(...)` only."""
    delete: bool
    bulk_delete: bool
    bulk_status: bool
    fetch_models: bool
    type_editable: bool
    """`UpdateChannelInput.type` exists (v0.9 and later); before, the type is fixed at creation."""
    create_status: bool
    readable_keys: bool
    """`Channel.credentials` exists; v0.1 never returns a channel's credentials."""
    key_list: bool
    """Credentials hold `apiKeys`, several keys the server rotates through."""
    tags: bool
    remark: bool
    manual_models: bool
    ordering_weight: bool
    settings: bool
    settings_members: tuple[str, ...]
    """What `ChannelSettingsInput` can carry; a settings member outside it cannot be written."""
    types: tuple[str, ...]
    where_fields: frozenset[str]

    @classmethod
    def of(cls, schema: GraphQLSchema) -> Features:
        query = _fields(schema.query_type)
        mutation = _fields(schema.mutation_type)
        channel = _fields(schema.get_type("Channel"))
        update = _fields(schema.get_type("UpdateChannelInput"))
        create = _fields(schema.get_type("CreateChannelInput"))
        credentials = _fields(schema.get_type("ChannelCredentialsInput"))
        kinds = schema.get_type("ChannelType")
        return cls(
            paged_query="queryChannels" in query,
            delete="deleteChannel" in mutation,
            bulk_delete="bulkDeleteChannels" in mutation,
            bulk_status={"bulkEnableChannels", "bulkDisableChannels"} <= mutation,
            fetch_models="fetchModels" in query,
            type_editable="type" in update,
            create_status="status" in create,
            readable_keys="credentials" in channel,
            key_list="apiKeys" in credentials,
            tags="tags" in channel and "tags" in update,
            remark="remark" in channel and "remark" in update,
            manual_models="manualModels" in channel and "manualModels" in update,
            ordering_weight="orderingWeight" in channel and "orderingWeight" in update,
            settings="settings" in channel and "settings" in update,
            settings_members=tuple(sorted(_fields(schema.get_type("ChannelSettingsInput")))),
            types=tuple(kinds.values) if isinstance(kinds, GraphQLEnumType) else (),
            where_fields=frozenset(_fields(schema.get_type("ChannelWhereInput"))),
        )


def _fields(graphql_type: Any) -> frozenset[str]:
    if isinstance(graphql_type, (GraphQLObjectType, GraphQLInputObjectType)):
        return frozenset(graphql_type.fields)
    return frozenset()


def selection(
    schema: GraphQLSchema, ds: DSLSchema, type_name: str, names: Iterable[str] | None = None, depth: int = 0
) -> list[DSLField]:
    """Every field of `type_name` (or those of `names` it has) that takes no required argument,
    object fields expanded whole: a channel read back must hold its aggregates complete, since an
    update replaces them whole."""
    object_type = schema.get_type(type_name)
    if not isinstance(object_type, GraphQLObjectType) or depth > _MAX_DEPTH:
        return []
    dsl_type: DSLType = getattr(ds, type_name)
    chosen = []
    for name in names if names is not None else object_type.fields:
        definition = object_type.fields.get(name)
        if definition is None or any(isinstance(arg.type, GraphQLNonNull) for arg in definition.args.values()):
            continue
        if names is None and definition.args:
            continue
        field = getattr(dsl_type, name)
        inner = get_named_type(definition.type)
        if isinstance(inner, GraphQLObjectType):
            nested = selection(schema, ds, inner.name, depth=depth + 1)
            if not nested:
                continue
            field = field.select(*nested)
        chosen.append(field)
    return chosen


def as_input(value: Any, input_type: Any, path: str, lost: list[str]) -> Any:
    """An answer's value in the shape of an input type: fields the input lacks are left out, and
    each one that held something is named in `lost` (so the caller can refuse to drop it)."""
    if isinstance(input_type, GraphQLNonNull):
        input_type = input_type.of_type
    if value is None:
        return None
    if isinstance(input_type, GraphQLList):
        return [as_input(item, input_type.of_type, path, lost) for item in value]
    if isinstance(input_type, GraphQLInputObjectType):
        shaped = {}
        for name, item in value.items():
            field = input_type.fields.get(name)
            if field is None:
                if item not in (None, "", [], {}, False, 0):
                    lost.append(f"{path}.{name}")
                continue
            if item is not None:
                shaped[name] = as_input(item, field.type, f"{path}.{name}", lost)
        return shaped
    return value
