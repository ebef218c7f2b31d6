"""Courier runs: expand dates → list → gate on ready markers → land → load operations → record.

One run is one courier over one date selection (a day, a period [from, to), or all available
data). It holds the courier's lock for its whole life (a second run of the same courier is
refused), writes its progress as events, and ends with Amperity's notification text
("Completed in 5 minutes 12 seconds") or the error. All of a run's loads are one warehouse
transaction, so a failed, cancelled or killed run leaves every table as it was; on a backend that
commits per table the run records which tables it committed (`stats.tables_committed`) and its
error says so.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import string
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from courier.core.catalog.catalog import Catalog, dumps, loads, now
from courier.core.catalog.workspace import Workspace, lock_name
from courier.core.config.couriers import get_courier
from courier.core.config.credentials import all_secret_values
from courier.core.config.secrets import redact
from courier.core.errors import (
    Busy,
    Cancelled,
    CourierError,
    DiskFull,
    Fix,
    NotFound,
    RunFailed,
    disk_full,
)
from courier.core.runs.events import (
    TERMINAL,
    Event,
    EventLog,
    RunError,
    RunFinished,
    RunStarted,
    Sink,
    read_events,
)
from courier.core.runs.pipeline import RunSteps
from courier.core.runs.request import RunRequest
from courier.core.runs.stats import RunStats
from courier.core.text import iso_utc
from courier.core.types import RunMode, RunStatus
from courier.core.warehouse.duckdb import Warehouse


@dataclass
class RunResult:
    id: str
    status: RunStatus
    error: str | None = None
    notification: str = ""
    missing_required: list[str] = field(default_factory=list)
    stats: RunStats = field(default_factory=RunStats)
    warnings: list[str] = field(default_factory=list)
    fix: Fix | None = None  # the setting that would have let a failed run through (each face phrases it)
    hint: str | None = None  # what to do about the error, when the engine knows


@dataclass(frozen=True)
class RunRecord:
    id: str
    courier: str | None
    group_name: str | None
    group_run: str | None
    mode: RunMode
    from_day: str | None
    to_day: str | None
    status: RunStatus
    pid: int | None
    started_at: float
    ended_at: float | None
    stats: RunStats
    warnings: list[str]
    error: str | None
    notification: str | None

    @property
    def duration(self) -> float | None:
        return None if self.ended_at is None else self.ended_at - self.started_at

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "started_at": iso_utc(self.started_at), "ended_at": iso_utc(self.ended_at),
                "stats": self.stats.to_json(), "duration": self.duration}


def new_run_id(at: datetime | None = None) -> str:
    """`wf-YYYYMMDD-HHMMSS-xxxxxx`: sortable and readable, as Amperity's workflow ids are."""
    at = at or datetime.now()
    tail = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(6))
    return f"wf-{at:%Y%m%d-%H%M%S}-{tail}"


def notification_for(seconds: float) -> str:
    """Amperity's wording: 'Completed in 5 minutes 12 seconds'; seconds only under a minute."""
    total = int(round(seconds))
    minutes, secs = divmod(total, 60)
    unit_s = "second" if secs == 1 else "seconds"
    if minutes == 0:
        return f"Completed in {secs} {unit_s}"
    unit_m = "minute" if minutes == 1 else "minutes"
    return f"Completed in {minutes} {unit_m} {secs} {unit_s}"


def _record(row: Any) -> RunRecord:
    return RunRecord(row["id"], row["courier"], row["group_name"], row["group_run"], RunMode(row["mode"]),
                     row["from_day"], row["to_day"], RunStatus(row["status"]), row["pid"], row["started_at"], row["ended_at"],
                     RunStats.from_json(loads(row["stats"], {})), loads(row["warnings"], []), row["error"], row["notification"])


def list_runs(catalog: Catalog, courier: str | None = None, limit: int = 100, offset: int = 0) -> list[RunRecord]:
    reap_dead_runs(catalog)
    if courier:
        rows = catalog.all("SELECT * FROM runs WHERE courier = ? ORDER BY started_at DESC LIMIT ? OFFSET ?",
                           (courier, limit, offset))
    else:
        rows = catalog.all("SELECT * FROM runs ORDER BY started_at DESC LIMIT ? OFFSET ?", (limit, offset))
    return [_record(r) for r in rows]


