"""Keys: every key a screen offers runs something, and keys typed in a burst reach a ready screen.

`test_every_binding_runs_something` builds every screen the app can push (the main screen, the site
manager and each dialog), focuses each of its widgets in turn, and checks that every active binding
(what the footer and the help screen show, and the keys they do not show) names an action that
exists where Textual will look for it, with parameters it accepts. A new screen must be added to
`FACTORIES`, or the completeness check fails.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from textual import events
from textual.actions import ActionError
from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widgets import Footer, Input

import tui_channels.screens as screens_package
from tui_channels.app import ChannelsApp
from tui_channels.backends.base import Capabilities
from tui_channels.config import HealthSettings
from tui_channels.model_groups import GroupSpec, ModelGroup
from tui_channels.models import Channel
from tui_channels.screens.batch_results import BatchResultsScreen
from tui_channels.screens.channel_detail import ChannelDetailScreen
from tui_channels.screens.tag_confirm import TagConfirmScreen
from tui_channels.services.tagging import TagPlan
from tui_channels.screens.channel_form import ChannelFormScreen
from tui_channels.screens.column_picker import ColumnPicker
from tui_channels.screens.confirm import ConfirmScreen
from tui_channels.screens.copy_report import CopyReportScreen
from tui_channels.screens.find import FindScreen
from tui_channels.screens.health import HealthScreen
from tui_channels.screens.form_dialog import DiscardConfirm
from tui_channels.screens.help import HelpScreen
from tui_channels.screens.import_preview import ImportPreviewScreen
from tui_channels.screens.key_dialogs import AccountDialog, AddKeysDialog
from tui_channels.screens.key_library import KeyLibraryScreen
from tui_channels.screens.key_manager import KeyManagerScreen
from tui_channels.screens.key_reveal import KeyRevealScreen
from tui_channels.screens.main import MainScreen
from tui_channels.screens.group_form import GroupFormScreen
from tui_channels.screens.group_members import MatchingPreview, MemberPicker
from tui_channels.screens.group_plan import GroupPlanScreen, TrashedGroupPicker
from tui_channels.screens.groups import GroupsScreen
from tui_channels.screens.history import HistoryScreen
from tui_channels.screens.model_editor import ModelEditorScreen
from tui_channels.screens.number_prompt import NumberPrompt, number_spec
from tui_channels.screens.scope_picker import Scope, ScopePicker
from tui_channels.screens.site_form import SiteForm
from tui_channels.screens.site_manager import SiteManagerScreen
from tui_channels.screens.site_switcher import Destination, SiteSwitcher
from tui_channels.screens.sort_picker import SortPicker
from tui_channels.screens.status_confirm import StatusConfirmScreen
from tui_channels.screens.sync_preview import SyncPreviewScreen
from tui_channels.screens.sync_rules import SyncRulesScreen
from tui_channels.screens.tag_edit import TagEditScreen
from tui_channels.screens.transfer_dialogs import ExportDialog, PromptDialog, RestoreDialog, SitePicker
from tui_channels.screens.type_picker import TypePicker
from tui_channels.screens.upstream_review import SyncSourcePicker, UpstreamReviewScreen
from tui_channels.services.batch import failed, succeeded
from tui_channels.services.channel_form import ChannelForm
from tui_channels.services.channel_mapping import Origin
from tui_channels.services.fleet import Fleet
from tui_channels.services.sites import SiteChannels, SiteSession
from tui_channels.services.status_change import StatusPlan, StatusPlans
from tui_channels.services.tag_view import TagGroup
from tui_channels.services.transfer import plan_transfer

from .ui_helpers import main_screen, running_app, screen_text, wait_for, wait_screen

pytestmark = pytest.mark.xdist_group("keys")


@dataclass
class Context:
    """What the screen factories build from: the running app on the demo New API site, and the demo
    Octopus site's session loaded beside it (for the screens of Octopus groups)."""

    app: ChannelsApp
    main: MainScreen
    session: SiteSession
    octopus: SiteSession

    @property
    def groups(self) -> GroupSpec:
        capabilities = self.octopus.capabilities
        assert capabilities is not None and capabilities.groups is not None
        return capabilities.groups

    def group(self) -> ModelGroup:
        return ModelGroup(None, "gpt-4o", self.groups.default_mode)

    @property
    def capabilities(self) -> Capabilities:
        assert self.session.capabilities is not None
        return self.session.capabilities

    @property
    def channel(self) -> Channel:
        return self.session.channels[0]

    @property
    def multi_key(self) -> Channel:
        return next(c for c in self.session.channels if c.is_multi_key)

    def plan(self):
        origin = Origin(self.session.name, self.capabilities.kind, self.capabilities.flavor)
        items = [(c, origin) for c in self.session.channels[:3]]
        return plan_transfer(items, self.capabilities, self.session.channels, site="there", title="Copy")


