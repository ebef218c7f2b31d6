"""courier's public API: one workspace, opened as a context manager that owns its catalog.

Import it as `from courier.core import Workspace`, then:

    with Workspace.open("~/courier") as ws:
        result = ws.run("optimizely", day=date(2026, 11, 3))
        print(result.status, result.notification)
        table = ws.query('SELECT count(*) AS n FROM "Optimizely:Decisions"', limit=10)

The CLI and the TUI call the same engine functions this facade calls; it is the small, typed door for
scripts and notebooks. It sits on the top floor (it may use every package below it) and nothing in
the engine imports it.
"""

from __future__ import annotations

import builtins
import os
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import Any

import pyarrow as pa
from courier.core.catalog.catalog import Catalog
from courier.core.catalog.workspace import Workspace as WorkspaceFolder
from courier.core.catalog.workspace import open_workspace
from courier.core.config.couriers import (
    Courier,
    add_courier,
    edit_courier,
    get_courier,
    list_couriers,
)
from courier.core.errors import ConfigError
from courier.core.feeds.model import Feed, activate_feed, add_feed, get_feed, list_feeds
from courier.core.runs.events import Event
from courier.core.runs.records import RunRecord, RunResult, list_runs, start_run
from courier.core.runs.request import RunRequest
from courier.core.schedule.groups import Group, add_group, get_group, list_groups
from courier.core.source.landing import LandedFile, landed_files
from courier.core.types import RunMode
from courier.core.warehouse.duckdb import Warehouse


class Couriers:
    """The workspace's couriers (bucket settings, entities list, load operations)."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog

    def list(self) -> builtins.list[Courier]:
        return list_couriers(self._catalog)

    def get(self, name: str) -> Courier:
        return get_courier(self._catalog, name)

    def add(self, name: str, **settings: Any) -> tuple[Courier, builtins.list[str]]:
        """See `courier.core.config.couriers.add_courier`; returns the courier and its warnings."""
        return add_courier(self._catalog, name, **settings)

    def edit(self, name: str, **changes: Any) -> tuple[Courier, builtins.list[str]]:
        return edit_courier(self._catalog, name, **changes)


class Feeds:
    """The workspace's feeds (schema from a sample, primary key, tags, last-updated rule)."""

    def __init__(self, catalog: Catalog, folder: WorkspaceFolder) -> None:
        self._catalog, self._folder = catalog, folder

    def list(self) -> builtins.list[Feed]:
        return list_feeds(self._catalog)

    def get(self, feed_id_or_table: str) -> Feed:
        return get_feed(self._catalog, feed_id_or_table)

    def add(self, *, source: str, name: str, sample: str, activate: bool = False, **settings: Any) -> Feed:
        """A feed from a landed sample; `activate=True` also creates its domain table."""
        feed = add_feed(self._catalog, source=source, name=name, sample=sample, **settings)
        if activate:
            feed, _ = activate_feed(self._catalog, self._folder, feed.id)
        return feed


class Groups:
    """The workspace's courier groups (couriers on a cron schedule)."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog

    def list(self) -> builtins.list[Group]:
        return list_groups(self._catalog)

    def get(self, name: str) -> Group:
        return get_group(self._catalog, name)

    def add(self, group: Group) -> Group:
        return add_group(self._catalog, group)


class Workspace:
    """One courier workspace: its catalog, landed files and warehouse. Close it (or use `with`)."""

    def __init__(self, folder: WorkspaceFolder, catalog: Catalog) -> None:
        self.folder = folder
        self.catalog = catalog
        self.couriers = Couriers(catalog)
        self.feeds = Feeds(catalog, folder)
        self.groups = Groups(catalog)

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None) -> Workspace:
        """Open (creating if needed) the workspace at `path`, or at $COURIER_HOME / the default."""
        folder = open_workspace(Path(path).expanduser() if path is not None else None)
        return cls(folder, Catalog(folder))

    def close(self) -> None:
        self.catalog.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    @property
    def root(self) -> Path:
        return self.folder.root

    def run(self, courier: str, *, day: date | None = None, period: tuple[date, date] | None = None,
            all: bool = False, skip_missing: bool = False, on_event: Callable[[Event], None] | None = None,
            cancel: threading.Event | None = None) -> RunResult:
        """Run a courier for one day, a period [from, to) or all available data, to the end.

        Exactly one of `day`, `period` and `all` is given. A failed or cancelled run returns a result
        whose status and error say so, and what it did to the tables (`stats.tables_committed`: none
        on this warehouse, whose run commits all its loads at once or not at all); bad input raises ConfigError.
        """
        chosen = [name for name, given in (("day", day is not None), ("period", period is not None),
                                           ("all", all)) if given]
        if len(chosen) != 1:
            raise ConfigError("give exactly one of day=, period=(from, to) or all=True",
                              hint="e.g. ws.run('optimizely', day=date(2026, 11, 3))")
        if period is not None:
            request = RunRequest(courier=courier, mode=RunMode.PERIOD, from_day=period[0], to_day=period[1],
                                 skip_missing=skip_missing)
        elif day is not None:
            request = RunRequest(courier=courier, mode=RunMode.DAY, day=day, skip_missing=skip_missing)
        else:
            request = RunRequest(courier=courier, mode=RunMode.ALL, skip_missing=skip_missing)
        return start_run(self.catalog, request, sink=on_event, cancel=cancel)

    def landed_files(self, courier: str | None = None) -> list[LandedFile]:
        """Landed files, newest first: where feed samples come from."""
        return landed_files(self.catalog, courier)

    def runs(self, courier: str | None = None, limit: int = 100) -> list[RunRecord]:
        """Run history, newest first."""
        return list_runs(self.catalog, courier, limit=limit)

    def query(self, sql: str, *, limit: int | None = 1000, timeout: float | None = None) -> pa.Table:
        """Read-only SQL over the domain tables (the query sandbox: no file or network beyond the
        warehouse), at most `limit` rows (None: all of them)."""
        warehouse = Warehouse(self.folder.warehouse_path, read_only=True,
                              purpose="courier API")
        try:
            return warehouse.query(sql, timeout=timeout, limit=limit)
        finally:
            warehouse.close()
