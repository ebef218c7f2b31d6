"""The TUI tests' wait helper: it returns once the state holds and the screen has settled, and it
fails naming what it waited for when the state never comes (a tiny App, no courier screens)."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.widgets import RichLog, Static

from tests.tui.helpers import log_at_end, wait_for


class Stepper(App[None]):
    """Once started, reaches its state only after many message cycles, then schedules work for after
    the refresh."""

    STEPS = 40

    def __init__(self) -> None:
        super().__init__()
        self.steps = 0
        self.after_refresh_ran = False

    def step(self) -> None:
        self.steps += 1
        if self.steps < self.STEPS:
            self.call_later(self.step)
        else:
            self.call_after_refresh(self.late)

    def late(self) -> None:
        self.after_refresh_ran = True
        self.mount(Static("mounted late", id="late"))


class Logger(App[None]):
    def compose(self) -> ComposeResult:
        yield RichLog(id="log", max_lines=500)


def screen_text(app: App[None]) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def test_it_returns_once_the_state_holds_and_what_was_scheduled_after_the_refresh_ran() -> None:
    app = Stepper()
    async with app.run_test(size=(40, 10)) as pilot:
        app.call_later(app.step)
        assert app.steps == 0  # not there yet when the test starts waiting
        await wait_for(pilot, lambda: app.steps == Stepper.STEPS, what="the last step")
        assert app.steps == Stepper.STEPS
        assert app.after_refresh_ran  # the settle after the state: deferred work has run


async def test_when_the_state_holds_at_once_it_still_lets_the_screen_settle() -> None:
    app = Stepper()
    async with app.run_test(size=(40, 10)) as pilot:
        app.steps = Stepper.STEPS
        app.call_after_refresh(app.late)  # as a screen does after changing what it shows
        await wait_for(pilot, lambda: app.steps == Stepper.STEPS, what="the state")
        assert app.after_refresh_ran and "mounted late" in screen_text(app)


async def test_a_state_the_settling_undoes_is_not_taken() -> None:
    app = Stepper()
    async with app.run_test(size=(40, 10)) as pilot:
        app.steps = Stepper.STEPS  # holds now, but the refresh after it undoes it
        app.call_after_refresh(setattr, app, "steps", 0)

        def last_step() -> bool:  # each look finds the app working again if it is not there
            if app.steps == 0:
                app.call_later(app.step)
            return app.steps == Stepper.STEPS

        await wait_for(pilot, last_step, what="the last step")
        assert app.steps == Stepper.STEPS  # looked again after the settling, and waited for the steps


async def test_a_widget_not_mounted_yet_counts_as_not_yet() -> None:
    app = Stepper()
    async with app.run_test(size=(40, 10)) as pilot:
        app.call_later(app.step)
        await wait_for(pilot, lambda: "late" in str(app.query_one("#late", Static).render()), what="the late widget")
        assert "mounted late" in screen_text(app)


async def test_it_fails_naming_what_it_waited_for_when_the_state_never_comes() -> None:
    app = Stepper()
    async with app.run_test(size=(40, 10)) as pilot:
        with pytest.raises(AssertionError, match="waiting for the step that never comes"):
            await wait_for(pilot, lambda: app.steps > Stepper.STEPS, what="the step that never comes", timeout=0.5)


async def test_log_at_end_waits_for_the_deferred_scroll_to_the_last_line() -> None:
    app = Logger()
    async with app.run_test(size=(40, 10)) as pilot:
        log = app.query_one(RichLog)
        for n in range(100):
            log.write(f"line {n:03d}")
        assert not log_at_end(log, "line 099")  # the lines are in, the scroll to them is not yet
        await wait_for(pilot, lambda: log_at_end(log, "line 099"), what="the log at its end")
        assert log.scroll_y == log.max_scroll_y > 0
        assert "line 099" in screen_text(app) and "line 000" not in screen_text(app)
