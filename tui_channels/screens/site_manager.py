"""Add, edit, remove and verify site profiles; secrets go to the secret store."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from ..backends.registry import family_of
from ..config import SiteProfile
from ..errors import ChannelsError
from ..secret_store import SecretLocation
from ..services.verify import verify_site
from ..widgets.footer import FittingFooter
from .confirm import ConfirmScreen
from .site_form import format_checks, SiteForm
from .workers import work
from .workspace import Workspace, workspace_of

SECRET_PLACES = {
    SecretLocation.KEYRING: "keyring",
    SecretLocation.ENV: "environment",
    SecretLocation.FILE: "plain-text file",
    None: "no secret stored",
}


class SiteManagerScreen(Screen[set[str]]):
    """The configured sites; dismisses with the names of the sites that changed."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "add", "Add"),
        Binding("e", "edit", "Edit"),
        Binding("d", "remove", "Remove"),
        Binding("v", "verify", "Verify"),
        Binding("escape", "close", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._changed: set[str] = set()

    @property
    def workspace(self) -> Workspace:
        return workspace_of(self.app)

    def compose(self) -> ComposeResult:
        with Vertical(id="site-manager"):
            yield Label("Sites", classes="dialog-title")
            yield OptionList(id="site-list")
            yield Static(id="site-verify")
            yield Label(
                "a adds · e/Enter edits · d removes · v verifies reachability, backend and credentials · Esc returns",
                classes="dialog-hint",
            )
        yield FittingFooter()

    def on_mount(self) -> None:
        self._render_sites()
        self.query_one(OptionList).focus()
        warning = self.workspace.secrets.plain_text_warning_once(self.workspace.config.secret_entries())
        if warning:
            self.notify(warning, title="Stored in plain text", severity="warning", timeout=10)

    def _render_sites(self, highlight: str | None = None) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        secrets = self.workspace.secrets
        sites = self.workspace.config.sites
        labels = self.workspace.sessions.server_labels(sites)
        for site in sites:
            field = family_of(site.kind).login_field
            who = f"user {getattr(site, field)}  " if field else ""
            text = Text()
            text.append(site.name, style="bold")
            text.append(f"  {labels[site.name]}  ", style="dim")
            text.append(site.url)
            text.append(f"  {who}secret: {SECRET_PLACES[secrets.location(site.name)]}", style="dim")
            if not site.verify_tls:
                text.append("  TLS not verified", style="italic")
            if site.read_only:
                text.append("  read-only", style="bold")
            options.add_option(Option(text, id=site.name))
        names = [s.name for s in sites]
        if names:
            options.highlighted = names.index(highlight) if highlight in names else 0
        if not sites:
            self.query_one("#site-verify", Static).update("No sites yet: press a to add one.")

    @property
    def _selected(self) -> SiteProfile | None:
        options = self.query_one(OptionList)
        if options.highlighted is None or options.option_count == 0:
            return None
        name = options.get_option_at_index(options.highlighted).id
        return self.workspace.config.site(name) if name else None

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.action_edit()

    def action_add(self) -> None:
        taken = {s.name for s in self.workspace.config.sites}
        self.app.push_screen(SiteForm(self.workspace.secrets, None, taken), self._saved(None))

    def action_edit(self) -> None:
        profile = self._selected
        if profile is None:
            return
        taken = {s.name for s in self.workspace.config.sites}
        self.app.push_screen(SiteForm(self.workspace.secrets, profile, taken), self._saved(profile))

    def _saved(self, original: SiteProfile | None):
        def store(result: tuple[SiteProfile, str] | None) -> None:
            if result is None:
                return
            profile, secret = result
            app = self.workspace
            try:
                if original is None:
                    app.config.add_site(profile)
                else:
                    app.config.replace_site(original.name, profile)
                app.save_config()
            except ChannelsError as error:
                self.notify(error.message, title=error.title, severity="error")
                return
            try:
                if original is not None and profile.name != original.name:
                    secret = secret or app.secrets.get(original.name) or ""
                    app.secrets.delete(original.name)
                if secret:
                    location = app.secrets.set(profile.name, secret)
                    if location is SecretLocation.FILE and app.secrets.warning:
                        self.notify(app.secrets.warning, title="Stored in plain text", severity="warning", timeout=10)
                        app.secrets.warned_of(profile.name)
            except ChannelsError as error:
                self.notify(f"The site was saved, but not its secret: {error.message}", title=error.title, severity="error")
            self._changed.update({profile.name} | ({original.name} if original else set()))
            self.discard_session(original.name if original else profile.name)
            self._render_sites(profile.name)
            self.notify(f"Saved site {profile.name}.")

        return store

    @work(group="sessions")
    async def discard_session(self, name: str) -> None:
        await self.workspace.sessions.discard(name)

    def action_remove(self) -> None:
        profile = self._selected
        if profile is None:
            return

        def confirmed(yes: bool | None) -> None:
            if not yes:
                return
            app = self.workspace
            try:
                app.config.remove_site(profile.name)
                app.save_config()
                app.secrets.delete(profile.name)
            except ChannelsError as error:
                self.notify(error.message, title=error.title, severity="error")
                return
            self._changed.add(profile.name)
            self.discard_session(profile.name)
            self._render_sites()
            self.notify(f"Removed site {profile.name} and its stored secret.")

        self.app.push_screen(
            ConfirmScreen(
                f"Remove site {profile.name}?",
                f"{self.workspace.sessions.server_labels([profile])[profile.name]} at {profile.url}.\nIts profile and stored secret are deleted; "
                "the gateway itself is not touched.",
                confirm_label="Remove",
            ),
            confirmed,
        )

    def action_verify(self) -> None:
        profile = self._selected
        if profile is None:
            return
        secret = self.workspace.secrets.get(profile.name)
        result = self.query_one("#site-verify", Static)
        if secret is None:
            result.update(f"✗ No secret is stored for {profile.name}: press e and type it.")
            return
        result.update(f"Verifying {profile.name} …")
        self._run_verify(profile, secret)

    @work(exclusive=True, group="verify")
    async def _run_verify(self, profile: SiteProfile, secret: str) -> None:
        checks = await verify_site(profile, secret)
        self.query_one("#site-verify", Static).update(f"{profile.name}\n{format_checks(checks)}")

    def action_close(self) -> None:
        self.dismiss(self._changed)