def get_run(catalog: Catalog, run_id: str) -> RunRecord:
    reap_dead_runs(catalog)
    row = catalog.one("SELECT * FROM runs WHERE id = ?", (run_id,))
    if row is None:
        raise NotFound(f"no run {run_id!r}", hint="`courier runs` lists run ids")
    return _record(row)


def running_run(catalog: Catalog, courier: str) -> RunRecord | None:
    reap_dead_runs(catalog)
    row = catalog.one("SELECT * FROM runs WHERE courier = ? AND status = 'running' ORDER BY started_at DESC", (courier,))
    return _record(row) if row else None


def reap_dead_runs(catalog: Catalog) -> int:
    """Mark runs whose process died (SIGKILL, power loss) as failed: their courier lock is free."""
    reaped = 0
    for row in catalog.all("SELECT id, courier, pid, stats FROM runs WHERE status = 'running'"):
        if row["courier"] and catalog.workspace.is_locked(_lock_name(row["courier"])):
            continue
        stats = loads(row["stats"], {})
        committed, committing = stats.get("tables_committed") or [], stats.get("tables_committing") or []
        if committing:  # killed around the warehouse COMMIT: it either happened or it did not
            kept = (f"; it was committing {', '.join(committing)}, which hold either all of its loads or none "
                    "(running it again is safe)")
        elif committed:
            kept = f"; it had committed {', '.join(committed)}, nothing else it was loading was kept"
        else:
            kept = "; nothing it was loading was kept"
        catalog.execute(
            "UPDATE runs SET status = 'failed', ended_at = ?, error = ? WHERE id = ? AND status = 'running'",
            (now(), f"the run's process (pid {row['pid']}) ended without finishing{kept}", row["id"]),
        )
        reaped += 1
    return reaped


def tables_outcome(committed: list[str]) -> str:
    """What a run that did not succeed did to the tables, exactly: nothing, or which ones it committed."""
    if not committed:
        return "tables were left as they were"
    return f"it had already committed {', '.join(committed)}; every other table was left as it was"


def cancel_outcome() -> str:
    """What cancelling a run will do to the tables (the confirm dialog's promise), true for this warehouse."""
    if Warehouse.atomic_runs:
        return "Tables stay as they were before the run."
    return "Tables the run has already committed keep its changes; the others stay as they were."


def _lock_name(courier: str) -> str:
    return lock_name("courier", courier)


def start_run(catalog: Catalog, request: RunRequest, *, sink: Sink | None = None,
              cancel: threading.Event | None = None) -> RunResult:
    """Run a courier to the end and return its result (also recorded in the catalog).

    Configuration problems found before the run starts raise ConfigError/NotFound/Busy; anything
    that goes wrong once it runs ends as a failed RunResult with the error text.
    """

    request.validate()
    courier = get_courier(catalog, request.courier)
    workspace: Workspace = catalog.workspace
    reap_dead_runs(catalog)
    with contextlib.ExitStack() as held:
        try:
            held.enter_context(workspace.lock(_lock_name(courier.name), f"courier {courier.name}"))
        except Busy:
            other = running_run(catalog, courier.name)
            name = other.id if other else "another process"
            raise Busy(f"courier {courier.name} is already running ({name})",
                       hint=f"follow it with `courier runs watch {name}` or wait for it to finish") from None
        return _run_locked(catalog, workspace, courier, request, sink, cancel or threading.Event())


