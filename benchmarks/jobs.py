"""Work measured in a child process: an idle baseline and one courier run through the engine."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import Any

from core.events import Event


def baseline() -> dict[str, Any]:
    """Import everything a run imports and do nothing: the RSS floor of any courier process."""
    import boto3  # noqa: F401
    import duckdb  # noqa: F401
    import pyarrow.parquet  # noqa: F401

    import core.run_steps  # noqa: F401
    import core.runs  # noqa: F401
    import core.warehouse  # noqa: F401

    return {}


class _PhaseClock:
    """Event sink that timestamps the run's phases: list + land, then load."""

    def __init__(self) -> None:
        self.first_load: float | None = None
        self.last_loaded: float | None = None
        self.batches = 0

    def __call__(self, event: Event) -> None:
        if event.type == "feed_load_started" and self.first_load is None:
            self.first_load = time.monotonic()
        elif event.type == "feed_loaded":
            self.last_loaded = time.monotonic()
        elif event.type == "batch_loaded":
            self.batches += 1


def courier_run(workspace: str, courier: str, from_day: str, to_day: str) -> dict[str, Any]:
    """One period run [from_day, to_day) with the engine's start_run; then count the tables."""
    from core.catalog import Catalog
    from core.runs import RunRequest, start_run
    from core.workspace import open_workspace

    catalog = Catalog(open_workspace(Path(workspace)))
    clock = _PhaseClock()
    request = RunRequest(courier, "period", from_day=date.fromisoformat(from_day), to_day=date.fromisoformat(to_day))
    started = time.monotonic()
    result = start_run(catalog, request, sink=clock)
    ended = time.monotonic()
    landed_at = clock.first_load or ended
    feeds = result.stats.get("feeds", {})
    out: dict[str, Any] = {
        "status": result.status, "error": result.error,
        "wall_s": round(ended - started, 3),
        "land_s": round(landed_at - started, 3),
        "load_s": round((clock.last_loaded or landed_at) - landed_at, 3),
        "files_landed": result.stats.get("files_landed", 0),
        "files_skipped": result.stats.get("files_skipped", 0),
        "bytes_landed": result.stats.get("bytes", 0),
        "rows_read": sum(f["rows_read"] for f in feeds.values()),
        "inserted": sum(f["inserted"] for f in feeds.values()),
        "updated": sum(f["updated"] for f in feeds.values()),
        "batches": clock.batches,
        "tables": _table_counts(catalog, [f["table"] for f in feeds.values()]),
    }
    catalog.close()
    return out


def _table_counts(catalog: Any, tables: list[str]) -> dict[str, dict[str, int]]:
    """Rows and distinct keys per domain table (outside the timed part)."""
    from core.warehouse import Warehouse, quote

    if not tables:
        return {}
    counts: dict[str, dict[str, int]] = {}
    with Warehouse(catalog.workspace.warehouse_path, read_only=True) as warehouse:
        for table in tables:
            row = warehouse.query(f"SELECT count(*) AS n, count(DISTINCT uuid) AS u FROM {quote(table)}").to_pylist()[0]
            counts[table] = {"rows": int(row["n"]), "distinct_uuid": int(row["u"])}
    return counts
