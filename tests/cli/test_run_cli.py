"""`courier run`, `runs`, `files` and `query` as an operator uses them: real processes, real S3."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest
from courier.core.catalog.catalog import Catalog
from courier.core.feeds.model import activate_feed, add_feed

COURIER = str(Path(sys.executable).parent / "courier")
DAY = date(2026, 11, 1)


@pytest.fixture
def ws(landing_only: Path) -> Path:
    """A courier whose load operations are `{}` (tests/cli/conftest.py)."""
    return landing_only


def courier(ws: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([COURIER, "--workspace", str(ws), *args], capture_output=True, text=True, input=stdin,
                          timeout=120)


def test_run_lands_files_then_files_lists_them_newest_first(ws: Path) -> None:
    out = courier(ws, "run", "optimizely", "--day", DAY.isoformat())
    assert out.returncode == 0, out.stderr
    assert "nothing was loaded" in out.stdout
    listed = json.loads(courier(ws, "files", "optimizely", "--json").stdout)
    assert listed and {f["tag"] for f in listed} == {"decisions", "conversions"}
    assert [f["last_modified"] for f in listed] == sorted((f["last_modified"] for f in listed), reverse=True)
    assert all(f["rows"] and f["rows"] > 0 for f in listed)
    text = courier(ws, "files", "optimizely")
    assert listed[0]["key"] in text.stdout.splitlines()[0]


def test_placeholder_run_fails_with_amperitys_text_and_exit_1(ws: Path, tmp_path: Path) -> None:
    ops = tmp_path / "ops.json"
    ops.write_text('{"df-xxxxxx": [{"type": "load", "file": "decisions"}]}')
    edit = courier(ws, "couriers", "edit", "optimizely", "--load-operations", str(ops))
    assert edit.returncode == 0, edit.stderr
    assert "placeholder" in edit.stderr
    out = courier(ws, "run", "optimizely", "--day", DAY.isoformat())
    assert out.returncode == 1
    assert 'Error running load-operations task\nCannot find required feeds: "df-xxxxxx"' in out.stderr
    assert "Traceback" not in out.stderr
    runs = json.loads(courier(ws, "runs", "--json").stdout)
    assert runs[0]["status"] == "failed" and runs[0]["stats"]["files_landed"] > 0


@pytest.mark.parametrize("args, message", [
    (["--day", "2026-13-01"], "is not a date"),
    (["--from", "2026-11-02", "--to", "2026-11-01"], "is not after from"),
    (["--day", "2026-11-01", "--all"], "exactly one of"),
    ([], "exactly one of"),
])
def test_bad_dates_are_usage_errors(ws: Path, args: list[str], message: str) -> None:
    out = courier(ws, "run", "optimizely", *args)
    assert out.returncode == 2
    assert message in out.stderr and "Traceback" not in out.stderr


def test_unknown_courier_suggests_the_closest(ws: Path) -> None:
    out = courier(ws, "run", "optimizly", "--day", DAY.isoformat())
    assert out.returncode == 2
    assert "optimizely" in out.stderr


def test_runs_show_and_watch_follow_the_event_log(ws: Path) -> None:
    run = courier(ws, "run", "optimizely", "--day", DAY.isoformat(), "--json")
    run_id = json.loads(run.stdout)["id"]
    shown = json.loads(courier(ws, "runs", "show", run_id, "--json").stdout)
    types = [e["type"] for e in shown["events"]]
    assert types[0] == "run_started" and types[-1] == "run_finished"
    assert "file_landed" in types and "day_checked" in types
    watched = courier(ws, "runs", "watch", run_id)
    assert watched.returncode == 0
    assert "run succeeded" in watched.stdout


def test_query_reads_domain_tables_read_only(ws: Path) -> None:
    sample = json.loads(courier(ws, "run", "optimizely", "--day", DAY.isoformat(), "--json").stdout)
    assert sample["status"] == "succeeded"
    key = json.loads(courier(ws, "files", "optimizely", "--json").stdout)
    decisions = next(f["key"] for f in key if f["tag"] == "decisions")
    feed = courier(ws, "feeds", "add", "--source", "Optimizely", "--name", "Decisions", "--sample", decisions,
                   "--primary-key", "uuid", "--generate-updated", "--activate")
    assert feed.returncode == 0, feed.stderr
    rows = json.loads(courier(ws, "query", 'SELECT count(*) AS n FROM "Optimizely:Decisions"', "--json").stdout)
    assert rows[0]["n"] > 0
    csv_out = courier(ws, "query", 'SELECT uuid FROM "Optimizely:Decisions" ORDER BY uuid LIMIT 2', "--csv").stdout
    assert csv_out.splitlines()[0] == "uuid" and len(csv_out.splitlines()) == 3
    write = courier(ws, "query", 'DELETE FROM "Optimizely:Decisions"')
    assert write.returncode == 2 and "Traceback" not in write.stderr
    again = json.loads(courier(ws, "query", 'SELECT count(*) AS n FROM "Optimizely:Decisions"', "--json").stdout)
    assert again == rows


def test_a_run_missing_files_says_which_flag_lets_it_through(ws: Path) -> None:
    out = courier(ws, "run", "optimizely", "--day", "2026-10-01")  # the export starts on 2026-11-01
    assert out.returncode == 1
    assert "missing required files" in out.stderr
    assert out.stderr.rstrip().splitlines()[-1] == "hint: pass --skip-missing to continue without them"


def test_ctrl_c_during_the_load_is_a_cancel_with_exit_130(ws: Path, s3, catalog: Catalog, tmp_path: Path) -> None:
    # one object that takes DuckDB seconds to load (millions of rows, a few hundred KB on the wire), so
    # the interrupt lands while DuckDB is loading it
    key = f"v1/account_id=1234567890/type=decisions/date={DAY}/experiment=big/part-00000-big.parquet"
    sample = tmp_path / "sample" / key
    sample.parent.mkdir(parents=True)
    duckdb.execute(f"COPY (SELECT (i % 1000)::VARCHAR AS uuid, 0 AS v FROM range(5000000) t(i)) TO '{sample}' "
                   "(FORMAT parquet, COMPRESSION zstd)")
    s3.client("s3").put_object(Bucket="optimizely-events-data", Key=key, Body=sample.read_bytes())
    feed = add_feed(catalog, source="Optimizely", name="Big", sample=str(sample), primary_key=["uuid"],
                    generate_updated=True)
    activate_feed(catalog, catalog.workspace, feed.id)
    ops = tmp_path / "ops.json"
    ops.write_text(json.dumps({feed.id: [{"type": "load", "file": "decisions"}]}))
    assert courier(ws, "couriers", "edit", "optimizely", "--load-operations", str(ops)).returncode == 0

    log = tmp_path / "stderr.txt"
    with log.open("w") as err:
        proc = subprocess.Popen([COURIER, "--workspace", str(ws), "run", "optimizely", "--day", DAY.isoformat()],
                                stdout=subprocess.DEVNULL, stderr=err)
    try:
        # the run's event log says the narrow pass has read every row: DuckDB now ranks the keys (seconds)
        deadline = time.monotonic() + 120
        while catalog.one("SELECT 1 FROM run_events WHERE type = 'batch_loaded'") is None:
            assert proc.poll() is None and time.monotonic() < deadline, "the load never started"
            time.sleep(0.01)  # polling the condition, not waiting for a duration
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    stderr = log.read_text()
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "unexpected" not in stderr and "Traceback" not in stderr, stderr
    runs = json.loads(courier(ws, "runs", "--json").stdout)
    assert runs[0]["status"] == "cancelled", runs[0]
    assert runs[0]["error"] == "interrupted (Ctrl-C); tables were left as they were"
    assert runs[0]["stats"]["tables_committed"] == []
    rows = json.loads(courier(ws, "query", 'SELECT count(*) AS n FROM "Optimizely:Big"', "--json").stdout)
    assert rows == [{"n": 0}]