def _run_locked(catalog: Catalog, workspace: Workspace, courier: Any, request: RunRequest, sink: Sink | None,
                cancel: threading.Event) -> RunResult:
    run_id = new_run_id()
    started = time.time()
    days = request.days()
    workspace.reserve_space()  # released if the disk fills, so the run can still record how it ended
    catalog.execute(
        "INSERT INTO runs (id, courier, group_name, group_run, mode, from_day, to_day, status, pid, started_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, 'running', ?, ?)",
        (run_id, courier.name, request.group_name, request.group_run, request.mode,
         days[0].isoformat() if days else None,
         (days[-1] + timedelta(days=1)).isoformat() if days else None, os.getpid(), started),
    )
    log = EventLog(catalog, run_id, [sink] if sink else [], redact=_redactor(catalog))
    log.emit(RunStarted, courier=courier.name, mode=request.mode, days=[d.isoformat() for d in days])
    steps = RunSteps(catalog, workspace, courier, request, log, cancel, run_id)
    status, error, fix, hint = RunStatus.SUCCEEDED, None, None, None
    interrupted = False
    try:
        steps.execute()
    except Cancelled:
        status, error = RunStatus.CANCELLED, f"cancelled by the operator; {tables_outcome(steps.stats.tables_committed)}"
    except KeyboardInterrupt:
        interrupted = True
        status, error = RunStatus.CANCELLED, f"interrupted (Ctrl-C); {tables_outcome(steps.stats.tables_committed)}"
    except CourierError as exc:
        status, error, fix = RunStatus.FAILED, exc.one_line() if not isinstance(exc, RunFailed) else str(exc), exc.fix
        hint = exc.hint if isinstance(exc, RunFailed) else None  # one_line() already carries the others'
        if isinstance(exc, DiskFull):
            workspace.release_reserve()
    except Exception as exc:  # noqa: BLE001 - a run never dies with a traceback
        full = disk_full(exc, workspace.root)
        if full is not None:
            workspace.release_reserve()
        status, error = RunStatus.FAILED, full.one_line() if full else f"unexpected {type(exc).__name__}: {exc}"
    if status == RunStatus.FAILED and (steps.load_began or steps.stats.tables_committed):
        error = f"{error}; {tables_outcome(steps.stats.tables_committed)}"
    ended = time.time()
    notification = notification_for(ended - started) if status is RunStatus.SUCCEEDED else (error or status)
    if status is RunStatus.SUCCEEDED and steps.nothing_loaded_reason:
        notification = f"{notification}. {steps.nothing_loaded_reason}"
    unsaved = _finish(catalog, log, run_id, status, ended, steps, error, notification, ended - started)
    if unsaved is not None:
        raise DiskFull(unsaved.path, hint=f"run {run_id} {status} and its record could not be saved; free space "
                                          "on that disk, then `courier runs` shows it as failed") from None
    if interrupted:
        raise KeyboardInterrupt
    return RunResult(run_id, status, error, notification, steps.missing_required, steps.stats, steps.warnings, fix,
                     hint)


def _finish(catalog: Catalog, log: EventLog, run_id: str, status: str, ended: float, steps: Any,
            error: str | None, notification: str, seconds: float) -> DiskFull | None:
    """Record how the run ended: the error event, the run row, the last event. A full disk skips
    none of them (the reserve is given back first); returned when the run row was not written."""
    def attempt(write: Any) -> DiskFull | None:
        try:
            write()
        except DiskFull as exc:
            catalog.workspace.release_reserve()
            return exc
        return None

    if error:
        attempt(lambda: log.emit(RunError, message=error))
    unsaved = attempt(lambda: catalog.execute(
        "UPDATE runs SET status = ?, ended_at = ?, stats = ?, warnings = ?, error = ?, notification = ? WHERE id = ?",
        (status, ended, dumps(steps.stats.to_json()), dumps(steps.warnings), error, notification, run_id)))
    attempt(lambda: log.emit(RunFinished, status=status, notification=notification, error=error,
                             seconds=seconds))
    return unsaved


def _redactor(catalog: Catalog) -> Any:
    """Events must never carry a secret: redact every stored secret value."""
    values = all_secret_values(catalog)
    if not values:
        return None
    return lambda text: redact(text, values)


def follow(catalog: Catalog, run_id: str, poll: float = 0.2,
           stop: threading.Event | None = None) -> Iterator[Event]:
    """Yield a run's events as they are written (by any process) until it finishes.

    If the run's process died without a `run_finished` event (SIGKILL), the run row is marked
    failed by `reap_dead_runs` and a synthetic end is yielded here.
    """

    seq = 0
    while True:
        events = read_events(catalog, run_id, seq)
        for event in events:
            seq = event.seq
            yield event
            if event.type == TERMINAL:
                return
        if stop is not None and stop.is_set():
            return
        if not events:
            reap_dead_runs(catalog)
            row = catalog.one("SELECT status, error, started_at, ended_at FROM runs WHERE id = ?", (run_id,))
            if row is None:
                return
            if row["status"] != RunStatus.RUNNING:
                tail = read_events(catalog, run_id, seq)
                yield from tail
                if not any(e.type == TERMINAL for e in tail):
                    took = row["ended_at"] - row["started_at"] if row["ended_at"] is not None else None
                    yield RunFinished(run_id, seq + 1, time.time(), status=RunStatus(row["status"]),
                                      error=row["error"], notification=row["error"], seconds=took)
                return
        time.sleep(poll)
