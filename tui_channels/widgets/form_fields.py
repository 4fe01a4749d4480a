"""Field editors of the channel form: one widget per `FieldKind`, all alike from the outside.

Every editor shows its label, its input, the field's help and its validation message; exposes
`value` in the form-value shape of `services.channel_form`; and posts `FieldEditor.Changed` on
each edit so that the screen validates at once. Which editor a field gets depends only on its
kind (`build_editor`), never on the backend. Secrets are typed into password inputs and stored
keys appear only masked.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Select, SelectionList, Static, TextArea

from ..backends.base import FieldKind, FieldSpec
from ..models import ChannelStatus, TypeCatalog, TypeCode, mask_secret
from ..screens.type_picker import TypePicker
from ..services.channel_form import Header, KeyEntry, UrlEntry
from .picker import Checklist
from .tickbox import OnOffBox


def editor_id(name: str) -> str:
    """The widget id of a field's editor (`setting.proxy` -> `field-setting--proxy`: ids take no dots)."""
    return f"field-{name.replace('.', '--')}"


class ListInput(Input):
    """A one-line input where a pasted multi-line list arrives whole, its lines joined by commas."""

    def _on_paste(self, event: events.Paste) -> None:
        event.prevent_default()
        text = ", ".join(line.strip() for line in event.text.splitlines() if line.strip())
        if text:
            if self.selection.is_empty:
                self.insert_text_at_cursor(text)
            else:
                self.replace(text, *self.selection)
        event.stop()


class FieldEditor(Horizontal):
    """Label on the left; input, help and validation message on the right."""

    class Changed(Message):
        """The editor's value changed (typed, toggled, picked or set by the screen)."""

        def __init__(self, editor: FieldEditor) -> None:
            super().__init__()
            self.editor = editor

    def __init__(
        self, spec: FieldSpec, value: Any, *, required: bool = False, hint: str = "", locked: bool = False
    ) -> None:
        super().__init__(id=editor_id(spec.name), disabled=locked)
        self.spec = spec
        self._start = value
        self._required = required
        self._hint = hint or spec.help

    def compose(self) -> ComposeResult:
        yield Label(self.spec.label + (" *" if self._required else ""), classes="field-label")
        with Vertical(classes="field-body"):
            yield from self.compose_input()
            yield Static(self._hint, classes="field-help", markup=False)
            yield Static("", classes="field-error", markup=False)

    def on_mount(self) -> None:
        self.query_one(".field-help", Static).display = bool(self._hint)
        self.query_one(".field-error", Static).display = False

    def compose_input(self) -> ComposeResult:
        raise NotImplementedError

    @property
    def value(self) -> Any:
        raise NotImplementedError

    def announce(self) -> None:
        self.post_message(self.Changed(self))

    def show_error(self, message: str | None) -> None:
        error = self.query_one(".field-error", Static)
        error.update(message or "")
        error.display = bool(message)
        self.set_class(bool(message), "-invalid")

    def set_hint(self, text: str) -> None:
        help_text = self.query_one(".field-help", Static)
        help_text.update(text)
        help_text.display = bool(text)

    def focus_input(self) -> None:
        target = next((w for w in self.query("*") if w.focusable), None)
        if target is not None:
            target.focus()


class TextEditor(FieldEditor):
    """TEXT, SECRET (a password input) and INT (digits only)."""

    def __init__(self, spec: FieldSpec, value: str, *, placeholder: str = "", **options: Any) -> None:
        super().__init__(spec, value, **options)
        self._placeholder = placeholder

    def compose_input(self) -> ComposeResult:
        yield Input(
            self._start,
            placeholder=self._placeholder,
            password=self.spec.kind is FieldKind.SECRET,
            type={FieldKind.INT: "integer", FieldKind.NUMBER: "number"}.get(self.spec.kind, "text"),
            compact=True,
            classes="field-input",
        )

    @property
    def value(self) -> str:
        return self.query_one(Input).value

    def set_placeholder(self, text: str) -> None:
        self.query_one(Input).placeholder = text

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.announce()


class BoolEditor(FieldEditor):
    def compose_input(self) -> ComposeResult:
        yield OnOffBox(bool(self._start), compact=True, classes="field-input")

    @property
    def value(self) -> bool:
        return self.query_one(Checkbox).value

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        self.announce()


class JsonEditor(FieldEditor):
    def compose_input(self) -> ComposeResult:
        yield TextArea(self._start, compact=True, tab_behavior="focus", placeholder="{ }", classes="field-input")

    @property
    def value(self) -> str:
        return self.query_one(TextArea).text

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        event.stop()
        self.announce()


class ChoiceEditor(FieldEditor):
    def compose_input(self) -> ComposeResult:
        options = [(label, key) for key, label in self.spec.choices]
        yield Select(options, value=self._start, allow_blank=False, compact=True, classes="field-input")

    @property
    def value(self) -> Any:
        return self.query_one(Select).value

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self.announce()


