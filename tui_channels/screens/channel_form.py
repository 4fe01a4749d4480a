"""The create / edit / duplicate channel dialog: fields from the backend's capabilities, checked as typed.

What the fields start at, what is wrong with them and what gets sent all come from
`services.channel_form.ChannelForm`; this screen draws the editors, shows each problem at its field
as soon as the field was touched (and all of them on Save), and saves in a worker. A refusal from
the server is shown in the dialog and everything typed stays. The result is the saved channel; a
channel created but not stored as asked (`services.creation`) closes the dialog with a warning,
since saving again would create it twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Collapsible, Label, Static

from ..backends.base import Backend, FieldKind, FieldSpec, Operation
from ..errors import ChannelsError
from ..models import Channel
from ..services.model_list import model_suggestions
from ..services.model_mapping import model_mapping
from ..services.channel_form import ChannelForm, FormMode, Values
from ..services.creation import CreatedNotAsAsked, create_channel
from ..services.upstream_models import channel_models, key_models
from ..services.server_edit import edit_channel
from ..widgets.form_fields import (
    FieldEditor,
    GroupsEditor,
    ModelsEditor,
    TextEditor,
    UrlListEditor,
    build_editor,
    editor_id,
)
from ..wording import aside
from .form_dialog import FormDialog
from .model_editor import Fetch, ModelEditorScreen
from .workers import work


class ChannelFormScreen(FormDialog[Channel | None]):
    """One channel's fields; Save sends only what changed (edit) or creates the channel; Esc asks
    before it drops edits."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+s", "save", "Save", priority=True)]

    def __init__(self, form: ChannelForm, backend: Backend, *, title: str) -> None:
        super().__init__()
        self.form = form
        self._backend = backend
        self._title = title
        self._touched: set[str] = set()
        self._tried = False

    def compose(self) -> ComposeResult:
        form = self.form
        with Vertical(classes="dialog", id="channel-form"):
            yield Label(self._title, classes="dialog-title")
            with VerticalScroll(id="form-fields"):
                for spec in form.main_fields:
                    yield self._editor(spec)
                if form.advanced_fields:
                    with Collapsible(title="Advanced", collapsed=True, id="advanced"):
                        for spec in form.advanced_fields:
                            yield self._editor(spec)
            yield Static(id="form-error", classes="form-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", variant="primary", id="form-save", compact=True)
                yield Button("Cancel", id="form-cancel", compact=True)
                yield Label("ctrl+s saves · Esc cancels", classes="dialog-hint")

    def _editor(self, spec: FieldSpec) -> FieldEditor:
        form = self.form
        secret = spec.kind is FieldKind.SECRET
        return build_editor(
            spec,
            form.shown[spec.name],
            types=form.capabilities.types,
            required=spec.required and not (secret and form.mode is FormMode.EDIT),
            hint=form.key_hint() if secret else "",
            placeholder=form.base_url_placeholder(form.shown) if spec.name == "base_url" else "",
            locked=form.locked(spec.name),
        )

    def on_mount(self) -> None:
        self.query_one("#form-error", Static).display = False
        next(e for e in self._editors() if not e.disabled).focus_input()
        if self.form.capabilities.supports(Operation.GROUPS) and self.query(GroupsEditor):
            self._load_groups()

    # -- values and validation ---------------------------------------------------------------------

    def _editors(self) -> Iterator[FieldEditor]:
        return iter(self.query(FieldEditor).results(FieldEditor))

    def _editor_for(self, name: str) -> FieldEditor:
        return self.query_one(f"#{editor_id(name)}", FieldEditor)

    def values(self) -> Values:
        """What the editors hold now, by field name."""
        return {editor.spec.name: editor.value for editor in self._editors()}

    def edits(self) -> Values:
        return self.values()

    def on_field_editor_changed(self, event: FieldEditor.Changed) -> None:
        name = event.editor.spec.name
        values = self.values()
        if values[name] != self.form.shown[name]:
            self._touched.add(name)
        self._check(name, values)
        if name == "type" and "base_url" in values:
            placeholder = self.form.base_url_placeholder(values)
            base_url = self._editor_for("base_url")
            if isinstance(base_url, (TextEditor, UrlListEditor)):
                base_url.set_placeholder(placeholder)
            self._check("base_url", values)

    def _check(self, name: str, values: Values) -> str | None:
        """Validate one field; its problem shows once the field was touched or Save was tried."""
        message = self.form.field_error(name, values)
        shown = message if name in self._touched or self._tried else None
        self._editor_for(name).show_error(shown)
        return message

    def _problem(self, text: str) -> None:
        problem = self.query_one("#form-error", Static)
        problem.update(text)
        problem.display = bool(text)

    # -- groups and models -------------------------------------------------------------------------

    @work(group="groups")
    async def _load_groups(self) -> None:
        editor = self.query_one(GroupsEditor)
        try:
            names = await self._backend.list_groups()  # type: ignore[attr-defined]
        except ChannelsError as error:
            editor.set_hint(f"Could not load the server's groups {aside(error.message)}.")
            return
        editor.set_choices(names)

    def on_models_editor_edit_requested(self, event: ModelsEditor.EditRequested) -> None:
        editor = event.editor
        fetch, unavailable = self._fetcher()
        name = str(self.values().get("name") or "").strip() or "the new channel"
        self.app.push_screen(
            ModelEditorScreen(
                f"{editor.spec.label} of {name}",
                editor.value,
                fetch=fetch,
                fetch_unavailable=unavailable,
                suggest=lambda: model_suggestions(self._backend, tag=str(self.values().get("tag") or "") or None),
                mapping=lambda: model_mapping({"model_mapping": self.values().get("model_mapping")}),
            ),
            lambda models: editor.set_models(models) if models is not None else None,
        )

    def _fetcher(self) -> tuple[Fetch | None, str]:
        """How the model editor fetches the upstream's list: the saved channel, or the draft's settings."""
        capabilities = self.form.capabilities
        upstream = self.form.upstream(self.values())
        channel = self.form.channel
        if upstream.saved and channel is not None:
            if not capabilities.supports(Operation.FETCH_MODELS):
                return None, capabilities.unsupported_reason(Operation.FETCH_MODELS)
            return (lambda: channel_models(self._backend, channel)), ""
        if not capabilities.supports(Operation.FETCH_MODELS_ADHOC):
            return None, capabilities.unsupported_reason(Operation.FETCH_MODELS_ADHOC)
        if upstream.missing:
            return None, upstream.missing
        return (lambda: key_models(self._backend, upstream.type_code, upstream.base_url, upstream.key)), ""

    # -- saving ------------------------------------------------------------------------------------

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "form-save":
            self.action_save()
        elif event.button.id == "form-cancel":
            self.action_cancel()

    def action_save(self) -> None:
        """Refuse with the reasons at the fields while anything is invalid; else save in a worker."""
        self._tried = True
        values = self.values()
        invalid = [name for name in values if self._check(name, values)]
        if invalid:
            labels = ", ".join(self.form.field(name).label for name in invalid)
            self._problem(f"Not saved: fix {labels}.")
            first = self._editor_for(invalid[0])
            if self.form.field(invalid[0]).advanced:
                self.query_one("#advanced", Collapsible).collapsed = False
            first.focus_input()
            first.scroll_visible()
            return
        if self.form.mode is FormMode.EDIT and not self.form.changes(values):
            self.notify("Nothing changed, nothing sent.")
            self.dismiss(self.form.channel)
            return
        self._save(values)

    @work(exclusive=True, group="save")
    async def _save(self, values: Values) -> None:
        button = self.query_one("#form-save", Button)
        button.disabled = True
        self._problem("Saving …")
        form = self.form
        try:
            if form.mode is FormMode.EDIT and form.channel is not None:
                saved = await edit_channel(self._backend, form.channel, form.changes(values))
            else:
                saved = await create_channel(self._backend, form.spec(values))
        except CreatedNotAsAsked as error:
            self.app.notify(error.message, title=error.title, severity="error", timeout=15)
            self.dismiss(error.channel)
            return
        except ChannelsError as error:
            self._problem(f"{error.title}: {error.message}")
            button.disabled = False
            return
        self.dismiss(saved)
