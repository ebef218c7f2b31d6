"""The feed editor's semantic-tag picker: searches the vocabulary, suggestions first, PII marked."""

from __future__ import annotations

from typing import Any

from courier.core.errors import CourierError
from courier.tui.formatting import error_text, literal
from courier.tui.screens import leave_field
from courier.tui.widgets.forms import Field, TextInput
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

CLEAR = "\x00clear"  # the picker's answer for "remove the tag"


class TagPicker(ModalScreen[str | None]):
    """Search the semantic-tag vocabulary; the column's suggestions come first, PII is marked."""

    DEFAULT_CSS = """
    TagPicker { align: center middle; }
    TagPicker > Vertical { width: 60; max-width: 95%; height: 80%; border: thick $accent; background: $surface;
                           padding: 0 1; }
    TagPicker OptionList { height: 1fr; }
    TagPicker #tag-error { color: $error; height: auto; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="tags.cancel")]  # leaves the search field first

    def __init__(self, column: str, suggestions: list[str], current: str | None) -> None:
        super().__init__()
        self.column, self.suggestions, self.current = column, suggestions, current

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = literal(f"Semantic tag for {self.column}", newlines=False)  # a file's column name
            yield Field("Search tags", TextInput(
                placeholder="search tags, or type a tag (custom/<name>, fk-<ns>, …) and enter", id="tag-search"))
            yield OptionList(id="tag-options")
            yield Static("", id="tag-error")

    def on_mount(self) -> None:
        self._fill("")
        self.query_one("#tag-search", Input).focus()

    def _fill(self, text: str) -> None:
        from courier.core.feeds.tags import VOCABULARY, is_pii

        needle = text.strip().lower()
        options = self.query_one("#tag-options", OptionList)
        options.clear_options()
        shown: list[Option] = []
        if self.current:
            shown.append(Option(literal(f"(remove the tag {self.current})", style="italic"), id=CLEAR))
        seen: set[str] = set()
        for tag in self.suggestions + sorted(VOCABULARY):
            if tag in seen or (needle and needle not in tag):
                continue
            seen.add(tag)
            label = literal(tag, newlines=False)
            if tag in self.suggestions:
                label.append("  ★ suggested", style="bold green")
            if is_pii(tag):
                label.append("  PII", style="bold red")
            shown.append(Option(label, id=tag))
        options.add_options(shown)
        if shown:
            options.highlighted = 0

    @on(Input.Changed, "#tag-search")
    def _search(self, event: Input.Changed) -> None:
        self._fill(event.value)
        self.query_one("#tag-error", Static).update("")

    def on_key(self, event: Any) -> None:
        # arrows move through the options while typing in the search box
        options = self.query_one("#tag-options", OptionList)
        if event.key in ("down", "up") and self.focused is self.query_one("#tag-search", Input):
            options.action_cursor_down() if event.key == "down" else options.action_cursor_up()
            event.stop()

    @on(Input.Submitted, "#tag-search")
    def _submitted(self, event: Input.Submitted) -> None:
        from courier.core.feeds.tags import validate_tag

        options = self.query_one("#tag-options", OptionList)
        typed = event.value.strip()
        if options.highlighted is not None and options.option_count:
            option = options.get_option_at_index(options.highlighted)
            if not typed or (option.id and typed.lower() in option.id):
                self.dismiss(option.id)
                return
        try:
            self.dismiss(validate_tag(typed))
        except CourierError as exc:
            self.query_one("#tag-error", Static).update(literal(error_text(exc)))

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        """esc: leave the search field first (as on every screen), then close without a tag."""
        if leave_field(self):
            return
        self.dismiss(None)
