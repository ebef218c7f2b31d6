"""`python -m benchmarks.run --scale tiny` works end to end, its table has every figure of issue 8,
and its count invariants hold. Peers run only if their venv already exists (`make bench` creates
it; this test never installs anything): otherwise their figures say "skipped (peers not installed)".

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

from benchmarks import peers, report

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = {"figure", "courier", "peer", "ratio", "target", "verdict"}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("bench")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "COURIER_"))}
    env["HOME"] = str(tmp / "home")
    out, md = tmp / "results.json", tmp / "results.md"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--scale", "tiny", "--json", "--out", str(out), "--md", str(md),
         "--cache", str(tmp / "cache")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    printed = json.loads(proc.stdout)
    assert json.loads(out.read_text()) == printed
    printed["_markdown"] = md.read_text()
    return printed


def _figure(tiny: dict[str, Any], starts: str) -> dict[str, Any]:
    return next(f for f in tiny["figures"] if f["figure"].startswith(starts))


def test_the_table_has_every_comparison_of_the_issue(tiny: dict[str, Any]) -> None:
    names = [f["figure"] for f in tiny["figures"]]
    for prefix in ("load: landed Parquet", "load: vs DuckDB keyed", "end to end: courier run (cold) vs dlt",
                   "end to end: vs aws s3 sync", "landing: cold day", "landing: re-run", "memory: peak RSS of courier "
                   "run, the day", "memory: peak RSS of courier run, a 2× day", "listing: S3 requests"):
        assert any(n.startswith(prefix) for n in names), prefix
    assert all(COLUMNS <= set(f) for f in tiny["figures"])
    assert "| figure | courier | peer | ratio | target | verdict |" in tiny["_markdown"]
    assert f"{tiny['machine']['cpus']} cores" in tiny["_markdown"] and "GiB" in tiny["_markdown"]
    assert tiny["ok"] is True and all(check["ok"] for check in tiny["invariants"])


def test_peer_figures_run_or_say_why_not(tiny: dict[str, Any]) -> None:
    keyed = _figure(tiny, "load: vs DuckDB keyed")
    if peers.available():
        p, day = tiny["peers"], tiny["export"]["day"]
        assert keyed["peer"] is not None and keyed["ratio"] is not None
        assert sorted(t["rows"] for t in p["floor"]["tables"].values()) == sorted(day["rows"].values())
        for name in ("keyed", "dlt"):
            assert sorted(t["rows"] for t in p[name]["tables"].values()) == sorted(day["distinct_uuid"].values())
        assert tiny["landing"]["sync_cold"]["files"] == day["files"]
    else:
        assert keyed["verdict"] == "skipped (peers not installed)"


def test_missing_peers_are_reported_as_skipped(tiny: dict[str, Any]) -> None:
    without = copy.deepcopy(tiny)
    without["peers"] = {"skipped": "peers not installed"}
    verdicts = {f.figure: f.verdict for f in report.figures(without)}
    assert verdicts[_figure(tiny, "end to end: courier run (cold) vs dlt")["figure"]] == "skipped (peers not installed)"
    assert verdicts[_figure(tiny, "listing: S3 requests")["figure"]] == "met"


def test_one_day_listing_costs_the_same_in_a_365_day_bucket(tiny: dict[str, Any]) -> None:
    short, long = tiny["listing"]["short"], tiny["listing"]["long"]
    assert long["keys"] == 365 * short["keys"]
    assert short["run_requests"]["by_operation"] == long["run_requests"]["by_operation"]
    assert short["run_requests"]["list"] == 2  # one list per entity
    assert short["files_landed"] == long["files_landed"] == short["run_requests"]["get"]


def test_runs_load_every_distinct_uuid_once(tiny: dict[str, Any]) -> None:
    for label, export in (("day", "day"), ("double", "double")):
        run = tiny["courier"][label]
        assert sorted(t["rows"] for t in run["tables"].values()) == sorted(tiny["export"][export]["distinct_uuid"].values())
        assert run["rows_read"] == sum(tiny["export"][export]["rows"].values())
    assert tiny["courier"]["double"]["rows_read"] == 2 * tiny["courier"]["day"]["rows_read"]


def test_landing_rerun_with_nothing_new_downloads_nothing(tiny: dict[str, Any]) -> None:
    cold, rerun = tiny["landing"]["courier_cold"], tiny["landing"]["courier_rerun"]
    assert cold["files_landed"] == tiny["export"]["day"]["files"]
    assert rerun["files_landed"] == 0 and rerun["requests"]["by_operation"] == {"ListObjectsV2": 2}


def test_an_invariant_miss_is_reported(tiny: dict[str, Any]) -> None:
    broken = copy.deepcopy(tiny)
    broken["listing"]["long"]["run_requests"]["by_operation"]["ListObjectsV2"] += 1
    broken["landing"]["courier_rerun"]["requests"]["get"] = 3
    failed = {c.name for c in report.invariants(broken) if not c.ok}
    assert failed == {"listing: the same S3 requests in a 1-day and a 365-day bucket",
                      "landing re-run: 0 files landed, 0 GetObject"}
