"""The Textual app: navigation between the screens, help, the command palette and a safe quit.

Screens receive the workspace and the shared catalog; anything touching S3, DuckDB or pyarrow
runs in their thread workers. A section's screen module is imported when it first opens (a
missing one is a real error, never hidden). Screens reach the app's session state through
`CourierScreen.courier_app`, typed by the attributes declared here.
"""

from __future__ import annotations

import gc
import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from courier.core.catalog.catalog import Catalog
from courier.core.catalog.workspace import Workspace
from courier.core.status.choices import feed_editor_start
from courier.core.status.runs import process_runs_a_courier
from courier.core.text import printable
from courier.tui.formatting import error_text
from courier.tui.keymap import key_text, keymap_path, load_keymap, unknown_ids
from courier.tui.screens import ConfirmScreen, CourierScreen, leave_field
from courier.tui.widgets.help import HelpScreen
from textual import constants
from textual.app import WINDOWS, App
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.dom import DOMNode
from textual.driver import Driver
from textual.screen import Screen

if TYPE_CHECKING:
    from courier.tui.screens.run_progress import RunChoice

Command = tuple[str, str, Callable[[], Any]]  # palette title, its keys (help line), what it does

ESCAPE_DELAY_MS = 25
"""How long a lone Esc byte waits for the rest of a key's escape sequence before it counts as the
Esc key. Textual waits 100 ms, most of a key press's budget (esc closes help, leaves a field, goes
back); a terminal writes a key's sequence at once, so 25 ms tells them apart. The curses
convention wins when set: `ESCDELAY=100 courier` on a link that splits key sequences."""


