"""core/source/footer.py reads the row count pyarrow reads, from real Optimizely files and from files
pyarrow writes; a footer it cannot read is a FooterError (then landing asks pyarrow), never a wrong count."""

from __future__ import annotations

import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from courier.core.source.landing import _parquet_rows
from courier.core.source.parquet_footer import FooterError, footer_bytes, parquet_num_rows
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import OPTIMIZELY_LABS

REAL_FILES = sorted(OPTIMIZELY_LABS.rglob("*.parquet"))


def test_the_real_export_files_are_there() -> None:
    assert len(REAL_FILES) == 5


@pytest.mark.parametrize("path", REAL_FILES, ids=lambda p: p.parent.name)
def test_real_optimizely_files_give_pyarrows_row_count(path: Path) -> None:
    assert parquet_num_rows(path) == pq.read_metadata(path).num_rows > 0


@settings(max_examples=25, deadline=None)
@given(rows=st.integers(0, 3000), group=st.integers(1, 700), dictionary=st.booleans(),
       stats=st.booleans(), compression=st.sampled_from(["snappy", "zstd", "none"]))
def test_files_pyarrow_writes_give_its_row_count(tmp_path_factory: pytest.TempPathFactory, rows: int, group: int,
                                                 dictionary: bool, stats: bool, compression: str) -> None:
    table = pa.table({
        "uuid": [f"u{i}" for i in range(rows)],
        "n": pa.array(range(rows), pa.int64()),
        "flag": [i % 3 == 0 for i in range(rows)],
        "tags": pa.array([{"k": str(i)} for i in range(rows)], pa.map_(pa.string(), pa.string())),
        "attributes": pa.array([[{"id": "1", "value": None}] * (i % 3) for i in range(rows)],
                               pa.list_(pa.struct([("id", pa.string()), ("value", pa.string())]))),
    })
    path = tmp_path_factory.mktemp("pq") / "f.parquet"
    pq.write_table(table, path, row_group_size=group, use_dictionary=dictionary, write_statistics=stats,
                   compression=compression)
    pq_file = pq.ParquetFile(path)
    assert parquet_num_rows(path) == pq_file.metadata.num_rows == rows
    pq_file.close()


def test_key_value_metadata_and_many_columns_are_skipped_over(tmp_path: Path) -> None:
    table = pa.table({f"c{i}": [i] * 5 for i in range(200)})
    table = table.replace_schema_metadata({"org.apache.spark.sql.parquet.row.metadata": "x" * 5000})
    path = tmp_path / "wide.parquet"
    pq.write_table(table, path)
    assert parquet_num_rows(path) == 5


@pytest.mark.parametrize("content", [b"", b"PAR1", b"not a parquet file at all", b"PAR1" + b"\0" * 20 + b"PAR1",
                                     b"PAR1" + b"x" * 20 + (10**6).to_bytes(4, "little") + b"PAR1",
                                     b"PAR1" + b"x" * 20 + (4).to_bytes(4, "little") + b"PARE"])
def test_what_is_not_a_readable_footer_is_a_footer_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.parquet"
    path.write_bytes(content)
    with pytest.raises(FooterError):
        parquet_num_rows(path)


def test_damaged_footers_raise_footer_error_or_give_a_count_never_another_error(tmp_path: Path) -> None:
    """Random damage inside a real footer: the reader stops with FooterError (or still finds num_rows)."""
    good = REAL_FILES[0].read_bytes()
    length = len(footer_bytes(REAL_FILES[0]))
    start = len(good) - 8 - length
    rng = random.Random(13)
    path = tmp_path / "damaged.parquet"
    outcomes = set()
    for _ in range(300):
        data = bytearray(good)
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(start, len(good) - 8)] = rng.randrange(256)
        path.write_bytes(bytes(data))
        try:
            assert parquet_num_rows(path) >= 0
            outcomes.add("count")
        except FooterError:
            outcomes.add("footer error")
    assert "footer error" in outcomes


def test_landing_counts_rows_from_the_footer_and_none_for_a_broken_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"PAR1 this is not parquet")
    assert _parquet_rows(path) is None
    assert _parquet_rows(REAL_FILES[0]) == pq.read_metadata(REAL_FILES[0]).num_rows
    assert _parquet_rows(tmp_path / "data.csv") is None
