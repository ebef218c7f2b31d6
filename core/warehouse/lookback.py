"""Which stored rows a load compares its keys with: the rows of the load's export days, give or take a lookback.

Optimizely's export files every event under the day it was processed (`date=` in the key), and a
redelivered event (the same `uuid` again) under that day or one soon after. So a key that a load
brings can only be stored already under a nearby `date`: the upsert matches incoming keys against the
stored rows whose `date` lies within the load's days ± COURIER_KEY_LOOKBACK_DAYS (default 7), and the
rows without a date, instead of against every stored key. DuckDB's zone maps then skip the row groups
of all other days, so a daily run costs the same on day 365 as on day 1.

The results are the same as matching every stored row whenever a key's copies lie at most the lookback
apart; `COURIER_KEY_LOOKBACK_DAYS=all` matches every stored row, whatever the data. A load whose files do
not all carry a `date` partition, or that carry a `date` column of their own, always matches every row.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping, Sequence
from datetime import date, timedelta

from courier.core.errors import ConfigError
from courier.core.warehouse.spec import quote

DATE_COLUMN = "date"  # the Hive partition of Optimizely's keys (v1/.../type=decisions/date=2026-11-03/...)
LOOKBACK_ENV = "COURIER_KEY_LOOKBACK_DAYS"
DEFAULT_LOOKBACK_DAYS = 7
MAX_LOOKBACK_DAYS = 3660


def lookback_days() -> int | None:
    """Days either side of a load's dates whose stored rows it matches (None: every stored row)."""
    raw = os.environ.get(LOOKBACK_ENV, "").strip().lower()
    if not raw:
        return DEFAULT_LOOKBACK_DAYS
    if raw == "all":
        return None
    if not raw.isascii() or not raw.isdigit() or int(raw) > MAX_LOOKBACK_DAYS:
        raise ConfigError(f"{LOOKBACK_ENV}={raw[:40]!r} is not a number of days from 0 to {MAX_LOOKBACK_DAYS} or 'all'",
                          hint=f"set it to days, e.g. {LOOKBACK_ENV}=7, or 'all' to match every stored row")
    return int(raw)


def stored_bound(columns: Mapping[str, tuple[str, str]], partitions: Sequence[Mapping[str, str | None]],
                 carried: Collection[str], *, qualifier: str) -> str | None:
    """A predicate on the stored rows (columns prefixed by `qualifier`, e.g. "t.") that keeps the rows a
    load's keys can match, or None when the load must match every stored row.

    `columns`: the table's columns (lower-case name -> (name, type)); `partitions`: the partition values
    each file of the load contributes; `carried`: the lower-case names of the columns the files carry.
    """
    days = lookback_days()
    table_date = columns.get(DATE_COLUMN)
    if days is None or table_date is None or table_date[1] != "VARCHAR" or DATE_COLUMN in carried or not partitions:
        return None
    found: list[date] = []
    for partition in partitions:
        value = next((v for k, v in partition.items() if k.lower() == DATE_COLUMN), None)
        day = _iso_day(value)
        if day is None:
            return None
        found.append(day)
    first, last = min(found) - timedelta(days=days), max(found) + timedelta(days=days)
    column = f"{qualifier}{quote(table_date[0])}"
    return f"({column} BETWEEN '{first.isoformat()}' AND '{last.isoformat()}' OR {column} IS NULL)"


def _iso_day(value: str | None) -> date | None:
    if value is None or len(value) != 10:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return day if day.isoformat() == value else None
