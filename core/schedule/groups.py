"""Courier groups: couriers that run as one unit, on a cron schedule in a time zone, or by hand.

A group lives in the catalog's `groups` table; everything but the name, status and last fire time
is in its `settings` JSON (durations stored as canonical text such as "2h"). Settings, with the
Amperity dialog field each one reproduces:
- cron (Schedule; None = manual only), timezone (Time zone, IANA), use_timezone_for_dates (Use this
  time zone for file date ranges);
- wait (Wait N for the data to appear), offset and lookback (Load data N older than the scheduled
  time, split into a shift and a length; see courier.core.schedule.windows), stop_when_missing (Stop when missing?);
- sla (a run unfinished this long after its scheduled time is late), after/after_offset (a courier
  group constraint: wait for another group's successful run for the same window);
- "last": the latest group run's result, written by courier.core.schedule.scheduler for status displays;
- "retry": present while a scheduled window failed and is not loaded yet (courier.core.schedule.scheduler retries
  it with backoff): the fire times it failed for, the attempts, the next attempt and the error.
  The group is late until a run of that window succeeds (then `record_fire` removes it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from courier.core.catalog.catalog import Catalog, dumps, loads, now
from courier.core.catalog.workspace import lock_name as workspace_lock_name
from courier.core.errors import ConfigError, NotFound, not_found
from courier.core.schedule.cron import CronExpr, FireTime, next_fires, parse_cron
from courier.core.schedule.durations import format_duration, parse_duration
from courier.core.schedule.timezones import validate_timezone
from courier.core.text import iso_utc
from courier.core.types import RunMode, RunStatus

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.\-]{0,63}$")
_DURATIONS = ("wait", "offset", "lookback", "sla", "after_offset")
EDITABLE = ("couriers", "cron", "timezone", "wait", "offset", "lookback", "use_timezone_for_dates", "sla",
            "stop_when_missing", "after", "after_offset", "enabled")


@dataclass
class Group:
    name: str
    couriers: list[str]
    cron: str | None = None
    timezone: str = "UTC"
    wait: timedelta = timedelta(0)
    offset: timedelta = timedelta(hours=24)
    lookback: timedelta = timedelta(hours=24)
    use_timezone_for_dates: bool = False
    sla: timedelta | None = None
    stop_when_missing: bool = False
    after: str | None = None
    after_offset: timedelta = timedelta(0)
    enabled: bool = True
    last_fire: float | None = None
    last: dict[str, Any] | None = None
    retry: dict[str, Any] | None = None
    created_at: float = field(default=0.0)
    updated_at: float = field(default=0.0)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def expr(self) -> CronExpr | None:
        return parse_cron(self.cron) if self.cron else None

    def next_fire(self, after: datetime) -> FireTime | None:
        """The next scheduled fire strictly after `after`, or None when manual-only or disabled."""
        expr = self.expr
        if expr is None or not self.enabled:
            return None
        fires = next_fires(expr, self.zone, after, 1)
        return fires[0] if fires else None

    def settings(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "couriers": list(self.couriers), "cron": self.cron, "timezone": self.timezone,
            "use_timezone_for_dates": self.use_timezone_for_dates, "stop_when_missing": self.stop_when_missing,
            "after": self.after,
        }
        for name in _DURATIONS:
            value = getattr(self, name)
            data[name] = format_duration(value) if value is not None else None
        if self.last is not None:
            data["last"] = self.last
        if self.retry is not None:
            data["retry"] = self.retry
        return data

    def to_json(self) -> dict[str, Any]:
        data = {"name": self.name, "enabled": self.enabled, **self.settings(),
                "last_fire": iso_utc(self.last_fire), "created_at": iso_utc(self.created_at),
                "updated_at": iso_utc(self.updated_at)}
        if self.last is not None:
            data["last"] = last_to_json(self.last)
        if self.retry is not None:
            data["retry"] = last_to_json(self.retry)
        return data


def last_to_json(stored: dict[str, Any]) -> dict[str, Any]:
    """A stored group-run result or retry (epoch seconds and ISO strings, as the catalog keeps them)
    with its times as `--json` shows them (courier.core.text.iso_utc)."""
    out = dict(stored)
    for key in ("started_at", "ended_at"):
        if isinstance(out.get(key), int | float):
            out[key] = iso_utc(out[key])
    for key in ("fire", "next_attempt"):
        if isinstance(out.get(key), str) and out[key]:
            out[key] = iso_utc(datetime.fromisoformat(out[key]))
    return out


def _from_row(row: Any) -> Group:
    s = loads(row["settings"], {})
    durations = {name: parse_duration(s[name], name) for name in _DURATIONS if s.get(name)}
    return Group(
        name=row["name"], couriers=list(s.get("couriers", [])), cron=s.get("cron") or None,
        timezone=s.get("timezone") or "UTC", use_timezone_for_dates=bool(s.get("use_timezone_for_dates")),
        stop_when_missing=bool(s.get("stop_when_missing")), after=s.get("after") or None,
        enabled=bool(row["enabled"]), last_fire=row["last_fire"], last=s.get("last"), retry=s.get("retry"),
        created_at=row["created_at"], updated_at=row["updated_at"],
        **{k: v for k, v in durations.items() if k != "sla"},
        sla=durations.get("sla"),
    )


def _not_found(kind: str, name: str, candidates: list[str], listing: str) -> NotFound:
    return not_found(f"no {kind} {name!r}", name, candidates, then=f"`{listing}` lists them", cutoff=0.5,
                     fold_case=True)


def group_names(catalog: Catalog) -> list[str]:
    return [row["name"] for row in catalog.all("SELECT name FROM groups ORDER BY name")]


def courier_names(catalog: Catalog) -> list[str]:
    return [row["name"] for row in catalog.all("SELECT name FROM couriers ORDER BY name")]


def get_group(catalog: Catalog, name: str) -> Group:
    row = catalog.one("SELECT * FROM groups WHERE name = ?", (name,))
    if row is None:
        raise _not_found("courier group", name, group_names(catalog), "courier groups list")
    return _from_row(row)


def list_groups(catalog: Catalog) -> list[Group]:
    return [_from_row(row) for row in catalog.all("SELECT * FROM groups ORDER BY name")]


def _coerce(name: str, value: Any) -> Any:
    """Durations may arrive as text ("2h") from the CLI/TUI; empty text clears optional ones."""
    if name in _DURATIONS and isinstance(value, str):
        if name == "sla" and value.strip() in ("", "0"):
            return None
        return parse_duration(value, f"--{name.replace('_', '-')}")
    if name in ("cron", "after") and isinstance(value, str) and not value.strip():
        return None
    return value


def _validate(catalog: Catalog, group: Group) -> Group:
    if not _NAME.fullmatch(group.name):
        raise ConfigError(f"group name {group.name!r} is not allowed", where="name",
                          hint="use 1–64 letters, digits, spaces, '.', '_' or '-', starting with a letter or digit")
    if group.cron is not None:
        group.cron = parse_cron(group.cron).text
    group.timezone = validate_timezone(group.timezone)
    if not group.couriers:
        raise ConfigError("a courier group needs at least one courier", where="--courier",
                          hint="add one with --courier NAME (repeat for more)")
    known = courier_names(catalog)
    seen: list[str] = []
    for courier in group.couriers:
        if courier not in known:
            raise _not_found("courier", courier, known, "courier couriers list")
        if courier in seen:
            raise ConfigError(f"courier {courier!r} is listed twice", where="--courier", hint="list each courier once")
        seen.append(courier)
    if group.lookback <= timedelta(0):
        raise ConfigError("lookback must be longer than 0", where="--lookback", hint="e.g. --lookback 24h")
    if group.after is not None:
        if group.after == group.name:
            raise ConfigError("a group cannot wait for itself", where="--after", hint="name another courier group")
        others = {g.name: g for g in list_groups(catalog)}
        if group.after not in others:
            raise _not_found("courier group", group.after, list(others), "courier groups list")
        seen_chain = {group.name}
        cursor: str | None = group.after
        while cursor is not None and cursor in others:
            if cursor in seen_chain:
                raise ConfigError(f"--after {group.after} makes a loop of constraints", where="--after",
                                  hint="groups cannot wait for each other in a circle")
            seen_chain.add(cursor)
            cursor = others[cursor].after
    return group


def add_group(catalog: Catalog, group: Group) -> Group:
    """Create a group after validating its schedule, zone, couriers and constraint."""
    group = _validate(catalog, replace(group, couriers=list(group.couriers)))
    if catalog.one("SELECT 1 FROM groups WHERE name = ?", (group.name,)):
        raise ConfigError(f"courier group {group.name!r} already exists",
                          hint=f"change it with `courier groups edit {group.name}`")
    stamp = now()
    catalog.execute(
        "INSERT INTO groups (name, settings, enabled, last_fire, created_at, updated_at) VALUES (?, ?, ?, NULL, ?, ?)",
        (group.name, dumps(group.settings()), int(group.enabled), stamp, stamp),
    )
    return get_group(catalog, group.name)


def edit_group(catalog: Catalog, name: str, **changes: Any) -> Group:
    """Change some settings; anything not given stays as it was."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ConfigError(f"unknown group setting {sorted(unknown)[0]!r}", hint=f"editable: {', '.join(EDITABLE)}")
    group = get_group(catalog, name)
    updated = _validate(catalog, replace(group, **{k: _coerce(k, v) for k, v in changes.items()}))
    with catalog.transaction() as db:
        db.execute("UPDATE groups SET settings = ?, enabled = ?, updated_at = ? WHERE name = ?",
                   (dumps(updated.settings()), int(updated.enabled), now(), name))
    return get_group(catalog, name)


