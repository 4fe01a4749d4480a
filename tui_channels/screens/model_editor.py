"""Edit a channel's model list: a filterable checklist, names typed or pasted in, and the upstream's list.

Used inside the channel form (the result goes back into the form) and on its own from the table
(`m`: the caller passes `save`, which sends only the models; a refusal stays in this dialog with the
user's choices intact). "Fetch from upstream" shows what is new and what the upstream no longer has,
and changes nothing until the user accepts.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.suggester import SuggestFromList
from textual.widgets import Button, Label, OptionList, SelectionList, Static
from textual.widgets.selection_list import Selection

from ..errors import ChannelsError
from ..services.model_list import ModelChecklist, UpstreamDiff, upstream_diff
from ..widgets.form_fields import ListInput
from ..widgets.picker import Checklist
from ..wording import plural
from .form_dialog import FormDialog
from .workers import work

Fetch = Callable[[], Awaitable[list[str]]]
Save = Callable[[tuple[str, ...]], Awaitable[None]]
PREVIEW = 12
"""How many names of a diff are listed before "and N more"."""
ACCEPT_LABELS = {
    (True, True): "Accept: add new, uncheck gone",
    (True, False): "Add the new models",
    (False, True): "Uncheck the gone models",
}
"""The accept button's label by (anything new, anything gone)."""


def preview(names: Iterable[str]) -> str:
    names = list(names)
    shown = ", ".join(names[:PREVIEW])
    return shown + (f" and {len(names) - PREVIEW} more" if len(names) > PREVIEW else "")


def describe_diff(diff: UpstreamDiff) -> str:
    if diff.unchanged:
        return f"The upstream offers {plural(len(diff.upstream), 'model')}: the checked list already matches."
    lines = [f"The upstream offers {plural(len(diff.upstream), 'model')}."]
    if diff.new:
        lines.append(f"New ({len(diff.new)}): {preview(diff.new)}")
    if diff.gone:
        lines.append(f"No longer offered ({len(diff.gone)}): {preview(diff.gone)}")
    if diff.aliases:
        lines.append(f"Model-mapping aliases, kept ({len(diff.aliases)}): {preview(diff.aliases)}")
    if diff.targets:
        lines.append(f"Mapping targets, reached through their alias ({len(diff.targets)}): {preview(diff.targets)}")
    return "\n".join(lines)


