"""Run dialog and live run progress.

The dialog collects a run request (a day, a period [from, to), or all data). The progress screen
either starts that run in a thread worker (cancellable through a threading.Event) or attaches to
a run started by any process by following its durable event log. Events are queued by the
worker and drawn by a 10 Hz timer, so a fast run never floods the UI; each draw touches only the
parts that changed, and the log is pinned to its last line (`log_at_end` says it is there).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from courier.core.catalog.catalog import Catalog
from courier.core.catalog.workspace import Workspace
from courier.core.errors import Busy, CourierError, Fix
from courier.core.status.choices import courier_names
from courier.core.text import printable
from courier.tui.formatting import error_text, literal, tui_fix
from courier.tui.screens import ConfirmScreen, CourierScreen, leave_field
from courier.tui.widgets.forms import GlyphCheckbox, GlyphRadioButton, TextInput
from courier.tui.widgets.progress_panel import ProgressPanel, RunLog, RunState
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import (
    Button,
    Checkbox,
    Input,
    Label,
    RadioSet,
    Select,
    Static,
)

if TYPE_CHECKING:
    from courier.tui.app import CourierApp

REFRESH_SECONDS = 0.1  # ~10 Hz: the most often the live view redraws
MODES = ("day", "period", "all")


@dataclass(frozen=True)
class RunChoice:
    """What the run dialog last ran with, so the next dialog (after a failed run, say) starts there."""

    courier: str | None
    mode: str
    day: str
    from_day: str
    to_day: str
    skip_missing: bool


class RunDialog(ModalScreen[Any]):
    """Choose what to run: a specific day, a period (from inclusive, to exclusive), or all data."""

    DEFAULT_CSS = """
    RunDialog { align: center middle; }
    RunDialog > Vertical { width: 70; max-width: 98%; height: auto; max-height: 100%; border: thick $accent;
                           padding: 0 1; background: $surface; border-title-align: left; }
    RunDialog Input { width: 1fr; }
    RunDialog Horizontal { height: auto; }
    RunDialog .field-label { width: 12; padding-top: 1; }
    RunDialog #run-error { color: $error; height: auto; }
    RunDialog RadioSet { width: 100%; }
    """
    BINDINGS = [
        Binding("escape", "dismiss_dialog", "Close", id="run_dialog.close"),
        Binding("f5", "submit", "Run", id="run_dialog.run"),
    ]

    def __init__(self, workspace: Workspace, catalog: Catalog, courier: str | None = None, *,
                 today: Callable[[], date] = date.today) -> None:
        super().__init__()
        self.workspace, self.catalog, self.courier = workspace, catalog, courier
        self._today = today

    def compose(self) -> ComposeResult:
        yesterday = (self._today() - timedelta(days=1)).isoformat()
        app = _courier_app(self)
        last: RunChoice | None = app.run_choice if app is not None else None
        mode = last.mode if last else "day"
        with Vertical(id="run-dialog") as box:
            box.border_title = f"Run courier {self.courier}" if self.courier else "Run a courier"
            if not self.courier:
                names = courier_names(self.catalog)
                with Horizontal():
                    yield Label("Courier", classes="field-label")
                    if names:  # a run needs a courier: the Select offers no blank
                        chosen = last.courier if last and last.courier in names else names[0]
                        yield Select([(n, n) for n in names], value=chosen, allow_blank=False, id="courier")
                    else:
                        yield Static("no courier yet: add one in Courier setup (s)", id="no-courier",
                                     classes="field-label")
            with RadioSet(id="mode"):
                yield GlyphRadioButton("A specific day", value=mode == "day", id="mode-day")
                yield GlyphRadioButton("A period: from (inclusive) to (exclusive)", value=mode == "period",
                                       id="mode-period")
                yield GlyphRadioButton("All available data", value=mode == "all", id="mode-all")
            with Horizontal():
                yield Label("Day", classes="field-label")
                yield TextInput(last.day if last else yesterday, placeholder="YYYY-MM-DD", id="day",
                                disabled=mode != "day")
            with Horizontal():
                yield Label("From / to", classes="field-label")
                yield TextInput(last.from_day if last else "", placeholder="from (incl.)", id="from-day",
                                disabled=mode != "period")
                yield TextInput(last.to_day if last else "", placeholder="to (excl.)", id="to-day",
                                disabled=mode != "period")
            yield GlyphCheckbox("Skip missing required files (continue with a warning)",
                                value=last.skip_missing if last else False, id="skip-missing")
            yield Static("", id="run-error")
            with Horizontal():
                yield Button("Run (F5)", variant="primary", id="run")
                yield Button("Close (esc)", id="close")

    def on_mount(self) -> None:
        self.query_one("#mode", RadioSet).focus()

    @on(RadioSet.Changed, "#mode")
    def _mode_changed(self) -> None:
        mode = self.mode()
        self.query_one("#day", Input).disabled = mode != "day"
        self.query_one("#from-day", Input).disabled = mode != "period"
        self.query_one("#to-day", Input).disabled = mode != "period"

    def mode(self) -> str:
        index = self.query_one("#mode", RadioSet).pressed_index
        return MODES[max(index, 0)]

    def choice(self) -> RunChoice:
        """The dialog's fields as they are (kept by the app for the next dialog)."""
        picked = self.query("#courier")
        chosen = picked.first(Select).value if picked else None
        return RunChoice(courier=self.courier or (chosen if isinstance(chosen, str) else None), mode=self.mode(),
                         day=self.query_one("#day", Input).value, from_day=self.query_one("#from-day", Input).value,
                         to_day=self.query_one("#to-day", Input).value,
                         skip_missing=self.query_one("#skip-missing", Checkbox).value)

    def build_request(self) -> Any:
        """The engine's RunRequest, validated by the engine (errors are ConfigError)."""
        from courier.core.errors import ConfigError
        from courier.core.runs.request import RunRequest

        mode = self.mode()
        courier = self.courier
        if not courier:
            picked = self.query("#courier")
            chosen = picked.first(Select).value if picked else None
            if not isinstance(chosen, str):
                raise ConfigError("no courier chosen", hint="add a courier in Courier setup first")
            courier = chosen

        def day_of(widget_id: str, what: str) -> date | None:
            text = self.query_one(widget_id, Input).value.strip()
            if not text:
                return None
            try:
                return date.fromisoformat(text)
            except ValueError:
                raise ConfigError(f"{what} {text!r} is not a date", hint="write it as YYYY-MM-DD") from None

        return RunRequest.from_selection(
            courier, mode=mode,
            day=day_of("#day", "day") if mode == "day" else None,
            from_day=day_of("#from-day", "from") if mode == "period" else None,
            to_day=day_of("#to-day", "to") if mode == "period" else None,
            all_=mode == "all", skip_missing=self.query_one("#skip-missing", Checkbox).value,
        )

    def action_submit(self) -> None:
        error = self.query_one("#run-error", Static)
        try:
            request = self.build_request()
        except CourierError as exc:
            error.update(literal(error_text(exc)))
            return
        error.update("")
        app = _courier_app(self)
        if app is not None:
            app.run_choice = self.choice()
        self.dismiss(request)
        self.app.push_screen(RunProgressScreen(self.workspace, self.catalog, request=request))

    def action_dismiss_dialog(self) -> None:
        """esc: leave a date field first (as everywhere), then close the dialog."""
        if leave_field(self):
            return
        self.dismiss(None)

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "run":
            self.action_submit()
        else:
            self.dismiss(None)


