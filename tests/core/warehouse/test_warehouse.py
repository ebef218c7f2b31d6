"""Domain tables: upsert semantics, one-transaction truncate+load, schema drift, real Optimizely files."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from courier.core.errors import Busy, ConfigError, RunFailed
from courier.core.feeds.model import Feed
from courier.core.feeds.schema import hive_partition, read_sample
from courier.core.warehouse.duckdb import Warehouse
from courier.core.warehouse.spec import LoadProgress, SourceFile

from tests.conftest import OPTIMIZELY_LABS

DECISIONS = sorted((OPTIMIZELY_LABS / "type=decisions").rglob("*.parquet"))
EVENTS = sorted((OPTIMIZELY_LABS / "type=events").rglob("*.parquet"))
T = "Test:Rows"


def rows_file(path: Path, **columns: list[Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns), path)
    return path


def feed_for(sample: Path, primary_key: list[str], last_updated: str | None = None, *, source: str = "Test",
             name: str = "Rows") -> Feed:
    schema = read_sample(sample)
    return Feed(id="df-test01", source=source, name=name, sample=str(sample), columns=schema.columns,
                primary_key=primary_key, tags={}, last_updated=last_updated, generate_updated=last_updated is None,
                stitch=False, active=True, partition_columns=list(schema.partition))


def src(path: Path, order: int = 0, key: str | None = None) -> SourceFile:
    key = key or path.as_posix()
    return SourceFile(path=path, key=key, partition=hive_partition(key), order=order)


def table(wh: Warehouse, sql: str) -> list[tuple[Any, ...]]:
    return wh.con.execute(sql).fetchall()


@pytest.fixture(params=["parquet-fast-path", "staging-path"])
def wh(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """Every load test runs on both upsert paths: they must agree on every rule."""
    with Warehouse(tmp_path / "warehouse.duckdb") as warehouse:
        warehouse.parquet_fast_path = request.param == "parquet-fast-path"
        yield warehouse


# -- real Optimizely files --------------------------------------------------------------------


def test_real_files_load_twice_idempotently(wh: Warehouse) -> None:
    events = feed_for(EVENTS[0], ["uuid"], source="Optimizely", name="Conversions")
    decisions = feed_for(DECISIONS[0], ["uuid"], source="Optimizely", name="Decisions")
    files = [src(p, i) for i, p in enumerate(EVENTS)]
    first = wh.load(events, files, truncate=False, run_id="r1")
    second = wh.load(events, files, truncate=False, run_id="r2")
    wh.load(decisions, [src(DECISIONS[0])], truncate=False, run_id="r1")
    wh.load(decisions, [src(DECISIONS[0])], truncate=False, run_id="r2")
    total = sum(pq.ParquetFile(p).metadata.num_rows for p in EVENTS)
    assert (first.rows_read, first.inserted, first.updated, first.files) == (total, total, 0, 4)
    assert (second.inserted, second.updated) == (0, total)
    for name, expected in (("Optimizely:Conversions", total), ("Optimizely:Decisions", 10000)):
        distinct, count = table(wh, f'SELECT count(DISTINCT uuid), count(*) FROM "{name}"')[0]
        assert distinct == count == expected
    assert table(wh, 'SELECT DISTINCT _run_id FROM "Optimizely:Conversions"') == [("r2",)]


def test_nested_list_struct_and_map_round_trip(wh: Warehouse) -> None:
    feed = feed_for(EVENTS[-1], ["uuid"])
    wh.load(feed, [src(EVENTS[-1])], truncate=False, run_id="r1")
    original = pq.read_table(EVENTS[-1]).to_pylist()
    stored = {r["uuid"]: r for r in wh.con.sql(f'SELECT * FROM "{T}"').to_arrow_table().to_pylist()}
    for row in original[:200]:
        back = stored[row["uuid"]]
        assert back["attributes"] == row["attributes"] and back["experiments"] == row["experiments"]
        assert dict(back["tags"]) == dict(row["tags"]) and back["timestamp"] == row["timestamp"]
    types = wh.columns(T)
    assert types["tags"] == "MAP(VARCHAR, VARCHAR)" and types["attributes"].endswith("[]")
    assert (types["date"], types["event"], types["_updated"]) == ("VARCHAR", "VARCHAR", "BIGINT")
    assert table(wh, f'SELECT DISTINCT date, event FROM "{T}"') == [("2020-09-14", "purchase")]
    assert table(wh, f"SELECT count(*) FROM duckdb_constraints() WHERE table_name = '{T}'") == [(0,)]


# -- upsert rules -----------------------------------------------------------------------------


def test_last_updated_wins_within_a_file_then_the_later_row(wh: Warehouse, tmp_path: Path) -> None:
    path = rows_file(tmp_path / "a.parquet", k=["a", "a", "a", "b", "b"], ts=[1, 3, 2, 7, 7],
                     v=["old", "new", "mid", "first", "second"])
    stats = wh.load(feed_for(path, ["k"], "ts"), [src(path)], truncate=False, run_id="r1")
    assert table(wh, f'SELECT k, v, _updated FROM "{T}" ORDER BY k') == [("a", "new", 3), ("b", "second", 7)]
    assert (stats.inserted, stats.skipped) == (2, 3)


def test_last_updated_across_files_and_loads(wh: Warehouse, tmp_path: Path) -> None:
    f1 = rows_file(tmp_path / "1.parquet", k=["a", "b"], ts=[5, 5], v=["f1", "f1"])
    f2 = rows_file(tmp_path / "2.parquet", k=["a", "b"], ts=[5, 4], v=["f2", "f2"])
    feed = feed_for(f1, ["k"], "ts")
    # f2 is loaded after f1 (order), so it wins the tie on a; f1's newer b survives.
    wh.load(feed, [src(f2, order=1), src(f1, order=0)], truncate=False, run_id="r1")
    assert table(wh, f'SELECT k, v FROM "{T}" ORDER BY k') == [("a", "f2"), ("b", "f1")]
    older = rows_file(tmp_path / "3.parquet", k=["a"], ts=[3], v=["older"])
    stats = wh.load(feed, [src(older)], truncate=False, run_id="r2")
    assert (stats.inserted, stats.updated, stats.skipped) == (0, 0, 1)
    tie = rows_file(tmp_path / "4.parquet", k=["a"], ts=[5], v=["tie"])
    stats = wh.load(feed, [src(tie)], truncate=False, run_id="r3")
    assert stats.updated == 1 and table(wh, f"SELECT v FROM \"{T}\" WHERE k = 'a'") == [("tie",)]


def test_timestamp_last_updated_orders_by_epoch_microseconds(wh: Warehouse, tmp_path: Path) -> None:
    early, late = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 2, tzinfo=UTC)
    path = rows_file(tmp_path / "t.parquet", k=["a", "a"], changed=pa.array([late, early], pa.timestamp("ms", "UTC")),
                     v=["late", "early"])
    wh.load(feed_for(path, ["k"], "changed"), [src(path)], truncate=False, run_id="r1")
    assert table(wh, f'SELECT v, _updated FROM "{T}"') == [("late", int(late.timestamp() * 1_000_000))]


def test_generated_updated_newer_load_file_and_row_win(wh: Warehouse, tmp_path: Path) -> None:
    f1 = rows_file(tmp_path / "z.parquet", k=["a", "a", "b"], v=["row1", "row2", "z"])
    f2 = rows_file(tmp_path / "a.parquet", k=["b"], v=["a-file"])
    feed = feed_for(f1, ["k"])
    wh.load(feed, [src(f1, order=0), src(f2, order=1)], truncate=False, run_id="r1")
    assert table(wh, f'SELECT k, v FROM "{T}" ORDER BY k') == [("a", "row2"), ("b", "a-file")]
    before = table(wh, f"SELECT max(_updated) FROM \"{T}\"")[0][0]
    again = rows_file(tmp_path / "again.parquet", k=["a"], v=["load2"])
    stats = wh.load(feed, [src(again)], truncate=False, run_id="r2")
    assert stats.updated == 1 and table(wh, f"SELECT v FROM \"{T}\" WHERE k = 'a'") == [("load2",)]
    assert table(wh, f"SELECT _updated FROM \"{T}\" WHERE k = 'a'")[0][0] > before


def test_composite_keys_never_collide(wh: Warehouse, tmp_path: Path) -> None:
    path = rows_file(tmp_path / "c.parquet", a=["x\x1f", "x", "x", "x"], b=["y", "\x1fy", "y", "y"],
                     v=["one", "two", "three", "four"])
    stats = wh.load(feed_for(path, ["a", "b"]), [src(path)], truncate=False, run_id="r1")
    assert stats.inserted == 3 and table(wh, f"SELECT v FROM \"{T}\" WHERE a = 'x' AND b = 'y'") == [("four",)]


def test_rows_without_a_key_are_skipped_with_a_warning(wh: Warehouse, tmp_path: Path) -> None:
    path = rows_file(tmp_path / "n.parquet", k=["a", None], v=["kept", "no key"])
    stats = wh.load(feed_for(path, ["k"]), [src(path)], truncate=False, run_id="r1")
    assert wh.row_count(T) == 1 and "1 rows have no primary key value" in stats.warnings[0]


# -- one SQL builder for _pk and _updated: both paths give the same rows or the same error ---------


def test_a_file_without_the_last_updated_column_loads_and_its_rows_lose(wh: Warehouse, tmp_path: Path) -> None:
    day1 = rows_file(tmp_path / "d1.parquet", k=["a", "b"], ts=[5, 5], v=["stored", "stored"])
    feed = feed_for(day1, ["k"], "ts")
    wh.load(feed, [src(day1)], truncate=False, run_id="r1")
    bare = rows_file(tmp_path / "d2.parquet", k=["b", "c", "c"], v=["bare", "bare1", "bare2"])
    stats = wh.load(feed, [src(bare, key="v1/d2.parquet")], truncate=False, run_id="r2")
    assert stats.warnings == ["file v1/d2.parquet has no last-updated column ts; its rows lose to stored rows"]
    assert table(wh, f'SELECT k, v, ts, _updated FROM "{T}" ORDER BY k') == [
        ("a", "stored", 5, 5), ("b", "stored", 5, 5), ("c", "bare2", None, None)]
    assert (stats.inserted, stats.updated, stats.skipped) == (1, 0, 2)


def test_files_with_and_without_the_last_updated_column_in_one_load(wh: Warehouse, tmp_path: Path) -> None:
    dated = rows_file(tmp_path / "1.parquet", k=["a", "b"], ts=[1, 1], v=["dated", "dated"])
    bare = rows_file(tmp_path / "2.parquet", k=["a", "c"], v=["bare", "bare"])
    stats = wh.load(feed_for(dated, ["k"], "ts"), [src(dated, 0), src(bare, 1)], truncate=False, run_id="r1")
    assert table(wh, f'SELECT k, v, _updated FROM "{T}" ORDER BY k') == [
        ("a", "dated", 1), ("b", "dated", 1), ("c", "bare", None)]
    assert (stats.inserted, stats.skipped) == (3, 1) and len(stats.warnings) == 1


def test_a_file_without_a_primary_key_column_fails_with_one_line(wh: Warehouse, tmp_path: Path) -> None:
    day1 = rows_file(tmp_path / "d1.parquet", k=["a"], v=["1"])
    feed = feed_for(day1, ["k"])
    wh.load(feed, [src(day1)], truncate=False, run_id="r1")
    keyless = rows_file(tmp_path / "d2.parquet", v=["2"], extra=[1])
    with pytest.raises(RunFailed) as err:
        wh.load(feed, [src(day1, 0), src(keyless, 1, key="v1/d2.parquet")], truncate=True, run_id="r2")
    assert err.value.message == f"{T}: file v1/d2.parquet: primary key column k is missing"
    assert err.value.hint == "fix the file or the feed's primary key"
    assert table(wh, f'SELECT k, v, _run_id FROM "{T}"') == [("a", "1", "r1")] and "extra" not in wh.columns(T)


@pytest.mark.parametrize("stored, incoming", [
    (pa.array([1, 2], pa.int64()), pa.array([2, 3], pa.int32())),  # a narrower integer
    (pa.array([1.0, 2.0], pa.float64()), pa.array([2, 3], pa.int64())),  # an integer into a DOUBLE key
    (pa.array(["1", "2"], pa.string()), pa.array([2, 3], pa.int64())),  # a number into a text key
], ids=["int32-into-bigint", "bigint-into-double", "bigint-into-varchar"])
def test_a_key_column_of_another_type_is_the_same_key(wh: Warehouse, tmp_path: Path, stored: pa.Array,
                                                      incoming: pa.Array) -> None:
    day1 = rows_file(tmp_path / "d1.parquet", k=stored, v=["old", "old"])
    feed = feed_for(day1, ["k"])
    wh.load(feed, [src(day1)], truncate=False, run_id="r1")
    day2 = rows_file(tmp_path / "d2.parquet", k=incoming, v=["new", "new"])
    stats = wh.load(feed, [src(day2)], truncate=False, run_id="r2")
    assert (stats.inserted, stats.updated) == (1, 1)
    rows = table(wh, f'SELECT k, v, _pk FROM "{T}" ORDER BY k')
    assert [v for _k, v, _pk in rows] == ["old", "new", "new"]
    assert all(pk == str(k) for k, _v, pk in rows)  # _pk is the key as the table stores it


def test_a_key_column_of_an_incompatible_type_fails_with_one_line(wh: Warehouse, tmp_path: Path) -> None:
    day1 = rows_file(tmp_path / "d1.parquet", k=[1, 2], v=["old", "old"])
    feed = feed_for(day1, ["k"])
    wh.load(feed, [src(day1)], truncate=False, run_id="r1")
    text = rows_file(tmp_path / "d2.parquet", k=["x"], v=["new"])
    with pytest.raises(RunFailed) as err:
        wh.load(feed, [src(text, key="v1/d2.parquet")], truncate=False, run_id="r2")
    assert err.value.message == f"{T}: file v1/d2.parquet: column k changed type from BIGINT to VARCHAR"
    assert table(wh, f'SELECT k, v FROM "{T}" ORDER BY k') == [(1, "old"), (2, "old")]


# -- the stored rows a load looks at: its export days, give or take COURIER_KEY_LOOKBACK_DAYS ----------


def _history(wh: Warehouse, tmp_path: Path) -> list[tuple[list[tuple[Any, ...]], tuple[int, int, int]]]:
    """Ten daily loads whose keys repeat within a week (redeliveries, updates, a re-run of an old day,
    undated rows): the table and the stats after each load."""
    def day_file(day: int, keys: list[str], ts: list[int], tag: str, dated: bool = True) -> SourceFile:
        name = f"2026-11-{day:02d}"
        path = rows_file(tmp_path / tag / f"{name}.parquet", k=keys, ts=ts, v=[f"{tag}:{name}"] * len(keys))
        return src(path, key=f"v1/date={name}/{tag}.parquet" if dated else f"v1/undated/{tag}-{name}.parquet")

    first = day_file(1, ["u0"], [1], "undated", dated=False)
    feed = feed_for(first.path, ["k"], "ts")
    loads = [first]
    for day in range(1, 11):
        keys = [f"d{day}-{i}" for i in range(3)] + [f"d{day - 1}-0", f"d{max(day - 3, 1)}-1", "u0"]
        loads.append(day_file(day, keys, [day * 10 + i for i in range(len(keys))], "daily"))
    loads.append(day_file(4, ["d4-0", "d4-2", "d9-1"], [1000, 1, 1000], "rerun"))  # an old day again
    seen = []
    for number, source in enumerate(loads):
        stats = wh.load(feed, [source], truncate=False, run_id=f"r{number}")
        seen.append((table(wh, f'SELECT * FROM "{T}" ORDER BY k'), (stats.inserted, stats.updated, stats.skipped)))
    return seen


def test_the_lookback_bound_gives_the_same_results_as_matching_every_stored_row(
        wh: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bounded = _history(wh, tmp_path / "bounded")
    monkeypatch.setenv("COURIER_KEY_LOOKBACK_DAYS", "all")
    wh.drop(feed_for(rows_file(tmp_path / "s.parquet", k=["x"], ts=[1], v=["x"]), ["k"], "ts"))
    everything = _history(wh, tmp_path / "all")
    assert bounded == everything
    rows = bounded[-1][0]
    assert len(rows) == len({row[0] for row in rows}) == 32  # one row per key: 30 daily keys, d0-0 and u0
    assert table(wh, f"SELECT v FROM \"{T}\" WHERE k IN ('d4-0', 'd9-1') ORDER BY k") == [
        ("rerun:2026-11-04",), ("rerun:2026-11-04",)]


def test_the_lookback_is_what_bounds_the_stored_rows_a_load_matches(
        wh: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COURIER_KEY_LOOKBACK_DAYS", "1")
    day1 = rows_file(tmp_path / "1.parquet", k=["a", "b"], ts=[1, 1], v=["day1", "day1"])
    feed = feed_for(day1, ["k"], "ts")
    wh.load(feed, [src(day1, key="v1/date=2026-11-01/1.parquet")], truncate=False, run_id="r1")
    near = rows_file(tmp_path / "2.parquet", k=["a"], ts=[2], v=["day2"])
    assert wh.load(feed, [src(near, key="v1/date=2026-11-02/2.parquet")], truncate=False, run_id="r2").updated == 1
    far = rows_file(tmp_path / "5.parquet", k=["b"], ts=[2], v=["day5"])  # 4 days on: beyond a 1-day lookback
    assert wh.load(feed, [src(far, key="v1/date=2026-11-05/5.parquet")], truncate=False, run_id="r3").inserted == 1
    assert table(wh, f'SELECT k, v FROM "{T}" ORDER BY k, v') == [("a", "day2"), ("b", "day1"), ("b", "day5")]


@pytest.mark.parametrize("value", ["-1", "seven", "3661", "7.5"])
def test_a_bad_lookback_setting_is_one_line(wh: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            value: str) -> None:
    day1 = rows_file(tmp_path / "1.parquet", k=["a"], ts=[1], v=["day1"])
    feed = feed_for(day1, ["k"], "ts")
    wh.load(feed, [src(day1, key="v1/date=2026-11-01/1.parquet")], truncate=False, run_id="r1")
    monkeypatch.setenv("COURIER_KEY_LOOKBACK_DAYS", value)
    with pytest.raises(ConfigError) as err:
        wh.load(feed, [src(day1, key="v1/date=2026-11-01/1.parquet")], truncate=False, run_id="r2")
    assert err.value.message.startswith(f"COURIER_KEY_LOOKBACK_DAYS={value!r} is not a number of days")
    assert table(wh, f'SELECT k, v, _run_id FROM "{T}"') == [("a", "day1", "r1")]


# -- nothing is lost --------------------------------------------------------------------------


def corrupt_copy(source: Path, target: Path) -> Path:
    """Valid footer, garbage in the first column chunk: fails only while streaming."""
    data = bytearray(source.read_bytes())
    for i in range(len(data) // 4, len(data) // 4 + 2000):
        data[i] = (data[i] * 7 + 13) % 256
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(bytes(data))
    return target


def test_truncate_and_a_failing_later_file_roll_back_together(wh: Warehouse, tmp_path: Path) -> None:
    feed = feed_for(DECISIONS[0], ["uuid"])
    wh.load(feed, [src(DECISIONS[0])], truncate=False, run_id="r1")
    fresh = rows_file(tmp_path / "fresh.parquet", **pq.read_table(DECISIONS[0]).slice(0, 10).to_pydict())
    bad = corrupt_copy(DECISIONS[0], tmp_path / "date=2020-09-15" / "bad.parquet")
    with pytest.raises(RunFailed) as err:
        wh.load(feed, [src(fresh, 0), src(bad, 1, key="v1/date=2020-09-15/bad.parquet")], truncate=True, run_id="r2")
    assert "v1/date=2020-09-15/bad.parquet" in err.value.message and T in err.value.message
    assert wh.row_count(T) == 10000 and table(wh, f'SELECT DISTINCT _run_id FROM "{T}"') == [("r1",)]


def test_a_failure_reported_after_the_truncate_keeps_the_old_rows(wh: Warehouse, tmp_path: Path) -> None:
    path = rows_file(tmp_path / "a.parquet", k=["a", "b"], v=["1", "2"])
    feed = feed_for(path, ["k"])
    wh.load(feed, [src(path)], truncate=False, run_id="r1")
    seen: list[LoadProgress] = []

    def stop(progress: LoadProgress) -> None:
        seen.append(progress)
        if progress.file_done:
            raise KeyboardInterrupt  # e.g. Ctrl-C after the first file was merged

    with pytest.raises(KeyboardInterrupt):
        wh.load(feed, [src(rows_file(tmp_path / "b.parquet", k=["c"], v=["3"]))], truncate=True, run_id="r2",
                on_progress=stop)
    assert seen[0].rows == 1 and table(wh, f'SELECT k FROM "{T}" ORDER BY k') == [("a",), ("b",)]
    stats = wh.load(feed, [src(tmp_path / "b.parquet")], truncate=True, run_id="r3")
    assert stats.inserted == 1 and table(wh, f'SELECT k FROM "{T}"') == [("c",)]


def test_a_transaction_commits_every_load_or_none(wh: Warehouse, tmp_path: Path) -> None:
    one = rows_file(tmp_path / "one.parquet", k=["a"], v=[1])
    other = feed_for(one, ["k"], source="Test", name="Other")
    feed = feed_for(one, ["k"])
    with wh.transaction():
        wh.load(feed, [src(one)], truncate=False, run_id="r1")
        wh.load(other, [src(one)], truncate=False, run_id="r1")
    assert wh.tables() == [("Test:Other", 1), (T, 1)]
    two = rows_file(tmp_path / "two.parquet", k=["b"], v=[2])
    clash = rows_file(tmp_path / "clash.parquet", k=["c"], v=["x"])  # v changed type: this load fails
    with pytest.raises(RunFailed) as err:
        with wh.transaction():
            wh.load(feed, [src(two)], truncate=True, run_id="r2")
            with pytest.raises(RunFailed, match="column v changed type"):
                wh.load(other, [src(clash)], truncate=False, run_id="r2")
            wh.load(other, [src(two)], truncate=False, run_id="r2")  # refused: the transaction is gone
    assert err.value.message == "a load of this run failed, so the warehouse rolled back all of its loads"
    assert table(wh, f'SELECT k, _run_id FROM "{T}"') == [("a", "r1")]
    assert table(wh, 'SELECT k, _run_id FROM "Test:Other"') == [("a", "r1")]
    with wh.transaction():  # the warehouse is usable again
        wh.load(feed, [src(two)], truncate=False, run_id="r3")
    assert wh.row_count(T) == 2


def test_truncate_empties_but_keeps_the_table(wh: Warehouse, tmp_path: Path) -> None:
    path = rows_file(tmp_path / "a.parquet", k=["a"], v=["1"])
    feed = feed_for(path, ["k"])
    wh.load(feed, [src(path)], truncate=False, run_id="r1")
    wh.truncate(feed)
    assert wh.tables() == [(T, 0)]
    wh.drop(feed)
    assert wh.tables() == []


# -- schema drift -----------------------------------------------------------------------------


def test_added_and_missing_columns(wh: Warehouse, tmp_path: Path) -> None:
    day1 = rows_file(tmp_path / "d1.parquet", k=["a"], v=["1"], gone=[1])
    day2 = rows_file(tmp_path / "d2.parquet", k=["b"], v=["2"], extra=[2.5])
    feed = feed_for(day1, ["k"])
    wh.load(feed, [src(day1)], truncate=False, run_id="r1")
    stats = wh.load(feed, [src(day2, key="v1/date=2020-09-15/d2.parquet")], truncate=False, run_id="r2")
    assert "file v1/date=2020-09-15/d2.parquet adds column extra (DOUBLE)" in stats.warnings
    assert any("adds partition column date" in w for w in stats.warnings)
    assert table(wh, f'SELECT k, gone, extra, date FROM "{T}" ORDER BY k') == [("a", 1, None, None),
                                                                             ("b", None, 2.5, "2020-09-15")]


def test_incompatible_type_fails_and_leaves_the_table_as_it_was(wh: Warehouse, tmp_path: Path) -> None:
    day1 = rows_file(tmp_path / "d1.parquet", k=["a"], n=[1])
    feed = feed_for(day1, ["k"])
    wh.load(feed, [src(day1)], truncate=False, run_id="r1")
    before = wh.columns(T)
    adds = rows_file(tmp_path / "d2.parquet", k=["b"], n=[2], extra=["x"])
    clash = rows_file(tmp_path / "d3.parquet", k=["c"], n=["not a number"])
    with pytest.raises(RunFailed) as err:
        wh.load(feed, [src(adds, 0), src(clash, 1)], truncate=True, run_id="r2")
    message = err.value.message
    assert "d3.parquet" in message and "column n changed type from BIGINT to VARCHAR" in message
    assert wh.columns(T) == before and table(wh, f'SELECT k, n FROM "{T}"') == [("a", 1)]


def test_widening_types_are_compatible(wh: Warehouse, tmp_path: Path) -> None:
    day1 = rows_file(tmp_path / "d1.parquet", k=["a"], n=pa.array([1], pa.int64()))
    day2 = rows_file(tmp_path / "d2.parquet", k=["b"], n=pa.array([2], pa.int32()))
    feed = feed_for(day1, ["k"])
    stats = wh.load(feed, [src(day1, 0), src(day2, 1)], truncate=False, run_id="r1")
    assert stats.warnings == [] and wh.row_count(T) == 2


def test_csv_with_a_bad_value_deep_in_the_file_fails_naming_it(wh: Warehouse, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text("k,n\na,1\n")
    feed = feed_for(good, ["k"])
    wh.load(feed, [src(good)], truncate=False, run_id="r1")
    bad = tmp_path / "bad.csv"
    bad.write_text("k,n\n" + "".join(f"k{i},{i}\n" for i in range(20000)) + "z,oops\n")
    with pytest.raises(RunFailed, match="bad.csv"):
        wh.load(feed, [src(bad)], truncate=True, run_id="r2", batch_rows=1000)
    assert table(wh, f'SELECT k FROM "{T}"') == [("a",)]


# -- readers and writers ----------------------------------------------------------------------


def test_query_is_read_only_and_reports_sql_errors(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    sample = rows_file(tmp_path / "a.parquet", k=["a"], v=["1"])
    with Warehouse(path) as writer:
        writer.load(feed_for(sample, ["k"]), [src(sample)], truncate=False, run_id="r1")
        with pytest.raises(ConfigError, match="read-only"):
            writer.query(f'SELECT * FROM "{T}"')
    with Warehouse(path, read_only=True) as reader:
        assert reader.query(f'SELECT k, v FROM "{T}"').to_pylist() == [{"k": "a", "v": "1"}]
        with pytest.raises(ConfigError, match="query failed"):
            reader.query("SELEC 1")
        with pytest.raises(ConfigError):
            reader.ensure_table(feed_for(sample, ["k"]))


def test_reader_is_told_when_a_load_is_writing(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    Warehouse(path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); "
                               "sys.stdin.read()", str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(Busy) as err:
            Warehouse(path, read_only=True)
        assert "a load is writing to the warehouse" in err.value.message and err.value.hint
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
    with Warehouse(path, read_only=True) as reader:
        assert reader.tables() == []
