"""The Textual app: navigation between the screens, help, the command palette and a safe quit.

Screens receive the workspace and the shared catalog; anything touching S3, DuckDB or pyarrow
runs in their thread workers. A section's screen module is imported when it first opens (a
missing one is a real error, never hidden). Screens reach the app's session state through
`CourierScreen.courier_app`, typed by the attributes declared here.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from courier.core.catalog.catalog import Catalog
from courier.core.catalog.workspace import Workspace
from courier.core.status.choices import feed_editor_start
from courier.core.status.runs import process_runs_a_courier
from courier.core.text import printable
from courier.tui.formatting import error_text
from courier.tui.screens import ConfirmScreen
from courier.tui.widgets.help import HelpScreen
from textual.app import App
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen


@dataclass(frozen=True)
class Section:
    """A place in the navigation: its key, where its screen lives and what it is for."""

    name: str
    title: str
    key: str
    module: str
    cls: str
    description: str
    label: str  # short footer label
    footer: bool = True


class NavigationProvider(Provider):
    """Command palette: every section plus the current screen's own commands (context commands)."""

    def _commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        app = self.app
        return app.palette_commands() if isinstance(app, CourierApp) else []

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)


SECTIONS: dict[str, Section] = {s.name: s for s in [
    Section("home", "Home", "h", "courier.tui.screens.home", "HomeScreen",
            "Couriers, feeds and what needs attention", "Home"),
    Section("onboarding", "Guided onboarding", "o", "courier.tui.screens.onboarding", "OnboardingScreen",
            "The eight steps from credential to scheduled courier", "Onboard"),
    Section("credentials", "Credentials", "c", "courier.tui.screens.credentials", "CredentialsScreen",
            "Add, edit and test the keys courier uses", "Creds"),
    Section("courier_setup", "Courier setup", "s", "courier.tui.screens.courier_setup", "CourierSetupScreen",
            "S3 settings, entities list and load operations", "Setup"),
    Section("files", "Sample files", "f", "courier.tui.screens.files", "FilesScreen",
            "Landed and remote files, newest first", "Files"),
    Section("feed_editor", "Feed editor", "e", "courier.tui.screens.feed_editor", "FeedEditorScreen",
            "Column tagging: primary key, semantic tags, last updated", "Feeds", False),
    Section("run", "Run courier", "r", "courier.tui.screens.run_progress", "RunDialog",
            "Run a courier for a day, a period or all data", "Run"),
    Section("history", "Run history", "y", "courier.tui.screens.history", "HistoryScreen",
            "Past runs with their notification or error", "History", False),
    Section("explorer", "Data explorer", "x", "courier.tui.screens.explorer", "ExplorerScreen",
            "Domain tables, sample rows and read-only SQL", "Explore", False),
    Section("groups", "Cron & groups", "g", "courier.tui.screens.cron", "CronScreen",
            "Validate cron expressions; courier groups and their schedules", "Cron"),
]}


