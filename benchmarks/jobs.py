"""Counting what a run left behind: rows and distinct keys per domain table (outside any timing)."""

from __future__ import annotations

from typing import Any


def table_counts(catalog: Any, tables: list[str]) -> dict[str, dict[str, int]]:
    """Rows and distinct uuids per domain table, read-only."""
    from courier.core.warehouse.duckdb import Warehouse
    from courier.core.warehouse.spec import quote

    if not tables:
        return {}
    counts: dict[str, dict[str, int]] = {}
    with Warehouse(catalog.workspace.warehouse_path, read_only=True) as warehouse:
        for table in tables:
            row = warehouse.query(f"SELECT count(*) AS n, count(DISTINCT uuid) AS u FROM {quote(table)}").to_pylist()[0]
            counts[table] = {"rows": int(row["n"]), "distinct_uuid": int(row["u"])}
    return counts
