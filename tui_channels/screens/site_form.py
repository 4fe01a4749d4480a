"""Add or edit a site profile, with its secret, and verify it before saving."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from ..backends.registry import FAMILIES, family_of
from ..config import FORMLESS_SETTINGS, SiteProfile, new_site
from ..errors import ConfigError, InvalidSecret
from ..models import BackendKind
from ..secret_store import SecretStore
from ..services.verify import Check, verify_site
from .form_dialog import FormDialog
from .workers import work
from ..widgets.tickbox import Tickbox

LOGIN_INPUTS = {
    "user_id": ("#user-id-label", "#user-id"),
    "username": ("#username-label", "#username"),
    "email": ("#email-label", "#email"),
}
"""The widgets of each login setting a backend family may use; only its family's show."""


def format_checks(checks: list[Check]) -> str:
    return "\n".join(f"{c.mark} {c.name}: {c.detail}" for c in checks)


class SiteForm(FormDialog[tuple[SiteProfile, str] | None]):
    """The fields of a profile; the result is (profile, typed secret or "" to keep the stored one).

    The secret goes to the secret store on save, never to the config.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("ctrl+t", "verify", "Verify", priority=True),
    ]

    def __init__(self, secrets: SecretStore, profile: SiteProfile | None = None, taken: set[str] | None = None) -> None:
        super().__init__()
        self._secrets = secrets
        self._profile = profile
        self._taken = (taken or set()) - ({profile.name} if profile else set())

    def compose(self) -> ComposeResult:
        profile = self._profile
        kind = profile.kind if profile else BackendKind.NEWAPI
        family = family_of(kind)
        with VerticalScroll(classes="dialog form", id="site-form"):
            yield Label("Edit site" if profile else "Add a site", classes="dialog-title")
            yield Label("Name")
            yield Input(profile.name if profile else "", placeholder="e.g. home-gateway", id="name")
            yield Label("Backend")
            yield Select(
                [(f.server_label(), f.kind) for f in FAMILIES.values()], value=kind, allow_blank=False, id="kind"
            )
            yield Label("URL")
            yield Input(profile.url if profile else "", placeholder="https://gateway.example.com", id="url")
            yield Label(f"User id ({family_of(BackendKind.NEWAPI).server_label()})", id="user-id-label")
            yield Input(
                str(profile.user_id) if profile and profile.user_id is not None else "",
                placeholder="numeric id of the admin user",
                id="user-id",
                type="integer",
            )
            yield Label("Username (Octopus)", id="username-label")
            yield Input(profile.username or "" if profile else "", placeholder="admin", id="username")
            yield Label("Email (AxonHub)", id="email-label")
            yield Input(profile.email or "" if profile else "", placeholder="admin@example.com", id="email")
            yield Label(family.secret.capitalize(), id="secret-label")
            yield Input(
                password=True,
                placeholder="leave empty to keep the stored one" if profile else "",
                id="secret",
            )
            yield Label("Protocol")
            yield Select(
                [(f, f) for f in family.flavors], value=profile.flavor if profile else "auto", allow_blank=False, id="flavor"
            )
            yield Tickbox("Verify TLS certificates", profile.verify_tls if profile else True, id="verify-tls")
            yield Tickbox(
                "Read-only: browse only, refuse every write to this gateway",
                profile.read_only if profile else False,
                id="read-only",
            )
            yield Label("Timeout in seconds (empty: default)")
            yield Input(
                "" if not profile or profile.timeout is None else f"{profile.timeout:g}", id="timeout", type="number"
            )
            yield Static(id="form-error", classes="form-error")
            yield Static(id="verify-result")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", variant="primary", id="save", compact=True)
                yield Button("Verify configuration", id="verify", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        self._show_kind_fields(self._kind)
        self.query_one("#name", Input).focus()

    @property
    def _kind(self) -> BackendKind:
        return self.query_one("#kind", Select).value  # type: ignore[return-value]

    def _show_kind_fields(self, kind: BackendKind) -> None:
        family = family_of(kind)
        for field, widget_ids in LOGIN_INPUTS.items():
            for widget_id in widget_ids:
                self.query_one(widget_id).display = field == family.login_field
        self.query_one("#secret-label", Label).update(family.secret.capitalize())
        flavor = self.query_one("#flavor", Select)
        current = flavor.value
        flavor.set_options([(f, f) for f in family.flavors])
        flavor.value = current if current in family.flavors else "auto"

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "kind" and event.value is not Select.NULL:
            self._show_kind_fields(event.value)  # type: ignore[arg-type]

    def _value(self, widget_id: str) -> str:
        return self.query_one(widget_id, Input).value.strip()

    def _build(self) -> SiteProfile | None:
        """The profile the fields describe, or None with the reason shown under the form."""
        error = self.query_one("#form-error", Static)
        kind = self._kind
        name = self._value("#name")
        if name in self._taken:
            error.update(f"A site named {name!r} already exists.")
            return None
        timeout = self._value("#timeout")
        login = family_of(kind).login_field
        user_id = self._value("#user-id")
        try:
            profile = new_site(
                name=name,
                kind=kind,
                url=self._value("#url"),
                user_id=int(user_id) if login == "user_id" and user_id else None,
                username=self._value("#username") or None if login == "username" else None,
                email=self._value("#email") or None if login == "email" else None,
                verify_tls=self.query_one("#verify-tls", Checkbox).value,
                read_only=self.query_one("#read-only", Checkbox).value,
                timeout=float(timeout) if timeout else None,
                flavor=str(self.query_one("#flavor", Select).value),
                **(self._profile.model_dump(include=FORMLESS_SETTINGS) if self._profile else {}),
            )
        except ConfigError as exc:
            error.update(exc.message)
            return None
        except ValueError as exc:
            error.update(str(exc))
            return None
        error.update("")
        return profile

    def _secret(self) -> str | None:
        typed = self._value("#secret")
        if typed:
            return typed
        return self._secrets.get(self._profile.name) if self._profile else None

    def _typed_secret_ok(self, profile: SiteProfile) -> bool:
        """A typed secret no server could receive is refused here, saying why (never showing it)."""
        typed = self._value("#secret")
        if not typed:
            return True
        try:
            family_of(profile.kind).check_secret(typed)
        except InvalidSecret as error:
            self.query_one("#form-error", Static).update(error.message)
            return False
        return True

    def action_save(self) -> None:
        profile = self._build()
        if profile is None or not self._typed_secret_ok(profile):
            return
        if self._secret() is None:
            self.query_one("#form-error", Static).update(f"{family_of(profile.kind).secret.capitalize()} is required.")
            return
        self.dismiss((profile, self._value("#secret")))

    def action_verify(self) -> None:
        profile = self._build()
        secret = self._secret()
        if profile is None or not self._typed_secret_ok(profile):
            return
        if secret is None:
            self.query_one("#form-error", Static).update(f"Type the {family_of(profile.kind).secret} to verify.")
            return
        self.query_one("#verify-result", Static).update("Verifying …")
        self._run_verify(profile, secret)

    @work(exclusive=True, group="verify")
    async def _run_verify(self, profile: SiteProfile, secret: str) -> None:
        checks = await verify_site(profile, secret)
        self.query_one("#verify-result", Static).update(format_checks(checks))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        elif event.button.id == "verify":
            self.action_verify()
        else:
            self.action_cancel()
