"""Group runs and the scheduler.

Most tests use a stand-in for the run engine (same signature as courier.core.runs.records.start_run) that writes
`runs` rows as the engine does, so group history, the --after constraint and status displays read
real catalog rows. The tests at the bottom use the real engine against a local S3: wait-time
polling while `_SUCCESS` appears, and SIGTERM to a real `courier scheduler` process mid-run.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from courier.core.catalog.catalog import Catalog, now
from courier.core.errors import Busy, ConfigError
from courier.core.runs.records import RunResult
from courier.core.runs.request import RunRequest
from courier.core.schedule.groups import add_group, get_group, new_group, record_fire, set_enabled
from courier.core.schedule.scheduler import (
    GroupRun,
    Scheduler,
    run_group_now,
    scheduler_lock,
    scheduler_logger,
)
from courier.core.types import RunMode, RunStatus, Trigger


def add_courier(catalog: Catalog, name: str) -> None:
    catalog.execute("INSERT INTO couriers (name, credential, bucket, entities, created_at, updated_at)"
                    " VALUES (?, 'cred', 'bucket', '[]', ?, ?)", (name, now(), now()))


@dataclass
class FakeEngine:
    """Plays start_run: records each request, writes a runs row, returns the scripted outcome."""

    catalog: Catalog
    outcomes: dict[str, str] = field(default_factory=dict)  # courier -> succeeded | missing | failed | block | raise
    requests: list[RunRequest] = field(default_factory=list)
    started: threading.Event = field(default_factory=threading.Event)

    def __call__(self, catalog: Catalog, request: RunRequest, *, sink: Any = None,
                 cancel: threading.Event | None = None) -> RunResult:
        self.requests.append(request)
        outcome = self.outcomes.get(request.courier, "succeeded")
        if outcome == "raise":
            raise RuntimeError("engine exploded")
        if outcome == "busy":
            raise Busy(f"courier {request.courier} is already running")
        run_id = f"wf-{len(self.requests)}-{request.courier}"
        days = request.days()
        self.started.set()
        status, error, missing = "succeeded", None, []
        if outcome == "block":
            assert cancel is not None
            cancel.wait(30)
            status, error = "cancelled", "cancelled by the operator"
        elif outcome == "missing":
            status, error, missing = "failed", "required files missing", [f"{request.courier}/_SUCCESS"]
        elif outcome == "failed":
            status, error = "failed", "load failed"
        self.catalog.execute(
            "INSERT INTO runs (id, courier, group_name, group_run, mode, from_day, to_day, status, started_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (run_id, request.courier, request.group_name, request.group_run, request.mode,
             days[0].isoformat() if days else None, (days[-1] + timedelta(days=1)).isoformat() if days else None,
             status, time.time()))
        return RunResult(run_id, status, error, "Completed in 1 second" if status == "succeeded" else error or "",
                         missing)


@pytest.fixture
def cat(catalog: Catalog) -> Catalog:
    for name in ("opt", "crm", "web"):
        add_courier(catalog, name)
    return catalog


@pytest.fixture
def engine(cat: Catalog) -> FakeEngine:
    return FakeEngine(cat)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def scheduler(cat: Catalog, engine: FakeEngine, when: str, **kw: Any) -> Scheduler:
    return Scheduler(cat, clock=lambda: at(when), runner=engine, log=scheduler_logger(cat), **kw)


def daily(cat: Catalog, name: str = "daily", couriers: tuple[str, ...] = ("opt",), last: str | None = None,
          **settings: Any) -> None:
    add_group(cat, new_group(name, list(couriers), cron=settings.pop("cron", "0 6 * * *"), **settings))
    if last:
        record_fire(cat, name, at(last))


def test_group_runs_every_courier_with_one_group_run_id(cat: Catalog, engine: FakeEngine) -> None:
    daily(cat, couriers=("opt", "crm"))
    result = GroupRun(cat, get_group(cat, "daily"), runner=engine).scheduled(at("2025-06-15T06:00"))
    assert result.status is RunStatus.SUCCEEDED and result.trigger is Trigger.SCHEDULED
    assert [r.courier for r in engine.requests] == ["opt", "crm"]
    assert {r.group_run for r in engine.requests} == {result.group_run}
    assert all(r.group_name == "daily" and r.mode == "period" for r in engine.requests)
    assert (engine.requests[0].from_day.isoformat(), engine.requests[0].to_day.isoformat()) == ("2025-06-14", "2025-06-15")
    rows = cat.all("SELECT courier, status FROM runs WHERE group_name = 'daily' AND group_run = ?", (result.group_run,))
    assert sorted((r["courier"], r["status"]) for r in rows) == [("crm", "succeeded"), ("opt", "succeeded")]
    assert get_group(cat, "daily").last["status"] == "succeeded"


def test_group_fails_if_any_courier_fails_and_others_still_run(cat: Catalog, engine: FakeEngine) -> None:
    daily(cat, couriers=("opt", "crm", "web"))
    engine.outcomes = {"opt": "missing"}
    result = GroupRun(cat, get_group(cat, "daily"), runner=engine).scheduled(at("2025-06-15T06:00"))
    assert result.status == "failed"
    assert [c.status for c in result.couriers] == ["failed", "succeeded", "succeeded"]
    assert result.error == "opt: required files missing"


def test_stop_when_missing_skips_the_rest(cat: Catalog, engine: FakeEngine) -> None:
    daily(cat, couriers=("opt", "crm", "web"), stop_when_missing=True)
    engine.outcomes = {"crm": "missing"}
    result = GroupRun(cat, get_group(cat, "daily"), runner=engine).scheduled(at("2025-06-15T06:00"))
    assert [(c.courier, c.status) for c in result.couriers] == [("opt", "succeeded"), ("crm", "failed"), ("web", "skipped")]
    assert "crm had missing required files" in (result.couriers[2].error or "")
    assert [r.courier for r in engine.requests] == ["opt", "crm"]


def test_stop_when_missing_does_not_stop_on_other_failures(cat: Catalog, engine: FakeEngine) -> None:
    daily(cat, couriers=("opt", "crm"), stop_when_missing=True)
    engine.outcomes = {"opt": "failed"}
    result = GroupRun(cat, get_group(cat, "daily"), runner=engine).scheduled(at("2025-06-15T06:00"))
    assert [c.status for c in result.couriers] == ["failed", "succeeded"]


def test_scheduled_run_waits_until_fire_plus_wait(cat: Catalog, engine: FakeEngine) -> None:
    daily(cat, wait="2h")
    fire = at("2025-06-15T06:00")
    GroupRun(cat, get_group(cat, "daily"), runner=engine, clock=lambda: fire).scheduled(fire)
    expected = time.time() + 7200  # our clock reads `fire`, so T + wait is two hours from now in real time
    assert engine.requests[0].wait_until == pytest.approx(expected, abs=60)


def test_manual_runs_load_exactly_the_days_given_and_do_not_wait(cat: Catalog, engine: FakeEngine) -> None:
    daily(cat, couriers=("opt", "crm"), wait="2h")
    from datetime import date

    result = run_group_now(cat, "daily", day=date(2025, 1, 5), runner=engine)
    assert result.trigger is Trigger.MANUAL and result.status is RunStatus.SUCCEEDED
    assert (result.mode, result.from_day, result.to_day) == ("day", "2025-01-05", "2025-01-06")
    assert all(r.mode is RunMode.DAY for r in engine.requests)
    assert all(c.status is RunStatus.SUCCEEDED for c in result.couriers)
    assert {(r.mode, r.day, r.wait_until) for r in engine.requests} == {("day", date(2025, 1, 5), None)}
    run_group_now(cat, "daily", all_=True, runner=engine)
    assert engine.requests[-1].mode == "all"
    run_group_now(cat, "daily", from_day=date(2025, 1, 1), to_day=date(2025, 1, 3), runner=engine)
    assert (engine.requests[-1].from_day, engine.requests[-1].to_day) == (date(2025, 1, 1), date(2025, 1, 3))
    count = len(engine.requests)
    with pytest.raises(ConfigError, match="is not after from"):
        run_group_now(cat, "daily", from_day=date(2025, 1, 3), to_day=date(2025, 1, 1), runner=engine)
    with pytest.raises(ConfigError, match="choose exactly one of"):
        run_group_now(cat, "daily", day=date(2025, 1, 5), all_=True, runner=engine)
    assert len(engine.requests) == count  # a bad selection starts no courier
    assert get_group(cat, "daily").last_fire is None  # manual runs never move the schedule


def test_manual_run_of_the_latest_window(cat: Catalog, engine: FakeEngine) -> None:
    daily(cat)
    result = run_group_now(cat, "daily", runner=engine, clock=lambda: at("2025-06-15T09:00"))
    assert (result.from_day, result.to_day) == ("2025-06-14", "2025-06-15")
    add_group(cat, new_group("manual", ["crm"]))
    with pytest.raises(ConfigError, match="has no schedule, so it has no window to run") as err:
        run_group_now(cat, "manual", runner=engine)  # never a guessed day
    assert "--day" in (err.value.hint or "") and [r.courier for r in engine.requests] == ["opt"]


def test_one_scheduler_per_workspace(catalog: Catalog) -> None:
    import os

    with scheduler_lock(catalog.workspace):
        with pytest.raises(Busy) as err, scheduler_lock(catalog.workspace):
            pass
        assert f"the scheduler of workspace {catalog.workspace.root} is in use" in err.value.message
        assert f"pid {os.getpid()}" in err.value.message and "one scheduler per workspace" in (err.value.hint or "")
    with scheduler_lock(catalog.workspace):  # released when the first one ends
        pass


def test_due_runs_once_and_records_the_fire(cat: Catalog, engine: FakeEngine) -> None:
    daily(cat, last="2025-06-14T06:00")
    s = scheduler(cat, engine, "2025-06-15T06:00:30")
    results = s.run_due()
    assert [r.fire for r in results] == ["2025-06-15T06:00:00+00:00"]
    assert results[0].note is None
    assert get_group(cat, "daily").last_fire == at("2025-06-15T06:00").timestamp()
    assert s.run_due() == []  # already handled
    assert s.next_wake(at("2025-06-15T06:00:30")) == at("2025-06-16T06:00")


def test_missed_fires_run_once_on_start_and_cover_every_missed_day(cat: Catalog, engine: FakeEngine,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    daily(cat, last="2025-06-11T06:00")
    results = scheduler(cat, engine, "2025-06-15T10:00").run_due()
    assert len(results) == 1 and len(engine.requests) == 1
    assert (results[0].from_day, results[0].to_day) == ("2025-06-11", "2025-06-15")
    assert "missed while the scheduler was down" in (results[0].note or "")
    assert "3 earlier fire times also missed; running once for all of them" in (results[0].note or "")
    log = (cat.workspace.logs_dir / "scheduler.log").read_text()
    assert "catching up" in log and "group daily" in log


def test_disabled_group_never_fires(cat: Catalog, engine: FakeEngine) -> None:
    daily(cat, last="2025-06-11T06:00")
    set_enabled(cat, "daily", False)
    s = scheduler(cat, engine, "2025-06-15T10:00")
    assert s.run_due() == [] and engine.requests == []
    assert s.next_wake(at("2025-06-15T10:00")) is None


def test_new_group_does_not_fire_for_times_before_it_existed(cat: Catalog, engine: FakeEngine) -> None:
    daily(cat, cron="* * * * *")
    created = datetime.fromtimestamp(get_group(cat, "daily").created_at, UTC)
    assert scheduler(cat, engine, (created - timedelta(hours=1)).replace(tzinfo=None).isoformat()).run_due() == []
    later = (created + timedelta(minutes=2)).replace(tzinfo=None).isoformat()
    assert len(scheduler(cat, engine, later).run_due()) == 1


def test_a_failing_run_does_not_stop_the_scheduler(cat: Catalog, engine: FakeEngine) -> None:
    daily(cat, "a", couriers=("opt",), last="2025-06-14T06:00")
    daily(cat, "b", couriers=("crm",), last="2025-06-14T06:00")
    engine.outcomes = {"opt": "raise"}
    results = scheduler(cat, engine, "2025-06-15T06:01").run_due()
    assert [r.group for r in results] == ["b"] and results[0].status == "succeeded"
    assert "unexpected error" in (cat.workspace.logs_dir / "scheduler.log").read_text()


def test_courier_errors_before_start_fail_the_group_not_the_scheduler(cat: Catalog, engine: FakeEngine) -> None:
    """A courier busy with a manual run fails the group run; the window is not done: it is retried after a
    backoff (the fire time is not recorded as handled) and the group is late until a retry succeeds."""
    from courier.core.schedule.groups import group_status

    daily(cat, couriers=("opt", "crm"), last="2025-06-14T06:00")
    engine.outcomes = {"opt": "busy"}
    result, = scheduler(cat, engine, "2025-06-15T06:01").run_due()
    assert result.status == "failed" and "already running" in (result.error or "")
    group = get_group(cat, "daily")
    assert group.last_fire == at("2025-06-14T06:00").timestamp()  # not handled: the window failed
    assert group.retry is not None and group.retry["attempts"] == 1
    assert group.retry["next_attempt"] == "2025-06-15T06:02:00+00:00"  # one minute of backoff
    assert group_status(cat, group, at("2025-06-15T06:01"))["late"] is True
    assert scheduler(cat, engine, "2025-06-15T06:01:30").run_due() == []  # backing off
    engine.outcomes = {}
    retried, = scheduler(cat, engine, "2025-06-15T06:02").run_due()
    assert retried.status == "succeeded" and "retrying" in (retried.note or "")
    assert (retried.from_day, retried.to_day) == ("2025-06-14", "2025-06-15")
    group = get_group(cat, "daily")
    assert group.last_fire == at("2025-06-15T06:00").timestamp() and group.retry is None
    assert group_status(cat, group, at("2025-06-15T06:02"))["late"] is False


def test_failed_windows_back_off_exponentially_up_to_an_hour_and_reach_back_to_the_last_fire_handled(
        cat: Catalog, engine: FakeEngine) -> None:
    from courier.core.schedule.scheduler import RETRY_MAX, retry_delay

    assert [retry_delay(n).total_seconds() / 60 for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert retry_delay(7) == RETRY_MAX and retry_delay(500) == RETRY_MAX
    daily(cat, last="2025-06-14T06:00")
    engine.outcomes = {"opt": "failed"}
    clock = at("2025-06-15T06:00")
    for attempt in range(1, 9):
        result, = scheduler(cat, engine, clock.replace(tzinfo=None).isoformat()).run_due()
        assert result.status == "failed"
        retry = get_group(cat, "daily").retry
        assert retry is not None and retry["attempts"] == attempt
        clock = datetime.fromisoformat(retry["next_attempt"])
    assert clock - datetime.fromisoformat(get_group(cat, "daily").retry["fire"]) > timedelta(hours=1)
    engine.outcomes = {}
    nxt = at("2025-06-16T06:30")  # the next day's fire time has passed too: one run covers both days
    result, = scheduler(cat, engine, nxt.replace(tzinfo=None).isoformat()).run_due()
    assert result.status == "succeeded" and (result.from_day, result.to_day) == ("2025-06-14", "2025-06-16")
    assert get_group(cat, "daily").last_fire == at("2025-06-16T06:00").timestamp()


def test_after_constraint_runs_the_other_group_first(cat: Catalog, engine: FakeEngine) -> None:
    daily(cat, "upstream", couriers=("opt",), last="2025-06-14T06:00")
    daily(cat, "downstream", couriers=("crm",), last="2025-06-14T06:00", after="upstream")
    results = scheduler(cat, engine, "2025-06-15T06:01").run_due()
    assert [(r.group, r.status) for r in results] == [("upstream", "succeeded"), ("downstream", "succeeded")]


def test_after_constraint_blocks_when_the_other_group_failed(cat: Catalog, engine: FakeEngine) -> None:
    daily(cat, "upstream", couriers=("opt",), last="2025-06-14T06:00")
    daily(cat, "downstream", couriers=("crm",), last="2025-06-14T06:00", after="upstream")
    engine.outcomes = {"opt": "failed"}
    results = scheduler(cat, engine, "2025-06-15T06:01").run_due()
    down = results[1]
    assert down.status == "failed"
    assert down.error == "waited for courier group 'upstream': no succeeded run for 2025-06-14"
    assert [r.courier for r in engine.requests] == ["opt"]  # downstream's couriers never started


def test_after_constraint_is_met_while_waiting(cat: Catalog, engine: FakeEngine) -> None:
    """The other group succeeds (in another process) during this group's wait."""
    daily(cat, "upstream", couriers=("opt",), cron="0 5 * * *")
    daily(cat, "downstream", couriers=("crm",), last="2025-06-14T06:00", after="upstream", wait="1h")
    fire = at("2025-06-15T06:00")
    timer = threading.Timer(0.3, lambda: engine(cat, RunRequest(
        "opt", "period", from_day=at("2025-06-14T00:00").date(), to_day=at("2025-06-15T00:00").date(),
        group_name="upstream", group_run="gr-other")))
    timer.start()
    result = GroupRun(cat, get_group(cat, "downstream"), runner=engine, clock=lambda: fire).scheduled(fire)
    timer.join()
    assert result.status == "succeeded"
    assert [r.courier for r in engine.requests] == ["opt", "crm"]


