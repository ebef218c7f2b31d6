"""Keys and forms that behave (issue 13), driven with Pilot at 80x24 and 120x40: esc leaves a field
before a screen and asks before unsaved edits are lost, letters type into fields, Tab walks every
control and leaves the JSON editors, the palette shows the current screen's commands with their
live keys, labelled inputs, Selects without a blank choice, a run dialog that remembers, footers
that offer only working keys and keep Help and Quit, glyph toggles under NO_COLOR, and a keymap
file read by binding id."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from courier.tui.screens import ConfirmScreen
from courier.tui.screens.run_progress import RunDialog, RunProgressScreen
from textual.command import CommandPalette
from textual.containers import Container, Horizontal, HorizontalGroup, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, OptionList, RadioButton, Select, TextArea

from tests.tui.helpers import (
    COURIER,
    make_app,
    offline_workspace,
    settle,
    wait_for,
    wait_for_screen,
    workers_idle,
)
from tests.tui.test_run_progress import START, seed_courier

SIZES = [(80, 24), (120, 40)]
SECTION_KEYS = {"h": "HomeScreen", "o": "OnboardingScreen", "c": "CredentialsScreen", "s": "CourierSetupScreen",
                "f": "FilesScreen", "y": "HistoryScreen", "x": "ExplorerScreen", "g": "CronScreen"}


@pytest.fixture
def setup(tmp_path: Path):  # type: ignore[no-untyped-def]
    built = offline_workspace(tmp_path / "ws")
    yield built
    built.close()


def keymap_file(text: str, name: str = "keymap.toml") -> Path:
    """Write the operator's keymap where the TUI looks for it ($XDG_CONFIG_HOME, set per test)."""
    import os

    path = Path(os.environ["XDG_CONFIG_HOME"]) / "courier" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def screen_lines(app: Any) -> list[str]:
    """The text the terminal shows now, one string per row."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def pixels(app: Any, widget: Widget) -> list[Any]:
    """The cells (text and style) the terminal shows over `widget`."""
    region = widget.region.intersection(app.screen.region)
    strips = app.screen._compositor.render_strips()
    return [list(strips[y].crop(region.x, region.right)) for y in range(region.y, region.bottom)]


async def open_section(pilot: Any, key: str) -> Any:
    """Press a section key; the screen it opens, once shown with its reads (workers) done."""
    await wait_for(pilot, lambda: workers_idle(pilot.app), what="the current screen's reads")
    await pilot.press(key)
    await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == SECTION_KEYS[key] and workers_idle(pilot.app),
                   what=f"the {SECTION_KEYS[key]} with its reads done")
    return pilot.app.screen


# 1. esc leaves the field first; unsaved edits ask --------------------------------------------------

async def test_esc_in_a_text_field_leaves_the_field_before_the_screen(setup) -> None:
    app = make_app(setup.workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_section(pilot, "g")
        assert isinstance(app.focused, Input) and app.focused.id == "cron-expr"
        await pilot.press("escape")
        assert app.screen is screen and not isinstance(app.focused, Input | TextArea)
        await pilot.press("s")  # no field has focus: letters are section keys again
        await wait_for(pilot, lambda: type(app.screen).__name__ == "CourierSetupScreen", what="courier setup")
        area = app.screen.query_one("#entities-editor TextArea", TextArea)
        area.focus()
        await pilot.press("escape")  # the JSON editor too
        assert type(app.screen).__name__ == "CourierSetupScreen" and app.focused is None
        await pilot.press("escape")
        assert app.screen is screen  # and only now back


async def test_esc_in_the_run_dialogs_day_field_leaves_the_field_before_closing(setup) -> None:
    app = make_app(setup.workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, RunDialog), what="the run dialog")
        dialog = app.screen
        dialog.query_one("#day", Input).focus()
        await pilot.press("escape")
        assert app.screen is dialog and app.focused is None
        await pilot.press("escape")
        assert not isinstance(app.screen, RunDialog)


async def test_leaving_a_screen_with_unsaved_edits_asks_first(setup) -> None:
    app = make_app(setup.workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_section(pilot, "s")
        bucket = screen.query_one("#courier-bucket", Input)
        bucket.focus()
        await pilot.press("end", *"-copy", "escape", "escape")
        assert isinstance(app.screen, ConfirmScreen)
        assert "Courier setup has edits that are not saved" in str(app.screen.question)
        await pilot.press("n")  # stay: the edit is still there
        assert app.screen is screen and bucket.value == "optimizely-events-data-copy"
        await pilot.press("q")  # quitting asks too
        assert isinstance(app.screen, ConfirmScreen) and "Leave and lose them?" in str(app.screen.question)
        await pilot.press("n")
        assert app.is_running and app.screen is screen
        await pilot.press("h")  # a section key leaves too: it asks the same way
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "HomeScreen", what="home")
        # a saved form leaves without a question
        screen = await open_section(pilot, "s")
        screen.query_one("#courier-bucket", Input).value = "another-bucket"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not screen.unsaved_edits(), what="the save")
        screen.set_focus(None)
        await pilot.press("escape")
        assert type(app.screen).__name__ == "HomeScreen"


# 2. letters type into fields; nothing opens with its text selected -------------------------------

async def test_the_cron_screen_opens_without_its_expression_selected(setup) -> None:
    app = make_app(setup.workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_section(pilot, "g")
        expr = screen.query_one("#cron-expr", Input)
        assert app.focused is expr and expr.selected_text == ""
        await pilot.press("s")  # a section key out of habit: typed, not replacing the expression
        assert app.screen is screen
        assert expr.value == "30 8 * * *s"


@pytest.mark.parametrize("key", ["s", "c", "g"])
async def test_section_letters_type_into_every_text_field(setup, key: str) -> None:
    app = make_app(setup.workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_section(pilot, key)
        fields = [w for w in screen.query("Input, TextArea") if w.focusable]
        assert fields
        for field in fields:
            field.focus()
            await wait_for(pilot, lambda f=field: app.focused is f, what=f"focus on {field.id}")
            before = field.text if isinstance(field, TextArea) else field.value
            await pilot.press("end", "s", "x", "q", "question_mark")
            assert app.screen is screen and app.is_running, field.id
            after = field.text if isinstance(field, TextArea) else field.value
            assert "sxq?" in after and len(after) == len(before) + 4, field.id


# 3. Tab walks every control and leaves the JSON editors --------------------------------------------

async def test_tab_leaves_the_json_editor_and_ctrl_f_indents(setup) -> None:
    app = make_app(setup.workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_section(pilot, "s")
        entities = screen.query_one("#entities-editor TextArea", TextArea)
        loadops = screen.query_one("#loadops-editor TextArea", TextArea)
        entities.focus()
        before = entities.text
        await pilot.press("tab")
        assert app.focused is loadops and entities.text == before
        await pilot.press("tab")
        assert app.focused is not loadops and loadops.text == "{}"
        loadops.load_text('{"df-xxxxxx":[{"type":"truncate"}]}')
        loadops.focus()
        await pilot.press("ctrl+f")
        assert loadops.text == '{\n  "df-xxxxxx": [\n    {\n      "type": "truncate"\n    }\n  ]\n}'
        loadops.load_text("{\n\"a\": [")  # does not parse: the cursor's line is indented
        loadops.move_cursor((1, 0))
        await pilot.press("ctrl+f")
        assert loadops.text == "{\n  \"a\": ["
        await pilot.press("f1")
        from courier.tui.widgets.help import HelpScreen

        assert isinstance(app.screen, HelpScreen)
        assert "**^f** indents" in app.screen.body and "**Tab** moves to the next field" in app.screen.body


BARE_CONTAINERS = (Container, Vertical, VerticalScroll, Horizontal, HorizontalGroup)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("key", list(SECTION_KEYS))
async def test_tab_reaches_every_control_and_every_stop_shows_focus(setup, key: str, size: tuple[int, int]) -> None:
    app = make_app(setup.workspace)
    async with app.run_test(size=size) as pilot:
        screen = await open_section(pilot, key)
        chain = list(screen.focus_chain)
        assert chain
        screen.set_focus(None)
        await wait_for(pilot, lambda: app.focused is None, what="no focus")
        visited = []
        for _ in chain:
            await pilot.press("tab")
            visited.append(app.focused)
        assert set(visited) == set(chain), "Tab must reach every focus stop"
        for widget in chain:
            assert type(widget) not in BARE_CONTAINERS, f"{widget!r} is a container, not a control"
            widget.focus()
            await wait_for(pilot, lambda w=widget: app.focused is w, what=f"focus on {widget!r}")  # scrolled to it
            assert widget.region.intersection(screen.region).area > 0, f"{widget!r} is off screen"
            focused = pixels(app, widget)
            screen.set_focus(None)  # blurring scrolls nothing: the same cells, without focus
            await wait_for(pilot, lambda w=widget, f=focused: pixels(app, w) != f,
                           what=f"{widget!r} to look different without focus (its focus must show)")


# 4. the palette: the current screen's commands, keys from the live bindings ---------------------

async def palette_prompts(pilot: Any) -> list[str]:
    await pilot.press("ctrl+p")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, CommandPalette), what="the palette")
    options = pilot.app.screen.query_one("CommandList", OptionList)
    await wait_for(pilot, lambda: options.option_count > 10, what="the palette's commands")
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def test_the_palette_lists_the_current_screens_commands_with_their_live_keys(setup) -> None:
    keymap_file('"credentials.test" = "f6"\n')
    app = make_app(setup.workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_section(pilot, "c")
        prompts = await palette_prompts(pilot)
        test = next(p for p in prompts if p.startswith("Test connection"))
        assert "f6" in test  # remapped by the keymap, not the "t" of a copy
        assert any(p.startswith("Go to Cron & groups") and "(g)" in p for p in prompts)
        await pilot.press("escape")
        await open_section(pilot, "g")
        prompts = await palette_prompts(pilot)
        assert any(p.startswith("Save the schedule as a courier group") and "^s" in p for p in prompts)
        assert not any(p.startswith("Test connection") for p in prompts)


# 5. labels, Selects without a blank choice, the run dialog remembers ------------------------------

def labelled(widget: Widget) -> bool:
    """A label the operator can read next to the field: its Field's, a Label before it in its row,
    or its own border title."""
    if type(widget.parent).__name__ == "Field" or widget.border_title:
        return True
    siblings = list(widget.parent.children) if widget.parent else []
    return any(isinstance(s, Label) for s in siblings[:siblings.index(widget)])


@pytest.mark.parametrize("key", ["c", "s", "g", "f", "x"])
async def test_every_input_has_a_label(setup, key: str) -> None:
    app = make_app(setup.workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_section(pilot, key)
        inputs = list(screen.query("Input, Select"))
        assert inputs
        assert [w.id for w in inputs if not labelled(w)] == []
    app = make_app(setup.workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, RunDialog), what="the run dialog")
        assert [w.id for w in app.screen.query("Input, Select") if not labelled(w)] == []


async def select_choices(pilot: Any, select: Select[Any]) -> list[str]:
    """What the Select offers when opened (its overlay's options)."""
    from textual.widgets._select import SelectOverlay

    select.focus()
    await pilot.press("enter")
    overlay = select.query_one(SelectOverlay)
    await wait_for(pilot, lambda: select.expanded and overlay.option_count > 0, what="the open Select")
    choices = [str(overlay.get_option_at_index(i).prompt) for i in range(overlay.option_count)]
    await pilot.press("escape")
    return choices


async def test_required_selects_offer_no_blank_choice(setup) -> None:
    app = make_app(setup.workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_section(pilot, "s")
        assert await select_choices(pilot, screen.query_one("#courier-credential", Select)) == ["optimizely-s3"]
        assert await select_choices(pilot, screen.query_one("#courier-pick", Select)) == ["＋ new courier", COURIER]
        await pilot.press("escape", "r")
        await wait_for(pilot, lambda: isinstance(app.screen, RunDialog), what="the run dialog")
        assert await select_choices(pilot, app.screen.query_one("#courier", Select)) == [COURIER]


async def test_run_dialog_keeps_the_last_mode_and_period_after_a_failed_run(s3, workspace, catalog) -> None:
    seed_courier(s3, catalog, days=2)  # the second day has no _SUCCESS yet: a run over it fails
    app = make_app(workspace)
    first, second = START + timedelta(days=1), START + timedelta(days=2)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, RunDialog), what="the run dialog")
        dialog = app.screen
        dialog.query_one("#mode-period", RadioButton).value = True
        await wait_for(pilot, lambda: not dialog.query_one("#from-day", Input).disabled, what="the period fields")
        dialog.query_one("#from-day", Input).value = first.isoformat()
        dialog.query_one("#to-day", Input).value = second.isoformat()
        dialog.query_one("#skip-missing", Checkbox).value = False
        await pilot.press("f5")
        await wait_for(pilot, lambda: isinstance(app.screen, RunProgressScreen) and app.screen._ended, what="the run")
        assert app.screen.state.status == "failed"
        await pilot.press("escape", "r")
        await wait_for(pilot, lambda: isinstance(app.screen, RunDialog), what="the run dialog again")
        again = app.screen
        assert again is not dialog and again.mode() == "period"
        assert again.query_one("#from-day", Input).value == first.isoformat()
        assert again.query_one("#to-day", Input).value == second.isoformat()
        assert not again.query_one("#from-day", Input).disabled and again.query_one("#day", Input).disabled
        assert again.query_one("#courier", Select).value == COURIER


