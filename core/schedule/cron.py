"""Cron schedules for courier groups: validation that names the field, descriptions, fire times.

Syntax: five fields `minute hour day-of-month month day-of-week`, each `*`, a number, a name
(JAN–DEC, SUN–SAT, any case), a range `a-b`, a step `*/n`, `a-b/n` or `a/n`, or a comma list of
those; also the nicknames @hourly @daily @midnight @weekly @monthly @yearly @annually.
Day-of-week is 0–6 for Sunday–Saturday; 7 is also accepted as Sunday (as in Vixie cron and
croniter). Not supported (rejected with a hint): seconds or year fields, Quartz `? L W # H`,
backwards ranges such as `FRI-MON` (write `5-6,0-1`).

When day-of-month and day-of-week are both restricted (neither is `*`), a day matches if EITHER
matches — cron's OR rule — and `warnings` says so.

Time zones and DST: the expression is read as wall-clock time in the group's zone. We iterate
wall-clock times with croniter (naive datetimes) and place each one in the zone ourselves:
- a time inside a spring-forward gap (02:30 on the day New York jumps 02:00→03:00) does not exist;
  that day's fire is SHIFTED to the first moment after the gap (03:00 EDT), so it still runs once;
  if the schedule also fires at that moment, it runs once, not twice;
- a time inside a fall-back overlap (01:30 on the day New York repeats 01:00–02:00) happens twice;
  we fire ONCE, at the FIRST occurrence (daylight time, EDT, UTC-04:00), never at the repeat.
The scheduler uses these same functions, so what `courier cron` shows is what runs.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from courier.core.errors import ConfigError
from courier.core.schedule.timezones import get_zone, validate_timezone
from courier.core.text import iso_utc
from cron_descriptor import ExpressionDescriptor, Options
from croniter import croniter

FIELD_NAMES = ("minute", "hour", "day-of-month", "month", "day-of-week")
_SHAPE = "minute hour day-of-month month day-of-week"
_MONTHS = {name.upper(): i for i, name in enumerate(calendar.month_abbr) if name}
_DAYS = {"SUN": 0, "MON": 1, "TUE": 2, "WED": 3, "THU": 4, "FRI": 5, "SAT": 6}
_LIMITS = {"minute": (0, 59), "hour": (0, 23), "day-of-month": (1, 31), "month": (1, 12), "day-of-week": (0, 6)}
_NICKNAMES = {
    "@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *",
}
_SYNTAX_HINT = "use numbers, names, ranges a-b, lists a,b and steps */n; see `courier cron --help`"


@dataclass(frozen=True)
class CronExpr:
    """A validated expression: its five field texts and the set of values each field allows."""

    text: str
    fields: tuple[str, str, str, str, str]
    values: tuple[frozenset[int], ...] = field(repr=False)
    steps_too_large: tuple[str, ...] = field(default=(), repr=False)

    @property
    def dom_restricted(self) -> bool:
        return self.fields[2] != "*"

    @property
    def dow_restricted(self) -> bool:
        return self.fields[4] != "*"


@dataclass(frozen=True)
class FireTime:
    """One fire time. `utc` is the instant (compare these: Python compares two datetimes in a DST
    fold unreliably); `at` is the same instant in the group's zone; `shifted_from` is the
    wall-clock time the expression named when it fell into a DST gap and was moved to its end."""

    utc: datetime
    zone: ZoneInfo
    shifted_from: datetime | None = None

    @property
    def at(self) -> datetime:
        return self.utc.astimezone(self.zone)


# --- validation -------------------------------------------------------------------------------

def _number(name: str, token: str) -> int:
    lo, hi = _LIMITS[name]
    names = _MONTHS if name == "month" else _DAYS if name == "day-of-week" else {}
    if token.upper() in names:
        return names[token.upper()]
    if token.upper() in {"L", "W", "?", "H", "LW"} or "#" in token:
        raise ConfigError(f"{token!r} is not supported", hint=_SYNTAX_HINT, where=name)
    if not token.isdigit():
        if names and token.isalpha():
            kind = "a month name (JAN–DEC)" if name == "month" else "a day name (SUN–SAT)"
            raise ConfigError(f"{token!r} is not {kind} or a number", hint=_SYNTAX_HINT, where=name)
        raise ConfigError(f"{token!r} is not a number", hint=_SYNTAX_HINT, where=name)
    value = int(token)
    top = 7 if name == "day-of-week" else hi
    if not lo <= value <= top:
        extra = " (Sunday–Saturday; 7 is also Sunday)" if name == "day-of-week" else ""
        raise ConfigError(f"{value} is out of range {lo}–{hi}{extra}", hint=_SYNTAX_HINT, where=name)
    return value


def _parse_field(name: str, text: str) -> tuple[frozenset[int], bool]:
    """The values a field allows, and whether a step is larger than the field's span."""
    lo, hi = _LIMITS[name]
    values: set[int] = set()
    too_large = False
    if not text:
        raise ConfigError("is empty", hint=_SYNTAX_HINT, where=name)
    for item in text.split(","):
        if not item:
            raise ConfigError(f"empty item in list {text!r}", hint="remove the extra comma", where=name)
        base, slash, step_text = item.partition("/")
        step = 1
        if slash:
            if not step_text.isdigit():
                raise ConfigError(f"step {step_text!r} in {item!r} is not a number", hint=_SYNTAX_HINT, where=name)
            step = int(step_text)
            if step == 0:
                raise ConfigError(f"step 0 in {item!r} must be at least 1", hint=_SYNTAX_HINT, where=name)
            too_large = too_large or step > hi - lo
        if base == "*":
            start, end = lo, hi
        elif "-" in base:
            first, _, last = base.partition("-")
            start, end = _number(name, first), _number(name, last)
            if end < start:
                raise ConfigError(f"range {base!r} runs backwards", where=name,
                                  hint=f"write it as a list, e.g. {first}-{hi if name != 'day-of-week' else 6},{lo}-{last}")
        else:
            start = _number(name, base)
            end = hi if slash else start  # `a/n` means from a to the end of the field, every n
        values.update(range(start, end + 1, step))
    if name == "day-of-week" and 7 in values:
        values = (values - {7}) | {0}
    return frozenset(values), too_large


