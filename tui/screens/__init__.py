"""Pieces every courier screen shares: the base screen (header, footer, workspace, catalog, the
edits not saved yet), leaving a text field with esc, and a yes/no confirmation modal."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from courier.core.catalog.catalog import Catalog
from courier.core.catalog.workspace import Workspace
from courier.tui.formatting import literal
from courier.tui.widgets.footer import CourierFooter
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Header, Input, RadioSet, Select, Static, TextArea

TEXT_FIELDS = (Input, TextArea)


def leave_field(screen: Screen[Any]) -> bool:
    """Esc in a text field leaves the field (focus goes to the screen, so letters are keys again)
    instead of leaving the screen. True if it did."""
    if isinstance(screen.focused, TEXT_FIELDS):
        screen.set_focus(None)
        return True
    return False


def control_value(widget: Widget) -> object:
    """What a form control holds, for telling edited from saved."""
    if isinstance(widget, TextArea):
        return widget.text
    if isinstance(widget, RadioSet):
        return widget.pressed_index
    if isinstance(widget, Input | Select | Checkbox):
        return widget.value
    return None

if TYPE_CHECKING:
    from courier.tui.app import CourierApp


class CourierScreen(Screen[None]):
    """A full screen with the app's header and footer; `compose_body` fills the middle.

    `refresh_data` re-reads the catalog; it runs on mount and whenever the screen comes back
    into view, so what the operator sees follows what other screens (and processes) changed.
    """

    HELP = "Use the keys in the footer; ctrl+p opens the command palette; esc goes back."
    FORM: ClassVar[str] = ""
    """CSS selector of the controls whose values are this screen's edits (empty: nothing to save)."""

    def __init__(self, workspace: Workspace, catalog: Catalog, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.workspace = workspace
        self.catalog = catalog
        self._read_at_mount = False
        self._saved_form: tuple[object, ...] | None = None

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
        yield CourierFooter()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        self._read_at_mount = True
        self.refresh_data()
        self.call_after_refresh(self.mark_saved)  # after the screen's own on_mount filled the form

    # edits ----------------------------------------------------------------------------------

    def form_state(self) -> tuple[object, ...]:
        """The values of the form's controls (FORM); screens with edits beyond controls extend it."""
        if not self.FORM:
            return ()
        return tuple((w.id, control_value(w)) for w in self.query(self.FORM))

    def mark_saved(self) -> None:
        """The form as it is now is what is stored (after loading, saving or starting anew)."""
        self._saved_form = self.form_state()

    def unsaved_edits(self) -> bool:
        """True when the form differs from what was last loaded or saved: leaving asks first."""
        return self._saved_form is not None and self.form_state() != self._saved_form

    def on_screen_resume(self) -> None:
        if self._read_at_mount:
            self._read_at_mount = False  # a pushed screen is mounted, then resumed: read once, not twice
            return
        if self.is_mounted:
            self.call_after_refresh(self._reread)  # paint what is there first (a key's answer), then re-read

    def _reread(self) -> None:
        if self.is_mounted and self.is_current:  # not if it was left (or covered) before it painted
            self.refresh_data()

    def on_screen_suspend(self) -> None:
        self._read_at_mount = False  # whatever comes back into view reads again

    def refresh_data(self) -> None:
        """Re-read what this screen shows (catalog reads only; slow work goes to workers)."""


class Question(VerticalScroll):
    """The question of a confirm dialog: wrapped, and scrollable (a focus stop) only when it is too
    long for the terminal."""

    def allow_focus(self) -> bool:
        return self.max_scroll_y > 0


class ConfirmScreen(ModalScreen[bool]):
    """Ask one question; y/enter answers yes, n/esc answers no. Long questions wrap and scroll."""

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical { width: 64; max-width: 100%; height: auto; max-height: 100%;
        border: round $warning; background: $surface; padding: 1 2; }
    ConfirmScreen Question { height: auto; max-height: 60vh; }
    ConfirmScreen #question { width: 1fr; height: auto; }
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
            with Question():
                yield Static(literal(self.question), id="question")  # questions quote names and JSON from files
            with Horizontal():
                yield Button(f"{self.yes_label} (y)", id="yes", variant="warning")
                yield Button(f"{self.no_label} (n)", id="no", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