def _results(ctx: Context) -> BatchResultsScreen:
    a, b = ctx.session.channels[:2]
    return BatchResultsScreen("Test", [succeeded(a, "0.2 s"), failed(b, "401 invalid key")])


FACTORIES: dict[type[Screen], Callable[[Context], Screen]] = {
    HelpScreen: lambda ctx: HelpScreen(ctx.main._help_sections()),
    ConfirmScreen: lambda ctx: ConfirmScreen("Delete?", "It goes to the trash.", confirm_label="Delete"),
    TagConfirmScreen: lambda ctx: TagConfirmScreen(
        TagPlan.of([SiteChannels(ctx.session, tuple(ctx.session.channels[:2]))], "", "keys-tag")
    ),
    BatchResultsScreen: _results,
    ChannelDetailScreen: lambda ctx: ChannelDetailScreen(ctx.channel, ctx.capabilities),
    ColumnPicker: lambda ctx: ColumnPicker([("id", "ID"), ("name", "Name")], ["id", "name"]),
    SortPicker: lambda ctx: SortPicker(["id", "name"], "id", False),
    SiteSwitcher: lambda ctx: SiteSwitcher(ctx.app.config.sites, Destination(ctx.session.name)),
    ScopePicker: lambda ctx: ScopePicker(
        "Test",
        [Scope("cursor", "This channel", (SiteChannels(ctx.session, (ctx.channel,)),))],
        prompt="Model",
        placeholder="model",
    ),
    FindScreen: lambda ctx: FindScreen(Fleet([ctx.session, ctx.octopus]), (), text="gpt"),
    HealthScreen: lambda ctx: HealthScreen(Fleet([ctx.session, ctx.octopus]), HealthSettings(), dict),
    NumberPrompt: lambda ctx: NumberPrompt("Set priority", "For one channel.", number_spec(None, "priority"), 3),
    KeyRevealScreen: lambda ctx: KeyRevealScreen("a channel", ()),
    CopyReportScreen: lambda ctx: CopyReportScreen(ctx.plan()),
    ImportPreviewScreen: lambda ctx: ImportPreviewScreen(ctx.plan()),
    ChannelFormScreen: lambda ctx: ChannelFormScreen(
        ChannelForm(ctx.capabilities), ctx.session.backend, title="New channel"  # type: ignore[arg-type]
    ),
    ModelEditorScreen: lambda ctx: ModelEditorScreen("Models", ctx.channel.models),
    KeyManagerScreen: lambda ctx: KeyManagerScreen(ctx.session.backend, ctx.multi_key),
    AddKeysDialog: lambda ctx: AddKeysDialog(),
    AccountDialog: lambda ctx: AccountDialog(set()),
    KeyLibraryScreen: lambda ctx: KeyLibraryScreen(ctx.session.name),
    PromptDialog: lambda ctx: PromptDialog("Key", "The key"),
    ExportDialog: lambda ctx: ExportDialog(
        ctx.session.name, [("all", "All", tuple(ctx.session.channels))], Path("out.json"), returns_keys=False
    ),
    RestoreDialog: lambda ctx: RestoreDialog(ctx.session.name, "./", []),
    DiscardConfirm: lambda ctx: DiscardConfirm(),
    SitePicker: lambda ctx: SitePicker("Copy to…", ctx.app.config.sites),
    SiteForm: lambda ctx: SiteForm(ctx.app.secrets, ctx.session.profile, set()),
    SiteManagerScreen: lambda ctx: SiteManagerScreen(),
    SyncPreviewScreen: lambda ctx: SyncPreviewScreen([], keep=False, replan=lambda keep: []),
    SyncRulesScreen: lambda ctx: SyncRulesScreen(ctx.session.profile, ctx.channel),
    TagEditScreen: lambda ctx: TagEditScreen(TagGroup("team-a", (ctx.channel,))),
    TypePicker: lambda ctx: TypePicker(ctx.capabilities.types, ctx.channel.type.code),
    StatusConfirmScreen: lambda ctx: StatusConfirmScreen(StatusPlans((StatusPlan(True, tuple(ctx.session.channels)),))),
    SyncSourcePicker: lambda ctx: SyncSourcePicker(60, 5, 8),
    UpstreamReviewScreen: lambda ctx: UpstreamReviewScreen([], ctx.session.channels),
    GroupsScreen: lambda ctx: GroupsScreen(ctx.octopus),
    HistoryScreen: lambda ctx: HistoryScreen(ctx.session.name),
    GroupFormScreen: lambda ctx: GroupFormScreen(
        ctx.group(), ctx.groups, ctx.octopus.channels, title="New group", taken=[]
    ),
    MemberPicker: lambda ctx: MemberPicker(ctx.octopus.channels, set()),
    MatchingPreview: lambda ctx: MatchingPreview(ctx.group(), ctx.groups, ctx.octopus.channels, "gpt", False),
    GroupPlanScreen: lambda ctx: GroupPlanScreen("Copy groups", []),
    TrashedGroupPicker: lambda ctx: TrashedGroupPicker([]),
}
"""How to build each screen the app can push, from the running app."""


