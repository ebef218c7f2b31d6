"""The peers' side, each a process of the peers' venv against the same moto server and the same
day: `aws s3 sync` of the day's prefixes (timed in benchmarks/landing.py), DuckDB by hand over the synced files
(unkeyed CTAS: the floor; keyed INSERT OR REPLACE), and dlt's filesystem source merging on uuid.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks import peers
from benchmarks.scales import START
from benchmarks.scenarios import EXPORT_BUCKET, Bench, day_prefixes


def sync_day(bench: Bench, env: dict[str, str], dest: Path) -> dict[str, Any]:
    """`aws s3 sync` of each of the day's prefixes, one process each, as oevents runs it."""
    walls, rss = 0.0, 0.0
    load: list[float] = []
    for prefix in day_prefixes(START).values():
        r = peers.timed([str(peers.aws()), "s3", "sync", f"s3://{EXPORT_BUCKET}/{prefix}/", str(dest / prefix),
                         "--only-show-errors", "--endpoint-url", bench.server.endpoint_url], env=env)
        walls += r["wall_s"]
        rss = max(rss, r["peak_rss_mb"] or 0.0)
        load = load or r["load_avg"]
    files = sorted(dest.rglob("*.parquet"))
    return {"wall_s": round(walls, 3), "peak_rss_mb": rss, "load_avg": load, "files": len(files)}


def _synced(dest: Path) -> dict[str, list[str]]:
    files = sorted(str(p) for p in dest.rglob("*.parquet"))
    return {"decisions": [f for f in files if "/type=decisions/" in f],
            "events": [f for f in files if "/type=events/" in f]}


def peer_runs(bench: Bench) -> dict[str, Any]:
    """Every peer measurement, or why none ran."""
    if not peers.available():
        return {"skipped": "peers not installed (make bench installs them into .bench/peers-venv)"}
    env = peers.peer_env(bench.server.endpoint_url, bench.work)
    out: dict[str, Any] = {"versions": peers.versions()}
    dest = bench.work / "aws-sync-0"  # synced by benchmarks/landing.py
    files = _synced(dest)
    bench.say("peers: DuckDB unkeyed CREATE TABLE AS over the synced files (the floor)")
    out["floor"] = peers.peer_job("duckdb_floor", env, files=files, db=str(bench.work / "peer-floor.duckdb"))
    bench.say("peers: DuckDB keyed INSERT OR REPLACE into a PRIMARY KEY table")
    out["keyed"] = peers.peer_job("duckdb_keyed", env, files=files, db=str(bench.work / "peer-keyed.duckdb"))
    bench.say("peers: dlt filesystem source, arrow batches, parquet loader, merge on uuid")
    out["dlt"] = peers.peer_job("dlt_merge", env, endpoint_url=bench.server.endpoint_url, bucket=EXPORT_BUCKET,
                                prefixes=day_prefixes(START), db=str(bench.work / "peer-dlt.duckdb"),
                                pipelines_dir=str(bench.work / "dlt-pipelines"))
    return out
