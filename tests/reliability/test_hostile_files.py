"""Issue 11: hostile files and a hostile disk meet the load side (items: disk full, reader columns,
schema drift, out of memory).

- A full disk is an operator problem: one line naming the path ("no space left on the workspace's
  disk: ..."), the run ends failed at once with its record written, and nothing calls it corruption.
  Tested on a real small filesystem (a tmpfs mounted for the test), never a mock.
- A file may carry columns named like DuckDB's own reader columns (`filename`, `file_row_number`):
  they load, on both upsert paths, and every load error names the file.
- A file never reshapes a table beyond what `feeds add` accepts (empty names, the same name twice
  or differing only by case, courier's own names) nor beyond the new-column limits.
- DuckDB running out of memory names the file and says to raise COURIER_MEMORY_LIMIT.
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from courier.core.devtools.s3server import LocalS3
from courier.core.devtools.synth import ExportSpec
from courier.core.errors import ConfigError, DiskFull, RunFailed
from courier.core.feeds.model import Feed
from courier.core.feeds.schema import hive_partition, read_sample
from courier.core.runs.events import Event, read_events
from courier.core.runs.records import get_run, list_runs
from courier.core.warehouse.duckdb import SourceFile, Warehouse

from tests.reliability.bad_inputs import COURIER_BIN
from tests.reliability.conftest import (
    ACCOUNT,
    DECISIONS,
    ReliabilityEnv,
    build_env,
    table_checksum,
)

T = "Test:Rows"
NO_SPACE = "no space left on the workspace's disk: "
NEVER = ("corrupt", "backup", "this is a bug", "unexpected", "Traceback")


# -- helpers ---------------------------------------------------------------------------------------


def parquet(path: Path, table: pa.Table, **options: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, **options)
    return path


def named(names: list[str], *columns: list[Any]) -> pa.Table:
    """A table whose column names are exactly `names` (duplicates and empty names included)."""
    return pa.Table.from_arrays([pa.array(c) for c in columns], names=names)


def feed_for(sample: Path, primary_key: list[str], last_updated: str | None = None) -> Feed:
    schema = read_sample(sample)
    return Feed(id="df-test01", source="Test", name="Rows", sample=str(sample), columns=schema.columns,
                primary_key=primary_key, tags={}, last_updated=last_updated, generate_updated=last_updated is None,
                stitch=False, active=True, partition_columns=list(schema.partition))


def src(path: Path, order: int, key: str) -> SourceFile:
    return SourceFile(path=path, key=key, partition=hive_partition(key), order=order)


def rows(wh: Warehouse, sql: str) -> list[tuple[Any, ...]]:
    return wh.con.execute(sql).fetchall()


@pytest.fixture(params=["parquet-fast-path", "staging-path"])
def wh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Warehouse]:
    """Both upsert paths must follow every rule here."""
    with Warehouse(tmp_path / "warehouse.duckdb") as warehouse:
        warehouse.parquet_fast_path = request.param == "parquet-fast-path"
        yield warehouse


@pytest.fixture
def base(tmp_path: Path) -> Path:
    """The sample every drift test's feed is defined from: uuid (the key) and a value."""
    return parquet(tmp_path / "base.parquet", pa.table({"uuid": ["a", "b"], "v": [1, 2]}))


# -- columns named like the reader's own ----------------------------------------------------------


def test_columns_named_filename_and_file_row_number_load_on_both_paths(wh: Warehouse, tmp_path: Path) -> None:
    # the file's own `file_row_number` runs backwards: if the reader's row number were confused with
    # it, the wrong duplicate would win ("then the later row wins")
    first = parquet(tmp_path / "one.parquet", pa.table({
        "uuid": ["a", "b", "a"], "filename": ["f1", "f2", "f3"], "file_row_number": [30, 20, 10]}))
    second = parquet(tmp_path / "two.parquet", pa.table({
        "uuid": ["c"], "filename": ["g1"], "file_row_number": [99]}))
    feed = feed_for(first, ["uuid"])
    stats = wh.load(feed, [src(first, 0, "k/one.parquet"), src(second, 1, "k/two.parquet")], truncate=False,
                    run_id="r1")
    assert (stats.rows_read, stats.inserted) == (4, 3)
    assert rows(wh, f'SELECT uuid, filename, file_row_number, _source_file FROM "{T}" ORDER BY uuid') == [
        ("a", "f3", 10, "k/one.parquet"), ("b", "f2", 20, "k/one.parquet"), ("c", "g1", 99, "k/two.parquet")]


