"""Bulk edit by tag (New API `PUT /api/channel/tag`): what changes, and the channels it reaches."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Input, Label, Static

from ..services.tag_view import TagGroup, tag_changes
from ..wording import plural
from .form_dialog import FormDialog

PREVIEW_LIMIT = 12


class TagEditScreen(FormDialog[dict[str, Any] | None]):
    """Fields to change for every channel of one tag; the result is the change set to send."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "apply", "Apply", priority=True),
    ]

    LABELS = (
        ("new_tag", "Rename the tag to"),
        ("priority", "Priority"),
        ("weight", "Weight"),
        ("models", "Models (comma separated; replaces each channel's list)"),
        ("groups", "Groups (comma separated)"),
        ("model_mapping", "Model mapping (JSON object)"),
        ("param_override", "Parameter override (JSON object)"),
        ("header_override", "Header override (JSON object)"),
    )

    def __init__(self, group: TagGroup, models: list[str] | None = None, *, fields: tuple[str, ...] = ()) -> None:
        """`fields`: what the server can change by tag (`Capabilities.tag_fields`); all when empty."""
        super().__init__()
        self._group = group
        self._models = models or []
        self._fields = tuple((name, label) for name, label in self.LABELS if not fields or name in fields)

    def compose(self) -> ComposeResult:
        group = self._group
        names = [c.name for c in group.channels[:PREVIEW_LIMIT]]
        more = group.count - len(names)
        preview = ", ".join(names) + (f" and {more} more" if more > 0 else "")
        with VerticalScroll(classes="dialog form", id="tag-edit"):
            yield Label(f"Edit every channel tagged {group.label}", classes="dialog-title")
            yield Static(
                f"{plural(group.count, 'channel')} ({group.enabled} enabled, {group.disabled} disabled): {preview}",
                id="tag-preview",
                markup=False,
            )
            yield Label("Leave a field empty to keep each channel's own value.", classes="dialog-hint")
            for field, label in self._fields:
                yield Label(label)
                placeholder = ",".join(self._models) if field == "models" and self._models else ""
                yield Input(placeholder=placeholder, id=f"tag-{field}")
                yield Label("", id=f"tag-{field}-error", classes="form-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Apply to the tag", variant="primary", id="tag-apply", compact=True)
                yield Button("Cancel", id="tag-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#tag-new_tag", Input).focus()

    def action_apply(self) -> None:
        values = {field: self.query_one(f"#tag-{field}", Input).value for field, _ in self._fields}
        changes, errors = tag_changes(values)
        for field, _ in self._fields:
            self.query_one(f"#tag-{field}-error", Label).update(errors.get(field, ""))
        if errors:
            return
        if not changes:
            self.notify("Nothing to change: fill in at least one field.", severity="warning")
            return
        self.dismiss(changes)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "tag-apply":
            self.action_apply()
        else:
            self.action_cancel()