class StatusEditor(FieldEditor):
    """Enabled or disabled; an auto-disabled channel may also stay as it is."""

    def compose_input(self) -> ComposeResult:
        options = [("Enabled", ChannelStatus.ENABLED), ("Disabled", ChannelStatus.MANUALLY_DISABLED)]
        if self._start not in (ChannelStatus.ENABLED, ChannelStatus.MANUALLY_DISABLED):
            options.append((f"{self._start.label} (unchanged)", self._start))
        yield Select(options, value=self._start, allow_blank=False, compact=True, classes="field-input")

    @property
    def value(self) -> ChannelStatus:
        return self.query_one(Select).value  # type: ignore[return-value]

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self.announce()


class TypeEditor(FieldEditor):
    """A button naming the type; it opens the searchable type picker."""

    def __init__(self, spec: FieldSpec, value: TypeCode, *, types: TypeCatalog, **options: Any) -> None:
        super().__init__(spec, value, **options)
        self._types = types
        self._code = value

    def compose_input(self) -> ComposeResult:
        yield Button(self._label(), compact=True, classes="field-input type-button")

    def _label(self) -> str:
        return f"{self._types.get(self._code).name} ({self._code})  ▾"

    @property
    def value(self) -> TypeCode:
        return self._code

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.app.push_screen(TypePicker(self._types, self._code), self._picked)

    def _picked(self, code: TypeCode | None) -> None:
        if code is None or code == self._code:
            return
        self._code = code
        self.query_one(Button).label = self._label()
        self.announce()


class GroupsEditor(FieldEditor):
    """A checklist of the server's user groups; groups the channel has are kept even if unlisted."""

    def compose_input(self) -> ComposeResult:
        yield Checklist[str](*((g, g, True) for g in self._start), compact=True, classes="field-input")

    def _listed(self) -> list[str]:
        return [str(option.value) for option in self.query_one(SelectionList).options]  # type: ignore[attr-defined]

    @property
    def value(self) -> tuple[str, ...]:
        chosen = set(self.query_one(SelectionList).selected)
        return tuple(name for name in self._listed() if name in chosen)

    def set_choices(self, names: Iterable[str]) -> None:
        listed = set(self._listed())
        self.query_one(SelectionList).add_options([(n, n, False) for n in names if n not in listed])

    def on_selection_list_selected_changed(self, event: SelectionList.SelectedChanged) -> None:
        event.stop()
        self.announce()


class ModelsEditor(FieldEditor):
    """A summary of the models and a button that opens the model editor."""

    class EditRequested(Message):
        def __init__(self, editor: ModelsEditor) -> None:
            super().__init__()
            self.editor = editor

    def __init__(self, spec: FieldSpec, value: tuple[str, ...], **options: Any) -> None:
        super().__init__(spec, value, **options)
        self._models = tuple(value)

    def compose_input(self) -> ComposeResult:
        with Horizontal(classes="models-row"):
            yield Button("Edit…", compact=True, classes="edit-models")
            yield Static(self._summary(), classes="models-summary", markup=False)

    def _summary(self) -> str:
        if not self._models:
            return "none"
        shown = ", ".join(self._models[:6])
        more = f", … (+{len(self._models) - 6})" if len(self._models) > 6 else ""
        return f"{len(self._models)}: {shown}{more}"

    @property
    def value(self) -> tuple[str, ...]:
        return self._models

    def set_models(self, models: Iterable[str]) -> None:
        self._models = tuple(models)
        self.query_one(".models-summary", Static).update(self._summary())
        self.announce()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.EditRequested(self))


class _RowList(FieldEditor):
    """A list of rows with a remove button each and an add button below."""

    ADD_LABEL = "+ Add"

    def compose_input(self) -> ComposeResult:
        with Vertical(classes="rows"):
            for entry in self._start:
                yield self.make_row(entry)
        yield Button(self.ADD_LABEL, compact=True, classes="add-row")

    def make_row(self, entry: Any) -> Widget:
        raise NotImplementedError

    def row_value(self, row: Any) -> Any:
        raise NotImplementedError

    def blank(self) -> Any:
        raise NotImplementedError

    @property
    def value(self) -> tuple[Any, ...]:
        return tuple(self.row_value(row) for row in self.query_one(".rows").children)

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.has_class("add-row"):
            row = self.make_row(self.blank())
            await self.query_one(".rows").mount(row)
            row.query(Input).first().focus()
        elif event.button.has_class("remove-row") and event.button.parent is not None:
            await event.button.parent.remove()
        self.announce()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.announce()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        self.announce()


def _remove_button() -> Button:
    return Button("✕", compact=True, classes="remove-row", tooltip="Remove this row")