# 6. footers: only working keys, Help and Quit always; wrapped confirms; glyph toggles --------------

def footer_keys(app: Any) -> list[str]:
    return [key.description for key in app.screen.query("FooterKey")]


async def test_cancel_is_offered_only_for_a_run_started_here_and_still_going(s3, workspace, catalog) -> None:
    import threading

    from courier.core.catalog.catalog import Catalog
    from courier.core.runs.records import list_runs, start_run
    from courier.core.runs.request import RunRequest

    seed_courier(s3, catalog)
    gate, paused = threading.Event(), threading.Event()

    def hold(event: Any) -> None:  # another "process" pauses after its first landed file
        if event.type == "file_landed" and not paused.is_set():
            paused.set()
            gate.wait(30)

    def other_process() -> None:
        own = Catalog(workspace)
        try:
            start_run(own, RunRequest("optimizely", "day", day=START), sink=hold)
        finally:
            own.close()

    thread = threading.Thread(target=other_process)
    thread.start()
    try:
        assert paused.wait(30)
        app = make_app(workspace)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for_screen(pilot, "HomeScreen")
            app.push_screen(RunProgressScreen(workspace, catalog, run_id=list_runs(catalog)[0].id))
            await wait_for(pilot, lambda: isinstance(app.screen, RunProgressScreen), what="the live view")
            screen = app.screen
            await wait_for(pilot, lambda: screen.state.files_done >= 1, what="the events so far")
            assert screen.attached and not screen._ended
            await wait_for(pilot, lambda: "Help" in footer_keys(app), what="the footer")
            assert "Cancel run" not in footer_keys(app)  # another process's run: not ours to cancel
            assert "Quit" in footer_keys(app)
            gate.set()
            await wait_for(pilot, lambda: screen._ended, what="the run to finish")
            await wait_for(pilot, lambda: "Help" in footer_keys(app), what="the footer")
            assert "Cancel run" not in footer_keys(app)  # a finished run has nothing to cancel
    finally:
        gate.set()
        thread.join(60)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("key", list(SECTION_KEYS))
