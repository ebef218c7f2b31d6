"""Group runs and the scheduler that fires them.

A group run runs each courier in turn through the run engine (courier.core.runs.records.start_run) with one shared
`group_run` id, so its rows in `runs` (group_name, group_run) are the group's history. The group
succeeds only if every courier's run succeeded; when a courier's required files are missing,
`stop_when_missing` decides whether the rest still run (they are reported "skipped").

Scheduled runs (at fire time T, see courier.core.schedule.windows for the days) also:
- pass `wait_until = T + wait` to the engine, which keeps polling for missing required files and
  ready markers with backoff until then (an overdue catch-up run therefore checks just once); each
  poll's "waiting for late files" line, like every run warning, goes to the group's log as it happens;
- honour `--after OTHER`: before running, wait (until T + wait, polling with backoff) for OTHER to
  have a succeeded group run covering every day of this window, shifted back by after_offset
  (whole days); otherwise the run fails without starting its couriers;
- are late when still unfinished `sla` after T: logged when it happens and kept in the result.

The scheduler wakes at the next fire time across enabled groups (at least once a minute, so edits
apply), runs what is due, and logs to <workspace>/logs/scheduler.log. A group whose fire times
were missed while it was down runs ONCE on start, for the latest missed time (its window reaches
back to the last fire handled, so no day is lost), and the log says how many were missed. The last
fire time is stored only after a run of its window SUCCEEDED (or found nothing to load); a run
cancelled by SIGTERM or killed leaves it, so the next start catches that slot up. A failed run
(a courier busy with a manual run, the warehouse held too long, missing files after the wait, any
error) leaves it too and is retried with backoff (1, 2, 4 ... minutes, at most an hour; the state
is the group's "retry" setting in the catalog, so it survives restarts); each retry's window still
reaches back to the last fire handled, and the group shows as late until one succeeds.
`courier groups skip` gives up on a failed window. Disabled groups never fire. Manual runs
(`courier groups run`) load exactly the days given, do not wait, ignore `--after`, and do not move
the last fire time.
"""

from __future__ import annotations

import logging
import os
import secrets
import string
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from courier.core.catalog.catalog import Catalog
from courier.core.catalog.workspace import Workspace
from courier.core.errors import Busy, ConfigError, CourierError
from courier.core.runs.records import start_run
from courier.core.runs.request import RunRequest
from courier.core.schedule.cron import count_fires, previous_fire
from courier.core.schedule.durations import humanize
from courier.core.schedule.groups import (
    Group,
    constraint_missing,
    get_group,
    last_to_json,
    list_groups,
    lock_name,
    record_fire,
    record_last,
    record_retry,
)
from courier.core.schedule.windows import Window, group_window
from courier.core.text import PrintableFormatter
from courier.core.types import RunMode, RunStatus, Trigger

Runner = Callable[..., Any]  # courier.core.runs.records.start_run's signature
Clock = Callable[[], datetime]
LOG_FILE = "scheduler.log"
SCHEDULER_LOCK = "scheduler"  # locks/scheduler.lock: one scheduler per workspace
RETRY_FIRST = timedelta(minutes=1)  # the backoff before the first retry of a failed window; doubles each time
RETRY_MAX = timedelta(hours=1)
logging.getLogger("courier.scheduler").addHandler(logging.NullHandler())  # silent unless scheduler_logger


def real_clock() -> datetime:
    return datetime.now(UTC)


def shifted_clock(start: datetime) -> Clock:
    """A clock that starts at `start` (for --now) and then advances in real time."""
    base = time.monotonic()
    return lambda: start.astimezone(UTC) + timedelta(seconds=time.monotonic() - base)


@dataclass
class CourierOutcome:
    courier: str
    status: RunStatus
    run_id: str | None = None
    error: str | None = None
    missing_required: list[str] = field(default_factory=list)
    notification: str = ""


