"""`python -m benchmarks.run --scale tiny` works end to end and its cost-following invariants hold.

Counts only (requests, objects, rows): timings are judged by `make bench`, never asserted here.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from benchmarks import report

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("bench")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "COURIER_"))}
    env["HOME"] = str(tmp / "home")
    out = tmp / "results.json"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--scale", "tiny", "--json", "--out", str(out),
         "--cache", str(tmp / "cache")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    printed = json.loads(proc.stdout)
    assert json.loads(out.read_text()) == printed
    return printed


def test_tiny_run_reports_every_scenario(tiny: dict[str, Any]) -> None:
    assert {"scale", "machine", "listing", "export", "baseline", "first_run", "rerun", "memory", "dedupe",
            "invariants", "targets", "ok"} <= set(tiny)
    assert tiny["scale"]["name"] == "tiny"
    assert set(tiny["first_run"]) == {"one_day", "all_days"}
    assert set(tiny["dedupe"]["strategies"]) == {"staging_upsert", "insert_or_replace", "read_all_distinct_on"}
    for run in (*tiny["first_run"].values(), tiny["rerun"]):
        assert {"wall_s", "land_s", "load_s", "peak_rss_mb", "rows_read", "inserted", "files_landed"} <= set(run)
    assert tiny["ok"] is True
    assert all(check["ok"] for check in tiny["invariants"])
    assert all({"name", "ok", "detail"} <= set(target) for target in tiny["targets"])


def test_one_day_listing_costs_the_same_in_a_60_day_bucket(tiny: dict[str, Any]) -> None:
    one, sixty = tiny["listing"]["buckets"]["1-day"], tiny["listing"]["buckets"]["60-day"]
    assert sixty["keys"] == 60 * one["keys"]
    assert one["run_requests"]["by_operation"] == sixty["run_requests"]["by_operation"]
    assert one["run_requests"]["list"] == one["lister_requests"] == sixty["lister_requests"] == 2  # 2 entities
    assert one["files_landed"] == sixty["files_landed"] == one["run_requests"]["get"]


def test_first_runs_load_every_row_once(tiny: dict[str, Any]) -> None:
    one, both = tiny["first_run"]["one_day"], tiny["first_run"]["all_days"]
    assert one["rows_read"] == one["rows_expected"] > 0
    assert both["rows_read"] == both["rows_expected"] == 2 * tiny["scale"]["rows_per_day"]
    assert both["tables"]["Optimizely:Decisions"]["rows"] == tiny["export"]["distinct_uuid"]["decisions"]
    assert both["tables"]["Optimizely:Conversions"]["rows"] == tiny["export"]["distinct_uuid"]["events"]


def test_rerun_with_nothing_new_downloads_and_inserts_nothing(tiny: dict[str, Any]) -> None:
    rerun = tiny["rerun"]
    assert rerun["files_landed"] == 0 and rerun["requests"]["get"] == 0
    assert rerun["rows_read"] == rerun["inserted"] == rerun["updated"] == 0
    assert rerun["requests"]["by_operation"] == {"ListObjectsV2": 4}  # 2 days x 2 entities, nothing else


def test_dedupe_strategies_agree_on_the_rows_kept(tiny: dict[str, Any]) -> None:
    dedupe = tiny["dedupe"]
    kept = {s["rows"] for s in dedupe["strategies"].values()}
    assert kept == {dedupe["distinct_uuid"]} and dedupe["distinct_uuid"] < dedupe["rows"]


def test_an_invariant_miss_is_reported(tiny: dict[str, Any]) -> None:
    broken = copy.deepcopy(tiny)
    broken["listing"]["buckets"]["60-day"]["run_requests"]["by_operation"]["ListObjectsV2"] += 1
    broken["rerun"]["requests"]["get"] = 3
    failed = {c.name for c in report.invariants(broken) if not c.ok}
    assert failed == {"listing: one-day run sends the same S3 requests in a 1-day and a 60-day bucket",
                      "re-run: downloads 0 objects"}