async def test_no_screen_is_cut_off_and_the_footer_keeps_help_and_quit(setup, key: str, size: tuple[int, int]) -> None:
    app = make_app(setup.workspace)
    async with app.run_test(size=size) as pilot:
        await open_section(pilot, key)
        assert app.screen.max_scroll_y == 0  # the screen fits the terminal; long content scrolls inside it
        for _ in range(2):  # as the screen opens (a field may have focus), and with no focus
            await wait_for(pilot, lambda: "Help" in screen_lines(app)[-1] and "Quit" in screen_lines(app)[-1],
                           what="Help and Quit on the footer line")
            app.screen.set_focus(None)
            await wait_for(pilot, lambda: app.focused is None, what="no focus")


async def test_a_long_confirm_question_wraps_at_80x24(setup) -> None:
    question = ("Put df-Ab12Cd into courier optimizely's load operations (replacing the placeholder df-xxxxxx)? "
                + json.dumps({"df-Ab12Cd": [{"type": "truncate"}, {"type": "load", "file": "decisions"}]}) + " end.")
    app = make_app(setup.workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, "HomeScreen")
        app.push_screen(ConfirmScreen(question, yes="Update load operations", no="Not now"))
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen) and "Not now (n)" in " ".join(screen_lines(app)),
                       what="the confirm dialog drawn")
        shown = " ".join(" ".join(screen_lines(app)).split())
        for word in question.split():
            assert word in shown, word
        assert "Update load operations (y)" in shown and "Not now (n)" in shown