def set_enabled(catalog: Catalog, name: str, enabled: bool) -> Group:
    get_group(catalog, name)
    catalog.execute("UPDATE groups SET enabled = ?, updated_at = ? WHERE name = ?", (int(enabled), now(), name))
    return get_group(catalog, name)


def remove_group(catalog: Catalog, name: str) -> None:
    """Delete a group no other group waits for; its run history stays in `runs`."""
    get_group(catalog, name)
    waiting = [g.name for g in list_groups(catalog) if g.after == name]
    if waiting:
        raise ConfigError(f"courier group {', '.join(waiting)} waits for {name!r} (--after)",
                          hint=f"remove the constraint first: `courier groups edit {waiting[0]} --after ''`")
    catalog.execute("DELETE FROM groups WHERE name = ?", (name,))


def record_fire(catalog: Catalog, name: str, fire: datetime) -> None:
    """Remember the last scheduled fire handled (its window loaded), so a restart neither repeats nor
    loses it; a pending retry of an earlier failed window is done with it (one transaction)."""
    with catalog.transaction() as db:
        db.execute("UPDATE groups SET last_fire = ? WHERE name = ?", (fire.timestamp(), name))
        _set_setting(db, name, "retry", None)


def record_last(catalog: Catalog, name: str, last: dict[str, Any]) -> None:
    """Store the latest group run's result in the settings JSON (read-modify-write in one transaction)."""
    with catalog.transaction() as db:
        _set_setting(db, name, "last", last)


