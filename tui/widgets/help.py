"""F1 / `?` help for the focused widget: what it is for and which keys act on it (Posting's habit).

A widget explains itself by being `Helpable` (a typed protocol: it has `help_data`); `with_help`
gives any widget its text. F1 walks from the focused widget up to the screen and shows the first
help found, with the keys that work there right now and their binding ids (for the keymap file).

The modal is one widget (`HelpText`) drawing a Rich renderable (the text as Rich Markdown, the
keys as a Rich table), not Textual's Markdown widget: that builds a widget per block and per table
cell, and its layout and styling cost hundreds of milliseconds per open on a busy machine. The
parsed text and its lines at each width are cached, so reopening help for the same widget parses
and lays out nothing: it draws cached lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol, TypeVar, runtime_checkable

from rich.console import Console, Group, RenderableType
from rich.markdown import Markdown
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.geometry import Size
from textual.screen import ModalScreen
from textual.strip import Strip
from textual.widget import Widget

KeyRow = tuple[str, str, str]  # the key(s) as shown, what it does, its binding id ("" for a widget's own)


@dataclass(frozen=True)
class HelpData:
    """What F1 says about a widget: what it is for (Markdown), and a title when its panel has none."""

    text: str
    title: str = ""


@runtime_checkable
class Helpable(Protocol):
    """A widget that explains itself to F1 while it (or a widget inside it) has focus."""

    @property
    def help_data(self) -> HelpData: ...


W = TypeVar("W", bound=Widget)


def with_help(widget: W, text: str) -> W:
    """Give `widget` its F1 help text (it becomes Helpable); returns the widget."""
    widget.help_data = HelpData(text)  # type: ignore[attr-defined]
    return widget


def help_for(widget: Widget | None) -> tuple[str, str]:
    """The title and help text for `widget`: its own help, else the nearest ancestor's, else the screen's."""
    title = ""
    text = ""
    node = widget
    while node is not None:
        if not title and getattr(node, "border_title", None):
            title = str(node.border_title)
        if not text:
            if isinstance(node, Helpable):
                text = node.help_data.text
                title = title or node.help_data.title
            elif getattr(type(node), "HELP", None):
                text = str(type(node).HELP)
        if title and text:
            break
        node = node.parent if isinstance(node.parent, Widget) else None
    if widget is not None and not title:
        title = type(widget).__name__
    return title or "courier", text or "No help for this widget yet."


def key_rows(widget: Widget | None) -> tuple[KeyRow, ...]:
    """The keys that work right now (the screen's active bindings, keymap applied) with their binding
    ids, one row per action ("F1 / ?"); courier's keys (they have ids) before a widget's own."""
    if widget is None:
        return ()
    rows: list[list[str]] = []
    seen: dict[tuple[str, str], int] = {}
    for key, active in widget.screen.active_bindings.items():
        binding = active.binding
        if not binding.description or not active.enabled:
            continue
        shown = binding.key_display or widget.app.get_key_display(binding) or key
        index = seen.get((binding.description, binding.id or ""))
        if index is not None:
            if shown not in rows[index][0]:
                rows[index][0] = f"{rows[index][0]} / {shown}"
            continue
        seen[(binding.description, binding.id or "")] = len(rows)
        rows.append([shown, binding.description, binding.id or ""])
    rows.sort(key=lambda row: not row[2])
    return tuple((k, d, i) for k, d, i in rows)


def keys_markdown(rows: tuple[KeyRow, ...]) -> str:
    """The key rows as a Markdown table (the help's text form, for the record and for tests)."""
    if not rows:
        return ""
    table = "\n".join(f"| `{k}` | {d} | {f'`{i}`' if i else ''} |" for k, d, i in rows)
    return "\n\n### Keys\n\n| key | does | id (keymap) |\n|---|---|---|\n" + table


@lru_cache(maxsize=64)
def help_renderable(body: str, rows: tuple[KeyRow, ...]) -> RenderableType:
    """The help's one renderable: the text (Markdown, parsed once per distinct text) and the keys
    table. Cached: reopening help where nothing changed builds nothing."""
    parts: list[RenderableType] = [Markdown(body)]
    if rows:
        table = Table(box=None, pad_edge=False, show_edge=False, expand=False, header_style="bold")
        table.add_column("key", style="bold")
        table.add_column("does")
        table.add_column("id (keymap)", style="dim")
        for key, does, binding_id in rows:
            table.add_row(Text(key), Text(does), Text(binding_id))
        parts += [Text(""), Text("Keys", style="bold underline"), table]
    return Group(*parts)


@lru_cache(maxsize=64)
def help_lines(body: str, rows: tuple[KeyRow, ...], width: int, console: Console) -> tuple[Strip, ...]:
    """The help laid out at `width` once: the lines every later open (and every layout pass) draws."""
    options = console.options.update_width(width).update(highlight=False)
    return tuple(Strip(line, width) for line in console.render_lines(help_renderable(body, rows), options, pad=True))


class HelpText(Widget):
    """The help's text and keys as lines drawn from `help_lines` (a Line API widget: no Visual is
    rebuilt per layout pass, and the lines outlive the screen)."""

    DEFAULT_CSS = "HelpText { width: 1fr; height: auto; }"

    def __init__(self, body: str, rows: tuple[KeyRow, ...], **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.body, self.rows = body, rows

    def lines(self, width: int) -> tuple[Strip, ...]:
        return help_lines(self.body, self.rows, max(1, width), self.app.console)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.lines(width))

    def render_line(self, y: int) -> Strip:
        lines = self.lines(self.size.width)
        style = self.rich_style
        if y >= len(lines):
            return Strip.blank(self.size.width, style)
        return lines[y].apply_style(style)


class HelpScreen(ModalScreen[None]):
    """A modal with the focused widget's help and the active keys; esc, q or F1 closes it.

    Its backdrop is opaque: a see-through one makes every frame composite the whole screen below
    through a tint, in Python, which was half of what opening help cost on a busy machine.

    The app keeps one HelpScreen installed and shows it again with `show_for` (help is the key an
    operator presses most): a screen built per open is composed, styled, laid out twice and, once
    closed, removed, and the removal lays out the screen below a second time; a kept one is only
    redrawn."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; background: $background; }
    HelpScreen > VerticalScroll { width: 80%; max-width: 90; height: 80%; border: round $accent;
        background: $surface; padding: 0 1; }
    """
    BINDINGS = [
        Binding("escape,q,f1,question_mark", "dismiss", "Close help", id="help.close"),
    ]

    def __init__(self, widget: Widget | None = None) -> None:
        super().__init__()
        self.title_text, self.body = help_for(widget)
        self.rows = key_rows(widget)
        self.keys = keys_markdown(self.rows)

    def compose(self) -> ComposeResult:
        scroll = VerticalScroll(id="help-body")
        scroll.border_title = f"Help: {self.title_text}"
        scroll.border_subtitle = "esc closes"
        with scroll:
            yield HelpText(self.body, self.rows, id="help-text")

    def show_for(self, widget: Widget | None) -> None:
        """Say what `widget` is for, and the keys that work now, the next time this screen shows."""
        self.title_text, self.body = help_for(widget)
        self.rows = key_rows(widget)
        self.keys = keys_markdown(self.rows)
        if not self.is_mounted:
            return  # compose reads them
        scroll = self.query_one("#help-body", VerticalScroll)
        scroll.border_title = f"Help: {self.title_text}"
        scroll.scroll_home(animate=False)
        text = self.query_one(HelpText)
        if (text.body, text.rows) != (self.body, self.rows):
            text.body, text.rows = self.body, self.rows
            text.refresh(layout=True)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