async def test_with_no_color_toggles_differ_by_glyph(setup, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(setup.workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, RunDialog), what="the run dialog")
        dialog = app.screen
        day, period = dialog.query_one("#mode-day", RadioButton), dialog.query_one("#mode-period", RadioButton)
        skip = dialog.query_one("#skip-missing", Checkbox)
        assert day.value and not period.value and not skip.value
        assert day.render().plain[:3] != period.render().plain[:3]
        unchecked = skip.render().plain[:3]
        skip.value = True
        await wait_for(pilot, lambda: skip.value, what="the box checked")
        assert skip.render().plain[:3] != unchecked


# 7. keymap file, F1 through Helpable, focus styles in one stylesheet ------------------------------

@pytest.mark.parametrize("name", ["keymap.toml", "keymap.json"])
async def test_a_keymap_file_remaps_keys_by_binding_id(setup, name: str) -> None:
    text = '"app.credentials" = "f6"\n' if name.endswith(".toml") else '{"app.credentials": ["f6"]}'
    keymap_file(text, name)
    app = make_app(setup.workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_screen(pilot, "HomeScreen")
        await pilot.press("c")
        await settle(pilot)  # whatever c set going has run: nothing
        assert type(app.screen).__name__ == "HomeScreen"  # c is no longer the credentials key
        await pilot.press("f6")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "CredentialsScreen", what="credentials")


