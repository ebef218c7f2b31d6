"""What a warehouse needs to know of a domain table: its columns, key and last-updated rule.

The warehouse knows tables, never feeds: `courier.core.feeds.model.Feed` satisfies `TableSpec`, and
a second backend (Iceberg) takes the same spec, so the floors above never change with the backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class TableColumn(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def type(self) -> str:
        """The DuckDB type the column was read as."""
        ...


class TableSpec(Protocol):
    @property
    def id(self) -> str:
        """The feed id that owns the table (recorded with every loaded file)."""
        ...

    @property
    def table_name(self) -> str: ...

    @property
    def columns(self) -> Sequence[TableColumn]: ...

    @property
    def primary_key(self) -> Sequence[str]: ...

    @property
    def last_updated(self) -> str | None:
        """The column whose greatest value wins among rows of one key (None: file order decides)."""
        ...

    @property
    def generate_updated(self) -> bool:
        """Stamp `_updated` with the load time instead of reading a column."""
        ...

    @property
    def partition_columns(self) -> Sequence[str]: ...
