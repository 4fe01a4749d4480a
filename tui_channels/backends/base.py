"""The contract every backend family implements, and the description of what a server can do.

The UI and the services speak only this interface. A family declares itself with a
`BackendFamily` (what a site profile of its kind needs, how to build its client); its client
detects the server's protocol in `connect()` and describes it in `Capabilities`: which fields
exist (for forms), which columns make sense (for the table), its type list, and which operations
the connected server supports. An operation a server lacks raises `NotSupported` with
`Capabilities.unsupported_reason()`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import BadRecord, ChannelsError, InvalidSecret, NotSupported
from ..model_groups import GroupSpec, ModelGroup
from ..models import BackendKind, Channel, ChannelSpec, TestResult, TypeCatalog, TypeCode
from ..validation import check_secret
from .secret_fields import SecretFields
from .wire_values import describe as describe_record

if TYPE_CHECKING:
    from .http import TransportSettings


class Operation(enum.Enum):
    """Channel operations a server may or may not support."""

    SEARCH = "search"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    BATCH_DELETE = "batch_delete"
    DELETE_DISABLED = "delete_disabled"
    SET_STATUS = "set_status"
    TEST = "test"
    TEST_ALL = "test_all"
    FETCH_MODELS = "fetch_models"
    FETCH_MODELS_ADHOC = "fetch_models_adhoc"
    BALANCE = "balance"
    BALANCE_ALL = "balance_all"
    BATCH_TAG = "batch_tag"
    TAG_STATUS = "tag_status"
    TAG_EDIT = "tag_edit"
    COPY = "copy"
    GROUPS = "groups"
    FIX_ABILITIES = "fix_abilities"
    MULTI_KEY = "multi_key"
    MODEL_CATALOG = "model_catalog"
    MODELS_ENABLED = "models_enabled"
    SERVER_SYNC = "server_sync"
    """The server syncs channels' models itself, on demand (Octopus `POST /api/v1/channel/sync`)."""
    MODEL_GROUPS = "model_groups"
    """Groups that route one external model name to channel models (Octopus groups)."""
    UPSTREAM_UPDATES = "upstream_updates"
    """The server detects upstream model changes per channel (New API `/api/channel/upstream_updates/*`)."""
    REVEAL_KEY = "reveal_key"
    BATCH_UPDATE = "batch_update"


OPERATION_PHRASES: Mapping[Operation, str] = {
    Operation.SEARCH: "searching on the server",
    Operation.CREATE: "creating channels",
    Operation.UPDATE: "editing channels",
    Operation.DELETE: "deleting channels",
    Operation.BATCH_DELETE: "deleting several channels at once",
    Operation.DELETE_DISABLED: "deleting every disabled channel at once",
    Operation.SET_STATUS: "enabling and disabling channels",
    Operation.TEST: "channel tests",
    Operation.TEST_ALL: "testing every channel at once",
    Operation.FETCH_MODELS: "fetching a channel's models from its upstream",
    Operation.FETCH_MODELS_ADHOC: "fetching models with a typed key",
    Operation.BALANCE: "balances",
    Operation.BALANCE_ALL: "refreshing every balance at once",
    Operation.BATCH_TAG: "tagging several channels at once",
    Operation.TAG_STATUS: "enabling and disabling a tag's channels",
    Operation.TAG_EDIT: "editing a tag's channels",
    Operation.COPY: "copying channels on the server",
    Operation.GROUPS: "user groups",
    Operation.FIX_ABILITIES: "rebuilding the abilities table",
    Operation.MULTI_KEY: "channels with several keys",
    Operation.MODEL_CATALOG: "a model catalog",
    Operation.MODELS_ENABLED: "listing the enabled models",
    Operation.SERVER_SYNC: "server-side model sync",
    Operation.MODEL_GROUPS: "model groups",
    Operation.UPSTREAM_UPDATES: "upstream model updates",
    Operation.REVEAL_KEY: "revealing stored keys",
    Operation.BATCH_UPDATE: "editing several channels at once",
}
"""What each operation is, for "<server> does not support <phrase>." messages."""


def not_supported_message(operation: Operation, server: str = "This server") -> str:
    """One sentence: `server` (a flavor label) does not support `operation`."""
    return f"{server} does not support {OPERATION_PHRASES[operation]}."