def test_a_hostile_bucket_file_with_reader_column_names_loads_in_a_real_run(reliability_env: ReliabilityEnv,
                                                                            tmp_path: Path) -> None:
    env = reliability_env
    victim = env.data_keys("decisions")[0]
    table = pq.read_table(pa.BufferReader(env.get(victim)))
    hostile = table.append_column("filename", pa.array(["x"] * table.num_rows)) \
                   .append_column("file_row_number", pa.array(range(table.num_rows), pa.int64()))
    key = victim.rsplit("/", 1)[0] + "/part-00099-hostile.c000.snappy.parquet"
    sink = pa.BufferOutputStream()
    pq.write_table(hostile.set_column(hostile.schema.get_field_index("uuid"), "uuid",
                                      pa.array([f"hostile-{i}" for i in range(table.num_rows)])), sink)
    env.put(key, sink.getvalue().to_pybytes())
    result = env.run()
    assert result.status == "succeeded", result.error
    assert any("adds column file_row_number" in w for w in result.warnings)
    with Warehouse(env.workspace.warehouse_path, read_only=True) as wh:
        loaded = wh.query(f'SELECT count(*) AS n, min(filename) AS f FROM "{DECISIONS}" WHERE _source_file = \'{key}\'')
    assert loaded.to_pylist() == [{"n": table.num_rows, "f": "x"}]


def test_an_empty_column_name_fails_naming_the_file_and_the_column_position(wh: Warehouse, base: Path,
                                                                          tmp_path: Path) -> None:
    feed = feed_for(base, ["uuid"])
    wh.load(feed, [src(base, 0, "k/base.parquet")], truncate=False, run_id="r1")
    before = wh.columns(T)
    bad = parquet(tmp_path / "bad.parquet", named(["uuid", "v", ""], ["c"], [3], ["?"]))
    with pytest.raises(RunFailed) as err:
        wh.load(feed, [src(base, 0, "k/base.parquet"), src(bad, 1, "k/bad.parquet")], truncate=True, run_id="r2")
    assert "file k/bad.parquet" in err.value.message and "column 3 has an empty name" in err.value.message
    assert "one of" not in err.value.message
    assert wh.columns(T) == before and rows(wh, f'SELECT uuid FROM "{T}" ORDER BY uuid') == [("a",), ("b",)]


# -- schema drift within what `feeds add` accepts, and within limits -----------------------------


@pytest.mark.parametrize(("names", "expected"), [
    (["uuid", "v", "UUID"], 'columns 1 and 3 are both named "uuid"'),
    (["uuid", "v", "visitor_id", "visitor_id"], 'columns 3 and 4 are both named "visitor_id"'),
    (["uuid", "v", "__courier_path"], 'column "__courier_path" clashes with a column courier adds'),
], ids=["case-duplicate", "duplicate", "courier-name"])
def test_drift_refuses_names_feeds_add_refuses(wh: Warehouse, base: Path, tmp_path: Path, names: list[str],
                                               expected: str) -> None:
    feed = feed_for(base, ["uuid"])
    wh.load(feed, [src(base, 0, "k/base.parquet")], truncate=False, run_id="r1")
    before = wh.columns(T)
    bad = parquet(tmp_path / "bad.parquet", named(names, *[["c"] if n.lower() != "v" else [3] for n in names]))
    with pytest.raises(RunFailed) as err:
        wh.load(feed, [src(bad, 0, "k/bad.parquet")], truncate=False, run_id="r2")
    assert "file k/bad.parquet" in err.value.message and expected in err.value.message, err.value.message
    assert wh.columns(T) == before and wh.row_count(T) == 2
    if not names[-1].startswith("__courier"):  # one rule: `feeds add` refuses the same file
        with pytest.raises(ConfigError, match="both named"):
            read_sample(bad)


