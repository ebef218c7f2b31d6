"""Guided onboarding: the eight steps of pulling from Optimizely as a checklist that knows what is
done (from the workspace's real state); Enter opens the screen that does the highlighted step."""

from __future__ import annotations

from typing import Any

from courier.core.status.onboarding import BLOCKED, DONE, NEXT, Step, onboarding_steps
from courier.core.text import printable
from courier.tui.screens import CourierScreen
from courier.tui.widgets.help import with_help
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

MARKS = {DONE: ("✓", "done", "green"), NEXT: ("→", "next", "bold yellow"), BLOCKED: ("✗", "blocked", "red")}


def step_prompt(step: Step) -> Text:
    """One checklist row: mark, number, title, status and detail, then the explanation."""
    mark, label, style = MARKS.get(step.status, ("○", "open", "cyan"))
    text = Text()
    text.append(f" {mark} ", style=style)
    text.append(f"{step.number}. {step.title}", style="bold")
    text.append(f"  [{label}] ", style=style)
    text.append(printable(step.detail), style="italic")  # may name couriers, feeds, errors
    text.append("\n")
    text.append(step.explanation, style="dim" if step.status == DONE else "")
    text.append("\n")
    return text


class OnboardingScreen(CourierScreen):
    """The checklist from credential to scheduled courier."""

    HELP = ("The eight steps of pulling from Optimizely. Each shows done, next, open or blocked from what the "
            "workspace really holds. Move with the arrows and press Enter to open the screen for a step.")

    def __init__(self, workspace: Any, catalog: Any, **kwargs: Any) -> None:
        super().__init__(workspace, catalog, **kwargs)
        self.steps: list[Step] = []

    def compose_body(self) -> ComposeResult:
        yield Static("From nothing to a loaded domain table and a schedule. Enter opens the step's screen; "
                     "come back with esc and the list updates.", id="onboarding-intro", classes="muted")
        with Vertical(id="onboarding-panel", classes="panel") as panel:
            panel.border_title = "Pull from Optimizely: 8 steps"
            yield with_help(OptionList(id="onboarding-steps"),
                            "Arrows move between steps; Enter opens the screen that does the step. A blocked "
                            "step says which step must be done first.")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#onboarding-steps", OptionList).focus()

    def refresh_data(self) -> None:
        checked = self.courier_app.checked_credentials
        self.steps = onboarding_steps(self.catalog, checked_credentials=checked)
        options = self.query_one("#onboarding-steps", OptionList)
        highlighted = options.highlighted
        options.clear_options()
        options.add_options([Option(step_prompt(s), id=s.key) for s in self.steps])
        upcoming = next((i for i, s in enumerate(self.steps) if s.status == NEXT), None)
        options.highlighted = upcoming if highlighted is None and upcoming is not None else (highlighted or 0)

    def status_of(self, key: str) -> str:
        return next(s.status for s in self.steps if s.key == key)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        step = next(s for s in self.steps if s.key == event.option.id)
        if step.status == BLOCKED:
            self.notify(printable(f"{step.title} is blocked: {step.detail}"), severity="warning", markup=False)
        self.courier_app.open_section(step.action)

    def palette_commands(self) -> list[tuple[str, str, Any]]:
        open_section = self.courier_app.open_section
        return [(f"Onboarding step {s.number}: {s.title}", s.status, lambda a=s.action: open_section(a))
                for s in self.steps]