def record_retry(catalog: Catalog, name: str, retry: dict[str, Any]) -> None:
    """Store the state of a failed scheduled window that the scheduler will retry (see courier.core.schedule.scheduler)."""
    with catalog.transaction() as db:
        _set_setting(db, name, "retry", retry)


def _set_setting(db: Any, name: str, key: str, value: Any) -> None:
    row = db.execute("SELECT settings FROM groups WHERE name = ?", (name,)).fetchone()
    if row is None:
        return
    settings = loads(row["settings"], {})
    if value is None:
        settings.pop(key, None)
    else:
        settings[key] = value
    db.execute("UPDATE groups SET settings = ? WHERE name = ?", (dumps(settings), name))


def skip_failed_window(catalog: Catalog, name: str) -> dict[str, Any]:
    """Give up on a failed scheduled window (`courier groups skip`): its fire time counts as handled,
    the scheduler stops retrying it, and the next fire loads from there. Returns what was skipped."""
    group = get_group(catalog, name)
    if not group.retry or not group.retry.get("fire"):
        raise ConfigError(f"courier group {name!r} has no failed window to skip",
                          hint="`courier groups show` says when a group is late")
    record_fire(catalog, name, datetime.fromisoformat(str(group.retry["fire"])))
    return dict(group.retry)


