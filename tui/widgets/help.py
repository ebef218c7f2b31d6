"""F1 / `?` help for the focused widget: what it is for and which keys act on it (Posting's habit)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Markdown

HELP_ATTR = "courier_help"


def with_help(widget: Widget, text: str) -> Widget:
    """Attach help text to a widget (shown by F1/? while it has focus); returns the widget."""
    setattr(widget, HELP_ATTR, text)
    return widget


def help_for(widget: Widget | None) -> tuple[str, str]:
    """The title and help text for `widget`: its own help, else the nearest ancestor's, else the screen's."""
    title = ""
    text = ""
    node = widget
    while node is not None:
        if not title and getattr(node, "border_title", None):
            title = str(node.border_title)
        own = getattr(node, HELP_ATTR, None) or getattr(type(node), "HELP", None)
        if own and not text:
            text = str(own)
        if title and text:
            break
        node = node.parent if isinstance(node.parent, Widget) else None
    if widget is not None and not title:
        title = type(widget).__name__
    return title or "courier", text or "No help for this widget yet."


def keys_markdown(widget: Widget | None) -> str:
    """The keys that are active right now, as a Markdown table (from the screen's active bindings)."""
    if widget is None:
        return ""
    rows = []
    seen: set[str] = set()
    for key, active in widget.screen.active_bindings.items():
        binding = active.binding
        if not binding.description or binding.description in seen:
            continue
        seen.add(binding.description)
        shown = binding.key_display or widget.app.get_key_display(binding)
        rows.append(f"| `{shown or key}` | {binding.description} |")
    if not rows:
        return ""
    return "\n\n### Keys\n\n| key | does |\n|---|---|\n" + "\n".join(rows)


class HelpScreen(ModalScreen[None]):
    """A modal with the focused widget's help and the active keys; esc, q or F1 closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 80%; max-width: 90; height: 80%; border: round $accent;
        background: $surface; padding: 0 1; }
    """
    BINDINGS = [
        Binding("escape,q,f1,question_mark", "dismiss", "Close help", id="help.close"),
    ]

    def __init__(self, widget: Widget | None) -> None:
        super().__init__()
        self.title_text, self.body = help_for(widget)
        self.keys = keys_markdown(widget)

    def compose(self) -> ComposeResult:
        scroll = VerticalScroll()
        scroll.border_title = f"Help: {self.title_text}"
        scroll.border_subtitle = "esc closes"
        with scroll:
            yield Markdown(f"{self.body}{self.keys}")

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
