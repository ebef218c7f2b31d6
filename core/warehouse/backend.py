"""What a run needs of a warehouse, whichever backend holds the tables (DuckDB today, Iceberg next).

The run never knows which backend it has, but it must never claim more than the backend gives: with
`atomic_runs` every load inside `transaction()` commits together (DuckDB: one transaction), so a
failed or cancelled run changed no table; without it each load commits its table by itself (Iceberg:
one commit per table), and the run records which tables it committed before it stopped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from courier.core.warehouse.spec import LoadProgress, LoadStats, SourceFile
from courier.core.warehouse.table import TableSpec


class WarehouseBackend(Protocol):
    atomic_runs: bool

    def transaction(self) -> AbstractContextManager[None]:
        """The block of a run's loads: they commit at its end (atomic) or each by itself (not atomic)."""
        ...

    def ensure_table(self, feed: TableSpec) -> None: ...

    def load(self, feed: TableSpec, files: Sequence[SourceFile], *, truncate: bool, run_id: str,
             on_progress: Callable[[LoadProgress], None] | None = None, batch_rows: int = 65536) -> LoadStats: ...