@dataclass
class GroupRunResult:
    group: str
    group_run: str
    trigger: Trigger
    status: RunStatus
    mode: RunMode
    from_day: str | None
    to_day: str | None
    fire: str | None = None
    started_at: float = 0.0
    ended_at: float | None = None
    late: bool = False
    error: str | None = None
    note: str | None = None
    couriers: list[CourierOutcome] = field(default_factory=list)

    def to_record(self) -> dict[str, Any]:
        """As the catalog stores it (the group's "last"): times in epoch seconds."""
        return asdict(self)

    def to_json(self) -> dict[str, Any]:
        """As `--json` shows it: times in UTC ISO-8601."""
        return last_to_json(self.to_record())

    def summary(self) -> str:
        days = self.from_day if self.mode is RunMode.DAY else "all data" if self.mode is RunMode.ALL else \
            f"{self.from_day} .. {self.to_day} (exclusive)"
        text = f"courier group {self.group} {self.status} ({self.group_run}, {days})"
        if self.late:
            text += ", late"
        return text + (f": {self.error}" if self.error else "")


def new_group_run_id(at: datetime | None = None) -> str:
    at = at or datetime.now(UTC)
    tail = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(6))
    return f"gr-{at:%Y%m%d-%H%M%S}-{tail}"


def _default_runner() -> Runner:
    return start_run


# --- one group run ------------------------------------------------------------------------------

