"""Offset/lookback windows: which days a scheduled group run loads."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from courier.core.schedule.groups import Group
from courier.core.schedule.windows import day_window, group_window

NY = ZoneInfo("America/New_York")


def days(window) -> list[str]:  # type: ignore[no-untyped-def]
    return [d.isoformat() for d in window.days]


def test_daily_default_loads_yesterday() -> None:
    group = Group("g", ["c"], cron="0 6 * * *")
    window = group_window(group, datetime(2025, 6, 15, 6, tzinfo=UTC))
    assert (window.start, window.end) == (datetime(2025, 6, 13, 6, tzinfo=UTC), datetime(2025, 6, 14, 6, tzinfo=UTC))
    assert days(window) == ["2025-06-14"]
    assert (window.from_day, window.to_day) == (date(2025, 6, 14), date(2025, 6, 15))


def test_amperity_diagram_offsets() -> None:
    fire = datetime(2025, 6, 15, 13, tzinfo=UTC)
    assert days(group_window(Group("g", ["c"], cron="0 13 * * *", offset=timedelta(0)), fire)) == ["2025-06-15"]
    assert days(group_window(Group("g", ["c"], cron="0 13 * * *", offset=timedelta(days=1)), fire)) == ["2025-06-14"]
    shifted = group_window(Group("g", ["c"], cron="0 13 * * *", offset=timedelta(hours=13)), fire)
    assert (shifted.start, shifted.end) == (datetime(2025, 6, 14, tzinfo=UTC), datetime(2025, 6, 15, tzinfo=UTC))
    assert days(shifted) == ["2025-06-14"]


def test_hourly_schedule_covers_the_current_day_and_finishes_the_previous_at_midnight() -> None:
    group = Group("g", ["c"], cron="0 * * * *", offset=timedelta(0))
    assert days(group_window(group, datetime(2025, 6, 15, 13, tzinfo=UTC))) == ["2025-06-15"]
    assert days(group_window(group, datetime(2025, 6, 15, 0, tzinfo=UTC))) == ["2025-06-14"]


def test_short_lookback_can_select_no_day() -> None:
    group = Group("g", ["c"], cron="0 * * * *", offset=timedelta(0), lookback=timedelta(hours=1))
    assert days(group_window(group, datetime(2025, 6, 15, 13, tzinfo=UTC))) == []
    assert "no day starts inside it" in group_window(group, datetime(2025, 6, 15, 13, tzinfo=UTC)).describe()
    assert days(group_window(group, datetime(2025, 6, 15, 0, 30, tzinfo=UTC))) == ["2025-06-15"]


def test_weekly_schedule_covers_every_day_since_the_previous_fire() -> None:
    group = Group("g", ["c"], cron="0 6 * * 1")
    this = group_window(group, datetime(2025, 6, 16, 6, tzinfo=UTC))  # Monday
    assert days(this) == [f"2025-06-{d:02d}" for d in range(9, 16)]
    before = group_window(group, datetime(2025, 6, 9, 6, tzinfo=UTC))
    assert days(before) == [f"2025-06-{d:02d}" for d in range(2, 9)]  # consecutive, no gap, no overlap


def test_catch_up_after_downtime_reaches_back_to_the_last_fire_handled() -> None:
    group = Group("g", ["c"], cron="0 6 * * *")
    window = group_window(group, datetime(2025, 6, 15, 6, tzinfo=UTC), previous=datetime(2025, 6, 11, 6, tzinfo=UTC))
    assert days(window) == ["2025-06-11", "2025-06-12", "2025-06-13", "2025-06-14"]


def test_longer_lookback_reloads_recent_days() -> None:
    group = Group("g", ["c"], cron="0 6 * * *", lookback=timedelta(days=3))
    assert days(group_window(group, datetime(2025, 6, 15, 6, tzinfo=UTC))) == ["2025-06-12", "2025-06-13", "2025-06-14"]


def test_dates_in_the_group_zone_or_utc() -> None:
    fire = datetime(2025, 6, 15, 23, tzinfo=NY)  # 03:00Z on 06-16
    local = Group("g", ["c"], cron="0 23 * * *", timezone="America/New_York", use_timezone_for_dates=True)
    utc = Group("g", ["c"], cron="0 23 * * *", timezone="America/New_York")
    assert days(group_window(local, fire)) == ["2025-06-14"]
    assert group_window(local, fire).date_zone == "America/New_York"
    assert days(group_window(utc, fire)) == ["2025-06-15"]


def test_daily_windows_stay_contiguous_across_dst_in_the_group_zone() -> None:
    group = Group("g", ["c"], cron="30 2 * * *", timezone="America/New_York", use_timezone_for_dates=True)
    fires = [datetime(2025, 3, d, 2, 30, tzinfo=NY) for d in (8, 10)] + [datetime(2025, 3, 9, 7, 0, tzinfo=UTC)]
    fires.sort(key=lambda f: f.astimezone(UTC))
    windows = [group_window(group, f, p) for f, p in zip(fires, [None, *fires[:-1]], strict=True)]
    assert [days(w) for w in windows] == [["2025-03-07"], ["2025-03-08"], ["2025-03-09"]]
    # no gap between consecutive windows (a 23-hour DST day makes them overlap a little, never skip)
    assert windows[1].start <= windows[0].end and windows[2].start <= windows[1].end


def test_day_window_directly() -> None:
    window = day_window(datetime(2025, 1, 2, tzinfo=UTC), offset=timedelta(0), lookback=timedelta(days=2),
                        previous=None, date_zone=ZoneInfo("UTC"))
    assert days(window) == ["2024-12-31", "2025-01-01"]