async def test_a_keymap_naming_no_binding_is_reported(setup) -> None:
    keymap_file('"app.credentails" = "f6"\n')
    app = make_app(setup.workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: any("no binding has the id app.credentails" in n.message for n in app._notifications),
                       what="the notification naming the unknown binding id")


def test_a_keymap_that_does_not_parse_is_one_error_line_and_exit_2(setup, capsys: pytest.CaptureFixture[str]) -> None:
    from courier.tui.cli.main import main

    path = keymap_file('"app.credentials" = \n')
    with pytest.raises(SystemExit) as stopped:
        main(["--workspace", str(setup.workspace.root)])
    assert stopped.value.code == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"error: keymap {path}") and "line 1" in err[0]
    assert err[1].startswith("hint: ") and "Traceback" not in "".join(err)


async def test_f1_help_comes_from_the_focused_widgets_helpable(setup) -> None:
    from courier.tui.widgets.help import Helpable, HelpScreen

    keymap_file('"json_editor.indent" = "f7"\n')
    app = make_app(setup.workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_section(pilot, "s")
        bucket = screen.query_one("#courier-bucket", Input)
        assert isinstance(bucket, Helpable)
        bucket.focus()
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen) and "The S3 bucket name only" in app.screen.body
        assert "`app.help`" in app.screen.keys  # the ids a keymap names
        await pilot.press("escape")
        area = screen.query_one("#loadops-editor TextArea", TextArea)
        assert isinstance(area, Helpable)
        area.focus()
        await pilot.press("f1")
        assert "**f7** indents" in app.screen.body  # the live key, after the keymap


def test_focus_styles_live_in_app_tcss_only() -> None:
    import importlib
    import pkgutil

    import courier.tui
    from textual.dom import DOMNode

    for module in pkgutil.walk_packages(courier.tui.__path__, "courier.tui."):
        importlib.import_module(module.name)
    pending, own = [DOMNode], []
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.startswith("courier.tui") and ":focus" in cls.__dict__.get("DEFAULT_CSS", ""):
            own.append(cls.__name__)
    assert own == []
    tcss = (Path(courier.tui.__file__).parent / "app.tcss").read_text()
    assert "$focus" in tcss and ":focus" in tcss


def test_every_binding_has_a_unique_id() -> None:
    import importlib
    import pkgutil

    import courier.tui
    from textual.binding import Binding
    from textual.dom import DOMNode

    for module in pkgutil.walk_packages(courier.tui.__path__, "courier.tui."):
        importlib.import_module(module.name)
    pending, ids, missing = [DOMNode], [], []
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if not cls.__module__.startswith("courier.tui"):
            continue
        for binding in cls.__dict__.get("BINDINGS", ()):
            if isinstance(binding, Binding) and binding.id:
                ids.append(binding.id)
            else:
                missing.append(f"{cls.__name__}: {binding}")
    assert missing == []  # a keymap can reach every key courier declares
    assert len(ids) == len(set(ids))