def new_group(name: str, couriers: list[str], **settings: Any) -> Group:
    """A Group from CLI/TUI input, durations as text or timedelta."""
    allowed = {f.name for f in fields(Group)}
    unknown = set(settings) - allowed
    if unknown:
        raise ConfigError(f"unknown group setting {sorted(unknown)[0]!r}", hint=f"settings: {', '.join(EDITABLE)}")
    return Group(name=name, couriers=list(couriers), **{k: _coerce(k, v) for k, v in settings.items()})


# --- history in `runs`: the --after constraint and status displays ----------------------------

def succeeded_days(catalog: Catalog, other: Group) -> tuple[set[date], bool]:
    """Days covered by `other`'s succeeded group runs, and whether one of them loaded all data.

    A group run counts only when every courier now in the group has a succeeded run in it."""
    runs: dict[str, dict[str, Any]] = {}
    for row in catalog.all("SELECT group_run, courier, status, mode, from_day, to_day FROM runs "
                           "WHERE group_name = ? AND group_run IS NOT NULL", (other.name,)):
        entry = runs.setdefault(row["group_run"], {"ok": set(), "bad": False, "mode": row["mode"],
                                                   "from": row["from_day"], "to": row["to_day"]})
        if row["status"] == RunStatus.SUCCEEDED:
            entry["ok"].add(row["courier"])
        else:
            entry["bad"] = True
    days: set[date] = set()
    everything = False
    for entry in runs.values():
        if entry["bad"] or not set(other.couriers) <= entry["ok"]:
            continue
        if entry["mode"] == RunMode.ALL:
            everything = True
        elif entry["from"] and entry["to"]:
            day, end = date.fromisoformat(entry["from"]), date.fromisoformat(entry["to"])
            while day < end:
                days.add(day)
                day += timedelta(days=1)
    return days, everything


def constraint_missing(catalog: Catalog, group: Group, days: tuple[date, ...]) -> list[date]:
    """Days of this window (shifted by after_offset) that `group.after` has not loaded successfully."""
    if not group.after:
        return []
    other = get_group(catalog, group.after)
    covered, everything = succeeded_days(catalog, other)
    if everything:
        return []
    shift = timedelta(days=group.after_offset.days)
    return [d - shift for d in days if d - shift not in covered]


def lock_name(group: str) -> str:
    """The workspace lock a running group holds (so a second run of it is refused)."""
    return workspace_lock_name("group", group)


def group_status(catalog: Catalog, group: Group, now: datetime) -> dict[str, Any]:
    """What `groups list/show` and the TUI display: next fire, last result, late and missing states."""
    upcoming = group.next_fire(now)
    last = dict(group.last or {})
    status = last.get("status")
    if status == RunStatus.RUNNING and not catalog.workspace.is_locked(lock_name(group.name)):
        status = "interrupted"  # its process ended without finishing (killed); the next start catches up
    late = bool(last.get("late"))
    if status == RunStatus.RUNNING and group.sla:
        since = (datetime.fromisoformat(last["fire"]) if last.get("fire")
                 else datetime.fromtimestamp(float(last.get("started_at") or 0), UTC))
        late = late or now > since + group.sla
    missing = sorted({m for c in last.get("couriers", []) for m in c.get("missing_required", [])})
    retry = last_to_json(group.retry) if group.retry else None
    return {
        "name": group.name,
        "enabled": group.enabled,
        "next_fire": upcoming.at.isoformat() if upcoming else None,
        "next_fire_utc": iso_utc(upcoming.utc) if upcoming else None,
        "last_fire": iso_utc(group.last_fire),
        "last_status": status,
        "last_group_run": last.get("group_run"),
        "last_days": [last.get("from_day"), last.get("to_day")] if last else None,
        "last_error": last.get("error"),
        "late": late or retry is not None,  # a failed window stays late until a run of it succeeds
        "missing": missing,
        "retry": retry,
    }