def use_escape_delay() -> float:
    """Apply the Esc wait: ESCDELAY (whole milliseconds, 1 or more) if set, else courier's; seconds."""
    raw = os.environ.get("ESCDELAY", "").strip()
    milliseconds = int(raw) if raw.isdigit() and int(raw) >= 1 else ESCAPE_DELAY_MS
    constants.ESCAPE_DELAY = milliseconds / 1000  # type: ignore[misc]  # Final there; the parser reads it per key
    return milliseconds / 1000


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
    """Command palette: every section plus the commands of the screen it was opened from
    (`Provider.screen`; the app's current screen is the palette itself)."""

    def _commands(self) -> list[Command]:
        app = self.app
        return app.palette_commands(self.screen) if isinstance(app, CourierApp) else []

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
        Binding("f1,question_mark", "help", "Help", id="app.help", tooltip="Help for the focused widget"),
        Binding("escape", "back", "Back", id="app.back", show=False),
        Binding("q", "request_quit", "Quit", id="app.quit", tooltip="Quit courier"),
        # shown when a text field takes q; priority: it quits from anywhere
        Binding("ctrl+q", "request_quit", "Quit", id="app.quit_ctrl", priority=True, tooltip="Quit courier"),
    ]

    workspace: Workspace
    catalog: Catalog
    demo_info: dict[str, Any] | None  # the demo's endpoint, bucket and courier, shown on Home
    checked_credentials: set[str]  # passed Test connection in this session
    run_choice: RunChoice | None  # the run dialog's last choice, so a failed run is retried with one key
    fixed_now: datetime | None  # tests and screenshots pin the clock

    def __init__(self, workspace: Workspace, *, demo_info: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.escape_delay = use_escape_delay()
        self.workspace = workspace
        path = keymap_path()
        self.keymap: dict[str, str] = load_keymap(path) if path else {}  # a bad file stops here (exit 2)
        self.keymap_file = path
        self.set_keymap(self.keymap)
        self.catalog = Catalog(workspace)
        self.demo_info = demo_info
        self.checked_credentials = set()
        self.help_screen: HelpScreen | None = None
        self.run_choice = None
        self.fixed_now = None

    def get_driver_class(self) -> type[Driver]:
        """On Linux and macOS terminals, the driver that reports a lone Esc without delay beyond
        the Esc wait (courier.tui.terminal); TEXTUAL_DRIVER and other platforms as Textual has it."""
        if constants.DRIVER is None and not WINDOWS:
            from courier.tui.terminal import QuickEscapeDriver

            return QuickEscapeDriver
        return super().get_driver_class()

    def on_mount(self) -> None:
        self.open_section("home")
        self.call_after_refresh(self._freeze_startup_objects)
        unknown = unknown_ids(self.keymap, self.binding_ids())
        if unknown:
            self.notify(printable(f"keymap {self.keymap_file}: no binding has the id {', '.join(unknown)}; "
                                  "F1 lists the ids of the keys where the focus is"),
                        severity="warning", timeout=15, markup=False)

    @staticmethod
    def _freeze_startup_objects() -> None:
        """Once the first screen is up, move what start-up made (modules, classes, stylesheets) out
        of the collector's sight: a full collection then walks only what came after, so it cannot
        stall a key press for tens of milliseconds."""
        gc.freeze()

    def binding_ids(self) -> set[str]:
        """Every binding id the keymap may name: the app's, every screen's and widget's."""
        for name in SECTIONS:
            self.section_class(name)  # imports the section's module and so its widgets
        ids: set[str] = set()
        pending: list[type[DOMNode]] = [DOMNode]
        while pending:
            cls = pending.pop()
            pending.extend(cls.__subclasses__())
            ids.update(b.id for b in cls.__dict__.get("BINDINGS", ()) if isinstance(b, Binding) and b.id)
        return ids

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
        cls: Any = self.section_class(name)  # a CourierScreen: (workspace, catalog, **context)
        if name == "feed_editor" and not kwargs:
            context = self._feed_editor_context()
            if context is None:
                return None
            kwargs = context
        try:
            screen = cls(self.workspace, self.catalog, **kwargs)
        except Exception as exc:  # noqa: BLE001 - a screen that cannot open must not end the session
            self.notify(printable(f"{section.title} could not open: {error_text(exc)}"), severity="error", markup=False)
            return None

        def go() -> None:
            self._pop_to(cls)
            self.push_screen(screen)

        self.leave_asking(self._popped_by(cls), go)
        return screen

    def _popped_by(self, cls: type[Screen[Any]]) -> list[Screen[Any]]:
        """The screens that opening `cls` pops: down to (and including) an earlier instance of it."""
        stack = self.screen_stack
        for index in range(len(stack) - 1, 0, -1):
            if isinstance(stack[index], cls):
                return stack[index:]
        return []

    def _pop_to(self, cls: type[Screen[Any]]) -> None:
        """Pop screens down to (and including) an earlier instance of `cls`, keeping the base."""
        for _ in self._popped_by(cls):
            self.pop_screen()

    def leave_asking(self, leaving: list[Screen[Any]], then: Callable[[], Any]) -> None:
        """Do `then` (which closes the `leaving` screens); ask first if one holds unsaved edits."""
        edited = [s for s in leaving if isinstance(s, CourierScreen) and s.unsaved_edits()]
        if not edited:
            then()
            return
        title = next((sec.title for sec in SECTIONS.values() if type(edited[-1]).__name__ == sec.cls), "This screen")

        def answered(yes: bool | None) -> None:
            if yes:
                then()

        self.push_screen(ConfirmScreen(f"{title} has edits that are not saved. Leave and lose them?",
                                       yes="Discard edits", no="Stay"), answered)

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

    async def action_back(self) -> None:
        """esc: leave the text field first; then go back a screen (asking if edits are not saved)."""
        if leave_field(self.screen):
            return
        if len(self.screen_stack) > 2:
            self.leave_asking([self.screen], self.pop_screen)

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        if self.help_screen is None:  # one, kept: see HelpScreen
            self.help_screen = HelpScreen()
            self.install_screen(self.help_screen, "help")
        self.help_screen.show_for(self.focused)
        self.push_screen(self.help_screen)

    def keys_of(self, binding: Binding) -> str:
        """The keys of `binding` as they are now (the keymap applied), spelled as the footer spells them."""
        return key_text(binding, self.keymap, self.get_key_display)

    def palette_commands(self, screen: Screen[Any] | None = None) -> list[Command]:
        """Commands for the palette: the screen's own (its bindings that work now, then any extra
        commands it offers), every section, help and quit. Keys come from the live bindings."""
        screen = screen if screen is not None else self.screen
        commands: list[Command] = []
        seen: set[str] = set()
        for binding in type(screen).BINDINGS:
            if not isinstance(binding, Binding) or not binding.description or binding.action in seen:
                continue
            seen.add(binding.action)
            if screen.check_action(binding.action, ()) is False:
                continue  # not possible now (e.g. cancelling a finished run)
            commands.append((binding.tooltip or binding.description, self.keys_of(binding),
                             _bind(self.run_action, binding.action, screen)))
        extra = getattr(screen, "palette_commands", None)
        if callable(extra):
            commands.extend(extra())
        own = {b.id: b for b in self.BINDINGS if isinstance(b, Binding) and b.id}
        for section in SECTIONS.values():
            key = self.keys_of(own[f"app.{section.name}"])
            commands.append((f"Go to {section.title}", f"{section.description} ({key})",
                             _bind(self.open_section, section.name)))
        commands.append(("Help for the focused widget", self.keys_of(own["app.help"]), self.action_help))
        commands.append(("Quit courier", self.keys_of(own["app.quit"]), self.action_request_quit))
        return commands

    # quitting -------------------------------------------------------------------------------

    def run_active(self) -> bool:
        """A run started by this process is still going (a worker in group "run" or a running row)."""
        if any(w.group == "run" and w.is_running for w in self.workers):
            return True
        return process_runs_a_courier(self.catalog, os.getpid())

    def action_request_quit(self) -> None:
        if not self.run_active():
            self.leave_asking(list(self.screen_stack), self.exit)
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


