"""The stages of one courier run, in the order data flows: plan → list → land → load.

Kept apart from core/runs/records.py (which owns run records, locks and results) so each stage reads
like the data flow: `plan_days`, `find_files` (with ready-marker gating and wait-time polling),
`land_files`, `run_load_operations`.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from courier.core.catalog.catalog import Catalog, dumps, now
from courier.core.catalog.workspace import Workspace
from courier.core.config.couriers import Courier
from courier.core.config.entities import Entity
from courier.core.config.load_operations import Operation
from courier.core.errors import Cancelled, CourierError, DiskFull, Fix, FixKind, RunFailed
from courier.core.feeds.model import Feed, list_feeds
from courier.core.runs.events import (
    BatchLoaded,
    DayChecked,
    EventLog,
    FeedLoaded,
    FeedLoadStarted,
    FileLanded,
    FileListed,
    RunWarning,
)
from courier.core.runs.request import RunRequest
from courier.core.runs.stats import DayReadiness, FeedStats, RunStats
from courier.core.source.aws import s3_client, translate_error
from courier.core.source.landing import LandingResult, land
from courier.core.source.listing import (
    DayStatus,
    RemoteListing,
    RemoteObject,
    discover_days,
    list_days,
)
from courier.core.types import RunMode
from courier.core.warehouse.backend import WarehouseBackend
from courier.core.warehouse.duckdb import Warehouse
from courier.core.warehouse.spec import LoadProgress, LoadStats, SourceFile

POLL_START, POLL_MAX = 2.0, 60.0


def missing_reason(status: DayStatus) -> str:
    """Why a day's file set is not available: no ready marker yet, or no file matching."""
    if status.ready is False:
        return f"day {status.day} is not ready for {status.tag} (no ready marker yet)"
    return f"no file for {status.tag} on {status.day} (looked for {status.looked_for})"


@dataclass
class FeedLoad:
    """One feed's part of a run's loads: truncate or not, the landed files it loads, its stats once loaded."""

    feed: Feed
    truncate: bool
    files: list[LandingResult]
    sources: list[SourceFile]
    stats: LoadStats | None = None