class GroupRun:
    """Runs one group once; shared by the scheduler, `courier groups run` and the TUI."""

    def __init__(self, catalog: Catalog, group: Group, *, runner: Runner | None = None, sink: Any = None,
                 cancel: threading.Event | None = None, log: logging.Logger | None = None,
                 clock: Clock = real_clock) -> None:
        self.catalog = catalog
        self.group = group
        self.runner = runner or _default_runner()
        self.sink = sink
        self.cancel = cancel or threading.Event()
        self.log = log or logging.getLogger("courier.scheduler")
        self.clock = clock

    def _real(self, moment: datetime) -> float:
        """Epoch seconds on the real clock for a moment on our (possibly shifted) clock."""
        return moment.timestamp() - (self.clock().timestamp() - time.time())

    def scheduled(self, fire: datetime, previous: datetime | None = None, note: str | None = None) -> GroupRunResult:
        window = group_window(self.group, fire, previous)
        result = self._new(Trigger.SCHEDULED, RunMode.PERIOD, window.from_day, window.to_day, fire, note)
        if not window.days:
            result.status, result.note = RunStatus.SKIPPED, f"nothing to load: window {window.describe()}"
            return self._finish(result)
        deadline = fire + self.group.wait
        if not self._wait_for_constraint(result, window, deadline):
            return self._finish(result)
        return self._run(result, {"mode": RunMode.PERIOD, "from_day": window.from_day, "to_day": window.to_day},
                         wait_until=self._real(deadline), sla_from=fire)

    def manual(self, *, day: date | None = None, from_day: date | None = None, to_day: date | None = None,
               all_: bool = False) -> GroupRunResult:
        """Exactly the days given (RunRequest.from_selection's rule), now: no wait, no --after."""
        chosen = RunRequest.from_selection("", day=day, from_day=from_day, to_day=to_day, all_=all_)
        first, end = chosen.bounds()
        result = self._new(Trigger.MANUAL, chosen.mode, first, end, None, None)
        selection = {"mode": chosen.mode, "day": chosen.day, "from_day": chosen.from_day, "to_day": chosen.to_day}
        return self._run(result, selection, wait_until=None, sla_from=self.clock())

    def latest_window(self, fire: datetime) -> GroupRunResult:
        """A manual run of the window a scheduled run at `fire` would load (no wait, no constraint)."""
        window = group_window(self.group, fire)
        result = self._new(Trigger.MANUAL, RunMode.PERIOD, window.from_day, window.to_day, fire, None)
        if not window.days:
            result.status, result.note = RunStatus.SKIPPED, f"nothing to load: window {window.describe()}"
            return self._finish(result)
        return self._run(result, {"mode": RunMode.PERIOD, "from_day": window.from_day, "to_day": window.to_day},
                         wait_until=None, sla_from=self.clock())

    def _new(self, trigger: Trigger, mode: RunMode, from_day: date | None, to_day: date | None, fire: datetime | None,
             note: str | None) -> GroupRunResult:
        return GroupRunResult(self.group.name, new_group_run_id(self.clock()), trigger, RunStatus.RUNNING, mode,
                              from_day.isoformat() if from_day else None, to_day.isoformat() if to_day else None,
                              fire.astimezone(UTC).isoformat() if fire else None, time.time(), note=note)

    def _wait_for_constraint(self, result: GroupRunResult, window: Window, deadline: datetime) -> bool:
        delay = 1.0
        while True:
            missing = constraint_missing(self.catalog, self.group, window.days)
            if not missing:
                return True
            if self.cancel.is_set() or self.clock() >= deadline:
                days = ", ".join(d.isoformat() for d in missing[:5]) + (" ..." if len(missing) > 5 else "")
                result.status = RunStatus.CANCELLED if self.cancel.is_set() else RunStatus.FAILED
                result.error = f"waited for courier group {self.group.after!r}: no succeeded run for {days}"
                return False
            self.log.info("group %s: waiting for group %s (missing %s)", self.group.name, self.group.after,
                          missing[0].isoformat())
            left = (deadline - self.clock()).total_seconds()
            self.cancel.wait(max(0.05, min(delay, left)))
            delay = min(delay * 2, 60.0)

    def _run(self, result: GroupRunResult, selection: dict[str, Any], *, wait_until: float | None,
             sla_from: datetime) -> GroupRunResult:
        try:
            lock = self.catalog.workspace.lock(lock_name(self.group.name), f"courier group {self.group.name}")
            lock.__enter__()
        except Busy:
            raise Busy(f"courier group {self.group.name} is already running",
                       hint="wait for it to finish; `courier groups show` shows its last result") from None
        timer = self._sla_timer(result, sla_from)
        try:
            record_last(self.catalog, self.group.name, result.to_record())
            stopped_by: str | None = None
            for courier in self.group.couriers:
                if self.cancel.is_set():
                    result.couriers.append(CourierOutcome(courier, RunStatus.CANCELLED, error="not started: cancelled"))
                    continue
                if stopped_by:
                    result.couriers.append(CourierOutcome(
                        courier, RunStatus.SKIPPED, error=f"not run: {stopped_by} had missing required files (stop when missing)"))
                    continue
                request = RunRequest(courier=courier, group_name=self.group.name, group_run=result.group_run,
                                     wait_until=wait_until, **selection)
                outcome = self._one(request)
                result.couriers.append(outcome)
                if outcome.missing_required and outcome.status is RunStatus.FAILED and self.group.stop_when_missing:
                    stopped_by = courier
        finally:
            if timer:
                timer.cancel()
            lock.__exit__(None, None, None)
        statuses = {c.status for c in result.couriers}
        result.status = RunStatus.SUCCEEDED if statuses == {RunStatus.SUCCEEDED} else \
            RunStatus.CANCELLED if RunStatus.CANCELLED in statuses else RunStatus.FAILED
        if result.status is not RunStatus.SUCCEEDED:
            bad = [c for c in result.couriers if c.status is not RunStatus.SUCCEEDED]
            result.error = "; ".join(f"{c.courier}: {c.error or c.status}" for c in bad)
        return self._finish(result)

    def _one(self, request: RunRequest) -> CourierOutcome:
        try:
            run = self.runner(self.catalog, request, sink=self._sink_for(request.courier), cancel=self.cancel)
        except CourierError as exc:
            self.log.warning("group %s: courier %s did not start: %s", self.group.name, request.courier, exc.one_line())
            return CourierOutcome(request.courier, RunStatus.FAILED, error=exc.one_line())
        self.log.info("group %s: courier %s %s (%s)", self.group.name, request.courier, run.status, run.id)
        return CourierOutcome(request.courier, RunStatus(run.status), run.id, run.error, list(run.missing_required),
                              run.notification)

    def _sink_for(self, courier: str) -> Callable[[Any], None]:
        """The caller's sink, plus each run warning into the group's log as it happens: a run waiting
        for late files says so (stderr and scheduler.log for `courier scheduler`), never silently."""
        outer = self.sink

        def sink(event: Any) -> None:
            if outer is not None:
                outer(event)
            data = event.to_json()
            if data.get("type") == "warning":
                self.log.warning("group %s: courier %s: %s", self.group.name, courier, data.get("message"))

        return sink

    def _sla_timer(self, result: GroupRunResult, since: datetime) -> threading.Timer | None:
        sla = self.group.sla
        if not sla:
            return None
        left = (since + sla - self.clock()).total_seconds()
        if left <= 0:
            self._late(result)
            return None
        timer = threading.Timer(left, self._late, args=(result,))
        timer.daemon = True
        timer.start()
        return timer

    def _late(self, result: GroupRunResult) -> None:
        if result.ended_at is not None or result.late:
            return
        result.late = True
        self.log.warning("group %s is LATE: run %s still unfinished %s after its scheduled time", self.group.name,
                         result.group_run, humanize(self.group.sla or timedelta(0)))

    def _finish(self, result: GroupRunResult) -> GroupRunResult:
        result.ended_at = time.time()
        if self.group.sla and result.status is not RunStatus.SKIPPED:
            since = datetime.fromisoformat(result.fire) if result.fire else \
                datetime.fromtimestamp(result.started_at, UTC)
            if self._real(since + self.group.sla) < result.ended_at:
                result.late = True
        record_last(self.catalog, self.group.name, result.to_record())
        level = logging.INFO if result.status in (RunStatus.SUCCEEDED, RunStatus.SKIPPED) else logging.WARNING
        self.log.log(level, "%s%s", result.summary(), f" — {result.note}" if result.note else "")
        return result


