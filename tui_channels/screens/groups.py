"""A site's groups (Octopus): list, create, edit, delete (trash first), copy, restore from the trash.

Each line is a group: name, mode, members (how many on enabled channels), timeout, and a warning
when it routes nowhere. The cursor group's members are listed below it. Opened for one channel,
the list holds the groups with a member on that channel, and says whether that member serves.
Saving, deleting, copying and restoring run in workers; the list reloads after each. Each of them
reads what it writes from the server first, never from the list shown (which may be a reload
behind: a group deleted a moment ago is still in it): an edit is refused when the group changed
since it was listed, a delete trashes the group as the server holds it, a copy or restore is
planned against the target's groups and channels listed again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ..errors import ChannelsError
from ..model_groups import GroupMember, GroupSpec, ModelGroup
from ..models import Channel
from ..services.group_transfer import (
    ExportedGroup,
    PlannedGroup,
    create_groups,
    exported_group,
    group_now,
    plan_groups_now,
    read_group_trash,
    trash_groups,
)
from ..services.change_values import group_values
from ..services.model_groups import memberships, serving_members
from ..services.sites import SiteSession
from ..wording import plural
from .confirm import ConfirmScreen
from .dialog import Dialog
from .group_form import GroupFormScreen, member_line
from .group_plan import GroupPlanScreen, TrashedGroupPicker
from .workers import work


def routing_problem(group: ModelGroup, spec: GroupSpec, channels: dict[int, Channel]) -> str:
    """Why the group serves no request now, or "" when it serves."""
    mode = spec.mode(group.mode)
    if not group.members:
        return "no members"
    if mode.uses_active_member and group.active_member is None:
        return "no active member"
    serving = serving_members(group, spec)
    if any((c := channels.get(m.channel_id)) is not None and c.status.is_enabled for m in serving):
        return ""
    return "active member disabled" if mode.uses_active_member else "no enabled member"


NAME_WIDTH = 27
"""The name column at most (a longer name is cut); it narrows to the longest name shown, so that a
row's warning fits its line at 80 columns."""


ROW_AFTER_NAME = 27
"""Cells of a row after the name: mode (13), members (7), timeout (7)."""


def name_width(groups: Sequence[ModelGroup], problems: Sequence[str], room: int) -> int:
    """The name column for these groups: the longest name and a gap, within `NAME_WIDTH`, and
    within what the list's `room` (0 or less: not laid out yet) leaves beside the longest warning."""
    width = min(NAME_WIDTH, max([len("Name"), *(len(g.name) for g in groups)]) + 2)
    warning = max((len(f"  ⚠ {p}") for p in problems if p), default=0)
    if room > 0:
        width = min(width, max(8, room - ROW_AFTER_NAME - warning))
    return width


def heading(width: int) -> str:
    """The list's column headings, over a name column `width` wide."""
    return f"{'Name':<{width}}{'Mode':<13}Enabled/members  Timeout"


def group_line(
    group: ModelGroup,
    spec: GroupSpec,
    channels: dict[int, Channel],
    focus: int | None,
    width: int = NAME_WIDTH,
    room: int = 0,
) -> Text:
    """Name (in a column `width` wide), mode, members (on enabled channels / all), timeout; a
    warning when the group serves nothing, on a line of its own where the list's `room` (0: not laid
    out yet) has no space for it beside the rest."""
    enabled = sum(1 for m in group.members if (c := channels.get(m.channel_id)) is not None and c.status.is_enabled)
    mode = spec.mode(group.mode)
    text = Text()
    name = group.name if len(group.name) < width else group.name[: width - 2] + "…"
    text.append(f"{name:<{width}}", style="bold")
    text.append(f"{(mode.short or mode.label)[:12]:<13}")
    text.append(f"{enabled:>3}/{len(group.members):<3}")
    text.append(f"{group.timeout if group.timeout else '—':>5} s")
    problem = routing_problem(group, spec, channels)
    if problem:
        beside = room <= 0 or text.cell_len + len(f"  ⚠ {problem}") <= room
        text.append(f"  ⚠ {problem}" if beside else f"\n  ⚠ {problem}", style="bold red")
    if focus is not None:
        own = [m for m in group.members if m.channel_id == focus]
        standby = not any(m.channel_id == focus for m in serving_members(group, spec))
        text.append(f"  via {', '.join(m.model for m in own)}" + (" (standby)" if standby else ""), style="italic")
    return text


def _edited_from(group: ModelGroup) -> dict[str, object]:
    """What an edit's update is computed from (`update_model_group` sends the differences): every
    setting but the active member, which it sets outright."""
    return {name: value for name, value in group_values(group).values.items() if name != "active"}