WRITE_OPERATIONS = frozenset(
    {
        Operation.CREATE,
        Operation.UPDATE,
        Operation.DELETE,
        Operation.BATCH_DELETE,
        Operation.DELETE_DISABLED,
        Operation.SET_STATUS,
        Operation.BATCH_TAG,
        Operation.TAG_STATUS,
        Operation.TAG_EDIT,
        Operation.COPY,
        Operation.FIX_ABILITIES,
        Operation.MULTI_KEY,
        Operation.SERVER_SYNC,
        Operation.UPSTREAM_UPDATES,
        Operation.BATCH_UPDATE,
    }
)
"""Operations that change what the gateway stores or routes; a read-only site has none of them.
Tests and balance refreshes stay: they change only the figures the gateway records."""


class FieldKind(enum.Enum):
    """How a form renders and validates a field."""

    TEXT = "text"
    SECRET = "secret"
    INT = "int"
    NUMBER = "number"
    BOOL = "bool"
    JSON = "json"
    TYPE = "type"
    STATUS = "status"
    MODELS = "models"
    GROUPS = "groups"
    CHOICE = "choice"
    URL_LIST = "url_list"
    KEY_LIST = "key_list"
    HEADERS = "headers"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One editable channel field as a backend exposes it.

    `name` is a neutral field name (see `models.NEUTRAL_FIELDS`), the backend's wire field name, or
    `column.key` for one entry of a JSON-object column (Veloera's `setting.proxy`).
    """

    name: str
    label: str
    kind: FieldKind
    required: bool = False
    advanced: bool = False
    help: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    default: Any = None
    """The value a new channel starts with, in the wire's own type (New API's `auto_ban` is 0/1)."""
    fixed_on_edit: bool = False
    """Set when the channel is created and never changed afterwards: an edit form shows it read-only."""
    minimum: float | None = None
    maximum: float | None = None
    """INT and NUMBER fields: the range the server accepts; TEXT fields: `maximum` is the longest
    text the server's column holds. Checked in the form."""
    nullable: bool = False
    """An empty INT or NUMBER field means "no value" (sent as null), not 0."""
    source: str = ""
    """The record field the value is read from when the server names it differently on reads
    (Claude Code Hub reads `proxyUrl`, writes `proxy_url`); empty: the same as `name`."""
    within: str = ""
    """The wire field whose JSON object holds this field (New API's `settings`), or "" for a field of its own."""


class VersionSegment(enum.Enum):
    """How a server wants an OpenAI-compatible upstream's base URL written (`services/base_urls.py`)."""

    STRIP = "strip"
    """Without a trailing `/v1`: the server appends the API path itself (New API, One Hub)."""
    APPEND = "append"
    """With `/v1` (or the protocol's version segment) appended unless one is there (AxonHub)."""
    BY_RELEASE = "by_release"
    """By the rule of the server's release (Octopus: `base_urls.for_octopus`)."""


PROTOCOLS = ("openai", "responses", "embedding", "anthropic", "gemini", "volcengine")
"""The wire protocols a channel type can speak, as `services/channel_mapping.protocol()` names them."""