class RunSteps:
    def __init__(self, catalog: Catalog, workspace: Workspace, courier: Courier, request: RunRequest, log: EventLog,
                 cancel: threading.Event, run_id: str) -> None:
        self.catalog, self.workspace, self.courier, self.request = catalog, workspace, courier, request
        self.log, self.cancel, self.run_id = log, cancel, run_id
        self.stats = RunStats()
        self.load_began = False  # the run reached the warehouse (its tables may have been touched)
        self.warnings: list[str] = []
        self.missing_required: list[str] = []
        self.nothing_loaded_reason: str | None = None
        self._client: Any = None

    # -- helpers ---------------------------------------------------------------------------
    def warn(self, message: str) -> None:
        self.warnings.append(message)
        self.log.emit(RunWarning, message=message)

    def check_cancel(self) -> None:
        if self.cancel.is_set():
            raise Cancelled()

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = s3_client(self.catalog, self.courier.credential, region=self.courier.region,
                                     endpoint_url=self.courier.endpoint_url)
        return self._client

    def _s3(self, action: str, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except CourierError:
            raise
        except Exception as exc:  # noqa: BLE001 - botocore errors become one line
            raise translate_error(exc, action=action, bucket=self.courier.bucket) from None

    # -- stages ----------------------------------------------------------------------------
    def execute(self) -> None:
        operations = self.courier.load_operations  # parsed and validated when the courier was read
        days = self.plan_days()
        objects = self.find_files(days)
        self.check_cancel()
        landed = self.land_files(objects)
        self.check_cancel()
        self.run_load_operations(operations, landed)

    def plan_days(self) -> list[date]:
        if self.request.mode != RunMode.ALL:
            return self.request.days()
        days, _requests = self._s3("ListObjectsV2", discover_days, self.client, self.courier)
        if not days:
            self.warn("no dated files found under the courier's patterns")
        return days

    def find_files(self, days: list[date]) -> list[RemoteObject]:
        """List the days; wait for missing required files or ready markers until wait_until."""
        delay = POLL_START
        while True:
            listing: RemoteListing = self._s3("ListObjectsV2", list_days, self.client, self.courier, days)
            missing = [s for s in listing.days if not s.available and not s.optional]
            if not missing or self.request.wait_until is None or time.time() >= self.request.wait_until:
                break
            self.check_cancel()
            pause = min(delay, max(0.0, self.request.wait_until - time.time()))
            more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
            until = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(self.request.wait_until))
            self.log.emit(RunWarning, message=f"waiting for late files: {missing_reason(missing[0])}{more};"
                                            f" checking again in {pause:.0f} s, until {until}")
            self.cancel.wait(pause)
            delay = min(delay * 2, POLL_MAX)
        return self._gate(listing)

    def _gate(self, listing: RemoteListing) -> list[RemoteObject]:
        by_day: dict[date, list[DayStatus]] = defaultdict(list)
        for status in listing.days:
            by_day[status.day].append(status)
        usable: set[tuple[int, date]] = set()
        for day, statuses in sorted(by_day.items()):
            for s in statuses:
                self.log.emit(DayChecked, day=day.isoformat(), tag=s.tag, ready=s.ready, objects=s.objects)
                if s.available:
                    usable.add((s.entity_index, day))
                    continue
                reason = missing_reason(s)
                if s.optional or self.request.mode == RunMode.ALL:
                    self.warn(reason)
                elif self.request.skip_missing:
                    self.warn(f"{reason}; skipped (skip missing)")
                else:
                    self.missing_required.append(reason)
            self.stats.days.append(DayReadiness(day.isoformat(), all(s.available for s in statuses)))
        if self.missing_required:
            first = self.missing_required[0]
            more = f" (and {len(self.missing_required) - 1} more)" if len(self.missing_required) > 1 else ""
            raise RunFailed(f"missing required files: {first}{more}", hint="wait for the export or choose another day",
                            fix=Fix(FixKind.TURN_ON, "skip_missing", why="to continue without them"))
        objects = [o for o in listing.objects if (o.entity_index, o.day) in usable]
        for obj in objects:
            self.log.emit(FileListed, key=obj.key, size=obj.size, tag=obj.tag)
        return sorted(objects, key=lambda o: (o.day, o.key))

    def land_files(self, objects: list[RemoteObject]) -> list[LandingResult]:
        def on_file(result: LandingResult) -> None:
            if result.skipped:
                self.stats.files_skipped += 1
            else:
                self.stats.files_landed += 1
                self.stats.bytes += result.size
            if result.note:
                self.warn(result.note)
            self.log.emit(FileLanded, key=result.obj.key, size=result.size, skipped=result.skipped)

        def on_skipped(obj: RemoteObject, reason: str) -> None:
            self.stats.files_not_landed += 1
            self.warn(reason)

        return land(self.catalog, self.workspace, self.client, self.courier.name, objects, self.run_id,
                    on_file=on_file, cancel=self.cancel, on_skipped=on_skipped)

    def run_load_operations(self, operations: dict[str, list[Operation]], landed: list[LandingResult]) -> None:
        """Every feed's truncate + load in ONE warehouse transaction: the run changes all its tables or none.

        (A backend that commits per table says so with `atomic_runs`; then each table counts as committed
        when its load returns, and `stats.tables_committed` lists exactly those.)
        """
        if not operations:
            self.nothing_loaded_reason = (f"Landed {self.stats.files_landed} files "
                                          f"({self.stats.files_skipped} already landed); "
                                          "load operations are empty, so nothing was loaded")
            return
        known = {f.id: f for f in list_feeds(self.catalog)}
        unknown = [feed_id for feed_id in operations if feed_id not in known]
        if unknown:
            names = ", ".join(f'"{f}"' for f in unknown)
            raise RunFailed(f"Error running load-operations task\nCannot find required feeds: {names}",
                            hint="add the feeds, then put their ids in the courier's load operations")
        inactive = [known[feed_id] for feed_id in operations if not known[feed_id].active]
        if inactive:
            feed = inactive[0]
            more = f" (and {len(inactive) - 1} more inactive feeds)" if len(inactive) > 1 else ""
            raise RunFailed(f"feed {feed.id} ({feed.table_name}) is not active: activate it first{more}",
                            hint=f"`courier feeds activate {feed.id}` creates its table; then run again")
        plans = [self._plan_feed(known[feed_id], ops, landed) for feed_id, ops in operations.items()]
        if not any(plan.truncate or plan.sources for plan in plans):
            for plan in plans:
                self._load_feed(None, plan)
            return
        done: list[FeedLoad] = []
        with self.workspace.wait_lock("warehouse"), Warehouse(self.workspace.warehouse_path) as warehouse:
            self.load_began = True
            try:
                with warehouse.transaction():
                    for plan in plans:
                        self.check_cancel()
                        self._load_feed(warehouse, plan)
                        if plan.stats is None:
                            continue
                        if warehouse.atomic_runs:
                            done.append(plan)
                        else:  # this backend has committed the table already: record it at once
                            self._committed([plan])
                    self.check_cancel()  # the last moment a cancel still leaves every table as it was
                    if done:  # a process killed during the COMMIT can only say they hold all of it or none
                        self.stats.tables_committing = [plan.feed.table_name for plan in done]
                        self.catalog.execute("UPDATE runs SET stats = ? WHERE id = ?",
                                             (dumps(self.stats.to_json()), self.run_id))
            finally:  # committed (recorded next) or rolled back (nothing to record)
                self.stats.tables_committing = None
        if done:
            self._committed(done)

    def _plan_feed(self, feed: Feed, ops: list[Operation], landed: list[LandingResult]) -> FeedLoad:
        truncate = any(op.type == "truncate" for op in ops)
        tags = [op.file for op in ops if op.type == "load"]
        entities = {e.tag: e for e in self.courier.entities}
        files = [r for r in landed if r.obj.tag in tags]
        if not truncate:
            files = [r for r in files if not self._already_loaded(feed.id, r)]
        sources = [
            SourceFile(path=r.local_path, key=r.obj.key, partition=r.obj.partition,
                       content_type=entities[r.obj.tag].content_type,
                       options=_format_options(entities[r.obj.tag]), order=i)
            for i, r in enumerate(files)
        ]
        return FeedLoad(feed, truncate, files, sources)

    def _load_feed(self, warehouse: WarehouseBackend | None, plan: FeedLoad) -> None:
        """One feed's truncate + load inside the run's transaction (None: nothing to load, no warehouse)."""
        feed = plan.feed
        self.log.emit(FeedLoadStarted, feed_id=feed.id, table=feed.table_name, files=len(plan.sources))
        if warehouse is None or (not plan.sources and not plan.truncate):
            self.stats.feeds[feed.id] = FeedStats(feed.table_name)
            self.log.emit(FeedLoaded, feed_id=feed.id, table=feed.table_name, rows_read=0, inserted=0, updated=0)
            return

        def on_progress(progress: LoadProgress) -> None:
            self.check_cancel()
            self.log.emit(BatchLoaded, feed_id=feed.id, rows=getattr(progress, "rows", 0))

        try:
            warehouse.ensure_table(feed)
            stats = warehouse.load(feed, plan.sources, truncate=plan.truncate, run_id=self.run_id,
                                   on_progress=on_progress)
        except DiskFull:
            raise  # every later feed would fail the same way
        except CourierError as exc:
            if isinstance(exc, Cancelled):
                raise
            text = exc.message if exc.message.startswith(f"{feed.table_name}: ") else f"{feed.table_name}: {exc.message}"
            raise RunFailed(text, hint=exc.hint or "fix the feed's files or settings and run again") from None
        plan.stats = stats
        for message in stats.warnings:
            self.warn(message)
        self.log.emit(FeedLoaded, feed_id=feed.id, table=feed.table_name, rows_read=stats.rows_read,
                      inserted=stats.inserted, updated=stats.updated)

    def _committed(self, plans: list[FeedLoad]) -> None:
        """The warehouse has committed these feeds' tables: the run says so first (a failing catalog write
        must not make it claim less), then their files count as loaded and its record names them, in one
        catalog transaction, so even a run killed later names what it committed."""
        for plan in plans:
            assert plan.stats is not None
            self.stats.feeds[plan.feed.id] = FeedStats(plan.feed.table_name, plan.stats.rows_read,
                                                       plan.stats.inserted, plan.stats.updated)
            if plan.feed.table_name not in self.stats.tables_committed:
                self.stats.tables_committed.append(plan.feed.table_name)
        with self.catalog.transaction() as db:
            for plan in plans:
                if plan.truncate:
                    db.execute("DELETE FROM loaded_files WHERE feed_id = ?", (plan.feed.id,))
                db.executemany(
                    "INSERT OR REPLACE INTO loaded_files (feed_id, bucket, key, etag, run_id, loaded_at)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    [(plan.feed.id, r.obj.bucket, r.obj.key, r.etag, self.run_id, now()) for r in plan.files])
            db.execute("UPDATE runs SET stats = ? WHERE id = ?", (dumps(self.stats.to_json()), self.run_id))

    def _already_loaded(self, feed_id: str, result: LandingResult) -> bool:
        row = self.catalog.one("SELECT etag FROM loaded_files WHERE feed_id = ? AND bucket = ? AND key = ?",
                               (feed_id, result.obj.bucket, result.obj.key))
        return row is not None and row["etag"] == result.etag


def _format_options(entity: Entity) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for name in ("separator", "quote", "escape", "header_rows"):
        value = getattr(entity, name, None)
        if value is not None:
            options[name] = value
    return options
