"""Pieces every courier screen shares: the base screen (header, footer, workspace, catalog) and a
yes/no confirmation modal."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from courier.core.catalog.catalog import Catalog
from courier.core.catalog.workspace import Workspace
from courier.tui.formatting import literal
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Footer, Header, Label

if TYPE_CHECKING:
    from courier.tui.app import CourierApp


class CourierScreen(Screen[None]):
    """A full screen with the app's header and footer; `compose_body` fills the middle.

    `refresh_data` re-reads the catalog; it runs on mount and whenever the screen comes back
    into view, so what the operator sees follows what other screens (and processes) changed.
    """

    HELP = "Use the keys in the footer; ctrl+p opens the command palette; esc goes back."

    def __init__(self, workspace: Workspace, catalog: Catalog, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.workspace = workspace
        self.catalog = catalog
        self._read_at_mount = False

    @property
    def courier_app(self) -> CourierApp:
        """The running CourierApp, typed: its session state (checked credentials, demo info, pinned
        clock) and its navigation. A courier screen runs only inside it."""
        from courier.tui.app import CourierApp

        app = self.app
        if not isinstance(app, CourierApp):
            raise TypeError(f"{type(self).__name__} runs inside CourierApp, not {type(app).__name__}")
        return app

    def compose(self) -> ComposeResult:
        yield Header(icon="≡")
        yield from self.compose_body()
        yield Footer()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        self._read_at_mount = True
        self.refresh_data()

    def on_screen_resume(self) -> None:
        if self._read_at_mount:
            self._read_at_mount = False  # a pushed screen is mounted, then resumed: read once, not twice
            return
        if self.is_mounted:
            self.refresh_data()

    def on_screen_suspend(self) -> None:
        self._read_at_mount = False  # whatever comes back into view reads again

    def refresh_data(self) -> None:
        """Re-read what this screen shows (catalog reads only; slow work goes to workers)."""


class ConfirmScreen(ModalScreen[bool]):
    """Ask one question; y/enter answers yes, n/esc answers no."""

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical { width: 60; height: auto; border: round $warning; background: $surface;
        padding: 1 2; }
    ConfirmScreen Horizontal { height: auto; margin-top: 1; }
    ConfirmScreen Button { margin-right: 2; }
    """
    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, question: str, *, yes: str = "Yes", no: str = "No") -> None:
        super().__init__()
        self.question = question
        self.yes_label = yes
        self.no_label = no

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Confirm"
            yield Label(literal(self.question))  # questions quote names and JSON from files
            with Horizontal():
                yield Button(f"{self.yes_label} (y)", id="yes", variant="warning")
                yield Button(f"{self.no_label} (n)", id="no", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