def test_cancelled_run_leaves_the_fire_for_the_next_start(cat: Catalog, engine: FakeEngine) -> None:
    daily(cat, couriers=("opt", "crm"), last="2025-06-14T06:00")
    engine.outcomes = {"opt": "block"}
    s = scheduler(cat, engine, "2025-06-15T06:01")
    threading.Thread(target=lambda: (engine.started.wait(10), s.cancel.set()), daemon=True).start()
    result, = s.run_due()
    assert result.status == "cancelled"
    assert [(c.courier, c.status) for c in result.couriers] == [("opt", "cancelled"), ("crm", "cancelled")]
    assert get_group(cat, "daily").last_fire == at("2025-06-14T06:00").timestamp()


def test_sla_marks_a_run_late(cat: Catalog, engine: FakeEngine) -> None:
    daily(cat, sla="1h")
    fire = at("2025-06-15T06:00")
    late = GroupRun(cat, get_group(cat, "daily"), runner=engine, log=scheduler_logger(cat),
                    clock=lambda: fire + timedelta(hours=2)).scheduled(fire)
    assert late.late
    assert "group daily is LATE" in (cat.workspace.logs_dir / "scheduler.log").read_text()
    on_time = GroupRun(cat, get_group(cat, "daily"), runner=engine, clock=lambda: fire).scheduled(fire)
    assert not on_time.late
    assert get_group(cat, "daily").last["late"] is False


