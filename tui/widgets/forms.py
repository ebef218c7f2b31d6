"""Form controls every screen shares: labelled fields, inputs that never open with their text
selected, and toggles whose state shows by glyph, not only by colour (NO_COLOR, 16 colours)."""

from __future__ import annotations

from typing import Any

from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.style import Style
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, RadioButton


class TextInput(Input):
    """An Input that keeps its text unselected when it gets focus.

    Textual selects an input's text on focus, so the first letter typed replaces the value: on a
    freshly opened screen that letter is often a section key pressed out of habit.
    """

    def __init__(self, value: str | None = None, placeholder: str = "", **kwargs: Any) -> None:
        kwargs.setdefault("select_on_focus", False)
        super().__init__(value, placeholder, **kwargs)


class Field(Vertical):
    """A control with its label above it: every input says what it is, not only its placeholder."""

    DEFAULT_CSS = """
    Field { height: auto; width: 1fr; }
    Field > .field-label { margin: 0 0 0 1; color: $text-muted; }
    """

    def __init__(self, label: str, control: Widget, *, id: str | None = None,  # noqa: A002
                 classes: str | None = None) -> None:
        super().__init__(Label(label, classes="field-label"), control, id=id, classes=classes)
        self.label = label
        self.control = control


class _Glyphs:
    """Draw the toggle's inner glyph from its value: ON_GLYPH when set, OFF_GLYPH when not."""

    ON_GLYPH = "X"
    OFF_GLYPH = " "
    BUTTON_LEFT: str
    BUTTON_RIGHT: str
    value: bool

    @property
    def _button(self) -> Content:
        widget: Any = self
        button_style = widget.get_visual_style("toggle--button")
        side_style = Style(foreground=button_style.background, background=widget.background_colors[1])
        return Content.assemble((self.BUTTON_LEFT, side_style),
                                (self.ON_GLYPH if self.value else self.OFF_GLYPH, button_style),
                                (self.BUTTON_RIGHT, side_style))


class GlyphCheckbox(_Glyphs, Checkbox):
    """A checkbox that shows X when checked and a blank when not."""


class GlyphRadioButton(_Glyphs, RadioButton):
    """A radio button that shows ● when selected and ○ when not."""

    ON_GLYPH = "●"
    OFF_GLYPH = "○"


class Body(VerticalScroll, can_focus=False):
    """A screen's scrolling body. Not a focus stop of its own: it scrolls to whichever control has
    focus, and a stop that only scrolls would be one the operator cannot see."""