def parse_cron(text: str) -> CronExpr:
    """Validate a 5-field expression; a ConfigError names the field and what is wrong with it."""
    stripped = " ".join(text.split())
    if stripped.startswith("@"):
        if stripped.lower() not in _NICKNAMES:
            raise ConfigError(f"unknown nickname {stripped!r}", where="cron",
                              hint=f"use one of {', '.join(_NICKNAMES)} or five fields ({_SHAPE})")
        stripped = _NICKNAMES[stripped.lower()]
    parts = stripped.split(" ") if stripped else []
    if len(parts) != 5:
        hint = ("courier schedules have no seconds or year field" if len(parts) > 5
                else "e.g. `0 6 * * *` is every day at 06:00")
        raise ConfigError(f"expected 5 fields ({_SHAPE}), got {len(parts)}", hint=hint)
    parsed = [_parse_field(name, part) for name, part in zip(FIELD_NAMES, parts, strict=True)]
    fields = (parts[0], parts[1], parts[2], parts[3], parts[4])
    expr = CronExpr(stripped, fields, tuple(v for v, _ in parsed),
                    tuple(n for n, (_, big) in zip(FIELD_NAMES, parsed, strict=True) if big))
    _check_can_fire(expr)
    return expr


def _check_can_fire(expr: CronExpr) -> None:
    """`0 0 30 2 *` is valid syntax but never fires: say so instead of looping forever."""
    if not expr.dom_restricted or expr.dow_restricted:
        return
    longest = max(_days_in_month(m) for m in expr.values[3])
    if min(expr.values[2]) > longest:
        months = ", ".join(calendar.month_abbr[m] for m in sorted(expr.values[3]))
        raise ConfigError(f"day {min(expr.values[2])} never occurs in {months}, so this schedule never fires",
                          hint="pick a day that exists in those months", where="day-of-month")


def _days_in_month(month: int) -> int:
    return 29 if month == 2 else calendar.monthrange(2001, month)[1]


def describe(expr: CronExpr) -> str:
    """Plain English from cron-descriptor, 24-hour clock: "At 17:00, Monday through Friday"."""
    options = Options()
    options.use_24hour_time_format = True
    options.day_of_week_start_index_zero = True
    return str(ExpressionDescriptor(expr.text, options).get_description())


# --- fire times -------------------------------------------------------------------------------

def _wall(moment: datetime, zone: ZoneInfo) -> datetime:
    """Wall-clock time of an instant (via UTC: astimezone to the same tzinfo does not normalise)."""
    return moment.astimezone(UTC).astimezone(zone).replace(tzinfo=None)