def test_empty_window_is_skipped(cat: Catalog, engine: FakeEngine) -> None:
    daily(cat, cron="0 * * * *", offset="0", lookback="1h")
    result = GroupRun(cat, get_group(cat, "daily"), runner=engine).scheduled(at("2025-06-15T13:00"))
    assert result.status == "skipped" and engine.requests == []
    assert "no day starts inside it" in (result.note or "")


def test_second_run_of_the_same_group_is_refused(cat: Catalog, engine: FakeEngine) -> None:
    daily(cat)
    with cat.workspace.lock("group-daily", "courier group daily"), pytest.raises(Busy):
        GroupRun(cat, get_group(cat, "daily"), runner=engine).scheduled(at("2025-06-15T06:00"))


def test_serve_stops_when_asked(cat: Catalog, engine: FakeEngine) -> None:
    daily(cat, last="2025-06-14T06:00")
    stop = threading.Event()
    s = scheduler(cat, engine, "2025-06-15T06:00:10")
    thread = threading.Thread(target=s.serve, args=(stop, 0.05))
    thread.start()
    engine.started.wait(10)
    stop.set()
    thread.join(10)
    assert not thread.is_alive()
    assert len(engine.requests) == 1  # fired once, then slept
    assert "scheduler stopped" in (cat.workspace.logs_dir / "scheduler.log").read_text()