COLUMNS_ALL: tuple[str, ...] = (
    "id",
    "name",
    "type",
    "status",
    "models",
    "auto_sync",
    "upstream",
    "group",
    "priority",
    "weight",
    "tag",
    "base_url",
    "balance",
    "response_time",
    "test_time",
    "used_quota",
    "success_rate",
    "cost",
)
"""Every table column the app knows, in default order; a backend offers a subset."""


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What the connected server is and can do, decided once per connection."""

    kind: BackendKind
    flavor: str
    flavor_label: str
    version: str
    types: TypeCatalog
    fields: tuple[FieldSpec, ...]
    columns: frozenset[str]
    operations: frozenset[Operation]
    returns_keys: bool = False
    """Whether listed channels carry their stored key (Octopus); `Operation.REVEAL_KEY` reads one on request."""
    notes: tuple[str, ...] = field(default=())
    hidden_columns: frozenset[str] = frozenset()
    """Columns offered but hidden until the user picks them (little use on this server at a glance)."""
    reasons: Mapping[Operation, str] = field(default_factory=dict)
    """Why an operation the family has is missing on this server (a feature probe's finding)."""
    models_optional: bool = False
    """A channel may have no models (Claude Code Hub: an empty allowed list serves every model);
    elsewhere a channel without models serves nothing."""
    column_labels: Mapping[str, str] = field(default_factory=dict)
    """Table headers that differ from the usual ones, where the usual one would mislead (Claude
    Code Hub's priority, where the lowest wins)."""
    groups: GroupSpec | None = None
    """What the server's model groups have, where it has them (`Operation.MODEL_GROUPS`)."""
    openai_type: TypeCode | None = None
    """The OpenAI-compatible type, used when plain upstream keys become channels."""
    base_url_style: VersionSegment = VersionSegment.STRIP
    protocol_types: Mapping[str, TypeCode] = field(default_factory=dict)
    """The type a channel speaking each of `PROTOCOLS` becomes here, when its own type has no equivalent."""
    untestable_types: frozenset[TypeCode] = frozenset()
    """Types the server's test route refuses."""
    listable_types: frozenset[TypeCode] | None = None
    """Types whose upstream model list the server can fetch; None means every type."""
    upstream_needs_key: bool = False
    """A test or model fetch uses the key the list returned, so a channel without one cannot be asked."""
    test_needs_model: bool = False
    """The server tests a channel with a model it is told (or the channel's test model), never a default."""
    test_may_disable: bool = False
    """A failed test may make the server disable the channel (say so before a batch test)."""
    tag_fields: tuple[str, ...] = ()
    """What a tag edit (`Backend.edit_tag`) can change, by the names `services/tag_view` uses."""
    tag_one_type: bool = False
    """The server refuses to give a channel a tag whose other channels have another type, or to
    change the type of a tagged channel so (Done Hub v1.23: `model.CheckTagTypeConsistency`, called
    by `AddChannel` and `UpdateChannel` in `controller/channel.go`)."""
    api_rate_limit: tuple[int, float] | None = None
    """The server generation's stock API rate limit: (requests, per window in seconds) per client
    IP; a site's request budget starts from it. None when the server has no such limit."""

    def supports(self, operation: Operation) -> bool:
        return operation in self.operations

    def unsupported_reason(self, operation: Operation) -> str:
        reason = self.reasons.get(operation)
        if reason:
            return reason
        return not_supported_message(operation, self.flavor_label)

    def require(self, operation: Operation) -> None:
        """Raise `NotSupported` with a readable reason unless the server has `operation`."""
        if operation not in self.operations:
            raise NotSupported(self.unsupported_reason(operation))

    def require_tag_edit(self, changes: Mapping[str, Any]) -> None:
        """Raise `NotSupported` unless the server can edit a tag and every field of `changes` by tag."""
        self.require(Operation.TAG_EDIT)
        unknown = set(changes) - set(self.tag_fields)
        if unknown:
            raise NotSupported(
                f"{self.flavor_label} cannot change {', '.join(sorted(unknown))} by tag; "
                "edit the channels one by one instead."
            )

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)

    def read_only(self, reason: str) -> Capabilities:
        """These capabilities without any operation that writes, each refused with `reason`."""
        writes = self.operations & WRITE_OPERATIONS
        return replace(
            self,
            operations=self.operations - WRITE_OPERATIONS,
            reasons={**self.reasons, **dict.fromkeys(writes, reason)},
        )


ProgressCallback = Callable[[int, int | None], None]
"""Called as pages arrive: (channels loaded so far, total if the server says)."""