def _place(wall: datetime, zone: ZoneInfo) -> FireTime:
    """Put a wall-clock time in the zone: first occurrence in an overlap, end of gap in a gap."""
    first = wall.replace(tzinfo=zone, fold=0)
    if _wall(first, zone) == wall:
        return FireTime(first.astimezone(UTC), zone)
    # in a gap: fold=0 and fold=1 give instants on either side of the transition; bisect to it
    lo, hi = sorted((wall.replace(tzinfo=zone, fold=1).astimezone(UTC), first.astimezone(UTC)))
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        if mid.astimezone(zone).utcoffset() == lo.astimezone(zone).utcoffset():
            lo = mid
        else:
            hi = mid
    return FireTime(hi.replace(microsecond=0), zone, shifted_from=wall)


def wall_shift(moment: datetime, delta: timedelta, zone: ZoneInfo) -> datetime:
    """The UTC instant whose wall-clock time in `zone` is `moment`'s minus `delta` (a time in a DST
    gap becomes the end of the gap, one in an overlap its first occurrence, as fire times do).
    In UTC this is plain subtraction; in London, 24h before 00:30 BST on the day after the spring
    jump is 00:30 GMT the day before: 23 hours earlier, one calendar day."""
    return _place(_wall(moment, zone) - delta, zone).utc


_SLACK = timedelta(hours=3)  # covers the widest DST fold, so fold=1 instants are not missed


def iter_fires(expr: CronExpr, zone: ZoneInfo, after: datetime) -> Iterator[FireTime]:
    """Fire times strictly after the aware instant `after`, in order, each instant once."""
    it = croniter(expr.text, _wall(after, zone) - _SLACK)
    last = after.astimezone(UTC)
    while True:
        fire = _place(it.get_next(datetime), zone)
        if fire.utc > last:
            last = fire.utc
            yield fire


def next_fires(expr: CronExpr, zone: ZoneInfo, after: datetime, count: int) -> list[FireTime]:
    """The next `count` fire times strictly after `after`."""
    fires: list[FireTime] = []
    for fire in iter_fires(expr, zone, after):
        if len(fires) >= count:
            break
        fires.append(fire)
    return fires


def previous_fire(expr: CronExpr, zone: ZoneInfo, at_or_before: datetime) -> FireTime:
    """The latest fire time at or before the aware instant `at_or_before`."""
    it = croniter(expr.text, _wall(at_or_before, zone) + _SLACK)
    limit = at_or_before.astimezone(UTC)
    while True:
        fire = _place(it.get_prev(datetime), zone)
        if fire.utc <= limit:
            return fire


def count_fires(expr: CronExpr, zone: ZoneInfo, after: datetime, until: datetime, cap: int = 1000) -> int:
    """How many fire times fall in (after, until], counting at most `cap`."""
    count = 0
    limit = until.astimezone(UTC)
    for fire in iter_fires(expr, zone, after):
        if fire.utc > limit or count >= cap:
            break
        count += 1
    return count


# --- warnings ---------------------------------------------------------------------------------

def _transitions(zone: ZoneInfo, start: datetime, end: datetime) -> Iterator[tuple[datetime, timedelta, timedelta]]:
    """(instant, offset before, offset after) of each UTC-offset change in [start, end)."""
    step = timedelta(hours=6)
    cur = start.astimezone(UTC)
    off = cur.astimezone(zone).utcoffset()
    while cur < end:
        nxt = cur + step
        new = nxt.astimezone(zone).utcoffset()
        if new != off:
            lo, hi = cur, nxt
            while hi - lo > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                if mid.astimezone(zone).utcoffset() == off:
                    lo = mid
                else:
                    hi = mid
            assert off is not None and new is not None
            yield hi.replace(microsecond=0), off, new
            off = new
        cur = nxt


def _walls_in(expr: CronExpr, start: datetime, end: datetime) -> list[datetime]:
    it = croniter(expr.text, start - timedelta(seconds=1))
    found: list[datetime] = []
    while (wall := it.get_next(datetime)) < end and len(found) < 100:
        found.append(wall)
    return found


def _times(walls: list[datetime]) -> str:
    shown = ", ".join(f"{w:%H:%M}" for w in walls[:4])
    return shown + (f" and {len(walls) - 4} more" if len(walls) > 4 else "")