# --- with the real run engine and a local S3 ------------------------------------------------------

ACCOUNT = "1234567890"
BUCKET = "optimizely-events-data"
DAY = datetime(2026, 11, 1, tzinfo=UTC).date()
FIRE = datetime(2026, 11, 2, 6, tzinfo=UTC)  # the daily 06:00 run whose window is DAY


@pytest.fixture
def export(s3, catalog: Catalog):  # type: ignore[no-untyped-def]
    """One day of Optimizely export without its _SUCCESS markers yet, and a courier that lands it."""
    from courier.core.config.couriers import add_courier as add_real_courier
    from courier.core.config.credentials import add_credential
    from courier.core.devtools.synth import ExportSpec, upload_export

    spec = ExportSpec(account_id=ACCOUNT, start=DAY, days=1, decisions_per_day=20, conversions_per_day=10,
                      experiments=1, events=("purchase",), seed=5)
    upload_export(spec, s3.client("s3"), BUCKET)
    add_credential(catalog, "opt", "iam-credential", access_key_id="AKIALOCALS3TESTING00", secret_access_key="testing")
    add_real_courier(catalog, "optimizely", credential="opt", bucket=BUCKET, endpoint_url=s3.endpoint_url,
                     optimizely_account=ACCOUNT, load_operations="{}")
    add_group(catalog, new_group("daily", ["optimizely"], cron="0 6 * * *", wait="1m"))
    record_fire(catalog, "daily", FIRE - timedelta(days=1))
    return spec


