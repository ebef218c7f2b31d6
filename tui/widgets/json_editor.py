"""A JSON editor with live validation: the error sits right under the text, with its line/column or
JSON pointer, and warnings (things that parse but look wrong) below that.

The validator is an engine function wrapped by the screen: it returns warnings or raises a
CourierError; nothing about entities or load operations is decided here.
"""

from __future__ import annotations

from collections.abc import Callable

from courier.core.errors import CourierError
from courier.core.text import printable
from courier.tui.formatting import literal
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static, TextArea

Validator = Callable[[str], list[str]]


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
        self.courier_help = help_text
        self.error: CourierError | None = None
        self.warnings: list[str] = []

    def compose(self) -> ComposeResult:
        area = TextArea(self.initial, tab_behavior="indent", show_line_numbers=True, soft_wrap=False,
                        classes="json-text")
        area.courier_help = self.courier_help  # type: ignore[attr-defined]
        yield area
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
