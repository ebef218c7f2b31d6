"""courier's side of the measurements: listing cost, landing, end-to-end runs and the 2x day.

Every run is the real `courier run` CLI in its own process, timed with its start-up and its peak
RSS (GNU time); the run's own events split it into landing and load. Judging the numbers is
benchmarks/report.py's job.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from courier.core.devtools.s3server import LocalS3

from benchmarks.jobs import table_counts
from benchmarks.peers import timed
from benchmarks.s3_requests import recorded
from benchmarks.scales import START, Scale
from benchmarks.seed import LocalExport, generated, upload
from benchmarks.workspaces import BenchWorkspace, prepare

MB = 1024 * 1024
EXPORT_BUCKET = "bench-export"
COURIER = str(Path(sys.executable).parent / "courier")


@dataclass
class Bench:
    server: LocalS3
    work: Path
    cache: Path
    scale: Scale
    say: Callable[[str], None]

    def client(self) -> Any:
        from botocore.config import Config

        return self.server.client("s3", config=Config(max_pool_connections=16, retries={"max_attempts": 3}))


@dataclass(frozen=True)
class Exports:
    """What the export bucket holds: the measured day, the 2x day after it, small days before."""

    day: LocalExport
    double: LocalExport
    history: LocalExport


def _summary(export: LocalExport) -> dict[str, Any]:
    return {"objects": len(export.keys), "files": len(export.files()), "mb": round(export.bytes / MB, 1),
            "rows": export.rows, "distinct_uuid": export.distinct_uuids}


# -- listing cost -------------------------------------------------------------------------------


def listing_cost(bench: Bench) -> dict[str, Any]:
    """One-day run in a 1-day bucket vs a 365-day bucket: the requests, counted by the server."""
    from courier.core.catalog.catalog import Catalog
    from courier.core.catalog.workspace import open_workspace
    from courier.core.runs.records import start_run
    from courier.core.runs.request import RunRequest

    target = generated(bench.scale.listing_target_spec(), bench.cache)
    filler = generated(bench.scale.listing_filler_spec(), bench.cache)
    client = bench.client()
    days = bench.scale.listing_days
    bench.say(f"listing: a 1-day bucket ({len(target.keys)} keys) and a {days}-day bucket "
              f"({len(target.keys) + len(filler.keys)} keys)")
    upload(target, client, "bench-1day")
    upload(filler, client, "bench-longday", threads=16)
    upload(target, client, "bench-longday")
    out: dict[str, Any] = {"day": START.isoformat(), "days": days, "buckets": {}}
    for label, bucket, keys in (("1-day", "bench-1day", len(target.keys)),
                                (f"{days}-day", "bench-longday", len(target.keys) + len(filler.keys))):
        ws = prepare(bench.work / f"ws-listing-{label}", endpoint_url=bench.server.endpoint_url, bucket=bucket)
        catalog = Catalog(open_workspace(ws.root))
        try:
            with recorded(bench.server) as requests:
                result = start_run(catalog, RunRequest(ws.courier, "day", day=START))
        finally:
            catalog.close()
        out["buckets"][label] = {"keys": keys, "status": result.status, "error": result.error,
                                 "files_landed": result.stats.files_landed,
                                 "run_requests": requests.to_json()}
    out["short"], out["long"] = out["buckets"]["1-day"], out["buckets"][f"{days}-day"]
    return out


# -- the export ---------------------------------------------------------------------------------


def seed_export(bench: Bench) -> tuple[Exports, dict[str, Any]]:
    scale = bench.scale
    bench.say(f"export: one day of {scale.decisions_per_day:,} decisions + {scale.conversions_per_day:,} "
              f"conversions, a 2x day and {scale.history_days} small days (generated once, cached under {bench.cache})")
    exports = Exports(day=generated(scale.day_spec(), bench.cache), double=generated(scale.double_spec(), bench.cache),
                      history=generated(scale.history_spec(), bench.cache))
    total = sum(e.bytes for e in (exports.day, exports.double, exports.history))
    bench.say(f"export: uploading {total / MB:,.0f} MB")
    for export in (exports.history, exports.day, exports.double):
        upload(export, bench.client(), EXPORT_BUCKET, threads=16)
    return exports, {"day": _summary(exports.day), "double": _summary(exports.double),
                     "history": _summary(exports.history)}


def day_prefixes(day: date) -> dict[str, str]:
    """The day's prefixes under the export, by Optimizely dataset."""
    from courier.core.optimizely import account_prefix

    from benchmarks.scales import ACCOUNT

    return {dataset: f"{account_prefix(ACCOUNT)}/type={dataset}/date={day.isoformat()}" for dataset in
            ("decisions", "events")}