def put_ready_markers(s3) -> None:  # type: ignore[no-untyped-def]
    from courier.core import optimizely as opt

    client = s3.client("s3")
    for dataset in (opt.DECISIONS, opt.EVENTS):
        client.put_object(Bucket=BUCKET, Key=opt.ready_marker_key(ACCOUNT, dataset, DAY), Body=b"")


def test_wait_keeps_polling_until_the_ready_marker_appears(export: Any, catalog: Catalog, s3) -> None:  # type: ignore[no-untyped-def]
    from courier.core.runs.events import read_events
    from courier.core.schedule.scheduler import shifted_clock

    engine_saw_missing = threading.Event()

    def sink(event: Any) -> None:
        if event.type == "warning" and "waiting" in event.data.get("message", ""):
            engine_saw_missing.set()

    def publish_late() -> None:  # Optimizely's pipeline finishes the day while the run waits
        engine_saw_missing.wait(30)
        put_ready_markers(s3)

    publisher = threading.Thread(target=publish_late, daemon=True)
    publisher.start()
    s = Scheduler(catalog, clock=shifted_clock(FIRE + timedelta(seconds=5)), log=scheduler_logger(catalog), sink=sink)
    result, = s.run_due()
    publisher.join(5)
    assert engine_saw_missing.is_set()
    assert result.status == "succeeded", result.error
    outcome, = result.couriers
    events = [e.type for e in read_events(catalog, outcome.run_id or "")]
    assert "warning" in events and events[-1] == "run_finished"
    row = catalog.one("SELECT status, group_name, group_run, from_day FROM runs WHERE id = ?", (outcome.run_id,))
    assert tuple(row) == ("succeeded", "daily", result.group_run, DAY.isoformat())
    assert get_group(catalog, "daily").last_fire == FIRE.timestamp()