def dst_warnings(expr: CronExpr, zone: ZoneInfo, start: datetime, days: int = 366) -> list[str]:
    """Fire times that fall in a DST gap or overlap in the zone within `days` of `start`."""
    found: list[str] = []
    for instant, before, after in _transitions(zone, start, start + timedelta(days=days)):
        naive = instant.replace(tzinfo=None)
        old_wall, new_wall = naive + before, naive + after
        if after > before:  # spring forward: [old_wall, new_wall) does not exist
            walls = _walls_in(expr, old_wall, new_wall)
            if walls:
                abbr = (instant.astimezone(zone)).tzname()
                verb = "does not exist" if len(walls) == 1 else "do not exist"
                found.append(f"{old_wall:%Y-%m-%d}: {_times(walls)} {verb} in {zone.key} (clocks jump from "
                             f"{old_wall:%H:%M} to {new_wall:%H:%M}); {'that run fires' if len(walls) == 1 else 'those runs fire'} "
                             f"once at {new_wall:%H:%M} {abbr} instead")
        else:  # fall back: [new_wall, old_wall) happens twice
            walls = _walls_in(expr, new_wall, old_wall)
            if walls:
                first = walls[0].replace(tzinfo=zone, fold=0)
                verb = "happens" if len(walls) == 1 else "happen"
                found.append(f"{new_wall:%Y-%m-%d}: {_times(walls)} {verb} twice in {zone.key} (clocks fall back from "
                             f"{old_wall:%H:%M} to {new_wall:%H:%M}); we fire once, at the first "
                             f"({first.tzname()}, UTC{_offset(first)}), not at the repeat")
    return found


def _offset(moment: datetime) -> str:
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def calendar_warnings(expr: CronExpr) -> list[str]:
    """Short months that skip a day 29–31, the OR rule, and steps cron cannot express."""
    found: list[str] = []
    if expr.dom_restricted:
        for day in sorted(d for d in expr.values[2] if d >= 29):
            short = [m for m in sorted(expr.values[3]) if day > calendar.monthrange(2001, m)[1]]
            if short == [2] and day == 29:
                found.append("day-of-month 29: February gets that run only in leap years")
            elif short:
                names = ", ".join(calendar.month_abbr[m] for m in short)
                leap = " (Feb 29 only in leap years)" if day == 29 else ""
                found.append(f"day-of-month {day} does not exist in {names}{leap}; those months skip that run")
    if expr.dom_restricted and expr.dow_restricted:
        found.append(f"day-of-month ({expr.fields[2]}) and day-of-week ({expr.fields[4]}) are both set: cron fires "
                     "on days matching EITHER one (OR), not both; set one of them to * if you meant AND")
    for name in expr.steps_too_large:
        lo, hi = _LIMITS[name]
        text = expr.fields[FIELD_NAMES.index(name)]
        found.append(f"{name}: a step in {text!r} is larger than the field ({lo}–{hi}), so it matches only once per "
                     f"{'hour' if name == 'minute' else 'cycle'}; cron cannot express longer intervals")
    return found


# --- the report `courier cron` and the TUI cron screen show -----------------------------------

@dataclass
class CronReport:
    expression: str
    timezone: str
    description: str
    fires: list[FireTime]
    warnings: list[str]

    def to_json(self) -> dict[str, object]:
        return {
            "valid": True,
            "expression": self.expression,
            "timezone": self.timezone,
            "description": self.description,
            "next": [{"local": f.at.isoformat(), "utc": iso_utc(f.utc),
                      "shifted_from": f.shifted_from.isoformat() if f.shifted_from else None} for f in self.fires],
            "warnings": self.warnings,
        }


def check(text: str, timezone: str = "UTC", count: int = 5, now: datetime | None = None) -> CronReport:
    """Validate and explain an expression in a zone: description, next fire times, warnings."""

    expr = parse_cron(text)
    name = validate_timezone(timezone)
    zone = get_zone(name)
    start = now or datetime.now(UTC)
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    fires = next_fires(expr, zone, start, count)
    warnings = calendar_warnings(expr) + dst_warnings(expr, zone, start)
    return CronReport(expr.text, name, describe(expr), fires, warnings)


def is_valid(text: str) -> bool:
    try:
        parse_cron(text)
    except ConfigError:
        return False
    return True


__all__ = ["CronExpr", "CronReport", "FireTime", "calendar_warnings", "check", "count_fires", "describe",
           "dst_warnings", "is_valid", "iter_fires", "next_fires", "parse_cron", "previous_fire", "wall_shift"]