class ModelEditorScreen(FormDialog[tuple[str, ...] | None]):
    """The result is the checked models in list order, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("a", "select_all", "Check shown"),
        Binding("i", "invert", "Invert"),
        Binding("minus", "clear", "Uncheck shown"),
        Binding("f", "fetch", "Fetch upstream"),
    ]

    def __init__(
        self,
        title: str,
        models: Iterable[str],
        *,
        fetch: Fetch | None = None,
        fetch_unavailable: str = "",
        save: Save | None = None,
        suggest: Fetch | None = None,
        mapping: Callable[[], Mapping[str, str]] | None = None,
    ) -> None:
        """`suggest` loads known model names that the "add models" box completes while typing;
        `mapping` gives the channel's model mapping, whose aliases and targets a fetch respects."""
        super().__init__()
        self._mapping = mapping
        self._suggest = suggest
        self._title = title
        self._checklist = ModelChecklist(models)
        self._fetch = fetch
        self._fetch_unavailable = fetch_unavailable or "This server cannot list an upstream's models."
        self._save = save
        self._diff: UpstreamDiff | None = None
        self._needle = ""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="model-editor"):
            yield Label(self._title, classes="dialog-title")
            with Horizontal(id="model-filter-row"):
                yield ListInput(placeholder="Filter models…", id="model-filter", classes="filter", compact=True)
                yield Static(id="model-count")
            yield Checklist[str](id="model-list", compact=True)
            with Horizontal(classes="dialog-buttons", id="model-tools"):
                yield Button("All (a)", id="model-all", compact=True)
                yield Button("Invert (i)", id="model-invert", compact=True)
                yield Button("Uncheck (-)", id="model-clear", compact=True)
                yield Button("Fetch from upstream (f)", id="model-fetch", compact=True)
            yield ListInput(
                placeholder="Add models: names separated by commas or lines (paste works), Enter adds",
                id="model-add",
                compact=True,
            )
            with Vertical(id="upstream"):
                yield Static(id="upstream-text", markup=False)
                with Horizontal(classes="dialog-buttons", id="upstream-buttons"):
                    yield Button(ACCEPT_LABELS[True, True], id="upstream-accept", variant="primary", compact=True)
                    yield Button("Add new only", id="upstream-add", compact=True)
                    yield Button("Dismiss", id="upstream-dismiss", compact=True)
            yield Static(id="model-message", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", variant="primary", id="model-save", compact=True)
                yield Button("Cancel", id="model-cancel", compact=True)
                yield Label("ctrl+s saves · Esc cancels", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#upstream").display = False
        self.query_one("#model-message").display = False
        self._refresh_list()
        self.query_one("#model-list", SelectionList).focus()
        if self._suggest is not None:
            self._load_suggestions(self._suggest)

    @work(exclusive=True, group="suggest-models")
    async def _load_suggestions(self, suggest: Fetch) -> None:
        try:
            names = await suggest()
        except ChannelsError:
            return
        if names:
            add = self.query_one("#model-add", ListInput)
            add.suggester = SuggestFromList(names, case_sensitive=False)
            add.placeholder = f"{add.placeholder} · → completes from {plural(len(names), 'known name')}"

    # -- the checklist ---------------------------------------------------------------------------

    @property
    def _list(self) -> SelectionList[str]:
        return self.query_one("#model-list", SelectionList)

    def edits(self) -> tuple[tuple[str, ...], str]:
        """The checked models in order, and what is typed to add (the filter is no edit)."""
        return self._checklist.selected, self.query_one("#model-add", ListInput).value

    def _visible(self) -> list[str]:
        return self._checklist.visible(self._needle)

    def _refresh_list(self) -> None:
        """Rebuild the shown options from the checklist, keeping the highlight where it was.

        The rebuild announces no highlight: the list reads a highlight message's row when it handles
        it, and after a quick second rebuild (typing a filter) that row may no longer exist.
        """
        checklist = self._checklist
        shown = self._list
        highlighted = shown.highlighted
        visible = self._visible()
        with shown.prevent(OptionList.OptionHighlighted):
            shown.clear_options()
            shown.add_options([Selection(name, name, checklist.is_checked(name)) for name in visible])
            if visible:
                shown.highlighted = min(highlighted or 0, len(visible) - 1)
        self._refresh_count()

    def on_selection_list_selection_toggled(self, event: SelectionList.SelectionToggled) -> None:
        name = str(event.selection.value)
        self._checklist.set_checked(name, name in event.selection_list.selected)
        self._refresh_count()

    def _refresh_count(self) -> None:
        count = f"{len(self._checklist.selected)} of {len(self._checklist.names)} checked"
        if self._needle:
            count += f" · {len(self._visible())} shown"
        self.query_one("#model-count", Static).update(count)

    def on_input_changed(self, event: ListInput.Changed) -> None:
        if event.input.id == "model-filter":
            self._needle = event.value
            self._refresh_list()

    def on_input_submitted(self, event: ListInput.Submitted) -> None:
        if event.input.id == "model-add" and event.value.strip():
            added = self._checklist.add(event.value)
            event.input.value = ""
            self._refresh_list()
            self._say(f"Added {preview(added)}." if added else "Those models are already on the list; checked them.")
        elif event.input.id == "model-filter":
            self._list.focus()

    def action_select_all(self) -> None:
        self._checklist.select_all(self._visible())
        self._refresh_list()

    def action_invert(self) -> None:
        self._checklist.invert(self._visible())
        self._refresh_list()

    def action_clear(self) -> None:
        self._checklist.clear(self._visible())
        self._refresh_list()

    # -- the upstream ----------------------------------------------------------------------------

    def action_fetch(self) -> None:
        if self._fetch is None:
            self._show_upstream(self._fetch_unavailable, offer=False)
            return
        self._show_upstream("Fetching the upstream's models …", offer=False)
        self._run_fetch(self._fetch)

    @work(exclusive=True, group="fetch-models")
    async def _run_fetch(self, fetch: Fetch) -> None:
        try:
            names = await fetch()
        except ChannelsError as error:
            self._show_upstream(f"{error.title}: {error.message}", offer=False)
            return
        self._diff = upstream_diff(self._checklist.selected, names, self._mapping() if self._mapping else None)
        self._show_upstream(describe_diff(self._diff), offer=not self._diff.unchanged)

    def _show_upstream(self, text: str, *, offer: bool) -> None:
        """The panel under the list; with `offer`, the buttons that apply the pending diff."""
        self.query_one("#upstream").display = True
        self.query_one("#upstream-text", Static).update(text)
        diff = self._diff
        both = bool(offer and diff and diff.new and diff.gone)
        accept = self.query_one("#upstream-accept", Button)
        accept.display = offer
        if offer and diff is not None:
            accept.label = ACCEPT_LABELS[(bool(diff.new), bool(diff.gone))]
        self.query_one("#upstream-add").display = both

    def _accept(self, *, drop_gone: bool) -> None:
        if self._diff is not None:
            self._checklist.accept(self._diff, drop_gone=drop_gone)
            self._diff = None
            self._refresh_list()
        self.query_one("#upstream").display = False

    # -- buttons and saving -----------------------------------------------------------------------

    def on_button_pressed(self, event: Button.Pressed) -> None:
        actions = {
            "model-all": self.action_select_all,
            "model-invert": self.action_invert,
            "model-clear": self.action_clear,
            "model-fetch": self.action_fetch,
            "upstream-accept": lambda: self._accept(drop_gone=True),
            "upstream-add": lambda: self._accept(drop_gone=False),
            "upstream-dismiss": self._accept_nothing,
            "model-save": self.action_save,
            "model-cancel": self.action_cancel,
        }
        action = actions.get(event.button.id or "")
        if action is not None:
            action()

    def _accept_nothing(self) -> None:
        self._diff = None
        self.query_one("#upstream").display = False

    def _say(self, text: str, *, error: bool = False) -> None:
        message = self.query_one("#model-message", Static)
        message.update(text)
        message.set_class(error, "-error")
        message.display = bool(text)

    def action_save(self) -> None:
        models = self._checklist.selected
        if self._save is None:
            self.dismiss(models)
            return
        self._run_save(self._save, models)

    @work(exclusive=True, group="save-models")
    async def _run_save(self, save: Save, models: tuple[str, ...]) -> None:
        button = self.query_one("#model-save", Button)
        button.disabled = True
        self._say("Saving …")
        try:
            await save(models)
        except ChannelsError as error:
            self._say(f"{error.title}: {error.message}", error=True)
            button.disabled = False
            return
        self.dismiss(models)