class CourierApp(App[None]):
    """courier's operator console."""

    TITLE = "courier"
    SUB_TITLE = "Optimizely exports → domain tables"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {NavigationProvider}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    BINDINGS = [
        *[Binding(s.key, f"open('{s.name}')", s.label, id=f"app.{s.name}", show=s.footer)
          for s in SECTIONS.values()],
        Binding("f1,question_mark", "help", "Help", id="app.help", key_display="?"),
        Binding("escape", "back", "Back", id="app.back", show=False),
        Binding("q", "request_quit", "Quit", id="app.quit"),
        Binding("ctrl+q", "request_quit", "Quit", id="app.quit_ctrl", show=False, priority=True),
    ]

    workspace: Workspace
    catalog: Catalog
    demo_info: dict[str, Any] | None  # the demo's endpoint, bucket and courier, shown on Home
    checked_credentials: set[str]  # passed Test connection in this session
    fixed_now: datetime | None  # tests and screenshots pin the clock

    def __init__(self, workspace: Workspace, *, demo_info: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.workspace = workspace
        self.catalog = Catalog(workspace)
        self.demo_info = demo_info
        self.checked_credentials = set()
        self.fixed_now = None

    def on_mount(self) -> None:
        self.open_section("home")

    # navigation -----------------------------------------------------------------------------

    def section_class(self, name: str) -> type[Screen[Any]]:
        """The screen class of a section (imported on first use)."""
        section = SECTIONS[name]
        cls: type[Screen[Any]] = getattr(importlib.import_module(section.module), section.cls)
        return cls

    def open_section(self, name: str, **kwargs: Any) -> Screen[Any] | None:
        """Show a section's screen. Reopening a section replaces its earlier instance so esc
        walks back through distinct places and the stack stays short."""
        section = SECTIONS[name]
        cls = self.section_class(name)
        if name == "feed_editor" and not kwargs:
            kwargs = self._feed_editor_context()
            if kwargs is None:
                return None
        try:
            screen = cls(self.workspace, self.catalog, **kwargs)
        except Exception as exc:  # noqa: BLE001 - a screen that cannot open must not end the session
            self.notify(printable(f"{section.title} could not open: {error_text(exc)}"), severity="error", markup=False)
            return None
        self._pop_to(cls)
        self.push_screen(screen)
        return screen

    def _pop_to(self, cls: type[Screen[Any]]) -> None:
        """Pop screens down to (and including) an earlier instance of `cls`, keeping the base."""
        stack = self.screen_stack
        for index in range(len(stack) - 1, 0, -1):
            if isinstance(stack[index], cls):
                for _ in range(len(stack) - index):
                    self.pop_screen()
                return

    def _feed_editor_context(self) -> dict[str, Any] | None:
        """The feed editor needs a feed or a sample: the newest feed, else the newest landed file."""
        start = feed_editor_start(self.catalog)
        if start is not None:
            return {"sample": start.sample, "feed_id": start.feed_id}
        self.notify("No sample files yet: run the courier for one day first (r), then pick a file (f)",
                    severity="warning")
        return None

    def action_open(self, name: str) -> None:
        self.open_section(name)

    def action_back(self) -> None:
        if len(self.screen_stack) > 2:
            self.pop_screen()

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(self.focused))

    def palette_commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        """Commands for the palette: every section, plus the current screen's own commands."""
        commands: list[tuple[str, str, Callable[[], Any]]] = [
            (f"Go to {s.title}", f"{s.description} ({s.key})", _bind(self.open_section, s.name))
            for s in SECTIONS.values()
        ]
        own = getattr(self.screen, "palette_commands", None)
        if callable(own):
            commands = [*own(), *commands]
        commands.append(("Help for the focused widget", "F1 or ?", self.action_help))
        commands.append(("Quit courier", "q", self.action_request_quit))
        return commands

    # quitting -------------------------------------------------------------------------------

    def run_active(self) -> bool:
        """A run started by this process is still going (a worker in group "run" or a running row)."""
        if any(w.group == "run" and w.is_running for w in self.workers):
            return True
        return process_runs_a_courier(self.catalog, os.getpid())

    def action_request_quit(self) -> None:
        if not self.run_active():
            self.exit()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._cancel_runs()
                self.exit()

        self.push_screen(ConfirmScreen("A run is in progress. Cancel it and quit?",
                                       yes="Cancel run and quit", no="Keep running"), answered)

    def _cancel_runs(self) -> None:
        """Ask every screen that owns a run to cancel it, so no thread outlives the app."""
        for screen in self.screen_stack:
            cancel = getattr(screen, "cancel_run", None)
            if callable(cancel):
                cancel()
        self.workers.cancel_group(self, "run")

    def on_unmount(self) -> None:
        self.catalog.close()


def _bind(fn: Callable[..., Any], *args: Any) -> Callable[[], Any]:
    return lambda: fn(*args)