def test_drift_adds_columns_only_within_the_limit(wh: Warehouse, base: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    feed = feed_for(base, ["uuid"])
    wh.load(feed, [src(base, 0, "k/base.parquet")], truncate=False, run_id="r1")
    before = wh.columns(T)
    wide = parquet(tmp_path / "wide.parquet", pa.table({"uuid": ["c"], "v": [3],
                                                        **{f"x{i:04d}": [i] for i in range(1500)}}))
    with pytest.raises(RunFailed) as err:  # the default limit is finite
        wh.load(feed, [src(wide, 0, "k/wide.parquet")], truncate=False, run_id="r2")
    assert "file k/wide.parquet" in err.value.message and "COURIER_MAX_NEW_COLUMNS" in err.value.message
    assert wh.columns(T) == before and wh.row_count(T) == 2
    monkeypatch.setenv("COURIER_MAX_NEW_COLUMNS", "3")
    four = parquet(tmp_path / "four.parquet", pa.table({"uuid": ["d"], "v": [4], "n1": [1], "n2": [2]}))
    five = parquet(tmp_path / "five.parquet", pa.table({"uuid": ["e"], "v": [5], "n3": [3], "n4": [4]}))
    with pytest.raises(RunFailed) as err:  # the limit counts the columns the whole load adds
        wh.load(feed, [src(four, 0, "k/four.parquet"), src(five, 1, "k/five.parquet")], truncate=False, run_id="r3")
    assert "file k/five.parquet" in err.value.message and "column n4" in err.value.message
    assert wh.columns(T) == before
    stats = wh.load(feed, [src(four, 0, "k/four.parquet")], truncate=False, run_id="r4")
    assert [w for w in stats.warnings if "adds column" in w] == ["file k/four.parquet adds column n1 (BIGINT)",
                                                                 "file k/four.parquet adds column n2 (BIGINT)"]
    assert list(wh.columns(T))[-2:] == ["n1", "n2"]
    monkeypatch.setenv("COURIER_MAX_COLUMNS", "4")  # uuid, v, n1, n2: the table is full
    with pytest.raises(RunFailed, match="file k/five.parquet: column n3 would take the table past COURIER_MAX_COLUMNS=4"):
        wh.load(feed, [src(five, 0, "k/five.parquet")], truncate=False, run_id="r5")
    monkeypatch.setenv("COURIER_MAX_NEW_COLUMNS", "many")
    with pytest.raises(ConfigError, match="COURIER_MAX_NEW_COLUMNS='many' is not a whole number"):
        wh.load(feed, [src(five, 0, "k/five.parquet")], truncate=False, run_id="r6")
    assert list(wh.columns(T))[-2:] == ["n1", "n2"] and wh.row_count(T) == 3


# -- out of memory ---------------------------------------------------------------------------------


def test_out_of_memory_names_the_file_and_says_to_raise_the_memory_limit(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    small = parquet(tmp_path / "small.parquet", pa.table({"uuid": ["s1", "s2"], "payload": ["x", "y"]}))
    n = 20_000  # one row group whose payload chunk (~20 MB) cannot fit in 4 MB
    big = parquet(tmp_path / "big.parquet", pa.table({"uuid": [f"b{i}" for i in range(n)],
                                                      "payload": [os.urandom(500).hex() for _ in range(n)]}),
                  row_group_size=n, compression="none")
    feed = feed_for(small, ["uuid"])
    monkeypatch.setenv("COURIER_MEMORY_LIMIT", "4MB")
    for fast in (True, False):
        with Warehouse(tmp_path / f"w-{fast}.duckdb") as wh:
            wh.parquet_fast_path = fast
            wh.load(feed, [src(small, 0, "k/small.parquet")], truncate=False, run_id="r1")
            with pytest.raises(RunFailed) as err:
                wh.load(feed, [src(small, 0, "k/small.parquet"), src(big, 1, "k/big.parquet")], truncate=True,
                        run_id="r2")
            text = err.value.one_line()
            assert "file k/big.parquet" in text and "COURIER_MEMORY_LIMIT" in text and "4MB" in text, text
            assert "one of" not in text and "corrupt" not in text
            assert wh.row_count(T) == 2


# -- a full disk -----------------------------------------------------------------------------------


@dataclass
class SmallDisk:
    """A real tmpfs of a few MB; `fill` takes its free space, `release` gives it back."""

    root: Path

    @property
    def filler(self) -> Path:
        return self.root / "filler"

    def free(self) -> int:
        st = os.statvfs(self.root)
        return st.f_bavail * st.f_frsize

    def fill(self, leave: int = 0) -> None:
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        chunk = b"\0" * (1 << 20)
        try:
            while self.free() > leave:
                os.write(fd, chunk[: max(4096, min(len(chunk), self.free() - leave))])
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc
        finally:
            os.close(fd)

    def release(self) -> None:
        self.filler.unlink(missing_ok=True)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[SmallDisk]:
    root = tmp_path / "disk"
    root.mkdir()
    if os.geteuid() != 0:
        pytest.skip("a real full disk needs a small tmpfs, and mounting one needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m,mode=0700", "tmpfs", str(root)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip() or mounted.returncode}")
    try:
        yield SmallDisk(root)
    finally:
        subprocess.run(["umount", "-l", str(root)], capture_output=True)


def fill_at_decisions_load(disk: SmallDisk, leave: int, *, reserve: Path | None = None) -> Any:
    """A run sink that takes the disk's space when the Decisions load starts (landing is done);
    with `reserve`, courier's own space reserve goes too (a disk so full nothing is left)."""
    def sink(event: Event) -> None:
        if event.type == "feed_load_started" and event.data.get("table") == DECISIONS and not disk.filler.exists():
            if reserve is not None:
                reserve.unlink()
            disk.fill(leave)
    return sink


BIG_SPEC = ExportSpec(account_id=ACCOUNT, start=date(2026, 11, 1), days=3, decisions_per_day=30_000,
                      conversions_per_day=100, seed=23)


def test_disk_full_during_a_load_fails_the_run_at_once_with_one_clear_line(s3: LocalS3, small_disk: SmallDisk) -> None:
    env = build_env(s3, small_disk.root, BIG_SPEC)
    try:
        first = env.run()
        assert first.status == "succeeded", first.error
        before = {t: table_checksum(env.workspace, t) for t in (DECISIONS,)}
        # 1 MB stays free: room for the run's record, not for reloading 60,000 decisions
        result = env.run(sink=fill_at_decisions_load(small_disk, 1 << 20))
        assert result.status == "failed"
        error = result.error or ""
        assert error.startswith(NO_SPACE) and str(env.workspace.root) in error, error
        assert "free space" in error and not any(word in error for word in NEVER), error
        record = get_run(env.catalog, result.id)
        assert (record.status, record.error) == ("failed", error) and record.ended_at is not None
        assert read_events(env.catalog, result.id)[-1].type == "run_finished"
        small_disk.release()
        assert {t: table_checksum(env.workspace, t) for t in (DECISIONS,)} == before
        again = env.run()
        assert again.status == "succeeded", again.error
    finally:
        env.catalog.close()


def test_a_run_whose_record_cannot_be_written_says_so_without_calling_it_corruption(
        s3: LocalS3, small_disk: SmallDisk) -> None:
    env = build_env(s3, small_disk.root)
    try:
        with pytest.raises(DiskFull) as err:
            env.run(sink=fill_at_decisions_load(small_disk, 0, reserve=env.workspace.reserve_path))
        text = err.value.one_line()
        assert text.startswith(NO_SPACE) and "could not be saved" in text, text
        assert not any(word in text for word in NEVER), text
        small_disk.release()
        assert [r.status for r in list_runs(env.catalog)] == ["failed"]
    finally:
        env.catalog.close()


def test_a_completely_full_disk_is_never_called_corruption(s3: LocalS3, small_disk: SmallDisk) -> None:
    env = build_env(s3, small_disk.root)
    env.catalog.close()
    small_disk.fill(0)
    workspace = str(env.workspace.root)
    for args in (["runs"], ["feeds", "list"], ["run", "optimizely", "--day", "2026-11-01"]):
        done = subprocess.run([str(COURIER_BIN), "--workspace", workspace, *args], capture_output=True, text=True,
                              env=os.environ, timeout=120)
        lines = done.stderr.splitlines()
        assert done.returncode == 1, (args, done.stderr)
        assert lines and lines[0].startswith(f"error: {NO_SPACE}{workspace}"), (args, done.stderr)
        assert len(lines) == 2 and lines[1].startswith("hint: ") and "free space" in lines[1], (args, done.stderr)
        assert not any(word in done.stderr for word in NEVER), (args, done.stderr)
    small_disk.release()
    done = subprocess.run([str(COURIER_BIN), "--workspace", workspace, "runs"], capture_output=True, text=True,
                          env=os.environ, timeout=120)
    assert done.returncode == 0, done.stderr
