"""What the home screen lists: every courier with its last run, every feed with its domain table,
and what needs attention (a failed last run, a day not ready, load operations naming no real feed).

Read from the catalog here, so a face only chooses words and colours for these rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum

from courier.core.catalog.catalog import Catalog
from courier.core.config.load_operations import is_placeholder
from courier.core.status.onboarding import load_operation_feed_ids
from courier.core.types import RunStatus


@dataclass(frozen=True)
class CourierRow:
    """One courier: where it reads, how its last run went, which feeds its load operations name."""

    name: str
    bucket: str
    prefix: str
    last_status: RunStatus | None  # None: never run
    last_started_at: float | None
    feed_ids: tuple[str, ...]  # empty: `{}`, the courier only lands files


@dataclass(frozen=True)
class FeedRow:
    id: str
    source: str
    name: str
    active: bool

    @property
    def table_name(self) -> str:
        """The domain table the feed loads into (`Optimizely:Decisions`)."""
        return f"{self.source}:{self.name}"


class AttentionKind(StrEnum):
    RUN_FAILED = "run_failed"  # detail: the run's error (may be empty)
    DAY_NOT_READY = "day_not_ready"  # detail: the day (YYYY-MM-DD) the last run found without its marker
    PLACEHOLDER_FEED = "placeholder_feed"  # detail: the placeholder id (df-xxxxxx)
    UNKNOWN_FEED = "unknown_feed"  # detail: an id that is no feed


@dataclass(frozen=True)
class Attention:
    """Something an operator should act on, about one courier."""

    kind: AttentionKind
    courier: str
    detail: str


def courier_rows(catalog: Catalog) -> list[CourierRow]:
    """Every courier by name, with its latest run (by start time)."""
    rows = []
    for c in catalog.all("SELECT name, bucket, prefix, load_operations FROM couriers ORDER BY name"):
        last = catalog.one("SELECT status, started_at FROM runs WHERE courier = ? ORDER BY started_at DESC LIMIT 1",
                           (c["name"],))
        rows.append(CourierRow(c["name"], c["bucket"], c["prefix"] or "",
                               RunStatus(last["status"]) if last else None, last["started_at"] if last else None,
                               tuple(load_operation_feed_ids(c["load_operations"]))))
    return rows


def feed_rows(catalog: Catalog) -> list[FeedRow]:
    """Every feed, ordered by its domain table name."""
    return [FeedRow(f["id"], f["source"], f["name"], bool(f["active"]))
            for f in catalog.all("SELECT id, source, name, active FROM feeds ORDER BY source, name")]


def _days_not_ready(catalog: Catalog, run_id: str) -> list[str]:
    """Days a run checked and found without their ready marker (its `day_checked` events), each once
    (a day is checked once per entity)."""
    days: list[str] = []
    for row in catalog.all("SELECT data FROM run_events WHERE run_id = ? AND type = 'day_checked' ORDER BY seq",
                           (run_id,)):
        try:
            data = json.loads(row["data"])
        except json.JSONDecodeError:
            continue
        if isinstance(data, dict) and data.get("ready") is False and str(data.get("day")) not in days:
            days.append(str(data.get("day")))
    return days


def needs_attention(catalog: Catalog) -> list[Attention]:
    """Per courier (by name): a failed last run, the days its last run found not ready, and load
    operations that still name a placeholder or an id that is no feed."""
    feed_ids = {r["id"] for r in catalog.all("SELECT id FROM feeds")}
    items: list[Attention] = []
    for courier in catalog.all("SELECT name, load_operations FROM couriers ORDER BY name"):
        name = courier["name"]
        last = catalog.one("SELECT id, status, error FROM runs WHERE courier = ? ORDER BY started_at DESC LIMIT 1",
                           (name,))
        if last and last["status"] == RunStatus.FAILED:
            items.append(Attention(AttentionKind.RUN_FAILED, name, last["error"] or ""))
        if last:
            items.extend(Attention(AttentionKind.DAY_NOT_READY, name, day) for day in _days_not_ready(catalog, last["id"]))
        for feed_id in load_operation_feed_ids(courier["load_operations"]):
            if is_placeholder(feed_id):
                items.append(Attention(AttentionKind.PLACEHOLDER_FEED, name, feed_id))
            elif feed_id not in feed_ids:
                items.append(Attention(AttentionKind.UNKNOWN_FEED, name, feed_id))
    return items
