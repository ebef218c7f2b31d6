"""Cron validation names the field, descriptions read well, and fire times are right across DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from courier.core.errors import ConfigError
from courier.core.schedule.cron import (
    calendar_warnings,
    check,
    count_fires,
    describe,
    dst_warnings,
    next_fires,
    parse_cron,
    previous_fire,
)
from croniter import croniter
from hypothesis import given, settings
from hypothesis import strategies as st

NY = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")


@pytest.mark.parametrize(("expr", "message"), [
    ("0 0 * * 8", "day-of-week: 8 is out of range 0–6"),
    ("0 2x * * *", "hour: '2x' is not a number"),
    ("0 0 * * * *", "expected 5 fields (minute hour day-of-month month day-of-week), got 6"),
    ("0 0 *", "expected 5 fields (minute hour day-of-month month day-of-week), got 3"),
    ("", "expected 5 fields (minute hour day-of-month month day-of-week), got 0"),
    ("60 * * * *", "minute: 60 is out of range 0–59"),
    ("0 24 * * *", "hour: 24 is out of range 0–23"),
    ("0 0 0 * *", "day-of-month: 0 is out of range 1–31"),
    ("0 0 32 * *", "day-of-month: 32 is out of range 1–31"),
    ("0 0 * 13 *", "month: 13 is out of range 1–12"),
    ("0 0 * XYZ *", "month: 'XYZ' is not a month name (JAN–DEC) or a number"),
    ("0 0 * * FUNDAY", "day-of-week: 'FUNDAY' is not a day name (SUN–SAT) or a number"),
    ("0 0 * MON *", "month: 'MON' is not a month name"),
    ("*/0 * * * *", "minute: step 0 in '*/0' must be at least 1"),
    ("*/x * * * *", "minute: step 'x' in '*/x' is not a number"),
    ("1,,2 * * * *", "minute: empty item in list '1,,2'"),
    ("0 5-1 * * *", "hour: range '5-1' runs backwards"),
    ("0 0 * * FRI-MON", "day-of-week: range 'FRI-MON' runs backwards"),
    ("0 0 L * *", "day-of-month: 'L' is not supported"),
    ("0 0 * * MON#2", "day-of-week: 'MON#2' is not supported"),
    ("0 0 30 2 *", "day-of-month: day 30 never occurs in Feb, so this schedule never fires"),
    ("@reboot", "cron: unknown nickname '@reboot'"),
])
def test_errors_name_the_field_and_the_problem(expr: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_cron(expr)
    assert str(info.value).startswith(message)
    assert info.value.hint


@pytest.mark.parametrize(("expr", "dow"), [("0 0 * * 7", {0}), ("0 0 * * 0", {0}), ("0 0 * * sun", {0}),
                                           ("0 0 * * MON-FRI", {1, 2, 3, 4, 5}), ("0 0 * * 1-7/2", {0, 1, 3, 5})])
def test_day_of_week_names_and_seven_is_sunday(expr: str, dow: set[int]) -> None:
    assert parse_cron(expr).values[4] == dow


def test_steps_ranges_lists_and_nicknames() -> None:
    assert parse_cron("*/15 * * * *").values[0] == {0, 15, 30, 45}
    assert parse_cron("5/20 * * * *").values[0] == {5, 25, 45}
    assert parse_cron("0 8-10,14 * * *").values[1] == {8, 9, 10, 14}
    assert parse_cron("0 0 * jan-mar *").values[3] == {1, 2, 3}
    assert parse_cron("@daily").fields == ("0", "0", "*", "*", "*")
    assert parse_cron("  0   6  * * *  ").text == "0 6 * * *"


@pytest.mark.parametrize(("expr", "text"), [
    ("30 2 * * *", "At 02:30"),
    ("0 17 * * 1-5", "At 17:00, Monday through Friday"),
    ("30 15 * * 1,2,5", "At 15:30, only on Monday, Tuesday, and Friday"),
    ("*/15 * * * *", "Every 15 minutes"),
    ("30 8 * * 0", "At 08:30, only on Sunday"),
])
def test_descriptions(expr: str, text: str) -> None:
    assert describe(parse_cron(expr)) == text


def _local(fires: list, zone: ZoneInfo) -> list[str]:  # type: ignore[type-arg]
    return [f"{f.at.astimezone(zone):%Y-%m-%d %H:%M %Z}" for f in fires]


def test_new_york_spring_forward_shifts_the_missing_time_to_the_end_of_the_gap() -> None:
    fires = next_fires(parse_cron("30 2 * * *"), NY, datetime(2025, 3, 7, 12, tzinfo=UTC), 3)
    assert _local(fires, NY) == ["2025-03-08 02:30 EST", "2025-03-09 03:00 EDT", "2025-03-10 02:30 EDT"]
    assert fires[1].shifted_from == datetime(2025, 3, 9, 2, 30)
    assert fires[1].utc == datetime(2025, 3, 9, 7, 0, tzinfo=UTC)


def test_new_york_fall_back_fires_once_at_the_first_occurrence() -> None:
    fires = next_fires(parse_cron("30 1 * * *"), NY, datetime(2025, 11, 1, 12, tzinfo=UTC), 3)
    assert _local(fires, NY) == ["2025-11-02 01:30 EDT", "2025-11-03 01:30 EST", "2025-11-04 01:30 EST"]
    # 02:30 is outside the repeated hour, so it happens once
    fires = next_fires(parse_cron("30 2 * * *"), NY, datetime(2025, 11, 1, 12, tzinfo=UTC), 2)
    assert _local(fires, NY) == ["2025-11-02 02:30 EST", "2025-11-03 02:30 EST"]


def test_hourly_across_fall_back_skips_the_repeated_hour_once() -> None:
    fires = next_fires(parse_cron("0 * * * *"), NY, datetime(2025, 11, 2, 4, 30, tzinfo=UTC), 3)
    assert [f"{f.utc:%H:%M}" for f in fires] == ["05:00", "07:00", "08:00"]  # 01:00 EDT, 02:00 EST, 03:00 EST


def test_gap_shift_does_not_fire_twice_when_the_schedule_also_names_the_end_of_the_gap() -> None:
    fires = next_fires(parse_cron("0 2,3 * * *"), NY, datetime(2025, 3, 9, 0, tzinfo=NY), 3)
    assert _local(fires, NY) == ["2025-03-09 03:00 EDT", "2025-03-10 02:00 EDT", "2025-03-10 03:00 EDT"]


def test_london_transitions() -> None:
    expr = parse_cron("30 1 * * *")
    spring = next_fires(expr, LONDON, datetime(2025, 3, 29, 12, tzinfo=UTC), 2)
    assert _local(spring, LONDON) == ["2025-03-30 02:00 BST", "2025-03-31 01:30 BST"]
    autumn = next_fires(expr, LONDON, datetime(2025, 10, 25, 12, tzinfo=UTC), 2)
    assert _local(autumn, LONDON) == ["2025-10-26 01:30 BST", "2025-10-27 01:30 GMT"]


def test_previous_fire_inside_the_repeated_hour() -> None:
    expr = parse_cron("*/30 * * * *")
    repeat_0115 = datetime(2025, 11, 2, 6, 15, tzinfo=UTC)  # 01:15 EST, inside the repeated hour
    # the repeated 01:00 and 01:30 never fire again, so the latest fire is 01:30 EDT (05:30Z)
    assert previous_fire(expr, NY, repeat_0115).utc == datetime(2025, 11, 2, 5, 30, tzinfo=UTC)
    assert next_fires(expr, NY, repeat_0115, 1)[0].utc == datetime(2025, 11, 2, 7, 0, tzinfo=UTC)  # 02:00 EST


def test_count_fires_caps() -> None:
    expr = parse_cron("* * * * *")
    start = datetime(2025, 1, 1, tzinfo=UTC)
    assert count_fires(expr, ZoneInfo("UTC"), start, start + timedelta(minutes=10)) == 10
    assert count_fires(expr, ZoneInfo("UTC"), start, start + timedelta(days=30), cap=50) == 50


def test_dst_warnings_are_specific() -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    spring, = [w for w in dst_warnings(parse_cron("30 2 * * *"), NY, start)]
    assert spring.startswith("2025-03-09: 02:30 does not exist in America/New_York (clocks jump from 02:00 to 03:00)")
    assert "fires once at 03:00 EDT" in spring
    autumn, = dst_warnings(parse_cron("30 1 * * *"), NY, start)
    assert autumn.startswith("2025-11-02: 01:30 happens twice in America/New_York")
    assert "once, at the first (EDT, UTC-04:00)" in autumn
    assert dst_warnings(parse_cron("0 12 * * *"), NY, start) == []
    assert dst_warnings(parse_cron("30 2 * * *"), ZoneInfo("UTC"), start) == []
    assert len(dst_warnings(parse_cron("30 1 * * *"), LONDON, start)) == 2


def test_calendar_warnings() -> None:
    assert calendar_warnings(parse_cron("0 0 31 * *")) == [
        "day-of-month 31 does not exist in Feb, Apr, Jun, Sep, Nov; those months skip that run"]
    assert calendar_warnings(parse_cron("0 0 29 * *")) == ["day-of-month 29: February gets that run only in leap years"]
    assert calendar_warnings(parse_cron("0 0 31 1,3 *")) == []
    both, = calendar_warnings(parse_cron("0 0 1 * 1"))
    assert "EITHER" in both and "OR" in both
    assert calendar_warnings(parse_cron("0 0 * * 1")) == []
    step, = calendar_warnings(parse_cron("*/90 * * * *"))
    assert step.startswith("minute: a step in '*/90' is larger than the field")


def test_or_semantics_really_fire_on_either() -> None:
    fires = next_fires(parse_cron("0 0 1 * 1"), ZoneInfo("UTC"), datetime(2025, 1, 28, tzinfo=UTC), 3)
    assert [f"{f.at:%a %d}" for f in fires] == ["Sat 01", "Mon 03", "Mon 10"]


def test_check_report_json() -> None:
    report = check("30 2 * * *", "america/new_york", 2, datetime(2025, 3, 7, 12, tzinfo=UTC))
    data = report.to_json()
    assert data["timezone"] == "America/New_York"
    assert data["description"] == "At 02:30"
    assert data["next"][1] == {"local": "2025-03-09T03:00:00-04:00", "utc": "2025-03-09T07:00:00Z",
                               "shifted_from": "2025-03-09T02:30:00"}
    assert any("does not exist" in w for w in data["warnings"])


_minute = st.one_of(st.just("*"), st.integers(0, 59).map(str), st.sampled_from(["*/5", "*/15", "0,30", "10-20"]))
_hour = st.one_of(st.just("*"), st.integers(0, 23).map(str), st.sampled_from(["1-3", "*/6", "0,1,2"]))
_dom = st.one_of(st.just("*"), st.integers(1, 28).map(str), st.sampled_from(["1,15", "*/10", "31"]))
_month = st.one_of(st.just("*"), st.sampled_from(["1-6", "3,11", "*/2", "MAR", "10-12"]))
_dow = st.one_of(st.just("*"), st.integers(0, 7).map(str), st.sampled_from(["1-5", "SUN", "0,6"]))


@settings(max_examples=80, deadline=None)
@given(m=_minute, h=_hour, dom=_dom, mon=_month, dow=_dow,
       zone=st.sampled_from(["America/New_York", "Europe/London", "UTC"]),
       start=st.one_of(
           st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 31)),
           st.builds(lambda t, m: t + timedelta(minutes=m),  # near the 2025 New York and London transitions
                     st.sampled_from([datetime(2025, 3, 9, 7), datetime(2025, 11, 2, 6),
                                      datetime(2025, 3, 30, 1), datetime(2025, 10, 26, 1)]),
                     st.integers(-600, 120))))
def test_next_times_increase_and_match(m: str, h: str, dom: str, mon: str, dow: str, zone: str,
                                       start: datetime) -> None:
    text = f"{m} {h} {dom} {mon} {dow}"
    expr = parse_cron(text)
    tz = ZoneInfo(zone)
    after = start.replace(tzinfo=UTC)
    fires = next_fires(expr, tz, after, 8)
    previous = after
    for fire in fires:
        assert fire.utc > previous
        previous = fire.utc
        wall = fire.shifted_from or fire.at.astimezone(tz).replace(tzinfo=None)
        assert croniter.match(text, wall), (text, wall)  # each fire's fields (in the zone) match
        if fire.shifted_from is not None:  # shifted only when the wall time truly does not exist
            roundtrip = fire.shifted_from.replace(tzinfo=tz).astimezone(UTC).astimezone(tz).replace(tzinfo=None)
            assert roundtrip != fire.shifted_from
    if fires:
        assert previous_fire(expr, tz, fires[-1].utc).utc == fires[-1].utc