def run_group_now(catalog: Catalog, name: str, *, day: date | None = None, from_day: date | None = None,
                  to_day: date | None = None, all_: bool = False, **options: Any) -> GroupRunResult:
    """Run group NAME now: `courier groups run` and the TUI's ctrl+g.

    The days given (a day, a period or all data, as `courier run` takes them); with none, the
    window of the group's latest scheduled fire time. A group without a schedule has no such
    window, and that is an error in every face (never a guessed day). `options` go to GroupRun
    (sink, cancel, clock, runner, log).
    """
    group = get_group(catalog, name)
    run = GroupRun(catalog, group, **options)
    if day is not None or from_day is not None or to_day is not None or all_:
        return run.manual(day=day, from_day=from_day, to_day=to_day, all_=all_)
    if not group.expr:
        raise ConfigError(f"courier group {name!r} has no schedule, so it has no window to run",
                          hint="pass --day D, --from D --to D or --all")
    return run.latest_window(previous_fire(group.expr, group.zone, run.clock()).utc)


# --- the scheduler ------------------------------------------------------------------------------

def retry_delay(attempts: int) -> timedelta:
    """How long to wait after `attempts` failed runs of a window: 1, 2, 4, ... minutes, at most RETRY_MAX."""
    return min(RETRY_FIRST * 2 ** min(max(attempts - 1, 0), 16), RETRY_MAX)


def retry_at(retry: dict[str, Any] | None) -> datetime | None:
    """When a failed window's next attempt is due (None: no retry pending)."""
    if not retry or not retry.get("next_attempt"):
        return None
    return datetime.fromisoformat(str(retry["next_attempt"])).astimezone(UTC)


def _backing_off(retry: dict[str, Any] | None, now: datetime) -> bool:
    """Waiting before the next attempt (a next attempt further off than RETRY_MAX means the clock
    went back, e.g. after a run with --now in the future: retry now)."""
    at = retry_at(retry)
    return at is not None and now < at <= now + RETRY_MAX


def late_text(group: Group) -> str:
    """One line on a group whose scheduled window failed and is not loaded yet."""
    retry = group.retry or {}
    days = retry.get("days") or [None, None]
    what = f"days {days[0]} .. {days[1]} (exclusive) are" if days[0] and days[1] else "its window is"
    attempts = int(retry.get("attempts") or 1)
    at = retry_at(retry)
    return (f"group {group.name} is LATE: {what} not loaded (scheduled {_minute(retry.get('first_fire'))} UTC;"
            f" {attempts} failed attempt{'s' if attempts != 1 else ''}, last error: {retry.get('error') or 'failed'});"
            " next attempt " + (f"at {at:%Y-%m-%d %H:%M:%S} UTC" if at else "on the next tick"))


