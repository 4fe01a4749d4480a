"""Choose what a batch applies to (the cursor channel, the selection, the filtered view or all),
optionally with one line of text for it (a model to test with, a tag to set). In the fleet view a
scope spans sites, and says how many."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.suggester import SuggestFromList
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from ..backends.base import Operation
from ..models import Channel
from ..services.fleet import split_by_support, spread
from ..services.sites import SiteChannels
from ..wording import plural
from .form_dialog import FormDialog


@dataclass(frozen=True, slots=True)
class Scope:
    """A set of channels as the user names it (`key` is cursor, selection, view or all), per site;
    with the `operation` a write needs, its title counts only the channels it can write."""

    key: str
    label: str
    targets: tuple[SiteChannels, ...]
    operation: Operation | None = None

    @property
    def channels(self) -> tuple[Channel, ...]:
        """Every channel of the scope, site after site (ids repeat across sites)."""
        return tuple(c for target in self.targets for c in target.channels)

    @property
    def writable(self) -> bool:
        """Whether some channel of the scope is on a site that can do `operation` (any, without one)."""
        if self.operation is None:
            return bool(self.channels)
        able, _unable = split_by_support([t for t in self.targets if t.channels], self.operation)
        return bool(able)

    @property
    def title(self) -> str:
        targets, unable = list(self.targets), []
        if self.operation is not None:
            targets, unable = split_by_support([t for t in self.targets if t.channels], self.operation)
        sites = [t for t in targets if t.channels]
        if len(sites) > 1:
            counted = spread(sites)
        else:
            counted = plural(sum(len(t.channels) for t in targets), "channel")
        left = sum(len(t.channels) for t, _reason in unable)
        return f"{self.label}  ({counted}{f'; {left:,} left out' if left else ''})"


@dataclass(frozen=True, slots=True)
class ScopeChoice:
    scope: Scope
    text: str


class ScopePicker(FormDialog[ScopeChoice | None]):
    """The scopes as a list; with a `prompt`, Enter on a scope moves on to the text line."""

    def __init__(
        self,
        title: str,
        scopes: Sequence[Scope],
        *,
        default: str | None = None,
        prompt: str | None = None,
        placeholder: str = "",
        prefill: Callable[[Scope], str] | None = None,
        complete_models: bool = False,
    ) -> None:
        """With `complete_models`, the text line completes (→) the model names of the highlighted
        scope's channels. With `prefill`, the text line holds `prefill(scope)` of the highlighted
        scope, and follows the highlight until the user edits it."""
        super().__init__()
        self._complete_models = complete_models
        self._title = title
        self._scopes = list(scopes)
        self._default = default
        self._prompt = prompt
        self._placeholder = placeholder
        self._prefill = prefill
        self._prefilled = ""
        """What the text line was last given, to tell the user's own text from it."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="scope-picker"):
            yield Label(self._title, classes="dialog-title")
            yield OptionList(*(Option(s.title, id=s.key) for s in self._scopes), id="scope-list")
            if self._prompt is not None:
                yield Label(self._prompt, id="scope-prompt")
                yield Input(placeholder=self._placeholder, id="scope-text")
            hint = "Enter chooses · Esc cancels"
            if self._prompt is not None:
                hint = "Enter on a scope moves to the text, Enter there starts · Esc cancels"
                if self._complete_models:
                    hint = "Enter on a scope moves to the model (→ completes it), Enter there starts · Esc cancels"
            yield Label(hint, classes="dialog-hint")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        keys = [s.key for s in self._scopes]
        options.highlighted = keys.index(self._default) if self._default in keys else 0
        if self._prompt is not None and self._prefill is not None:
            self._prefilled = self.query_one("#scope-text", Input).value = self._prefill(self._chosen())
        if self._prompt is not None and len(self._scopes) == 1:
            self.query_one("#scope-text", Input).focus()
        else:
            options.focus()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if self._prompt is None:
            return
        scope = self._chosen()
        text = self.query_one("#scope-text", Input)
        if self._prefill is not None and text.value == self._prefilled:
            self._prefilled = text.value = self._prefill(scope)
        if not self._complete_models:
            return
        names = sorted({model for channel in scope.channels for model in channel.models}, key=str.casefold)
        text.suggester = SuggestFromList(names, case_sensitive=False)

    def _chosen(self) -> Scope:
        highlighted = self.query_one(OptionList).highlighted
        return self._scopes[highlighted or 0]

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if self._prompt is None:
            self.dismiss(ScopeChoice(self._chosen(), ""))
        else:
            self.query_one("#scope-text", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(ScopeChoice(self._chosen(), event.value.strip()))
