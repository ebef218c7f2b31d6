"""A JSON editor with live validation: the error sits right under the text, with its line/column or
JSON pointer, and warnings (things that parse but look wrong) below that.

The validator is an engine function wrapped by the screen: it returns warnings or raises a
CourierError; nothing about entities or load operations is decided here.

Tab leaves the editor like any other field (a form must be walkable with Tab); ctrl+f indents:
it lays the JSON out with two-space indentation, or, while the text does not parse, indents the
cursor's line(s) by two spaces.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from courier.core.errors import CourierError
from courier.core.text import printable
from courier.tui.formatting import literal
from courier.tui.widgets.help import HelpData
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static, TextArea
from textual.widgets.text_area import Selection

Validator = Callable[[str], list[str]]
INDENT = "  "


class JsonTextArea(TextArea):
    """The editor's text: Tab moves focus on, the indent key (ctrl+f unless remapped) indents."""

    BINDINGS = [Binding("ctrl+f", "indent", "Indent", id="json_editor.indent",
                        tooltip="Lay the JSON out with two-space indentation")]

    def __init__(self, text: str, *, help_text: str, **kwargs: object) -> None:
        super().__init__(text, tab_behavior="focus", show_line_numbers=True, soft_wrap=False, **kwargs)  # type: ignore[arg-type]
        self.help_text = help_text

    @property
    def help_data(self) -> HelpData:
        """F1: the field's help, then the keys that differ from a plain text field (the live ones)."""
        from courier.tui.app import CourierApp

        app = self.app
        binding = self.BINDINGS[0]
        indent = app.keys_of(binding) if isinstance(app, CourierApp) and isinstance(binding, Binding) else "ctrl+f"
        return HelpData(f"{self.help_text}\n\n**{indent}** indents: it lays the JSON out with two-space "
                        "indentation (while the text does not parse, it indents the cursor's lines). "
                        "**Tab** moves to the next field, **shift+Tab** to the previous one, **esc** leaves the editor.")

    def action_indent(self) -> None:
        try:
            laid_out = json.dumps(json.loads(self.text), indent=len(INDENT), ensure_ascii=False)
        except ValueError:
            self._indent_lines()
            return
        if laid_out != self.text:
            self.replace(laid_out, self.document.start, self.document.end)

    def _indent_lines(self) -> None:
        start, end = sorted((self.selection.start, self.selection.end))
        for row in range(start[0], end[0] + 1):
            self.insert(INDENT, (row, 0))
        self.selection = Selection((start[0], start[1] + len(INDENT)), (end[0], end[1] + len(INDENT)))


class JsonEditor(Vertical):
    """A titled TextArea plus an error line and a warnings list, updated on every change."""

    DEFAULT_CSS = """
    JsonEditor { height: auto; }
    JsonEditor > TextArea { height: 12; }
    JsonEditor > .json-error { color: $error; height: auto; }
    JsonEditor > .json-ok { color: $success; height: auto; }
    JsonEditor > .json-warnings { color: $warning; height: auto; }
    """

    class Validated(Message):
        """Posted after each validation, so the screen can enable Save or show a summary."""

        def __init__(self, editor: JsonEditor, ok: bool) -> None:
            super().__init__()
            self.editor = editor
            self.ok = ok

        @property
        def control(self) -> JsonEditor:
            return self.editor

    def __init__(self, text: str, validator: Validator, *, title: str, help_text: str = "",
                 id: str | None = None) -> None:
        super().__init__(id=id, classes="panel")
        self.initial = text
        self.validator = validator
        self.border_title = title
        self.help_text = help_text
        self.error: CourierError | None = None
        self.warnings: list[str] = []

    def compose(self) -> ComposeResult:
        yield JsonTextArea(self.initial, help_text=self.help_text, classes="json-text")
        yield Static("", classes="json-status")
        yield Static("", classes="json-warnings")

    def on_mount(self) -> None:
        self.validate()

    @property
    def text(self) -> str:
        return self.query_one(TextArea).text

    @text.setter
    def text(self, value: str) -> None:
        self.query_one(TextArea).load_text(value)
        self.validate()

    @property
    def ok(self) -> bool:
        return self.error is None

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        event.stop()
        self.validate()

    def validate(self) -> bool:
        """Run the validator on the current text and show the outcome under the editor."""
        status = self.query_one(".json-status", Static)
        try:
            self.warnings = list(self.validator(self.text))
            self.error = None
        except CourierError as exc:
            self.error, self.warnings = exc, []
        if self.error is not None:
            status.set_classes("json-status json-error")
            status.update(literal(f"✗ {self.error}" + (f"\n  hint: {self.error.hint}" if self.error.hint else "")))
        else:
            status.set_classes("json-status json-ok")
            status.update(Text("✓ valid"))
        warnings = self.query_one(".json-warnings", Static)
        warnings.update(literal("\n".join(f"! {printable(w)}" for w in self.warnings)))
        warnings.display = bool(self.warnings)
        self.post_message(self.Validated(self, self.error is None))
        return self.error is None