def _minute(iso: Any) -> str:
    return str(iso or "?")[:16].replace("T", " ")


@dataclass
class Due:
    group: Group
    fire: datetime
    previous: datetime | None
    missed: int  # fire times in (last handled, now] besides the one we run
    retry: dict[str, Any] | None = None  # the failed window this run retries


class Scheduler:
    """Finds due groups and runs them; `serve` loops until stopped."""

    def __init__(self, catalog: Catalog, *, clock: Clock = real_clock, runner: Runner | None = None,
                 log: logging.Logger | None = None, cancel: threading.Event | None = None, sink: Any = None) -> None:
        self.catalog = catalog
        self.clock = clock
        self.runner = runner
        self.log = log or logging.getLogger("courier.scheduler")
        self.cancel = cancel or threading.Event()
        self.sink = sink

    def due(self, now: datetime) -> list[Due]:
        found: list[Due] = []
        for group in list_groups(self.catalog):
            expr = group.expr
            if not group.enabled or expr is None:
                continue
            baseline = datetime.fromtimestamp(group.last_fire if group.last_fire is not None else group.created_at, UTC)
            latest = previous_fire(expr, group.zone, now)
            if latest.utc <= baseline or _backing_off(group.retry, now):
                continue
            missed = count_fires(expr, group.zone, baseline, now) - 1
            previous = datetime.fromtimestamp(group.last_fire, UTC) if group.last_fire is not None else None
            if previous is None and group.retry and group.retry.get("first_fire"):  # the first window failed
                first = datetime.fromisoformat(str(group.retry["first_fire"]))
                previous = previous_fire(expr, group.zone, first - timedelta(seconds=1)).utc
            found.append(Due(group, latest.utc, previous, max(missed, 0), group.retry))
        depth = {d.group.name: self._depth(d.group) for d in found}
        return sorted(found, key=lambda d: (depth[d.group.name], d.fire, d.group.name))

    def _depth(self, group: Group) -> int:
        """Groups that wait for others run after them when both are due."""
        names = {g.name: g for g in list_groups(self.catalog)}
        depth, cursor = 0, group.after
        while cursor and cursor in names and depth < len(names):
            depth, cursor = depth + 1, names[cursor].after
        return depth

    def run_due(self, now: datetime | None = None) -> list[GroupRunResult]:
        """Run every due group once (sequentially); a failing group never stops the others."""
        results: list[GroupRunResult] = []
        for due in self.due(now or self.clock()):
            if self.cancel.is_set():
                break
            note = None
            late_by = (now or self.clock()) - due.fire
            if due.retry:
                note = (f"retrying the window scheduled {_minute(due.retry.get('first_fire'))} UTC"
                        f" (attempt {int(due.retry.get('attempts') or 0) + 1})")
                self.log.warning("group %s: %s", due.group.name, note)
            elif due.missed or late_by > timedelta(minutes=5):
                note = (f"catching up: fire time {due.fire:%Y-%m-%d %H:%M} UTC was missed while the scheduler was down"
                        + (f" ({due.missed}{'+' if due.missed >= 999 else ''} earlier fire time"
                           f"{'s' if due.missed != 1 else ''} also missed;"
                           " running once for all of them)" if due.missed else ""))
                self.log.warning("group %s: %s", due.group.name, note)
            self.log.info("group %s: firing for %s", due.group.name, due.fire.isoformat())
            try:
                run = GroupRun(self.catalog, due.group, runner=self.runner, sink=self.sink, cancel=self.cancel,
                               log=self.log, clock=self.clock)
                result = run.scheduled(due.fire, due.previous, note)
            except CourierError as exc:
                self.log.error("group %s: %s", due.group.name, exc.one_line())
                self._retry_later(due, exc.one_line(), None)
                continue
            except Exception:  # noqa: BLE001 - the scheduler survives any one run
                self.log.exception("group %s: unexpected error", due.group.name)
                self._retry_later(due, "unexpected error (details in the scheduler log)", None)
                continue
            results.append(result)
            if result.status in (RunStatus.SUCCEEDED, RunStatus.SKIPPED):  # the window is done; a cancelled one runs again
                record_fire(self.catalog, due.group.name, due.fire)
            elif result.status is RunStatus.FAILED:
                self._retry_later(due, result.error or "failed", result)
        return results

    def _retry_later(self, due: Due, error: str, result: GroupRunResult | None) -> None:
        """A failed window: not done; the next attempt after a backoff (kept in the catalog)."""
        before = due.retry or {}
        attempts = int(before.get("attempts") or 0) + 1
        at = self.clock() + retry_delay(attempts)
        days = [result.from_day, result.to_day] if result and result.from_day else before.get("days")
        retry = {"first_fire": before.get("first_fire") or due.fire.astimezone(UTC).isoformat(),
                 "fire": due.fire.astimezone(UTC).isoformat(), "attempts": attempts,
                 "next_attempt": at.astimezone(UTC).isoformat(), "error": error[:500], "days": days}
        record_retry(self.catalog, due.group.name, retry)
        self.log.warning("%s", late_text(replace(due.group, retry=retry)))

    def waiting(self, now: datetime) -> list[str]:
        """A line for each enabled group whose failed window waits for its next attempt."""
        return [late_text(g) for g in list_groups(self.catalog)
                if g.enabled and g.expr is not None and _backing_off(g.retry, now)]

    def next_wake(self, now: datetime) -> datetime | None:
        fires = [f.utc for g in list_groups(self.catalog) if (f := g.next_fire(now)) is not None]
        fires += [at for g in list_groups(self.catalog)
                  if g.enabled and g.expr is not None and (at := retry_at(g.retry)) is not None and at > now]
        return min(fires) if fires else None

    def serve(self, stop: threading.Event, max_sleep: float = 60.0) -> None:
        """Run due groups, sleep until the next fire time (or `max_sleep`), until `stop` is set."""
        self.log.info("scheduler started; %d enabled scheduled group(s)",
                      sum(1 for g in list_groups(self.catalog) if g.enabled and g.cron))
        for line in self.waiting(self.clock()):
            self.log.warning("%s", line)
        while not stop.is_set():
            try:
                self.run_due()
            except Exception:  # noqa: BLE001
                self.log.exception("scheduler cycle failed; continuing")
            if stop.is_set():
                break
            now = self.clock()
            wake = self.next_wake(now)
            sleep = max_sleep if wake is None else min(max_sleep, (wake - now).total_seconds())
            if wake is not None and sleep == (wake - now).total_seconds():
                self.log.debug("next fire %s", wake.isoformat())
            stop.wait(max(sleep, 0.05))
        self.log.info("scheduler stopped")