def pushable_screens() -> set[type[Screen]]:
    """Every screen class of the screens package that is not a base of another one."""
    for module in pkgutil.iter_modules(screens_package.__path__):
        importlib.import_module(f"{screens_package.__name__}.{module.name}")
    found: set[type[Screen]] = set()
    pending: list[type[Screen]] = [Screen]
    while pending:
        cls = pending.pop()
        subclasses = cls.__subclasses__()
        pending.extend(subclasses)
        if cls.__module__.startswith(screens_package.__name__) and not subclasses:
            found.add(cls)
    return found


def why_it_does_nothing(app: App, node: DOMNode, action: str) -> str | None:
    """Why `action`, bound on `node`, would do nothing when its key is pressed; None if it runs."""
    try:
        target, name, params = app._parse_action(action, node)
    except ActionError as error:
        return str(error)
    method = getattr(target, f"_action_{name}", None) or getattr(target, f"action_{name}", None)
    if not callable(method):
        return f"{type(target).__name__} has no action_{name}"
    try:
        inspect.signature(method).bind(*params)
    except TypeError as error:
        return f"{type(target).__name__}.action_{name}{params!r}: {error}"
    return None


def binding_problems(app: App, screen: Screen) -> list[str]:
    """Every active binding of `screen`, with each of its widgets focused in turn, that does nothing."""
    problems: set[str] = set()
    for widget in [None, *screen.focus_chain]:
        screen.set_focus(widget)
        for key, active in screen.active_bindings.items():
            reason = why_it_does_nothing(app, active.node, active.binding.action)
            if reason:
                problems.add(f"{type(screen).__name__} {key} ({active.binding.action}): {reason}")
    return sorted(problems)


def test_every_pushable_screen_has_a_factory() -> None:
    missing = {cls.__name__ for cls in pushable_screens()} - {cls.__name__ for cls in FACTORIES} - {"MainScreen"}
    assert not missing, f"add these screens to FACTORIES: {sorted(missing)}"


async def test_every_binding_runs_something() -> None:
    async with running_app() as (app, pilot, _demo):
        main = main_screen(app)
        assert main.current is not None
        octopus = app.sessions.get(next(site for site in app.config.sites if site.kind == "octopus"))
        await octopus.load()
        await octopus.load_groups()
        ctx = Context(app, main, main.current, octopus)
        problems = binding_problems(app, main)
        help_bindings = [(main, b) for _title, bindings in main._own_bindings() for b in bindings]
        help_bindings += [(main.table, b) for b in main.table.BINDINGS if isinstance(b, Binding)]
        for node, binding in help_bindings:
            reason = why_it_does_nothing(app, node, binding.action)
            if reason:
                problems.append(f"help: {binding.key} ({binding.action}): {reason}")
        main.set_focus(main.table)
        for cls, build in FACTORIES.items():
            screen = build(ctx)
            await app.push_screen(screen)
            await wait_for(pilot, lambda: app.screen is screen and screen.is_mounted)
            assert screen.query(Footer), f"{cls.__name__} shows no footer of its own"
            problems += binding_problems(app, screen)
            app.pop_screen()
            await wait_for(pilot, lambda: app.screen is main)
        assert not problems, "keys that do nothing:\n" + "\n".join(problems)


async def test_q_quits() -> None:
    async with running_app() as (app, pilot, _demo):
        await pilot.press("q")
        assert app.return_code == 0, "q did not quit"


