"""An Arrow-backed table that stays responsive at 100,000+ rows (textual-fastdatatable).

The stock DataTable measures every cell on the UI thread; fastdatatable renders straight from a
pyarrow.Table. This wrapper fixes the defaults for courier: row cursor, no markup in data (file
keys and values may hold `[`), Tab left to focus navigation, and `replace()` to swap the data
in place (keeping focus) instead of remounting the widget.

What it draws comes from buckets and files (keys, column names, values), so it draws a copy in
which control characters are escaped (courier.core.text.printable) and column names are markup-escaped
(the library parses header labels as markup); `table` and `row_dict()` keep the real values.

`cells` formats chosen columns (a timestamp as local time, bytes as "1.5 KB") as their cells are
drawn: only the rows on screen are formatted, so 100,000 rows cost what one page costs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.compute as pc
from courier.core.text import printable
from rich.cells import cell_len
from rich.markup import escape
from textual.binding import Binding, BindingType
from textual.coordinate import Coordinate
from textual_fastdatatable import ArrowBackend
from textual_fastdatatable.data_table import DataTable

# courier.core.text's unsafe characters in RE2 syntax (pyarrow.compute), to find the columns that need escaping
_UNSAFE_RE2 = r"[\x00-\x1f\x7f-\x{9f}\x{61c}\x{200e}\x{200f}\x{2028}-\x{202e}\x{2066}-\x{2069}]"


class ArrowTable(DataTable, inherit_bindings=False):
    """A read-only, row-cursor view of a pyarrow.Table."""

    BINDINGS: ClassVar[list[BindingType]] = [
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
                 cursor_type: str = "row", cells: Mapping[str, CellFormat] | None = None) -> None:
        self._source = table if table is not None else empty_table()
        self._cells = dict(cells or {})
        super().__init__(
            backend=self._backend(self._source),
            cursor_type=cursor_type,  # type: ignore[arg-type]
            max_column_content_width=max_column_content_width,
            null_rep="·", render_markup=False, zebra_stripes=False, show_row_labels=False,
            id=id, classes=classes,
        )

    @property
    def table(self) -> pa.Table:
        """The data shown, with its real values (what is drawn is `screen_safe` of it)."""
        return self._source

    def replace(self, table: pa.Table | Prepared) -> None:
        """Show new data in place; the cursor goes back to the first row.

        A big table is best `prepare`d in a worker first: then showing it costs the UI thread nothing.
        """
        prepared = table if isinstance(table, Prepared) else prepare(table, self._cells)
        table = prepared.table
        self._source = table
        self.backend = prepared.backend
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

    def _backend(self, table: pa.Table) -> ArrowBackend:
        return prepare(table, self._cells).backend

    def row_dict(self, index: int | None = None) -> dict[str, Any] | None:
        """The row under the cursor (or at `index`) as a dict, or None when empty."""
        row = self.cursor_row if index is None else index
        data = self.table
        if not 0 <= row < data.num_rows:
            return None
        return data.slice(row, 1).to_pylist()[0]


CellFormat = Callable[[Any], str]
MEASURED_ROWS = 500  # a formatted column is as wide as the widest of its first rows (cells beyond are cut)


class FormattingBackend(ArrowBackend):
    """An ArrowBackend whose chosen columns are formatted cell by cell as they are read for drawing.

    Null stays null (drawn as the null mark); a formatted value is escaped like every text here.
    """

    def __init__(self, data: pa.Table, formats: Mapping[int, CellFormat]) -> None:
        super().__init__(data)
        self._formats = dict(formats)

    def _format(self, column: int, value: Any) -> Any:
        fmt = self._formats.get(column)
        return value if fmt is None or value is None else printable(fmt(value))

    def get_row_at(self, index: int) -> Sequence[Any]:
        return [self._format(i, v) for i, v in enumerate(super().get_row_at(index))]

    def get_cell_at(self, row_index: int, column_index: int) -> Any:
        return self._format(column_index, super().get_cell_at(row_index, column_index))

    def get_column_at(self, column_index: int) -> list[Any]:
        return [self._format(column_index, v) for v in super().get_column_at(column_index)]

    @property
    def column_content_widths(self) -> list[int]:
        if not self._column_content_widths:
            raw = [self._measure(arr) if i not in self._formats else 0 for i, arr in enumerate(self.data.columns)]
            for i in self._formats:
                head = self.data.column(i).slice(0, MEASURED_ROWS).to_pylist()
                raw[i] = max((cell_len(self._format(i, v)) for v in head if v is not None), default=0)
            self._column_content_widths = [w or 0 for w in raw]
        return self._column_content_widths


@dataclass(frozen=True)
class Prepared:
    """A table made ready to draw: its escaped copy, the cells' formats and the column widths."""

    table: pa.Table  # the real values
    backend: ArrowBackend  # what is drawn


def prepare(table: pa.Table, cells: Mapping[str, CellFormat] | None = None) -> Prepared:
    """Escape, measure and wrap `table` for an ArrowTable; safe to run in a thread worker (it touches no widget)."""
    formats = {i: cells[name] for i, name in enumerate(table.column_names) if cells and name in cells}
    backend = FormattingBackend(screen_safe(table), formats) if formats else ArrowBackend(screen_safe(table))
    backend.render_markup = False
    _ = backend.column_content_widths  # measured here, not on the UI thread at the first draw
    return Prepared(table, backend)


def screen_safe(table: pa.Table) -> pa.Table:
    """`table` as it may be drawn: text values with controls escaped, names also markup-escaped.

    Vectorised: only the string columns that hold an unsafe character are rebuilt in Python; a
    column shown twice (the files screen draws the key as key and as partition) is checked once.
    """
    columns = []
    done: dict[tuple[Any, ...], pa.ChunkedArray] = {}
    for column in table.columns:
        same = _identity(column)
        if same in done:
            columns.append(done[same])
            continue
        kind = column.type.value_type if pa.types.is_dictionary(column.type) else column.type
        if (pa.types.is_string(kind) or pa.types.is_large_string(kind)) and column.null_count < len(column):
            text = column.cast(kind) if kind is not column.type else column
            if pc.any(pc.match_substring_regex(text, _UNSAFE_RE2)).as_py():
                column = pa.array([None if v is None else printable(v) for v in text.to_pylist()], kind)
        done[same] = column
        columns.append(column)
    return pa.table(columns, names=[escape(printable(name)) for name in table.column_names])


def _identity(column: pa.ChunkedArray) -> tuple[Any, ...]:
    """Which memory a column's values are (two names for one column share it)."""
    return (str(column.type), *((c.offset, len(c), *(b.address if b else 0 for b in c.buffers())) for c in column.chunks))


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