class KeyRow(Horizontal):
    """One key: enabled, the key (a stored one shows masked; empty keeps it), a remark."""

    def __init__(self, entry: KeyEntry) -> None:
        super().__init__(classes="row key-row")
        self.entry = entry

    def compose(self) -> ComposeResult:
        entry = self.entry
        placeholder = f"{mask_secret(entry.stored)} (empty keeps it)" if entry.id is not None else "key"
        yield OnOffBox(entry.enabled, compact=True, classes="key-enabled")
        yield Input(entry.key, placeholder=placeholder, password=True, compact=True, classes="key-value")
        yield Input(entry.remark, placeholder="remark", compact=True, classes="key-remark")
        yield _remove_button()

    def current(self) -> KeyEntry:
        return KeyEntry(
            key=self.query_one(".key-value", Input).value,
            enabled=self.query_one(".key-enabled", Checkbox).value,
            remark=self.query_one(".key-remark", Input).value,
            id=self.entry.id,
            stored=self.entry.stored,
        )


class KeyListEditor(_RowList):
    ADD_LABEL = "+ Add key"

    def make_row(self, entry: KeyEntry) -> Widget:
        return KeyRow(entry)

    def row_value(self, row: KeyRow) -> KeyEntry:
        return row.current()

    def blank(self) -> KeyEntry:
        return KeyEntry()


class UrlRow(Horizontal):
    def __init__(self, entry: UrlEntry, placeholder: str) -> None:
        super().__init__(classes="row url-row")
        self.entry = entry
        self._placeholder = placeholder

    def compose(self) -> ComposeResult:
        yield Input(self.entry.url, placeholder=self._placeholder, compact=True, classes="url-value")
        yield Static(f"{self.entry.delay} ms" if self.entry.delay else "", classes="url-delay")
        yield _remove_button()

    def current(self) -> UrlEntry:
        return UrlEntry(self.query_one(Input).value, self.entry.delay)


class UrlListEditor(_RowList):
    ADD_LABEL = "+ Add URL"

    def __init__(self, spec: FieldSpec, value: tuple[UrlEntry, ...], *, placeholder: str = "", **options: Any) -> None:
        super().__init__(spec, value, **options)
        self._placeholder = placeholder

    def make_row(self, entry: UrlEntry) -> Widget:
        return UrlRow(entry, self._placeholder)

    def row_value(self, row: UrlRow) -> UrlEntry:
        return row.current()

    def blank(self) -> UrlEntry:
        return UrlEntry()

    def set_placeholder(self, text: str) -> None:
        self._placeholder = text
        for row_input in self.query(".url-value").results(Input):
            row_input.placeholder = text


class HeaderRow(Horizontal):
    def __init__(self, header: Header) -> None:
        super().__init__(classes="row header-row")
        self.header = header

    def compose(self) -> ComposeResult:
        yield Input(self.header.name, placeholder="Header-Name", compact=True, classes="header-name")
        yield Input(self.header.value, placeholder="value", compact=True, classes="header-value")
        yield _remove_button()

    def current(self) -> Header:
        return Header(self.query_one(".header-name", Input).value, self.query_one(".header-value", Input).value)


class HeaderEditor(_RowList):
    ADD_LABEL = "+ Add header"

    def make_row(self, entry: Header) -> Widget:
        return HeaderRow(entry)

    def row_value(self, row: HeaderRow) -> Header:
        return row.current()

    def blank(self) -> Header:
        return Header()


_BY_KIND: dict[FieldKind, type[FieldEditor]] = {
    FieldKind.BOOL: BoolEditor,
    FieldKind.JSON: JsonEditor,
    FieldKind.CHOICE: ChoiceEditor,
    FieldKind.STATUS: StatusEditor,
    FieldKind.GROUPS: GroupsEditor,
    FieldKind.MODELS: ModelsEditor,
    FieldKind.KEY_LIST: KeyListEditor,
    FieldKind.HEADERS: HeaderEditor,
}


def build_editor(
    spec: FieldSpec,
    value: Any,
    *,
    types: TypeCatalog,
    required: bool,
    hint: str = "",
    placeholder: str = "",
    locked: bool = False,
) -> FieldEditor:
    """The editor for `spec`'s kind, starting at `value`; a `locked` one shows it read-only."""
    options: dict[str, Any] = {"required": required, "hint": hint, "locked": locked}
    if spec.kind in (FieldKind.TEXT, FieldKind.SECRET, FieldKind.INT, FieldKind.NUMBER):
        return TextEditor(spec, value, placeholder=placeholder, **options)
    if spec.kind is FieldKind.URL_LIST:
        return UrlListEditor(spec, value, placeholder=placeholder, **options)
    if spec.kind is FieldKind.TYPE:
        return TypeEditor(spec, value, types=types, **options)
    return _BY_KIND[spec.kind](spec, value, **options)
