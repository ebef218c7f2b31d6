"""The dates and times courier accepts from operators: a sane range, refused in one line beyond it.

Optimizely's exports start in the 2010s, so courier takes days from FIRST_DAY (1970-01-01) to
LAST_DAY (2199-12-31); an exclusive end (a period's to day) may be the day after LAST_DAY. A period covers at
most MAX_PERIOD_DAYS (3660 days, ten years): a period from 1000-01-01 to 9999-12-31 would plan 3.25
million days. Moments (the scheduler's now) lie in [1970-01-01T00:00Z, 2200-01-01T00:00Z). Inside these bounds
every date computation (the day after, a window, the next cron fire time) stays far from the
limits of Python's datetime, so no date input can end in an OverflowError.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from courier.core.errors import ConfigError, Fix, FixKind

FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(2199, 12, 31)
MAX_PERIOD_DAYS = 3660
_FIRST_MOMENT = datetime(1970, 1, 1, tzinfo=UTC)
_END_MOMENT = datetime(2200, 1, 1, tzinfo=UTC)


# The fields a date fills, in no face's words: each face names its own flag or control through the Fix.
FIELDS = {"day": "day", "from_day": "first day", "to_day": "end day"}


def check_day(day: date, setting: str = "day", *, exclusive_end: bool = False) -> date:
    """`day` itself, or a ConfigError when it lies outside FIRST_DAY .. LAST_DAY (one day more for an
    exclusive end such as a period's to day).

    `setting` is the field the day fills (`day`, `from_day`, `to_day`): the message names it in
    words and the error's Fix points at it, so the CLI names its flag and the TUI its control.
    """
    last = LAST_DAY + timedelta(days=1) if exclusive_end else LAST_DAY
    if not FIRST_DAY <= day <= last:
        raise ConfigError(f"{FIELDS.get(setting, setting.replace('_', ' '))} {day.isoformat()} is outside the dates "
                          "courier loads",
                          fix=Fix(FixKind.GIVE, setting, "YYYY-MM-DD", why=f"between {FIRST_DAY} and {last}"))
    return day


def check_period(from_day: date, to_day: date) -> None:
    """Both ends in range and at most MAX_PERIOD_DAYS days in [from_day, to_day)."""
    check_day(from_day, "from_day")
    check_day(to_day, "to_day", exclusive_end=True)
    days = (to_day - from_day).days
    if days > MAX_PERIOD_DAYS:
        raise ConfigError(f"the period {from_day} .. {to_day} is {days} days, more than the {MAX_PERIOD_DAYS} days"
                          " (ten years) one run may cover",
                          hint="split it into runs of at most ten years, or run all available data",
                          fix=Fix(FixKind.GIVE, "to_day", "YYYY-MM-DD",
                                  why=f"at most {MAX_PERIOD_DAYS} days after the first day"))


def check_moment(moment: datetime, setting: str = "now") -> datetime:
    """`moment` itself, or a ConfigError when it lies outside 1970-01-01T00:00Z .. 2200-01-01T00:00Z.

    `setting` is the field the moment fills (the scheduler's `now`); the Fix points at it.
    """
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if not _FIRST_MOMENT <= aware < _END_MOMENT:
        raise ConfigError(f"{moment.isoformat()} is outside the times courier schedules",
                          fix=Fix(FixKind.GIVE, setting, "YYYY-MM-DDTHH:MM", why="between 1970 and 2199 (UTC), e.g. 2026-11-04T14:00"))
    return moment
