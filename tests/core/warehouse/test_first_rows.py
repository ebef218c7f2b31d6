"""The data explorer's sample of a domain table: its first rows, read like any ad-hoc query."""

from __future__ import annotations

from pathlib import Path

import pytest
from courier.core.errors import ConfigError, NotFound
from courier.core.warehouse.duckdb import Warehouse

from tests.core.warehouse.test_warehouse import T, feed_for, rows_file, src


def test_first_rows_of_a_domain_table_read_only(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    sample = rows_file(tmp_path / "a.parquet", k=[f"k{i}" for i in range(5)], v=[str(i) for i in range(5)])
    with Warehouse(path) as writer:
        writer.load(feed_for(sample, ["k"]), [src(sample)], truncate=False, run_id="r1")
        with pytest.raises(ConfigError, match="read-only"):
            writer.first_rows(T, 3)
    with Warehouse(path, read_only=True) as reader:
        first = reader.first_rows(T, 3)  # the name holds a colon: quoted by the engine
        assert first.num_rows == 3 and {"k", "v"} <= set(first.column_names)
        assert reader.first_rows(T, 100).num_rows == 5
        with pytest.raises(NotFound, match="Test:Nothing does not exist"):
            reader.first_rows("Test:Nothing", 3)
