"""Runs tell the truth: a run that does not succeed changes no table, or says exactly which it changed.

All of a run's loads are one DuckDB transaction: a cancel while the second feed loads, or a failure
in the second feed, leaves the first feed's table exactly as it was too, and the run's record says
so. A backend that commits per table (Iceberg; `Warehouse.atomic_runs = False` makes DuckDB behave
like one) records the tables it committed and names them in the error. A feed that was never
activated is refused before anything loads.
"""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from courier.core.config.couriers import edit_courier
from courier.core.feeds.model import add_feed, list_feeds
from courier.core.runs.events import Event
from courier.core.runs.records import cancel_outcome, get_run, list_runs, reap_dead_runs, start_run
from courier.core.warehouse.duckdb import Warehouse

from tests.reliability.bad_inputs import COURIER_BIN
from tests.reliability.conftest import (
    CONVERSIONS,
    DECISIONS,
    ReliabilityEnv,
    reference_checksums,
)

RUNNER = Path(__file__).with_name("crash_runner.py")


def _loaded_files(env: ReliabilityEnv) -> list[tuple[str, str, str]]:
    return [tuple(r) for r in env.catalog.all("SELECT feed_id, key, etag FROM loaded_files ORDER BY feed_id, key")]


def _first_day(env: ReliabilityEnv) -> dict[str, str]:
    """Load the first ready day, so both tables hold rows a later run could damage."""
    result = env.run(mode="day", day=env.days[0])
    assert result.status == "succeeded", result.error
    before = env.checksums()
    assert all(not c.startswith(("absent", "0:")) for c in before.values()), before
    return before


def _cancel_when_second_feed_starts(cancel: threading.Event) -> tuple[list[str], object]:
    started: list[str] = []

    def sink(event: Event) -> None:
        if event.type == "feed_load_started":
            started.append(event.data["table"])
            if len(started) == 2:
                cancel.set()

    return started, sink


def test_a_cancel_while_the_second_feed_loads_changes_neither_table(reliability_env: ReliabilityEnv) -> None:
    env = reliability_env
    before, ledger = _first_day(env), _loaded_files(env)
    cancel = threading.Event()
    started, sink = _cancel_when_second_feed_starts(cancel)

    result = start_run(env.catalog, env.request(), sink=sink, cancel=cancel)  # type: ignore[arg-type]

    assert started == [DECISIONS, CONVERSIONS]
    assert result.status == "cancelled"
    assert result.error == "cancelled by the operator; tables were left as they were"
    assert env.checksums() == before, "a cancelled run changed a table"
    assert _loaded_files(env) == ledger, "files of a cancelled run count as loaded"
    record = get_run(env.catalog, result.id)
    assert record.stats.tables_committed == [] and record.error == result.error
    assert record.stats.feeds == {}  # nothing this run loaded was kept, so it reports no rows
    again = env.run()
    assert again.status == "succeeded", again.error
    assert env.checksums() == reference_checksums(env)
    assert again.stats.tables_committed == [DECISIONS, CONVERSIONS]


def test_a_failure_in_the_second_feed_leaves_the_first_feed_unchanged(reliability_env: ReliabilityEnv) -> None:
    env = reliability_env
    before, ledger = _first_day(env), _loaded_files(env)
    key = next(k for k in env.data_keys("events") if f"/date={env.days[1].isoformat()}/" in k)
    good = env.get(key)
    env.put(key, b"PAR1" + bytes(range(256)) * 8 + b"not a footer")

    result = env.run()

    assert result.status == "failed"
    error = result.error or ""
    assert error.startswith(f"{CONVERSIONS}: file {key}: ") and "\n" not in error, error
    assert error.endswith("; tables were left as they were"), error
    assert env.checksums() == before, "the first feed's load was kept although the run failed"
    assert _loaded_files(env) == ledger
    assert get_run(env.catalog, result.id).stats.tables_committed == []
    env.put(key, good)
    assert env.run().status == "succeeded"
    assert env.checksums() == reference_checksums(env)


