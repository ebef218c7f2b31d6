"""Typed run events: one dataclass per type, the stored JSON shape unchanged, old rows still read."""

from __future__ import annotations

import json

from courier.core.catalog.catalog import Catalog
from courier.core.runs.events import (
    EVENT_CLASSES,
    DayChecked,
    EventLog,
    EventType,
    FeedLoaded,
    FeedLoadStarted,
    FileLanded,
    OtherEvent,
    RunFinished,
    RunStarted,
    RunWarning,
    read_events,
)
from courier.core.runs.stats import FeedStats, RunStats
from courier.core.text import iso_utc
from courier.core.types import RunStatus


def stored(catalog: Catalog, run_id: str) -> list[dict]:
    rows = catalog.all("SELECT seq, type, data FROM run_events WHERE run_id = ? ORDER BY seq", (run_id,))
    return [{"seq": r["seq"], "type": r["type"], **json.loads(r["data"])} for r in rows]


def test_every_event_type_has_one_class() -> None:
    assert set(EVENT_CLASSES) == set(EventType)


def test_emitted_events_are_typed_and_stored_in_the_shape_they_always_had(catalog: Catalog) -> None:
    seen: list[object] = []
    log = EventLog(catalog, "wf-1", [seen.append])
    started = log.emit(RunStarted, courier="optimizely", mode="day", days=["2026-11-03"])
    landed = log.emit(FileLanded, key="v1/a.parquet", size=10, skipped=False)
    finished = log.emit(RunFinished, status=RunStatus.SUCCEEDED, notification="Completed in 1 second", error=None)
    assert seen == [started, landed, finished]
    assert isinstance(started, RunStarted) and started.courier == "optimizely" and started.days == ["2026-11-03"]
    assert isinstance(finished, RunFinished) and finished.status is RunStatus.SUCCEEDED
    assert stored(catalog, "wf-1") == [
        {"seq": 1, "type": "run_started", "courier": "optimizely", "mode": "day", "days": ["2026-11-03"]},
        {"seq": 2, "type": "file_landed", "key": "v1/a.parquet", "size": 10, "skipped": False},
        {"seq": 3, "type": "run_finished", "status": "succeeded", "notification": "Completed in 1 second",
         "error": None},
    ]
    assert read_events(catalog, "wf-1") == [started, landed, finished]
    assert landed.to_json() == {"run_id": "wf-1", "seq": 2, "at": iso_utc(landed.at), "type": "file_landed",
                                "key": "v1/a.parquet", "size": 10, "skipped": False}


def test_old_rows_still_read(catalog: Catalog) -> None:
    rows = [
        (1, "day_checked", {"day": "2026-11-03", "ready": None, "objects": 3}),  # before day_checked had a tag
        (2, "feed_load_started", {"feed_id": "df-1", "table": "T", "files": ["a", "b"]}),  # files as a list
        (3, "feed_loaded", {"feed_id": "df-1", "table": "T", "rows_read": "12", "inserted": 12, "updated": 0,
                            "note": "kept"}),
        (4, "progress", {"percent": 50}),  # a type this version does not know
        (5, "run_finished", {"status": "exploded", "error": "x"}),
    ]
    for seq, kind, data in rows:
        catalog.execute("INSERT INTO run_events (run_id, seq, at, type, data) VALUES (?, ?, ?, ?, ?)",
                        ("wf-old", seq, 1000.0 + seq, kind, json.dumps(data)))
    day, started, loaded, other, finished = read_events(catalog, "wf-old")
    assert isinstance(day, DayChecked) and (day.tag, day.ready, day.objects, day.usable) == (None, None, 3, True)
    assert isinstance(started, FeedLoadStarted) and started.files == 2
    assert isinstance(loaded, FeedLoaded) and loaded.rows_read == 12 and loaded.extra == {"note": "kept"}
    assert loaded.to_json()["note"] == "kept"
    assert isinstance(other, OtherEvent) and other.to_json() == {
        "run_id": "wf-old", "seq": 4, "at": "1970-01-01T00:16:44Z", "type": "progress", "percent": 50}
    assert other.describe() == "progress percent=50"
    assert isinstance(finished, RunFinished) and finished.status is RunStatus.FAILED


def test_describe_is_one_line_with_hostile_text_escaped(catalog: Catalog) -> None:
    log = EventLog(catalog, "wf-2")
    assert log.emit(FileLanded, key="a\x1b[2Jb", size=1, skipped=True).describe() == "already landed a\\x1b[2Jb"
    assert log.emit(RunWarning, message="two\nlines\x1b").describe() == "warning: two\nlines\\x1b"
    assert log.emit(DayChecked, day="2026-11-03", tag="decisions", ready=False, objects=0).describe() == \
        "day 2026-11-03 decisions: NOT ready, 0 object(s)"
    assert log.emit(RunStarted, courier="c", mode="all", days=[]).describe() == "run started: c (all available data)"


def test_run_stats_keep_the_stored_json_shape() -> None:
    stats = RunStats(files_landed=2, files_skipped=1, bytes=30, feeds={"df-1": FeedStats("S:N", 5, 4, 1)})
    assert stats.to_json() == {"files_landed": 2, "files_skipped": 1, "bytes": 30, "days": [], "tables_committed": [],
                               "feeds": {"df-1": {"table": "S:N", "rows_read": 5, "inserted": 4, "updated": 1}}}
    committing = RunStats(tables_committed=["S:N"], tables_committing=["S:M"])
    assert RunStats.from_json(committing.to_json()) == committing
    assert RunStats.from_json(stats.to_json()) == stats
    assert RunStats(files_not_landed=1).to_json()["files_not_landed"] == 1
    assert RunStats.from_json({}) == RunStats() and RunStats.from_json(None).rows_read == 0