class RunProgressScreen(CourierScreen):
    """Live progress of one run: started here (`request`) or attached to (`run_id`)."""

    DEFAULT_CSS = """
    RunProgressScreen { layout: vertical; }
    RunProgressScreen #run-title { height: 1; padding: 0 1; background: $panel; text-style: bold; }
    RunProgressScreen ProgressPanel { border: round $primary; padding: 0 1; }
    RunProgressScreen #log { height: 1fr; min-height: 3; border: round $primary; }
    RunProgressScreen #outcome { height: auto; padding: 0 1; text-style: bold; }
    RunProgressScreen #outcome.ok { color: $success; }
    RunProgressScreen #outcome.failed { color: $error; }
    """
    BINDINGS = [
        Binding("x", "cancel_run", "Cancel run", id="run.cancel"),
        Binding("escape", "back", "Back", id="run.back"),
    ]

    class Finished(Message):
        """The run ended (posted once, after the last event was drawn)."""

        def __init__(self, state: RunState) -> None:
            super().__init__()
            self.state = state

    class FixFound(Message):
        """The run started here failed, and the engine named the setting that would let it through."""

        def __init__(self, fix: Fix) -> None:
            super().__init__()
            self.fix = fix

    class WorkerFailed(Message):
        """The worker could not start or follow the run."""

        def __init__(self, error: str, running_id: str | None = None) -> None:
            super().__init__()
            self.error, self.running_id = error, running_id

    def __init__(self, workspace: Workspace, catalog: Catalog, run_id: str | None = None,
                 request: Any = None, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__(workspace, catalog)
        if run_id is None and request is None:
            raise ValueError("RunProgressScreen needs a run_id to follow or a request to start")
        self.run_id, self.request = run_id, request
        self.state = RunState(run_id=run_id or "")
        self.attached = request is None
        self._clock = clock
        self._queue: deque[Any] = deque()
        self._cancel = threading.Event()
        self._stop = threading.Event()
        self._log_seen = 0
        self._ended = False
        self._worker_error: str | None = None
        self._fix: Fix | None = None
        self._title_shown: Text | None = None

    @property
    def log_at_end(self) -> bool:
        """Every log line of the events drawn so far is written and the log shows its last line
        (what a test or a snapshot waits for, with `_ended`, before it looks)."""
        return self._log_seen == self.state.log_count and self.query_one("#log", RunLog).at_end

    @property
    def run_in_progress(self) -> bool:
        """True while a run started by this screen has not finished (the app asks before quitting)."""
        return not self.attached and not self._ended

    def compose_body(self) -> ComposeResult:
        self._title_shown = self._title()
        yield Static(self._title_shown, id="run-title")
        panel = ProgressPanel(id="progress")
        panel.border_title = "Progress"
        yield panel
        log = RunLog(max_lines=500, markup=False, id="log")
        log.border_title = "Log"
        yield log
        yield Static("", id="outcome")

    def on_mount(self) -> None:
        self.query_one(ProgressPanel).show(self.state, self._clock())
        if self.attached:
            self._follow(self.run_id or "")
        else:
            self._start()
        self.set_interval(REFRESH_SECONDS, self._drain)

    def on_unmount(self) -> None:
        # never leave a thread running: the run observes `_cancel`, the follower `_stop`
        if not self._ended and not self.attached:
            self._cancel.set()
        self._stop.set()

    def _title(self) -> Text:
        what = "Attached to run" if self.attached else "Run"
        run = self.state.run_id or self.run_id or "starting…"
        courier = self.state.courier or (self.request.courier if self.request is not None else "")
        text = Text(f"{what} {run}")
        if courier:
            text.append(f" · courier {printable(courier)}")
        if self.state.mode:
            text.append(f" · {printable(self.state.mode)}")
        return text

    @work(thread=True, group="run", exit_on_error=False)
    def _start(self) -> None:
        from courier.core.runs.records import running_run, start_run

        catalog = Catalog(self.workspace)
        try:
            result = start_run(catalog, self.request, sink=self._queue.append, cancel=self._cancel)
            if result.fix is not None:
                self.post_message(self.FixFound(result.fix))
        except Busy as exc:
            other = running_run(catalog, self.request.courier)
            self.post_message(self.WorkerFailed(error_text(exc), other.id if other else None))
        except CourierError as exc:
            self.post_message(self.WorkerFailed(error_text(exc)))
        except Exception as exc:  # noqa: BLE001 - shown on screen, never a traceback
            self.post_message(self.WorkerFailed(f"unexpected {type(exc).__name__}: {exc}"))
        finally:
            catalog.close()

    @work(thread=True, group="follow", exit_on_error=False)
    def _follow(self, run_id: str) -> None:
        from courier.core.runs.records import follow

        catalog = Catalog(self.workspace)
        try:
            for event in follow(catalog, run_id, poll=0.2, stop=self._stop):
                self._queue.append(event)
        except CourierError as exc:
            self.post_message(self.WorkerFailed(error_text(exc)))
        finally:
            catalog.close()

    @on(FixFound)
    def _fix_found(self, message: FixFound) -> None:
        self._fix = message.fix
        if self._ended:
            self._show_outcome()

    @on(WorkerFailed)
    def _worker_failed(self, message: WorkerFailed) -> None:
        if message.running_id:
            # the courier is busy with another process's run: follow that one instead
            self.attached = True
            self.refresh_bindings()
            self.run_id = message.running_id
            self.state = RunState(run_id=message.running_id)
            self.query_one("#log", RunLog).add_lines([literal(f"{message.error}; following it instead")])
            self._follow(message.running_id)
            return
        self._ended = True
        self.refresh_bindings()
        self._worker_error = message.error
        outcome = self.query_one("#outcome", Static)
        outcome.set_class(True, "failed")
        outcome.update(literal(f"✗ {message.error}"))
        self.state.status = "failed"
        self.state.error = message.error

    def _drain(self) -> None:
        """Apply queued events and redraw (runs at most ~10 times a second)."""
        changed = False
        while self._queue:
            self.state.apply(self._queue.popleft())
            changed = True
        if not changed and (self._ended or self.state.started_at is None):
            return
        title = self._title()
        if title != self._title_shown:  # the title changes once or twice a run: redraw it then only
            self._title_shown = title
            self.query_one("#run-title", Static).update(title)
        self.query_one(ProgressPanel).show(self.state, self._clock())
        # RunState escaped the lines (courier.core.text)
        self.query_one("#log", RunLog).add_lines([Text(line) for line in self.state.new_log_lines(self._log_seen)])
        self._log_seen = self.state.log_count
        if self.state.finished and not self._ended:
            self._ended = True
            self.refresh_bindings()
            self._show_outcome()
            self.post_message(self.Finished(self.state))

    def _show_outcome(self) -> None:
        outcome = self.query_one("#outcome", Static)
        if self.state.status == "succeeded":
            outcome.set_class(True, "ok")
            outcome.update(literal(f"✓ {self.state.notification or 'Completed'}"))
        else:
            outcome.set_class(True, "failed")
            text = self.state.error or self.state.notification or self.state.status
            advice = f"\n  hint: {tui_fix(self._fix)}" if self._fix is not None else ""
            outcome.update(literal(f"✗ {self.state.status}: {text}{advice}"))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Cancel is offered only for a run this screen started and that is still going: an attached
        run belongs to another process, a finished one has nothing left to cancel."""
        if action == "cancel_run":
            return not self._ended and not self.attached
        return True

    def action_cancel_run(self) -> None:
        if self._ended:
            return
        if self.attached:
            self.notify("This run belongs to another process; stop it there (press esc to stop following).",
                        severity="warning")
            return
        from courier.core.runs.records import cancel_outcome

        self.app.push_screen(ConfirmScreen(f"Cancel this run? {cancel_outcome()}",
                                          yes="Cancel run", no="Keep running"), self._confirmed_cancel)

    def _confirmed_cancel(self, yes: bool | None) -> None:
        if yes:
            self.cancel_run()

    def cancel_run(self) -> None:
        """Ask the run started here to stop (the app calls this when quitting during a run)."""
        self._stop.set()
        if self.run_in_progress and not self._cancel.is_set():
            self._cancel.set()
            self.query_one("#log", RunLog).add_lines([Text("cancelling… (the run stops at its next step)")])

    def action_back(self) -> None:
        if self.run_in_progress:
            def leave(yes: bool | None) -> None:
                if yes:
                    self._cancel.set()
                    self.dismiss()

            self.app.push_screen(ConfirmScreen("The run is still going. Cancel it and go back?",
                                              yes="Cancel run and go back", no="Stay"), leave)
            return
        self._stop.set()
        self.dismiss()


def _courier_app(screen: Screen[Any]) -> CourierApp | None:
    """The running CourierApp (the run dialog is a modal, not a CourierScreen), None in a bare host."""
    from courier.tui.app import CourierApp

    app = screen.app
    return app if isinstance(app, CourierApp) else None