class Backend(Protocol):
    """A connected gateway. Every method raises a `BackendError` subclass on failure."""

    @property
    def capabilities(self) -> Capabilities:
        """The server's capabilities; valid after `connect()`."""

    async def connect(self) -> Capabilities:
        """Detect the protocol generation, authenticate, and return the capabilities."""

    async def close(self) -> None:
        """Release the HTTP connection pool; the backend must not be used afterwards."""

    async def verify(self) -> Capabilities:
        """Check that the credentials work for admin channel calls (connect plus one cheap call)."""

    async def list_channels(self, on_progress: ProgressCallback | None = None) -> list[Channel]:
        """Every channel on the server, all pages, in the server's order.

        A record that cannot be read as a channel (not an object, no usable id) is skipped and
        named in `list_warnings`; a page that cannot be read raises `BadResponse`.
        """

    @property
    def list_warnings(self) -> Sequence[str]:
        """One line per record the last `list_channels` skipped; empty when none was."""

    async def search_channels(self, keyword: str) -> list[Channel]:
        """Server-side search; weak on some servers, so the UI filters client-side as well."""

    async def get_channel(self, channel_id: int) -> Channel:
        """One channel; `NotFound` if it does not exist."""

    async def create_channel(self, spec: ChannelSpec) -> Channel:
        """Create exactly one channel and return it as the server stored it.

        Servers may silently drop values on create (Octopus stores every new channel enabled): the
        app creates through `services.creation.create_channel`, which sets and verifies them.
        """

    async def update_channel(self, channel: Channel, changes: Mapping[str, Any]) -> Channel:
        """Send only `changes` (neutral or wire field names) plus the id; return the saved channel."""

    async def set_status(self, channel_id: int, enabled: bool) -> None:
        """Enable or (manually) disable one channel."""

    async def delete_channel(self, channel_id: int) -> None:
        """Delete one channel."""

    async def delete_channels(self, channel_ids: Sequence[int]) -> int:
        """Delete several channels; returns how many the server deleted."""

    async def test_channel(self, channel: Channel, model: str | None = None) -> TestResult:
        """Connectivity test; a failed upstream is a `TestResult(ok=False)`, not an exception."""

    async def fetch_models(self, channel: Channel) -> list[str]:
        """Model ids the channel's upstream offers, using the channel's saved settings."""

    async def fetch_models_adhoc(self, type_code: TypeCode, base_url: str, key: str) -> list[str]:
        """Model ids an upstream offers for a key that is not (yet) a channel."""


class BackendBase:
    """Shared behaviour: optional operations answer `NotSupported` unless a backend overrides them."""

    _capabilities: Capabilities | None = None
    list_warnings: Sequence[str] = ()
    """One line per record the last `list_channels` skipped (see `Backend.list_warnings`)."""
    detected_label: str | None = None
    """What the server was recognised as before authentication (for verification messages)."""

    @property
    def capabilities(self) -> Capabilities:
        if self._capabilities is None:
            raise RuntimeError("connect() must be awaited before the capabilities are known")
        return self._capabilities

    def _unsupported(self, operation: Operation) -> NotSupported:
        if self._capabilities is None:
            return NotSupported(not_supported_message(operation))
        return NotSupported(self._capabilities.unsupported_reason(operation))

    async def delete_disabled(self) -> int:
        """Delete every disabled channel (manually and automatically disabled alike)."""
        raise self._unsupported(Operation.DELETE_DISABLED)

    async def update_balance(self, channel_id: int) -> float:
        """Ask the server to query the upstream balance; returns it in USD."""
        raise self._unsupported(Operation.BALANCE)

    async def update_all_balances(self) -> None:
        raise self._unsupported(Operation.BALANCE_ALL)

    async def list_groups(self) -> list[str]:
        """User groups a channel can serve (New API)."""
        raise self._unsupported(Operation.GROUPS)

    async def copy_channel(self, channel_id: int, suffix: str = "_copy") -> int:
        """Server-side clone; returns the new channel id."""
        raise self._unsupported(Operation.COPY)

    async def set_tag(self, channel_ids: Sequence[int], tag: str | None) -> None:
        raise self._unsupported(Operation.BATCH_TAG)

    async def set_tag_status(self, tag: str, enabled: bool) -> None:
        raise self._unsupported(Operation.TAG_STATUS)

    async def test_all(self) -> str:
        """Start the server's own test of every channel; returns the server's message."""
        raise self._unsupported(Operation.TEST_ALL)

    async def edit_tag(self, tag: str, changes: Mapping[str, Any]) -> None:
        """Change fields of every channel carrying `tag` (New API `PUT /api/channel/tag`)."""
        raise self._unsupported(Operation.TAG_EDIT)

    async def tag_models(self, tag: str) -> list[str]:
        raise self._unsupported(Operation.TAG_EDIT)

    async def model_catalog(self) -> list[str]:
        """Every model name the server knows, for pickers."""
        raise self._unsupported(Operation.MODEL_CATALOG)

    async def enabled_models(self) -> list[str]:
        raise self._unsupported(Operation.MODELS_ENABLED)

    async def fix_abilities(self) -> Any:
        raise self._unsupported(Operation.FIX_ABILITIES)

    async def server_sync(self) -> str | None:
        """Run the server's own model sync of its auto-sync channels and wait for it to end.

        Returns None when every channel synced, else the server's message about what failed (the
        other channels were synced all the same).
        """
        raise self._unsupported(Operation.SERVER_SYNC)

    async def last_server_sync(self) -> datetime | None:
        """When the server's own model sync last ended (UTC), or None when it never did."""
        raise self._unsupported(Operation.SERVER_SYNC)
    async def reveal_key(self, channel_id: int) -> str:
        """The full stored key of a channel whose listed key is masked (Claude Code Hub)."""
        raise self._unsupported(Operation.REVEAL_KEY)

    async def update_channels(self, channel_ids: Sequence[int], changes: Mapping[str, Any]) -> int:
        """Apply the same neutral `changes` (status, priority, weight, groups) to several channels in
        one server call; returns how many the server changed."""
        raise self._unsupported(Operation.BATCH_UPDATE)

    async def list_model_groups(self) -> list[ModelGroup]:
        """Every model group with its members, by ascending id."""
        raise self._unsupported(Operation.MODEL_GROUPS)

    async def create_model_group(self, group: ModelGroup) -> ModelGroup:
        """Create a group with its members (and its active member, where the mode has one)."""
        raise self._unsupported(Operation.MODEL_GROUPS)

    async def update_model_group(self, old: ModelGroup, new: ModelGroup) -> ModelGroup:
        """Send what changed from `old` (as last listed) to `new`; return the group as saved."""
        raise self._unsupported(Operation.MODEL_GROUPS)

    async def delete_model_group(self, group_id: int) -> None:
        raise self._unsupported(Operation.MODEL_GROUPS)

    async def missing_permissions(self) -> tuple[str, ...]:
        """What the connected account may not do to channels, each as "permission (what it cannot do)";
        empty when the server has no finer permissions than "admin" or nothing is missing."""
        return ()