def test_a_backend_that_commits_per_table_says_which_tables_it_changed(
        reliability_env: ReliabilityEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    env = reliability_env
    before = _first_day(env)
    monkeypatch.setattr(Warehouse, "atomic_runs", False)  # as Iceberg: one commit per table
    cancel = threading.Event()
    _started, sink = _cancel_when_second_feed_starts(cancel)

    result = start_run(env.catalog, env.request(), sink=sink, cancel=cancel)  # type: ignore[arg-type]

    assert result.status == "cancelled"
    assert result.error == (f"cancelled by the operator; it had already committed {DECISIONS}; "
                            "every other table was left as it was")
    after = env.checksums()
    assert after[DECISIONS] == reference_checksums(env)[DECISIONS] != before[DECISIONS]
    assert after[CONVERSIONS] == before[CONVERSIONS]
    record = get_run(env.catalog, result.id)
    assert record.stats.tables_committed == [DECISIONS]
    assert set(record.stats.feeds) == {env.feeds["decisions"].id}
    assert cancel_outcome() == "Tables the run has already committed keep its changes; the others stay as they were."


def test_a_killed_run_is_reaped_naming_the_tables_it_had_committed(reliability_env: ReliabilityEnv) -> None:
    env = reliability_env
    stats = json.dumps({"tables_committed": [DECISIONS], "feeds": {}})
    env.catalog.execute("INSERT INTO runs (id, courier, mode, status, pid, started_at, stats) "
                        "VALUES ('wf-20261101-000000-killed', 'optimizely', 'day', 'running', 999999, 0, ?)", (stats,))
    assert reap_dead_runs(env.catalog) == 1
    error = get_run(env.catalog, "wf-20261101-000000-killed").error
    assert error == (f"the run's process (pid 999999) ended without finishing; it had committed {DECISIONS}, "
                     "nothing else it was loading was kept")
    assert cancel_outcome() == "Tables stay as they were before the run."


def test_a_feed_that_was_never_activated_is_refused_and_gets_no_table(reliability_env: ReliabilityEnv,
                                                                     tmp_path: Path) -> None:
    env = reliability_env
    before, ledger = _first_day(env), _loaded_files(env)
    sample = tmp_path / "sample.parquet"
    key = env.data_keys("decisions")[0]
    pq.write_table(pq.read_table(io.BytesIO(env.get(key))), sample)
    draft = add_feed(env.catalog, source="Optimizely", name="Drafts", sample=str(sample), primary_key=["uuid"],
                     generate_updated=True)
    operations = {**{f.id: [{"type": "load", "file": tag}] for f, tag in
                     ((env.feeds["decisions"], "decisions"), (env.feeds["conversions"], "conversions"))},
                  draft.id: [{"type": "load", "file": "decisions"}]}
    edit_courier(env.catalog, env.courier, load_operations=operations)

    result = env.run()

    assert result.status == "failed"
    assert result.error == f"feed {draft.id} (Optimizely:Drafts) is not active: activate it first"
    assert result.hint == f"`courier feeds activate {draft.id}` creates its table; then run again"
    events = env.catalog.all("SELECT data FROM run_events WHERE run_id = ? AND type = 'run_finished'", (result.id,))
    assert json.loads(events[0]["data"])["error"] == result.error
    assert env.checksums() == before and _loaded_files(env) == ledger, "a refused run loaded something"
    with Warehouse(env.workspace.warehouse_path, read_only=True) as wh:
        assert "Optimizely:Drafts" not in {name for name, _rows in wh.tables()}
    assert not next(f for f in list_feeds(env.catalog) if f.id == draft.id).active
    shown = subprocess.run([COURIER_BIN, "--workspace", str(env.workspace.root), "run", env.courier,
                            "--from", env.days[0].isoformat(), "--to", env.days[-1].isoformat()],
                           capture_output=True, text=True, timeout=120)
    assert shown.returncode == 1, shown.stderr
    assert f"feed {draft.id} (Optimizely:Drafts) is not active: activate it first\n" in shown.stderr
    assert f"hint: `courier feeds activate {draft.id}` creates its table; then run again\n" in shown.stderr
    listed = subprocess.run([COURIER_BIN, "--workspace", str(env.workspace.root), "feeds", "list", "--json"],
                            capture_output=True, text=True, timeout=120)
    drafts = [f for f in json.loads(listed.stdout) if f["id"] == draft.id]
    assert drafts and drafts[0]["active"] is False, listed.stdout
    assert [r.status for r in list_runs(env.catalog, env.courier)][:2] == ["failed", "failed"]


def test_a_run_killed_right_after_its_commit_is_reaped_saying_what_it_was_committing(
        reliability_env: ReliabilityEnv) -> None:
    env = reliability_env
    first, last = env.days[0], env.days[-1] + timedelta(days=1)
    child = subprocess.run([sys.executable, str(RUNNER), str(env.workspace.root), env.courier, first.isoformat(),
                            last.isoformat(), "--kill-after-commit", "1"], capture_output=True, text=True, timeout=300)
    assert child.returncode == -signal.SIGKILL, child.stdout + child.stderr
    assert env.checksums() == reference_checksums(env)  # the COMMIT happened; the catalog never heard of it
    (run,) = list_runs(env.catalog, env.courier)
    assert run.status == "failed"
    assert run.error == (f"the run's process (pid {run.pid}) ended without finishing; it was committing "
                         f"{DECISIONS}, {CONVERSIONS}, which hold either all of its loads or none "
                         "(running it again is safe)")
    again = env.run()
    assert again.status == "succeeded", again.error
    assert env.checksums() == reference_checksums(env)