@contextmanager
def scheduler_lock(workspace: Workspace) -> Iterator[None]:
    """Hold the workspace's scheduler lock: one scheduler per workspace, so no fire time runs twice.

    A second scheduler is refused at once (Busy, naming the holder's pid); the OS releases the
    lock when the holder exits, even when it is killed.
    """
    with workspace.lock(SCHEDULER_LOCK, f"the scheduler of workspace {workspace.root}",
                        hint="one scheduler per workspace: leave the work to the running one, or stop it "
                             "(SIGTERM) first"):
        yield


def scheduler_logger(catalog: Catalog, echo: bool = False) -> logging.Logger:
    """The scheduler's log: <workspace>/logs/scheduler.log (UTC timestamps), optionally echoed to stderr.

    The file is the operator's alone (0600): it names buckets, couriers and the errors runs hit.
    """
    path = catalog.workspace.logs_dir / LOG_FILE
    log = logging.getLogger(f"courier.scheduler.{path}")
    log.setLevel(logging.INFO)
    log.propagate = False
    if not log.handlers:
        formatter = PrintableFormatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%dT%H:%M:%SZ")
        formatter.converter = time.gmtime
        # private like crash.log and the catalog: 0600 whatever the umask (an existing file is narrowed too)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.fchmod(fd, 0o600)
        finally:
            os.close(fd)
        handler = logging.FileHandler(path)
        handler.setFormatter(formatter)
        log.addHandler(handler)
        if echo:
            stream = logging.StreamHandler()
            stream.setFormatter(formatter)
            log.addHandler(stream)
    return log