@dataclass(frozen=True, slots=True)
class Portable:
    """A channel's settings in terms every family reads: what travels to a site of another family.

    `unportable` names the origin's own settings that are set and that no other family has, each a
    sentence with `{target}` where the target's name goes ("global proxy: {target} has no such
    setting"), for the copy's loss report.
    """

    groups: tuple[str, ...] = ()
    priority: int | None = None
    weight: int | None = None
    tag: str | None = None
    model_mapping: str = ""
    """A JSON object text: requested model -> upstream model."""
    headers: Mapping[str, str] = field(default_factory=dict)
    """Extra upstream request headers, plain values only."""
    param_override: str = ""
    """A JSON object text merged into request bodies."""
    test_model: str = ""
    proxy: str = ""
    """A proxy URL for this channel's upstream requests."""
    remark: str = ""
    pinned_models: tuple[str, ...] = ()
    """Models added by hand, kept apart from synced ones (Octopus `custom_model`, AxonHub `manualModels`)."""
    unportable: tuple[str, ...] = ()


@dataclass(slots=True)
class CarriedSettings:
    """What a channel's settings become on the target: the spec's fields, and what was lost."""

    groups: tuple[str, ...] = ()
    priority: int | None = None
    weight: int | None = None
    tag: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    losses: list[str] = field(default_factory=list)
    key: str | None = None
    """The key to send, where it is not the channel's own (several keys joined for a key list)."""


@dataclass(frozen=True, slots=True)
class ChannelCarry:
    """How a family's channels travel to other sites (copy, restore; `services/channel_mapping`).

    `export` reads a channel as `Portable` settings and `adopt` writes them for a site of this
    family, reporting what it cannot keep. `within` carries a channel to a site of the same family
    wire field by wire field; a family that declares it is mapped this way to and from every other
    family (the older families' own pairs keep their dedicated mapping in `channel_mapping`).
    """

    export: Callable[[Channel], Portable]
    adopt: Callable[[Portable, Capabilities], CarriedSettings]
    within: Callable[[Channel, str, Capabilities], CarriedSettings] | None = None
    """(channel, the origin's flavor, the target's capabilities)."""


