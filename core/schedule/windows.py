"""Which days a scheduled group run loads: the offset/lookback window.

Amperity's "Load data N older than the scheduled date/time" is ambiguous (the docs describe a range
length, their diagram a shift), so courier makes both explicit. For a run scheduled at T:

    end   = T - offset                                  (offset: how far back from T the window ends)
    start = min(end - lookback, P - offset)             (lookback: the window's length)
    days  = every day D whose start (00:00) lies in [start, end)

P is the previous fire the group handled (its last fire time; on the first run, the schedule's
previous fire time). Reaching back to P - offset means a schedule less frequent than the lookback
(weekly, monthly, or a daily one that missed days while the scheduler was down) covers every day
since the previous run, and consecutive windows never leave a gap. Day starts are taken in UTC
unless the group has `use_timezone_for_dates`, then in the group's zone. Manual runs ignore the
window: they load exactly the days the operator names. Defaults: offset 24h, lookback 24h.

DST: durations are counted on a clock, so a 24-hour day that is 23 or 25 hours long neither reloads
nor delays a day. The offset is counted on the clock of the dates (UTC, or the group's zone with
use_timezone_for_dates): with local dates, 24h before 00:30 local is 00:30 local the day before,
even across a DST jump. The lookback is counted on the schedule's clock (the group's zone), so a
24h lookback on a daily schedule is exactly one schedule interval. Europe/London `30 0 * * *`:
- local dates, spring forward (29 March 2026, 01:00 GMT -> 02:00 BST): the 03-29 run loads 03-28,
  the 03-30 run (00:30 BST, 23 hours later) loads exactly 03-29, the 03-31 run 03-30;
- UTC dates: the 03-30 run fires at 23:30Z on 03-29, before UTC's 03-29 is complete, so it loads
  nothing (the previous run already loaded 03-28); 03-31 (23:30Z on 03-30) loads 03-29;
- fall back (25 October 2026) is the 25-hour mirror image: no day is loaded twice or skipped.

Examples (UTC dates):
- daily `0 6 * * *`, offset 24h, lookback 24h; T = 2025-06-15 06:00:
  window [06-13 06:00, 06-14 06:00) -> day 2025-06-14 (yesterday's export, complete by now).
- daily `0 13 * * *`, offset 13h: T = 06-15 13:00 -> [06-14 00:00, 06-15 00:00) -> day 06-14;
  offset 0: [06-14 13:00, 06-15 13:00) -> day 06-15 (the diagram's "24 h window picks 06-15 files").
- hourly `0 * * * *`, offset 0, lookback 24h: T = 06-15 13:00 -> day 06-15; T = 06-15 00:00 ->
  [06-14 00:00, 06-15 00:00) -> day 06-14 (the day just finished gets a last pass at midnight).
- weekly `0 6 * * 1` (Mondays), offset 24h: T = Mon 06-16 06:00, P = Mon 06-09 06:00 ->
  [06-08 06:00, 06-15 06:00) -> days 06-09 .. 06-15; the previous run covered 06-02 .. 06-08.
- zone America/New_York, daily `0 23 * * *`, offset 24h: T = 06-15 23:00 EDT (06-16 03:00Z) ->
  [06-14 03:00Z, 06-15 03:00Z); with use_timezone_for_dates New York's midnight starting 06-14
  (04:00Z) is inside -> day 06-14; with UTC dates, UTC midnight of 06-15 is inside -> day 06-15.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from courier.core.schedule.cron import previous_fire, wall_shift
from courier.core.schedule.groups import Group


@dataclass(frozen=True)
class Window:
    """A scheduled run's window: [start, end) as UTC instants, and the days it selects."""

    fire: datetime
    start: datetime
    end: datetime
    days: tuple[date, ...]
    date_zone: str

    @property
    def from_day(self) -> date | None:
        return self.days[0] if self.days else None

    @property
    def to_day(self) -> date | None:
        """Exclusive, like a period run's `--to`."""
        return self.days[-1] + timedelta(days=1) if self.days else None

    def describe(self) -> str:
        span = f"[{self.start:%Y-%m-%d %H:%M}, {self.end:%Y-%m-%d %H:%M}) UTC"
        if not self.days:
            return f"{span}: no day starts inside it ({self.date_zone} dates)"
        days = str(self.days[0]) if len(self.days) == 1 else f"{self.days[0]} .. {self.days[-1]}"
        return f"{span} -> {days} ({self.date_zone} dates)"


def day_window(fire: datetime, *, offset: timedelta, lookback: timedelta, previous: datetime | None,
               date_zone: ZoneInfo, clock_zone: ZoneInfo | None = None) -> Window:
    """The window for a run scheduled at `fire` (aware), given the previous fire handled.

    The offset is counted on the clock of the dates (`date_zone`), the lookback on the schedule's
    clock (`clock_zone`, the group's zone; default `date_zone`); see "DST" above."""
    fire_utc = fire.astimezone(UTC)
    end = wall_shift(fire_utc, offset, date_zone)
    start = wall_shift(wall_shift(fire_utc, lookback, clock_zone or date_zone), offset, date_zone)
    if previous is not None:
        start = min(start, wall_shift(previous, offset, date_zone))
    first = start.astimezone(date_zone).date() - timedelta(days=1)
    last = end.astimezone(date_zone).date() + timedelta(days=1)
    days: list[date] = []
    day = first
    while day <= last:
        midnight = datetime.combine(day, time(0), tzinfo=date_zone).astimezone(UTC)
        if start <= midnight < end:
            days.append(day)
        day += timedelta(days=1)
    return Window(fire_utc, start, end, tuple(days), date_zone.key)


def group_window(group: Group, fire: datetime, previous: datetime | None = None) -> Window:
    """The window of a scheduled run of `group` at `fire`.

    `previous` is the previous fire handled (the group's last_fire); without it, the schedule's own
    previous fire time before `fire` is used (so a first run covers one schedule interval).
    """
    expr = group.expr
    if previous is None and expr is not None:
        previous = previous_fire(expr, group.zone, fire - timedelta(seconds=1)).utc
    zone = group.zone if group.use_timezone_for_dates else ZoneInfo("UTC")
    return day_window(fire, offset=group.offset, lookback=group.lookback, previous=previous, date_zone=zone,
                      clock_zone=group.zone)