# -- courier runs -------------------------------------------------------------------------------


def workspace(bench: Bench, exports: Exports, name: str, *, load: bool) -> BenchWorkspace:
    """A fresh workspace; `load=False` makes a courier that only lands (load operations `{}`)."""
    samples = {"decisions_sample": exports.day.files("decisions")[0],
               "conversions_sample": exports.day.files("events")[0]} if load else {}
    return prepare(bench.work / name, endpoint_url=bench.server.endpoint_url, bucket=EXPORT_BUCKET, **samples)


def run_argv(ws: BenchWorkspace, day: date) -> list[str]:
    return [COURIER, "--workspace", str(ws.root), "run", ws.courier, "--day", day.isoformat(), "--json"]


def courier_run(bench: Bench, ws: BenchWorkspace, day: date, *, count: bool = False) -> dict[str, Any]:
    """`courier run --day` as a process: wall (with start-up), peak RSS, and the phases from its events."""
    from courier.core.catalog.catalog import Catalog
    from courier.core.catalog.workspace import open_workspace
    from courier.core.runs.events import read_events

    result = timed(run_argv(ws, day), env=dict(os.environ))
    record = json.loads(result.pop("stdout"))
    catalog = Catalog(open_workspace(ws.root))
    try:
        events = read_events(catalog, record["id"])
        starts = [e.at for e in events if e.type == "feed_load_started"]
        ends = [e.at for e in events if e.type == "feed_loaded"]
        first, last = events[0].at, events[-1].at
        stats = record.get("stats") or {}
        feeds = stats.get("feeds", {})
        result.update({
            "status": record["status"], "error": record.get("error"), "run_id": record["id"],
            "land_s": round((min(starts) if starts else last) - first, 3),
            "load_s": round(max(ends) - min(starts), 3) if starts and ends else 0.0,
            "files_landed": stats.get("files_landed", 0), "mb_landed": round(stats.get("bytes", 0) / MB, 1),
            "rows_read": sum(f["rows_read"] for f in feeds.values()),
            "inserted": sum(f["inserted"] for f in feeds.values()),
            "tables": table_counts(catalog, [f["table"] for f in feeds.values()]) if count else {},
        })
    finally:
        catalog.close()
    return result


def landed_files(ws: BenchWorkspace) -> dict[str, list[str]]:
    """The files a run landed, by dataset, from the workspace's ledger."""
    from courier.core.catalog.workspace import open_workspace

    con = sqlite3.connect(open_workspace(ws.root).catalog_path)
    try:
        rows = con.execute("SELECT key, local_path FROM ledger WHERE key LIKE '%.parquet'").fetchall()
    finally:
        con.close()
    out: dict[str, list[str]] = {"decisions": [], "events": []}
    for key, local in rows:
        path = Path(local) if Path(local).is_absolute() else ws.root / local
        out["decisions" if "/type=decisions/" in key else "events"].append(str(path))
    return {k: sorted(v) for k, v in out.items()}


def courier_runs(bench: Bench, exports: Exports) -> dict[str, Any]:
    """The day end to end and the 2x day end to end, each in a cold workspace."""
    out: dict[str, Any] = {}
    bench.say("courier: the day end to end, cold workspace")
    e2e = workspace(bench, exports, "ws-day", load=True)
    out["day"] = courier_run(bench, e2e, START, count=True)
    out["day"]["expected_distinct"] = exports.day.distinct_uuids
    out["day"]["expected_rows"] = exports.day.rows
    bench.say("courier: the 2x day end to end, cold workspace")
    double = workspace(bench, exports, "ws-double", load=True)
    out["double"] = courier_run(bench, double, START + timedelta(days=1), count=True)
    out["double"]["expected_distinct"] = exports.double.distinct_uuids
    out["landed"] = landed_files(e2e)
    return out