class SiteAddress(Protocol):
    """What a family needs of a site profile to build its client (`config.SiteProfile` has it)."""

    @property
    def kind(self) -> BackendKind: ...
    @property
    def url(self) -> str: ...
    @property
    def user_id(self) -> int | None: ...
    @property
    def username(self) -> str | None: ...
    @property
    def email(self) -> str | None: ...
    @property
    def flavor(self) -> str: ...
    @property
    def verify_tls(self) -> bool: ...
    @property
    def timeout(self) -> float | None: ...
    @property
    def max_answer_mb(self) -> float: ...
    @property
    def max_wait(self) -> float: ...


class ClientFactory(Protocol):
    """Builds a family's client for a site, with the site's transport settings (the registry's
    `site_transport`); it is not connected yet (await `connect()`)."""

    def __call__(self, site: SiteAddress, secret: str, transport: TransportSettings) -> Backend: ...


@dataclass(frozen=True, slots=True)
class Login:
    """The profile setting that names the admin account a family's client works as."""

    field: str
    """The site profile attribute: `user_id`, `username` or `email`."""
    hint: str = ""
    """What goes there, for messages that ask for it."""


@dataclass(frozen=True, slots=True)
class BackendFamily:
    """One family of gateways: what a site of its kind is configured with, and how to reach it.

    Each family package declares one in its `family.py`, which imports no client (clients load
    when `create` runs), so the command line and the config can read every family cheaply.
    """

    kind: BackendKind
    login: Login | None
    """None when the secret alone identifies the admin (Claude Code Hub's admin token)."""
    secret: str
    """What the site's secret is called: "access token", "password"."""
    flavors: tuple[str, ...]
    """Protocol flavors a profile may pin, `auto` (detect it) first."""
    create: ClientFactory
    channel_from_wire: Callable[[Mapping[str, Any], TypeCatalog], Channel]
    """A server record (as listed, exported or trashed) as a neutral channel."""
    catalogs: Mapping[str, TypeCatalog]
    """The type list of each protocol flavor `Capabilities.flavor` can name (for files and the trash)."""
    carry: ChannelCarry
    request_budget: int | None = None
    """Requests per budget window when a profile sets none; None when the servers have no limit."""
    article: str = "a"
    """The indefinite article before the label in messages ("an Octopus site")."""
    servers: str = ""
    """The gateways this family administers, as the help and the first-run screen name them
    ("New API / One API"); the label when empty."""
    flavor_labels: Mapping[str, str] = field(default_factory=dict)
    """What the server of each flavor a profile may pin is called (its `Capabilities.flavor_label`:
    "Veloera", "Done Hub"), for `server_label` before a site has connected."""
    secrets: SecretFields = SecretFields()
    """Where its channel records hold credentials: every output hides them (`secret_fields.redact`)."""
    secret_in_header: bool = True
    """The secret travels in an HTTP header (a token), so it must be ASCII; False when it is only
    sent in a JSON body (a login password)."""

    @property
    def label(self) -> str:
        return self.kind.label

    def server_label(self, flavor: str = "auto") -> str:
        """What a site of this family runs, before it connects: its pinned flavor's server, else
        every server of the family ("New API / One API / Veloera"), never the first one alone."""
        return self.flavor_labels.get(flavor) or self.servers or self.label

    def read_channel(self, record: Any, types: TypeCatalog, position: int = 0) -> Channel:
        """`channel_from_wire`, with a record it cannot read as `BadRecord` naming the record.

        Parsers read leniently, but some refuse a record without a usable id with `KeyError`,
        `TypeError` or `ValueError`; this is where that becomes the project's own error, so no
        record, from a server or a file, raises anything else (tests/test_wire_properties.py).
        """
        try:
            return self.channel_from_wire(record, types)
        except ChannelsError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError, IndexError):
            raise BadRecord(f"{describe_record(record, position)} cannot be read as a channel.") from None

    def check_secret(self, secret: str) -> str:
        """The secret trimmed, or `InvalidSecret` saying what is wrong with it (never showing it)."""
        try:
            return check_secret(secret, in_header=self.secret_in_header)
        except ValueError as exc:
            raise InvalidSecret(f"The {self.secret} {exc}.") from None
    @property
    def login_field(self) -> str | None:
        """The profile attribute naming the admin account, or None when the secret is enough."""
        return self.login.field if self.login is not None else None
