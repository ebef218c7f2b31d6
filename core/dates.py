"""The dates and times courier accepts from operators: a sane range, refused in one line beyond it.

Optimizely's exports start in the 2010s, so courier takes days from FIRST_DAY (1970-01-01) to
LAST_DAY (2199-12-31); an exclusive end (`--to`) may be the day after LAST_DAY. A period covers at
most MAX_PERIOD_DAYS (3660 days, ten years): `--from 1000-01-01 --to 9999-12-31` would plan 3.25
million days. Moments (`--now`) lie in [1970-01-01T00:00Z, 2200-01-01T00:00Z). Inside these bounds
every date computation (the day after, a window, the next cron fire time) stays far from the
limits of Python's datetime, so no date input can end in an OverflowError.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from courier.core.errors import ConfigError

FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(2199, 12, 31)
MAX_PERIOD_DAYS = 3660
_FIRST_MOMENT = datetime(1970, 1, 1, tzinfo=UTC)
_END_MOMENT = datetime(2200, 1, 1, tzinfo=UTC)
_RANGE = f"{FIRST_DAY} to {LAST_DAY}"


def check_day(day: date, where: str = "--day", *, exclusive_end: bool = False) -> date:
    """`day` itself, or a ConfigError when it lies outside FIRST_DAY .. LAST_DAY (one day more for an
    exclusive end such as `--to`)."""
    last = LAST_DAY + timedelta(days=1) if exclusive_end else LAST_DAY
    if not FIRST_DAY <= day <= last:
        raise ConfigError(f"{day.isoformat()} is outside the dates courier loads ({_RANGE})", where=where,
                          hint=f"give a day from {FIRST_DAY} to {LAST_DAY}")
    return day


def check_period(from_day: date, to_day: date, where: str = "--from/--to") -> None:
    """Both ends in range and at most MAX_PERIOD_DAYS days in [from_day, to_day)."""
    check_day(from_day, "--from")
    check_day(to_day, "--to", exclusive_end=True)
    days = (to_day - from_day).days
    if days > MAX_PERIOD_DAYS:
        raise ConfigError(f"{from_day} .. {to_day} is {days} days, more than the {MAX_PERIOD_DAYS} days (ten years)"
                          " one run may cover", where=where,
                          hint="split it into several runs of at most ten years, or use --all for everything available")


def check_moment(moment: datetime, where: str = "--now") -> datetime:
    """`moment` itself, or a ConfigError when it lies outside 1970-01-01T00:00Z .. 2200-01-01T00:00Z."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if not _FIRST_MOMENT <= aware < _END_MOMENT:
        raise ConfigError(f"{moment.isoformat()} is outside the times courier schedules "
                          f"({_FIRST_MOMENT:%Y-%m-%d} to {_END_MOMENT:%Y-%m-%d}, UTC)", where=where,
                          hint="give a time from 1970 to 2199, e.g. --now 2026-11-04T14:00")
    return moment
