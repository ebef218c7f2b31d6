"""The app shell: navigation keys, esc back, help for the focused widget, the command palette,
every section's screen, demo info on Home, and quitting that asks while a run is active."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from courier.tui import app as app_module
from courier.tui.app import SECTIONS, Section

from tests.tui.helpers import make_app, offline_workspace, wait_for, wait_for_screen


@pytest.fixture
def setup(tmp_path: Path):  # type: ignore[no-untyped-def]
    built = offline_workspace(tmp_path / "ws")
    yield built
    built.close()


async def test_letters_open_sections_and_esc_walks_back(setup) -> None:
    app = make_app(setup.workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        assert type(app.screen).__name__ == "HomeScreen"
        await pilot.press("o")
        assert type(app.screen).__name__ == "OnboardingScreen"
        await pilot.press("c")
        assert type(app.screen).__name__ == "CredentialsScreen"
        await pilot.press("escape")
        assert type(app.screen).__name__ == "OnboardingScreen"
        await pilot.press("c", "escape", "c")  # reopening replaces: the stack does not grow
        depth = len(app.screen_stack)
        await pilot.press("escape", "c")
        assert len(app.screen_stack) == depth
        await pilot.press("h")
        assert type(app.screen).__name__ == "HomeScreen" and len(app.screen_stack) == 2


async def test_f1_shows_help_for_the_focused_widget(setup) -> None:
    app = make_app(setup.workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("c")
        await wait_for_screen(pilot, "CredentialsScreen")
        assert app.focused is not None and app.focused.id == "credential-table"
        await pilot.press("f1")
        await wait_for_screen(pilot, "HelpScreen")
        from courier.tui.widgets.help import HelpScreen

        assert isinstance(app.screen, HelpScreen)
        assert "Enter edits the highlighted credential" in app.screen.body
        assert app.screen.title_text == "Credentials"  # the focused panel's border title
        assert "Test connection" in app.screen.keys
        await pilot.press("escape")
        assert type(app.screen).__name__ == "CredentialsScreen"


async def test_palette_lists_sections_and_screen_commands(setup) -> None:
    app = make_app(setup.workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("c")
        titles = [title for title, _help, _cb in app.palette_commands()]
        assert "Test connection" in titles  # the credentials screen's own command comes first
        assert all(f"Go to {s.title}" in titles for s in SECTIONS.values())
        callback = dict((t, cb) for t, _h, cb in app.palette_commands())["Go to Cron & groups"]
        callback()
        await wait_for_screen(pilot, "CronScreen")


def test_every_section_has_its_screen_and_a_missing_module_is_an_error(setup, monkeypatch: pytest.MonkeyPatch) -> None:
    from textual.screen import Screen

    app = make_app(setup.workspace)
    assert all(issubclass(app.section_class(name), Screen) for name in SECTIONS)
    monkeypatch.setitem(app_module.SECTIONS, "history",
                        Section("history", "Run history", "y", "courier.tui.screens.no_such_module", "X", "", "History"))
    with pytest.raises(ModuleNotFoundError):  # scaffolding gone: never "not available yet"
        app.section_class("history")


def test_screens_use_the_apps_typed_attributes_not_getattr() -> None:
    import ast

    root = Path(app_module.__file__).parent
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr" \
                    and node.args and ast.unparse(node.args[0]) in ("self.app", "app", "warehouse"):
                found.append(f"{path.relative_to(root)}:{node.lineno}: {ast.unparse(node)}")
    assert found == []


async def test_home_shows_demo_info_and_courier(setup) -> None:
    app = make_app(setup.workspace, demo_info={"endpoint": "http://127.0.0.1:4566", "bucket": "optimizely-events-data",
                                               "courier": "optimizely"})
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.screen.query_one("#couriers-table").row_count == 1, what="home's couriers")
        demo = app.screen.query_one("#demo-info")
        assert "http://127.0.0.1:4566" in str(demo.render())
        table = app.screen.query_one("#couriers-table")
        assert table.get_row_at(0)[0] == "optimizely"
        assert "never run" in str(table.get_row_at(0)[3])


async def test_quit_asks_while_a_run_of_this_process_is_running(setup) -> None:
    setup.catalog.execute("INSERT INTO runs (id, courier, mode, status, pid, started_at) VALUES "
                          "('r-1', 'optimizely', 'day', 'running', ?, ?)", (os.getpid(), time.time()))
    app = make_app(setup.workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_screen(pilot, "HomeScreen")
        await pilot.press("q")
        await wait_for_screen(pilot, "ConfirmScreen")
        await pilot.press("n")
        await wait_for_screen(pilot, "HomeScreen")
        assert app.is_running
        await pilot.press("q")
        await wait_for_screen(pilot, "ConfirmScreen")
        await pilot.press("y")
        await wait_for(pilot, lambda: not app.is_running, what="the app to quit")
    assert app.return_code == 0


async def test_quit_without_a_run_exits_at_once(setup) -> None:
    app = make_app(setup.workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_screen(pilot, "HomeScreen")
        await pilot.press("q")
        await wait_for(pilot, lambda: not app.is_running, what="the app to quit at once")
