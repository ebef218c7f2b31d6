"""Issue 7 item 6: the scheduler, CLI runs and read-only queries at once; a refused second run; a group of
20 couriers; 10,000 runs of history. Everything runs through the real `courier` console script.

No timing asserts: durations are printed (pytest -s) for the report; correctness is asserted (every query
answer is a state some committed load produced, no key twice, every expected row and file present).
`RELIABILITY_SCALE=full` runs 50 couriers and 100,000 history rows.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from courier.core.catalog.catalog import Catalog
from courier.core.catalog.workspace import open_workspace
from courier.core.devtools.s3server import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY, LocalS3
from courier.core.devtools.synth import ExportSpec, ExportSummary, upload_export

from tests.reliability.bad_inputs import COURIER_BIN, SECRET_ENV_KEY, Outcome, cli_env, run_cli

FULL = os.environ.get("RELIABILITY_SCALE", "").lower() == "full"
GROUP_SIZE = 50 if FULL else 20
TOGETHER_ROUNDS = 5 if FULL else 1
HISTORY = 100_000 if FULL else 10_000
ACCOUNT = "1234567890"
NO_DATA_ACCOUNT = "9999999999"
BUCKET, COPY_BUCKET, MANY_BUCKET = "optimizely-events-data", "optimizely-copy", "optimizely-many"
TODAY = datetime.now(UTC).date()
START = TODAY - timedelta(days=2)  # three ready days: the daily group's 72h window at tomorrow 06:00


@dataclass
class Data:
    endpoint: str
    export: ExportSummary
    copy: ExportSummary
    many: dict[str, ExportSummary]  # account -> its one-day export


@pytest.fixture(scope="module")
def data() -> Iterator[Data]:
    with LocalS3() as server:
        s3 = server.client("s3")
        spec = ExportSpec(account_id=ACCOUNT, start=START, days=3, decisions_per_day=1500, conversions_per_day=700,
                          newest_day_ready=True, seed=21)
        export = upload_export(spec, s3, BUCKET)
        copy = upload_export(spec, s3, COPY_BUCKET)
        many = {}
        for i in range(GROUP_SIZE):
            account = f"{5550000000 + i}"
            many[account] = upload_export(ExportSpec(account_id=account, start=TODAY, days=1, decisions_per_day=15,
                                                     conversions_per_day=8, newest_day_ready=True, seed=i),
                                          s3, MANY_BUCKET)
        yield Data(server.endpoint_url, export, copy, many)


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("COURIER_SECRET_KEY", SECRET_ENV_KEY)  # the same key as the CLI children
    root = tmp_path / "ws"
    catalog = Catalog(open_workspace(root))
    try:
        from courier.core.config.credentials import add_credential

        add_credential(catalog, "opt", "iam-credential", access_key_id=LOCAL_ACCESS_KEY,
                       secret_access_key=LOCAL_SECRET_KEY)
    finally:
        catalog.close()
    return root


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return cli_env(tmp_path / "home")


def courier(ws: Path, env: dict[str, str], *args: str) -> Outcome:
    return run_cli(["--workspace", str(ws), *args], env)


def spawn(ws: Path, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([str(COURIER_BIN), "--workspace", str(ws), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def add_loading_courier(ws: Path, name: str, bucket: str, endpoint: str, source: str) -> None:
    """A courier whose two feeds are active (empty tables) and named in its load operations."""
    from courier.core.config.couriers import add_courier, edit_courier
    from courier.core.feeds.model import activate_feed, add_feed
    from courier.core.runs.records import start_run
    from courier.core.runs.request import RunRequest
    from courier.core.source.landing import landed_files

    catalog = Catalog(open_workspace(ws))
    try:
        add_courier(catalog, name, credential="opt", bucket=bucket, endpoint_url=endpoint,
                    optimizely_account=ACCOUNT, load_operations="{}")
        assert start_run(catalog, RunRequest(name, "day", day=START)).status == "succeeded"
        landed = landed_files(catalog, name)
        ops = {}
        for tag, feed_name, rule in (("decisions", "Decisions", {"generate_updated": True}),
                                     ("conversions", "Conversions", {"last_updated": "process_timestamp"})):
            sample = next(f"s3://{f.bucket}/{f.key}" for f in landed if f.tag == tag)
            feed = add_feed(catalog, source=source, name=feed_name, sample=sample, primary_key=["uuid"], **rule)
            activate_feed(catalog, catalog.workspace, feed.id, load_sample=False)
            ops[feed.id] = [{"type": "load", "file": tag}]
        edit_courier(catalog, name, load_operations=ops)
    finally:
        catalog.close()


def catalog_rows(ws: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    db = sqlite3.connect(f"file:{ws / 'catalog.sqlite'}?mode=ro", uri=True, timeout=30)
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


COUNTS_SQL = ('SELECT (SELECT count(*) FROM "Optimizely:Decisions") AS a, '
              '(SELECT count(DISTINCT uuid) FROM "Optimizely:Decisions") AS a_keys, '
              '(SELECT count(*) FROM "Copy:Decisions") AS b, (SELECT count(DISTINCT uuid) FROM "Copy:Decisions") AS b_keys')


@pytest.mark.parametrize("round_", range(TOGETHER_ROUNDS))
def test_scheduler_cli_run_and_queries_together(round_: int, data: Data, ws: Path, env: dict[str, str]) -> None:
    """A scheduled group run and a CLI run of another courier load at once while queries keep reading."""
    add_loading_courier(ws, "optimizely", BUCKET, data.endpoint, "Optimizely")
    add_loading_courier(ws, "copy", COPY_BUCKET, data.endpoint, "Copy")
    out = courier(ws, env, "groups", "add", "daily", "--cron", "0 6 * * *", "--lookback", "72h",
                  "--courier", "optimizely")
    assert out.code == 0, out.err
    want_a, want_b = data.export.distinct_uuids["decisions"], data.copy.distinct_uuids["decisions"]
    started = time.monotonic()
    scheduler = spawn(ws, env, "scheduler", "--once", "--now", f"{TODAY + timedelta(days=1)}T06:05:00")
    run = spawn(ws, env, "run", "copy", "--from", START.isoformat(), "--to", (TODAY + timedelta(days=1)).isoformat())
    answers: list[tuple[int, int]] = []
    busy = 0
    deadline = time.monotonic() + 240
    while (scheduler.poll() is None or run.poll() is None or not answers) and time.monotonic() < deadline:
        q = courier(ws, env, "query", COUNTS_SQL, "--json")
        assert "Traceback" not in q.out + q.err, q.err
        if q.code == 0:
            row = json.loads(q.out)[0]
            assert row["a"] == row["a_keys"] and row["b"] == row["b_keys"], f"a key appears twice: {row}"
            assert row["a"] in (0, want_a) and row["b"] in (0, want_b), f"a partial load is visible: {row}"
            answers.append((row["a"], row["b"]))
        else:
            assert q.code == 1 and q.err.startswith("error: a load is writing to the warehouse"), q.err
            busy += 1
    s_out, s_err = scheduler.communicate(timeout=60)
    r_out, r_err = run.communicate(timeout=60)
    print(f"\nscheduler+run+queries: {time.monotonic() - started:.1f}s, {len(answers)} answers, {busy} busy,"
          f" answers seen {sorted(set(answers))}")
    assert scheduler.returncode == 0, s_err
    assert run.returncode == 0, r_err
    assert "Traceback" not in s_out + s_err + r_out + r_err
    final = json.loads(courier(ws, env, "query", COUNTS_SQL, "--json").out)[0]
    assert (final["a"], final["b"]) == (want_a, want_b), "rows lost"
    statuses = catalog_rows(ws, "SELECT courier, group_name, status FROM runs WHERE from_day = ?", (START.isoformat(),))
    assert ("optimizely", "daily", "succeeded") in statuses and ("copy", None, "succeeded") in statuses


def _wait_for_running(ws: Path, name: str, proc: subprocess.Popen[str], limit: float = 90) -> str:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        rows = catalog_rows(ws, "SELECT id FROM runs WHERE courier = ? AND status = 'running'", (name,))
        if rows:
            return str(rows[0][0])
        assert proc.poll() is None, f"the scheduler ended early: {proc.communicate()}"
        time.sleep(0.2)
    raise AssertionError(f"no running run of {name} appeared")


def test_second_run_of_the_same_courier_is_refused(data: Data, ws: Path, env: dict[str, str]) -> None:
    """The scheduler holds `late` (its files never arrive; it polls for 2h); the CLI is refused, naming the run."""
    from courier.core.config.couriers import add_courier

    catalog = Catalog(open_workspace(ws))
    try:
        add_courier(catalog, "late", credential="opt", bucket=BUCKET, endpoint_url=data.endpoint,
                    optimizely_account=NO_DATA_ACCOUNT, load_operations="{}")
    finally:
        catalog.close()
    assert courier(ws, env, "groups", "add", "waiting", "--cron", "0 6 * * *", "--wait", "2h",
                   "--courier", "late").code == 0
    before = catalog_rows(ws, "SELECT count(*) FROM ledger")
    scheduler = spawn(ws, env, "scheduler", "--once", "--now", f"{TODAY + timedelta(days=1)}T06:05:00")
    try:
        run_id = _wait_for_running(ws, "late", scheduler)
        second = courier(ws, env, "run", "late", "--day", TODAY.isoformat())
        assert second.code == 1, second.err
        assert second.err.splitlines()[0] == f"error: courier late is already running ({run_id})", second.err
        assert "Traceback" not in second.out + second.err
        group = courier(ws, env, "groups", "run", "waiting", "--day", TODAY.isoformat())
        assert group.code == 1 and "already running" in group.err and "Traceback" not in group.err, group.err
        listed = json.loads(courier(ws, env, "runs", "--json").out)
        assert [(r["id"], r["status"]) for r in listed if r["courier"] == "late"][0] == (run_id, "running")
    finally:
        scheduler.send_signal(signal.SIGTERM)
        s_out, s_err = scheduler.communicate(timeout=60)
    assert "Traceback" not in s_out + s_err
    assert scheduler.returncode == 0, s_err
    assert catalog_rows(ws, "SELECT status FROM runs WHERE id = ?", (run_id,)) == [("cancelled",)]
    assert catalog_rows(ws, "SELECT count(*) FROM ledger") == before
    after = courier(ws, env, "run", "late", "--day", TODAY.isoformat())  # the lock is free again
    assert after.code == 1 and "already running" not in after.err and "not ready" in after.err, after.err


def test_group_of_couriers_all_succeed(data: Data, ws: Path, env: dict[str, str]) -> None:
    from courier.core.config.couriers import add_courier

    catalog = Catalog(open_workspace(ws))
    try:
        for account in data.many:
            add_courier(catalog, f"c{account}", credential="opt", bucket=MANY_BUCKET, endpoint_url=data.endpoint,
                        optimizely_account=account, load_operations="{}")
    finally:
        catalog.close()
    names = [f"c{a}" for a in data.many]
    args = ["groups", "add", "many"] + [x for n in names for x in ("--courier", n)]
    assert courier(ws, env, *args).code == 0
    started = time.monotonic()
    out = courier(ws, env, "groups", "run", "many", "--day", TODAY.isoformat(), "--json")
    print(f"\ngroup of {len(names)} couriers: {time.monotonic() - started:.1f}s")
    assert out.code == 0, out.err
    assert "Traceback" not in out.out + out.err
    rows = catalog_rows(ws, "SELECT courier, status FROM runs WHERE group_name = 'many'")
    assert sorted(rows) == sorted((n, "succeeded") for n in names)
    lost = 0
    for account, export in data.many.items():
        want = {k for k in export.keys if k.endswith(".parquet") and f"date={TODAY}" in k}
        got = {str(r[0]) for r in catalog_rows(ws, "SELECT key FROM ledger WHERE courier = ?", (f"c{account}",))}
        lost += len(want - got)
        assert got == want, account
        for key in got:
            assert (ws / "landing" / MANY_BUCKET / key).is_file()
    assert lost == 0


def _insert_history(ws: Path, count: int) -> list[str]:
    """`count` finished runs over 10 couriers, one second apart; returns ids newest first."""
    catalog = Catalog(open_workspace(ws))
    base = time.time() - count - 60
    rows = [(f"wf-hist-{i:07d}", f"c{i % 10}", "day", "2026-11-01", "2026-11-02",
             "failed" if i % 7 == 0 else "succeeded", 1, base + i, base + i + 0.5,
             json.dumps({"feeds": {}}), "[]", "boom" if i % 7 == 0 else None, "Completed in 1 second")
            for i in range(count)]
    try:
        with catalog.transaction() as db:
            db.executemany("INSERT INTO runs (id, courier, mode, from_day, to_day, status, pid, started_at, ended_at,"
                           " stats, warnings, error, notification) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    finally:
        catalog.close()
    return [r[0] for r in reversed(rows)]


def test_long_history_keeps_runs_fast_and_indexed(ws: Path, env: dict[str, str]) -> None:
    newest = _insert_history(ws, HISTORY)
    started = time.monotonic()
    out = courier(ws, env, "runs", "--json")
    took = time.monotonic() - started
    assert out.code == 0, out.err
    assert [r["id"] for r in json.loads(out.out)] == newest[:20]
    one = courier(ws, env, "runs", "--courier", "c3", "--limit", "5", "--json")
    assert [r["id"] for r in json.loads(one.out)] == [i for i in newest if int(i[-7:]) % 10 == 3][:5]
    text = courier(ws, env, "runs")
    assert text.code == 0 and text.out.splitlines()[0].startswith(newest[0])
    print(f"\n`courier runs` over {HISTORY:,} runs: {took:.2f}s (including process start)")
    plans = {
        "list": "SELECT * FROM runs ORDER BY started_at DESC LIMIT 20 OFFSET 0",
        "by courier": "SELECT * FROM runs WHERE courier = 'c3' ORDER BY started_at DESC LIMIT 20 OFFSET 0",
        "home last run": "SELECT status, started_at FROM runs WHERE courier = 'c3' ORDER BY started_at DESC LIMIT 1",
    }
    for name, sql in plans.items():
        plan = " | ".join(str(r[-1]) for r in catalog_rows(ws, f"EXPLAIN QUERY PLAN {sql}"))
        print(f"plan ({name}): {plan}")
        assert "USE TEMP B-TREE" not in plan, f"{name} sorts all runs: {plan}"
        assert ("runs_by_start" if name == "list" else "runs_by_courier") in plan, plan
    reap = " | ".join(str(r[-1]) for r in catalog_rows(ws, "EXPLAIN QUERY PLAN SELECT id, courier, pid FROM runs"
                                                           " WHERE status = 'running'"))
    print(f"plan (reap_dead_runs, informational): {reap}")


async def test_home_screen_with_long_history(ws: Path) -> None:
    try:
        from textual.widgets import DataTable

        from tests.tui.helpers import make_app
    except ImportError as exc:  # pragma: no cover - the TUI is being written in parallel
        pytest.skip(f"the TUI is not importable yet: {exc}")
    from courier.core.catalog.catalog import now

    newest = _insert_history(ws, HISTORY)
    catalog = Catalog(open_workspace(ws))
    try:
        for i in range(3):  # couriers for the home screen's table (their runs are in the history)
            catalog.execute("INSERT INTO couriers (name, credential, bucket, entities, created_at, updated_at)"
                            " VALUES (?, 'opt', 'bucket', '[]', ?, ?)", (f"c{i}", now(), now()))
    finally:
        catalog.close()
    started = time.monotonic()
    app = make_app(open_workspace(ws))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#couriers-table", DataTable)
        statuses = {str(table.get_row(key)[0]): str(table.get_row(key)[3]) for key in table.rows}
    print(f"\nhome screen over {HISTORY:,} runs: {time.monotonic() - started:.2f}s")
    newest_by = {f"c{int(i[-7:]) % 10}": ("failed" if int(i[-7:]) % 7 == 0 else "succeeded") for i in reversed(newest)}
    assert statuses == {f"c{i}": newest_by[f"c{i}"] for i in range(3)}
