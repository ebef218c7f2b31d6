"""Display helpers shared by the CLI and the TUI (no Textual import: the CLI uses them too)."""

from __future__ import annotations

from courier.core.text import printable
from rich.markup import escape
from rich.text import Text


def human_bytes(size: float) -> str:
    """1536 -> '1.5 KB'; bytes without decimals."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"


def literal(value: object, style: str = "", *, newlines: bool = True) -> Text:
    """Text for a widget that may quote keys, names, file contents or S3's texts: never parsed as
    markup, control characters escaped (courier.core.text.printable). Line breaks are kept unless
    `newlines=False` (for one-line cells: a key, a column name)."""
    return Text(printable(value, newlines=newlines), style=style)


def cell(value: object) -> str:
    """A str cell for Textual's stock DataTable, which parses str cells as Rich markup: markup
    escaped, controls escaped (plain names come back unchanged)."""
    return escape(printable(value))
