"""What one run did, counted: files landed and skipped, bytes, each feed's rows, each day's readiness.

Stored in the catalog's `runs.stats` column as JSON; `to_json`/`from_json` keep the shape runs always
stored (`{"files_landed", "files_skipped", "bytes", "feeds": {id: {...}}, "days": [...]}`, plus
`files_not_landed` when some were), so older rows read as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class FeedStats:
    """One feed's load in a run."""

    table: str
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"table": self.table, "rows_read": self.rows_read, "inserted": self.inserted, "updated": self.updated}

    @classmethod
    def from_json(cls, data: dict[str, Any], feed_id: str = "") -> FeedStats:
        return cls(table=str(data.get("table") or feed_id), rows_read=int(data.get("rows_read") or 0),
                   inserted=int(data.get("inserted") or 0), updated=int(data.get("updated") or 0))


@dataclass
class DayReadiness:
    """Whether every entity of a day had its files (and ready markers) when the run looked."""

    day: str
    ready: bool

    def to_json(self) -> dict[str, Any]:
        return {"day": self.day, "ready": self.ready}


@dataclass
class RunStats:
    files_landed: int = 0
    files_skipped: int = 0  # already landed, not downloaded again
    files_not_landed: int = 0  # refused (an unsafe key, a name clash): each one is a warning too
    bytes: int = 0
    feeds: dict[str, FeedStats] = field(default_factory=dict)
    days: list[DayReadiness] = field(default_factory=list)
    tables_committed: list[str] = field(default_factory=list)  # tables whose changes this run committed
    tables_committing: list[str] | None = None  # only while the run's one COMMIT is under way

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.feeds.values())

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"files_landed": self.files_landed, "files_skipped": self.files_skipped,
                                "bytes": self.bytes, "feeds": {k: f.to_json() for k, f in self.feeds.items()},
                                "days": [d.to_json() for d in self.days], "tables_committed": list(self.tables_committed)}
        if self.tables_committing is not None:
            data["tables_committing"] = list(self.tables_committing)
        if self.files_not_landed:
            data["files_not_landed"] = self.files_not_landed
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> RunStats:
        data = data or {}
        feeds = data.get("feeds") or {}
        return cls(files_landed=int(data.get("files_landed") or 0), files_skipped=int(data.get("files_skipped") or 0),
                   files_not_landed=int(data.get("files_not_landed") or 0), bytes=int(data.get("bytes") or 0),
                   feeds={str(k): FeedStats.from_json(v or {}, str(k)) for k, v in feeds.items()},
                   days=[DayReadiness(str(d.get("day")), bool(d.get("ready"))) for d in data.get("days") or []],
                   tables_committed=[str(t) for t in data.get("tables_committed") or []],
                   tables_committing=[str(t) for t in data["tables_committing"]]
                   if data.get("tables_committing") is not None else None)
