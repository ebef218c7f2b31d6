"""An Arrow-backed table that stays responsive at 100,000+ rows (textual-fastdatatable).

The stock DataTable measures every cell on the UI thread; fastdatatable renders straight from a
pyarrow.Table. This wrapper fixes the defaults for courier: row cursor, no markup in data (file
keys and values may hold `[`), Tab left to focus navigation, and `replace()` to swap the data
in place (keeping focus) instead of remounting the widget.

What it draws comes from buckets and files (keys, column names, values), so it draws a copy in
which control characters are escaped (courier.core.text.printable) and column names are markup-escaped
(the library parses header labels as markup); `table` and `row_dict()` keep the real values.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from courier.core.text import printable
from rich.markup import escape
from textual.binding import Binding, BindingType
from textual.coordinate import Coordinate
from textual_fastdatatable import ArrowBackend
from textual_fastdatatable.data_table import DataTable

# courier.core.text's unsafe characters in RE2 syntax (pyarrow.compute), to find the columns that need escaping
_UNSAFE_RE2 = r"[\x00-\x1f\x7f-\x{9f}\x{61c}\x{200e}\x{200f}\x{2028}-\x{202e}\x{2066}-\x{2069}]"


class ArrowTable(DataTable, inherit_bindings=False):
    """A read-only, row-cursor view of a pyarrow.Table."""

    BINDINGS: list[BindingType] = [
        Binding("enter", "select_cursor", "Select", show=False, id="arrow_table.select_cursor"),
        Binding("up", "cursor_up", "Up", show=False, id="arrow_table.cursor_up"),
        Binding("down", "cursor_down", "Down", show=False, id="arrow_table.cursor_down"),
        Binding("right", "cursor_right", "Right", show=False, id="arrow_table.cursor_right"),
        Binding("left", "cursor_left", "Left", show=False, id="arrow_table.cursor_left"),
        Binding("pageup", "page_up", "Page up", show=False, id="arrow_table.page_up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="arrow_table.page_down"),
        Binding("home", "cursor_table_start", "First row", show=False, id="arrow_table.cursor_table_start"),
        Binding("end", "cursor_table_end", "Last row", show=False, id="arrow_table.cursor_table_end"),
    ]

    DEFAULT_CSS = """
    ArrowTable { height: 1fr; max-height: 100%; }
    """

    def __init__(self, table: pa.Table | None = None, *, max_column_content_width: int | None = 40,
                 id: str | None = None, classes: str | None = None,  # noqa: A002
                 cursor_type: str = "row") -> None:
        self._source = table if table is not None else empty_table()
        super().__init__(
            backend=ArrowBackend(screen_safe(self._source)),
            cursor_type=cursor_type,  # type: ignore[arg-type]
            max_column_content_width=max_column_content_width,
            null_rep="·", render_markup=False, zebra_stripes=False, show_row_labels=False,
            id=id, classes=classes,
        )

    @property
    def table(self) -> pa.Table:
        """The data shown, with its real values (what is drawn is `screen_safe` of it)."""
        return self._source

    def replace(self, table: pa.Table) -> None:
        """Show new data in place; the cursor goes back to the first row."""
        self._source = table
        backend = ArrowBackend(screen_safe(table))
        backend.render_markup = False
        self.backend = backend
        self._ordered_columns = None
        self._require_update_dimensions = True
        self._clear_caches()
        self._update_count += 1
        self.cursor_coordinate = Coordinate(0, 0)
        self.scroll_to(0, 0, animate=False)
        self.refresh(layout=True)
        self.check_idle()
        if table.num_rows:
            self._highlight_cursor()

    def row_dict(self, index: int | None = None) -> dict[str, Any] | None:
        """The row under the cursor (or at `index`) as a dict, or None when empty."""
        row = self.cursor_row if index is None else index
        data = self.table
        if not 0 <= row < data.num_rows:
            return None
        return data.slice(row, 1).to_pylist()[0]


def screen_safe(table: pa.Table) -> pa.Table:
    """`table` as it may be drawn: text values with controls escaped, names also markup-escaped.

    Vectorised: only the string columns that hold an unsafe character are rebuilt in Python.
    """
    columns = []
    for column in table.columns:
        kind = column.type.value_type if pa.types.is_dictionary(column.type) else column.type
        if (pa.types.is_string(kind) or pa.types.is_large_string(kind)) and column.null_count < len(column):
            text = column.cast(kind) if kind is not column.type else column
            if pc.any(pc.match_substring_regex(text, _UNSAFE_RE2)).as_py():
                column = pa.array([None if v is None else printable(v) for v in text.to_pylist()], kind)
        columns.append(column)
    return pa.table(columns, names=[escape(printable(name)) for name in table.column_names])


def empty_table(columns: list[str] | None = None) -> pa.Table:
    """A table with no rows (fastdatatable needs a backend to draw a header)."""
    names = columns or [""]
    return pa.table({name: pa.array([], pa.string()) for name in names})


def displayable(table: pa.Table) -> pa.Table:
    """Nested columns (list/struct/map) as compact text: the table widget shows scalars best."""
    from courier.core.feeds.schema import format_value

    columns = []
    for name in table.column_names:
        column = table.column(name)
        if pa.types.is_nested(column.type):
            is_map = pa.types.is_map(column.type)
            column = pa.array([None if v is None else format_value(dict(v) if is_map else v)
                               for v in column.to_pylist()], pa.string())
        columns.append(column)
    return pa.table(columns, names=table.column_names)