class GroupsScreen(Dialog[None]):
    """The groups of one Octopus site; `channel` narrows the list to the groups routing to it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("n", "new_group", "New"),
        Binding("e,enter", "edit_group", "Edit"),
        Binding("d,delete", "delete_group", "Delete"),
        Binding("C", "copy_group", "Copy to site"),
        Binding("L", "restore_groups", "Restore"),
        Binding("r", "reload", "Reload"),
        Binding("slash", "focus_filter", "Filter", show=False),
        Binding("n,e,enter,d,delete,L", "read_only", show=False),
    ]
    WRITES: ClassVar[frozenset[str]] = frozenset({"new_group", "edit_group", "delete_group", "restore_groups"})
    """Actions that change this site's groups: disabled (and `read_only` says why) on a read-only site."""

    def __init__(
        self,
        session: SiteSession,
        *,
        channel: Channel | None = None,
        pick_site: Callable[[str, Callable[[str | None], None]], None] | None = None,
        target_session: Callable[[str], SiteSession] | None = None,
    ) -> None:
        super().__init__()
        self._session = session
        self._focus = channel
        self._pick_site = pick_site
        self._target_session = target_session
        self._shown: list[ModelGroup] = []
        self.changed = False

    @property
    def spec(self) -> GroupSpec:
        capabilities = self._session.capabilities
        assert capabilities is not None and capabilities.groups is not None
        return capabilities.groups

    def compose(self) -> ComposeResult:
        session = self._session
        title = f"Groups of {session.name}"
        if self._focus is not None:
            title = f"Groups routing to channel #{self._focus.id} {self._focus.name} on {session.name}"
        with Vertical(classes="dialog", id="groups"):
            yield Label(title, classes="dialog-title")
            yield Label(id="groups-summary")
            yield Label(heading(NAME_WIDTH), classes="groups-heading", id="groups-heading")
            yield Input(placeholder="/ filter by group, channel or model name", id="groups-filter", classes="filter")
            yield OptionList(id="groups-list", classes="columns")
            yield Label("Members", classes="help-section")
            with VerticalScroll(id="group-members-view", can_focus=False):
                yield Static(id="group-members-text")
            yield Label(
                "n new · e edit · d delete · C copy to a site · L restore deleted · r reload · Esc closes",
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        self._draw()
        # Filter in the keystroke's own turn, so the box and the list repaint in one frame.
        self.watch(self.query_one("#groups-filter", Input), "value", self._filter_typed, init=False)
        self.query_one("#groups-list", OptionList).focus()
        self.call_after_refresh(self._fit_rows)

    def on_resize(self) -> None:
        self.call_after_refresh(self._fit_rows)

    def _fit_rows(self) -> None:
        """Draw the rows again once the list's width is known, so each fits its line."""
        cursor = self._cursor()
        self._draw(keep=cursor.id if cursor is not None else None)

    # -- drawing -----------------------------------------------------------------------------------

    def _channels(self) -> dict[int, Channel]:
        return {c.id: c for c in self._session.channels}

    def _draw(self, keep: int | None = None) -> None:
        session, spec, channels = self._session, self.spec, self._channels()
        groups = session.groups or []
        if self._focus is not None:
            groups = [m.group for m in memberships(self._focus.id, groups, spec)]
        needle = self.query_one("#groups-filter", Input).value.strip().casefold()
        if needle:
            groups = [g for g in groups if self._matches(g, needle, channels)]
        self._shown = sorted(groups, key=lambda g: g.name.casefold())
        summary = f"{len(self._shown)} of {plural(len(session.groups or []), 'group')}"
        if session.groups_error is not None:
            summary = f"⚠ {session.groups_error.title}: {session.groups_error.message}"
        self.query_one("#groups-summary", Label).update(summary)
        options = self.query_one("#groups-list", OptionList)
        previous = options.highlighted
        options.clear_options()
        focus = self._focus.id if self._focus is not None else None
        problems = [routing_problem(g, spec, channels) for g in self._shown]
        room = options.content_region.width - options.styles.scrollbar_size_vertical  # a long list scrolls
        width = name_width(self._shown, problems, room)
        self.query_one("#groups-heading", Label).update(heading(width))
        options.add_options(
            Option(group_line(g, spec, channels, focus, width, room), id=str(g.id)) for g in self._shown
        )
        if self._shown:
            ids = [g.id for g in self._shown]
            options.highlighted = ids.index(keep) if keep in ids else min(previous or 0, len(ids) - 1)
        self._draw_members()

    @staticmethod
    def _matches(group: ModelGroup, needle: str, channels: dict[int, Channel]) -> bool:
        names = [group.name, *(m.model for m in group.members)]
        names += [channels[m.channel_id].name for m in group.members if m.channel_id in channels]
        return any(needle in name.casefold() for name in names)

    def _cursor(self) -> ModelGroup | None:
        options = self.query_one("#groups-list", OptionList)
        if options.highlighted is None or not self._shown:
            return None
        return self._shown[options.highlighted]

    def _draw_members(self) -> None:
        group = self._cursor()
        view = self.query_one("#group-members-text", Static)
        if group is None:
            view.update("No group." if not self._session.groups else "No group matches.")
            return
        channels = self._channels()
        lines = [member_line(m, group, self.spec, channels) for m in group.members] or [Text("No members yet.")]
        view.update(Text("\n").join(lines))

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self._draw_members()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_edit_group()

    def _filter_typed(self) -> None:
        """The filter's text changed (`_draw`'s own argument is the row to keep, not the text)."""
        self._draw()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#groups-list", OptionList).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.WRITES:
            return None if self._session.read_only_reason else True
        return action != "read_only" or bool(self._session.read_only_reason)

    def action_read_only(self) -> None:
        self.notify(self._session.read_only_reason or "", title="Not available", severity="warning")

    def action_focus_filter(self) -> None:
        self.query_one("#groups-filter", Input).focus()

    def action_close(self) -> None:
        self.dismiss(None)

    # -- create and edit ---------------------------------------------------------------------------

    def _taken(self) -> list[str]:
        return [g.name for g in self._session.groups or []]

    def action_new_group(self) -> None:
        spec = self.spec
        members: tuple[GroupMember, ...] = ()
        if self._focus is not None and self._focus.models:
            members = (GroupMember(self._focus.id, self._focus.models[0], priority=1),)
        draft = ModelGroup(None, "", spec.default_mode, members=members)

        def done(group: ModelGroup | None) -> None:
            if group is not None:
                self._save(None, group)

        title = f"New group on {self._session.name}"
        form = GroupFormScreen(draft, spec, self._session.channels, title=title, taken=self._taken())
        self.app.push_screen(form, done)

    def action_edit_group(self) -> None:
        group = self._cursor()
        if group is None:
            return

        def done(edited: ModelGroup | None) -> None:
            if edited is not None:
                self._save(group, edited)

        title = f"Edit group {group.name} on {self._session.name}"
        form = GroupFormScreen(group, self.spec, self._session.channels, title=title, taken=self._taken())
        self.app.push_screen(form, done)

    @work(group="group-save", exclusive=True)
    async def _save(self, old: ModelGroup | None, new: ModelGroup) -> None:
        """Create, or send what the form changed from `old`; an edit is refused when the server's
        group is no longer the `old` it was made on (the update would be computed from a stale copy)."""
        backend = self._session.backend
        if backend is None:
            return
        try:
            if old is None:
                saved = await backend.create_model_group(new)  # type: ignore[attr-defined]
            else:
                now = await group_now(backend, old.id)
                if now is None or _edited_from(now) != _edited_from(old):
                    what = "was deleted" if now is None else "changed"
                    self.notify(
                        f"Group {old.name} {what} on {self._session.name} since the list was loaded; "
                        "nothing was saved. The list is reloaded: edit it again.",
                        title="Not saved",
                        severity="warning",
                        timeout=10,
                    )
                    await self._reload(keep=old.id)
                    return
                saved = await backend.update_model_group(now, new)  # type: ignore[attr-defined]
        except ChannelsError as error:
            self.notify(error.message, title=error.title, severity="error", timeout=10)
            return
        self.changed = True
        self.notify(f"Saved group {saved.name} with {plural(len(saved.members), 'member')}.")
        await self._reload(keep=saved.id)

    # -- delete ------------------------------------------------------------------------------------

    def action_delete_group(self) -> None:
        group = self._cursor()
        if group is None:
            return
        channels = self._channels()
        lines = [
            f"  {channels[m.channel_id].name if m.channel_id in channels else f'#{m.channel_id}'} · {m.model}"
            for m in group.members[:10]
        ]
        if len(group.members) > 10:
            lines.append(f"  and {len(group.members) - 10} more")
        message = (
            f"Clients calling the model {group.name!r} get an error once it is gone.\n"
            f"Its {plural(len(group.members), 'member')}:\n" + ("\n".join(lines) or "  (none)") + "\n\n"
            "The group is first copied to the local group trash (group-trash.jsonl in the data folder), "
            "from which L restores it, members mapped to channels by name."
        )

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._delete(group)

        typed = group.name if group.members else None
        screen = ConfirmScreen(f"Delete group {group.name}?", message, confirm_label="Delete", typed=typed)
        self.app.push_screen(screen, confirmed)

    @work(group="group-save", exclusive=True)
    async def _delete(self, group: ModelGroup) -> None:
        backend, capabilities = self._session.backend, self._session.capabilities
        if backend is None or capabilities is None or group.id is None:
            return
        try:
            now = await group_now(backend, group.id)
            if now is None:
                self.notify(f"Group {group.name} is not on {self._session.name} any more; nothing to delete.")
                await self._reload()
                return
            channels = await backend.list_channels()
            trash_groups([now], channels, site=self._session.name, flavor=capabilities.flavor)
            await backend.delete_model_group(group.id)  # type: ignore[attr-defined]
        except ChannelsError as error:
            self.notify(error.message, title=error.title, severity="error", timeout=10)
            return
        self.changed = True
        self.notify(f"Deleted group {group.name}; it is in the group trash.")
        await self._reload()

    # -- copy and restore --------------------------------------------------------------------------

    def action_copy_group(self) -> None:
        group = self._cursor()
        if group is None or self._pick_site is None:
            return

        def chosen(name: str | None) -> None:
            if name:
                self._copy(group, name)

        self._pick_site(f"Copy group {group.name} of {self._session.name} to…", chosen)

    @work(group="group-transfer", exclusive=True)
    async def _copy(self, group: ModelGroup, site: str) -> None:
        if self._target_session is None:
            return
        target = self._target_session(site)
        source, capabilities = self._session.backend, self._session.capabilities
        if source is None or capabilities is None:
            return
        try:
            now = await group_now(source, group.id)
            if now is None:
                self.notify(f"Group {group.name} is not on {self._session.name} any more; nothing to copy.")
                await self._reload()
                return
            names = {c.id: c.name for c in await source.list_channels()}
            await target.connect()
        except ChannelsError as error:
            self.notify(error.message, title=error.title, severity="error", timeout=10)
            return
        item = (exported_group(now, names), self._session.name, capabilities.flavor)
        await self._plan(target, [item], f"Copy group {now.name} to {site}")

    def action_restore_groups(self) -> None:
        try:
            trashed = read_group_trash(site=self._session.name)
        except ChannelsError as error:
            self.notify(error.message, title=error.title, severity="error", timeout=10)
            return
        if not trashed:
            self.notify(f"The group trash holds no group deleted from {self._session.name} with this app.")
            return

        def chosen(picked: list | None) -> None:
            if picked:
                items = [(t.group, t.site, t.flavor) for t in picked]
                self._restore(items, f"Restore {plural(len(items), 'group')} into {self._session.name}")

        self.app.push_screen(TrashedGroupPicker(trashed), chosen)

    @work(group="group-transfer", exclusive=True)
    async def _restore(self, items: list[tuple[ExportedGroup, str, str]], title: str) -> None:
        await self._plan(self._session, items, title)

    async def _plan(self, target: SiteSession, items: Sequence[tuple[ExportedGroup, str, str]], title: str) -> None:
        """Plan the groups against `target`'s groups and channels listed again now, then preview."""
        backend, capabilities = target.backend, target.capabilities
        if backend is None or capabilities is None:
            return
        if target.read_only_reason:
            self.notify(f"Cannot create groups on {target.name}: {target.read_only_reason}.", severity="warning")
            return
        try:
            rows = await plan_groups_now(backend, items, capabilities, site=target.name)
        except ChannelsError as error:
            self.notify(error.message, title=error.title, severity="error", timeout=10)
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._create(target, rows)

        self.app.push_screen(GroupPlanScreen(title, rows), confirmed)

    @work(group="group-transfer", exclusive=True)
    async def _create(self, target: SiteSession, rows: list[PlannedGroup]) -> None:
        backend = target.backend
        if backend is None:
            return
        outcomes = await create_groups(backend, rows)
        created = sum(o.created for o in outcomes)
        details = "\n".join(f"{o.name}: {o.message}" for o in outcomes)
        self.notify(f"{created} of {plural(len(outcomes), 'group')} created on {target.name}.\n{details}", timeout=15)
        await target.load_groups()
        if target is self._session:
            self.changed = True
            self._draw()

    # -- reload ------------------------------------------------------------------------------------

    def action_reload(self) -> None:
        self._reload_now()

    @work(group="group-load", exclusive=True)
    async def _reload_now(self) -> None:
        await self._reload()

    async def _reload(self, keep: int | None = None) -> None:
        cursor = self._cursor()
        try:
            await self._session.load()
        except ChannelsError as error:
            self.notify(error.message, title=error.title, severity="error", timeout=10)
        self._draw(keep if keep is not None else (cursor.id if cursor else None))