def test_without_wait_a_missing_marker_fails_the_group(export: Any, catalog: Catalog) -> None:
    from courier.core.schedule.groups import edit_group

    edit_group(catalog, "daily", wait="0")
    result, = Scheduler(catalog, clock=lambda: FIRE + timedelta(seconds=5), log=scheduler_logger(catalog)).run_due()
    assert result.status == "failed"
    assert f"day {DAY} is not ready" in (result.error or "")


def test_sigterm_during_a_scheduled_run_cancels_it_and_keeps_the_fire_for_next_time(
        export: Any, catalog: Catalog, tmp_path: Any) -> None:
    import os
    import signal
    import subprocess
    import sys

    from courier.core.schedule.groups import edit_group

    edit_group(catalog, "daily", wait="10m")  # the run is still polling for _SUCCESS when SIGTERM arrives
    proc = subprocess.Popen(
        [sys.executable, "-c", "from courier.tui.cli.main import main; main()", "--workspace", str(catalog.workspace.root),
         "scheduler", "--now", (FIRE + timedelta(seconds=5)).isoformat()],
        cwd=Path(__file__).resolve().parents[3], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        waiting = None
        while time.monotonic() < deadline and waiting is None:
            waiting = catalog.one("SELECT r.id FROM runs r JOIN run_events e ON e.run_id = r.id "
                                  "WHERE r.group_name = 'daily' AND r.status = 'running' AND e.type = 'warning'")
            if proc.poll() is not None:
                break
            time.sleep(0.1)
        assert waiting is not None, proc.communicate(timeout=5)
        os.kill(proc.pid, signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    row = catalog.one("SELECT status, ended_at FROM runs WHERE id = ?", (waiting["id"],))
    assert row["status"] == "cancelled" and row["ended_at"] is not None
    group = get_group(catalog, "daily")
    assert group.last_fire == (FIRE - timedelta(days=1)).timestamp()  # the next start runs this fire again
    assert group.last is not None and group.last["status"] == "cancelled"
    log = (catalog.workspace.logs_dir / "scheduler.log").read_text()
    assert "SIGTERM received: cancelling the run in flight and stopping" in log
    assert "scheduler stopped" in log
    assert not catalog.workspace.is_locked("scheduler")