def burst(app: App, *keys: str) -> None:
    """Keys arriving faster than the app handles them, as a fast typist's do."""
    for key in keys:
        app.post_message(events.Key(key, key if len(key) == 1 else None))


async def test_keys_typed_ahead_in_a_form_land_in_the_field_they_were_typed_for() -> None:
    """Tab then letters in one burst: each letter goes to the field focused by the Tabs before it,
    also after the masked key field (Tab from Name goes over the Type button to the key)."""
    async with running_app() as (app, pilot, _demo):
        for attempt in range(5):
            await pilot.press("n")
            form = await wait_screen(pilot, ChannelFormScreen)
            await wait_for(pilot, lambda: not app.holding_keys)
            burst(app, *"abc", "tab", "tab", *"MNO", "tab", *"https://x.example.com")
            await wait_for(pilot, lambda: not app.holding_keys and form.values()["base_url"].endswith(".com"))
            values = form.values()
            assert (values["name"], values["key"], values["base_url"]) == ("abc", "MNO", "https://x.example.com"), (
                f"burst {attempt}"
            )
            form.dismiss(None)
            await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))


async def test_keys_typed_while_the_model_editor_opens_reach_the_editor() -> None:
    """`m` and `-` in one burst: `-` unchecks the editor's models; it never reaches the table below."""
    async with running_app() as (app, pilot, _demo):
        main = main_screen(app)
        main.table.select_all_visible()
        selected = len(main.table.selected_ids)
        for attempt in range(20):
            channel = main.table.cursor_channel
            assert channel is not None and channel.models
            burst(app, "m", "minus")
            editor = await wait_screen(pilot, ModelEditorScreen)
            cleared = f"0 of {len(channel.models)} checked"
            await wait_for(pilot, lambda: not app.holding_keys and cleared in screen_text(app))
            assert len(main.table.selected_ids) == selected, "a key of the burst reached the table"
            editor.dismiss(None)
            await wait_for(pilot, lambda: app.screen is main)
            await pilot.press("down")


async def test_a_filter_that_quickly_matches_nothing_keeps_the_model_editor_alive() -> None:
    """The list is rebuilt per filter change; a highlight still pending from the previous build
    pointed at a row the next (empty) build no longer had, and the app crashed."""
    async with running_app() as (app, pilot, _demo):
        await pilot.press("m")
        editor = await wait_screen(pilot, ModelEditorScreen)
        box = editor.query_one("#model-filter", Input)
        for _ in range(10):
            box.value = "gpt"
            box.value = "nothing-matches-this"
            box.value = ""
        box.value = "nothing-matches-this"
        await wait_for(pilot, lambda: "0 shown" in screen_text(app))
        assert app._exception is None


def settled(app: ChannelsApp) -> bool:
    """No key held, the top screen mounted, no batch running (its results screen may follow)."""
    return not app.holding_keys and app.screen.is_mounted and not main_screen(app).batch_running


BURST_KEYS = [
    "m", "e", "n", "c", "o", "s", "question_mark", "enter", "escape", "space", "down", "up",
    "a", "u", "i", "T", "P", "tab", "f", "x", "L", "slash", "g", "y",
]
"""Keys of the main screen and of the dialogs they open (nothing that quits or writes in bulk)."""


async def test_no_burst_of_keys_leaves_the_app_without_a_ready_screen() -> None:
    """Random bursts (fixed seed): afterwards the top screen is mounted, Escape gets back to the
    main screen (y where a form asks before dropping edits), and the main screen still answers a key."""
    rng = random.Random(13)
    async with running_app() as (app, pilot, _demo):
        main = main_screen(app)
        for attempt in range(25):
            keys = [rng.choice(BURST_KEYS) for _ in range(rng.randint(2, 7))]
            burst(app, *keys)
            await wait_for(pilot, lambda: settled(app))
            assert app._exception is None, f"burst {attempt}: {keys}"
            for _ in range(8):
                if app.screen is main:
                    break
                await pilot.press("y" if isinstance(app.screen, DiscardConfirm) else "escape")
                await wait_for(pilot, lambda: settled(app))
            assert app.screen is main, f"burst {attempt}: {keys} left {app.screen_stack}"
            await pilot.press("escape", "question_mark")
            help_screen = await wait_screen(pilot, HelpScreen)
            help_screen.dismiss()
            await wait_for(pilot, lambda: app.screen is main)
