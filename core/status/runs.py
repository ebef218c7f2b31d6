"""Questions a face asks about runs in progress, answered from the catalog's run records.

(Run history itself is `courier.core.runs.records.list_runs`: the run records live on the runs
floor, above this one, and listing them also marks runs whose process died as failed.)
"""

from __future__ import annotations

from courier.core.catalog.catalog import Catalog
from courier.core.types import RunStatus


def process_runs_a_courier(catalog: Catalog, pid: int) -> bool:
    """Whether process `pid` has a run it started still marked running (quitting it would end the run)."""
    row = catalog.one("SELECT 1 FROM runs WHERE status = ? AND pid = ? LIMIT 1", (RunStatus.RUNNING.value, pid))
    return row is not None


def first_group_run(catalog: Catalog, group: str, since: float) -> str | None:
    """The id of the first courier run of `group` started at or after `since` (epoch seconds), if any yet."""
    row = catalog.one("SELECT id FROM runs WHERE group_name = ? AND started_at >= ? ORDER BY started_at LIMIT 1",
                      (group, since))
    return row["id"] if row else None
