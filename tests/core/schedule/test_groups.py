"""Courier groups in the catalog: validated settings, couriers that exist, constraints without loops."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from courier.core.catalog.catalog import Catalog, now
from courier.core.errors import ConfigError, NotFound
from courier.core.schedule.durations import format_duration, parse_duration
from courier.core.schedule.groups import (
    add_group,
    constraint_missing,
    edit_group,
    get_group,
    group_status,
    list_groups,
    new_group,
    record_fire,
    remove_group,
    set_enabled,
)


def add_courier(catalog: Catalog, name: str) -> None:
    """A couriers row as the couriers module stores it (only the name matters to groups)."""
    catalog.execute("INSERT INTO couriers (name, credential, bucket, entities, created_at, updated_at)"
                    " VALUES (?, 'cred', 'bucket', '[]', ?, ?)", (name, now(), now()))


@pytest.fixture
def couriers(catalog: Catalog) -> Catalog:
    for name in ("optimizely", "optimizely-events", "crm"):
        add_courier(catalog, name)
    return catalog


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("90m", 5400), ("2h", 7200), ("1d", 86400),
                                               ("1w", 604800), ("1h30m", 5400), ("0", 0), ("2 hours", 7200)])
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize(("text", "message"), [
    ("2x", "--wait: '2x': unknown unit 'x' in '2x'"), ("1.5h", "--wait: '1.5h': '1.5' is not a whole number"),
    ("h", "--wait: 'h': 'h' has no number before the unit"), ("2", "--wait: '2': '2' has no unit"),
    ("-1h", "--wait: '-1h': unexpected '-' at position 1"),
])
def test_duration_errors_name_the_bad_part(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_duration(text, "--wait")
    assert str(info.value) == message


def test_format_duration_round_trips() -> None:
    assert format_duration(timedelta(minutes=90)) == "1h30m"
    assert format_duration(timedelta(days=8)) == "1w1d"
    assert format_duration(timedelta(0)) == "0"


def test_add_and_read_back_everything_in_settings_json(couriers: Catalog) -> None:
    group = add_group(couriers, new_group(
        "daily", ["optimizely", "crm"], cron="30 2 * * *", timezone="america/new_york", wait="2h", offset="1d",
        lookback="48h", use_timezone_for_dates=True, sla="4h", stop_when_missing=True))
    assert group.timezone == "America/New_York"
    assert (group.wait, group.offset, group.lookback, group.sla) == (
        timedelta(hours=2), timedelta(days=1), timedelta(days=2), timedelta(hours=4))
    row = couriers.one("SELECT settings, enabled, last_fire FROM groups WHERE name = 'daily'")
    assert row is not None and row["enabled"] == 1 and row["last_fire"] is None
    assert '"wait":"2h"' in row["settings"] and '"couriers":["optimizely","crm"]' in row["settings"]
    assert [g.name for g in list_groups(couriers)] == ["daily"]


def test_defaults(couriers: Catalog) -> None:
    group = add_group(couriers, new_group("manual", ["crm"]))
    assert group.cron is None and group.timezone == "UTC" and group.enabled
    assert (group.offset, group.lookback, group.wait, group.sla) == (timedelta(hours=24), timedelta(hours=24),
                                                                      timedelta(0), None)


def test_unknown_courier_suggests_the_closest(couriers: Catalog) -> None:
    with pytest.raises(NotFound) as info:
        add_group(couriers, new_group("g", ["optimizly"]))
    assert str(info.value) == "no courier 'optimizly'"
    assert "did you mean 'optimizely'?" in (info.value.hint or "")


@pytest.mark.parametrize(("settings", "message"), [
    ({"cron": "0 0 * * 8"}, "day-of-week: 8 is out of range 0–6"),
    ({"timezone": "Mars/Olympus"}, "timezone: unknown time zone 'Mars/Olympus'"),
    ({"wait": "2x"}, "--wait: '2x': unknown unit 'x'"),
    ({"lookback": "0"}, "--lookback: lookback must be longer than 0"),
])
def test_invalid_settings_are_refused(couriers: Catalog, settings: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        add_group(couriers, new_group("g", ["crm"], **settings))
    assert str(info.value).startswith(message)
    assert list_groups(couriers) == []


def test_names_duplicates_and_empty_courier_lists(couriers: Catalog) -> None:
    add_group(couriers, new_group("g", ["crm"]))
    with pytest.raises(ConfigError, match="already exists"):
        add_group(couriers, new_group("g", ["crm"]))
    with pytest.raises(ConfigError, match="not allowed"):
        add_group(couriers, new_group("../evil", ["crm"]))
    with pytest.raises(ConfigError, match="at least one courier"):
        add_group(couriers, new_group("h", []))
    with pytest.raises(ConfigError, match="listed twice"):
        add_group(couriers, new_group("h", ["crm", "crm"]))


def test_get_unknown_group_suggests(couriers: Catalog) -> None:
    add_group(couriers, new_group("optimizely-daily", ["crm"]))
    with pytest.raises(NotFound) as info:
        get_group(couriers, "optimizely-dialy")
    assert "did you mean 'optimizely-daily'?" in (info.value.hint or "")


def test_edit_enable_disable_remove(couriers: Catalog) -> None:
    add_group(couriers, new_group("g", ["crm"], cron="0 6 * * *"))
    edited = edit_group(couriers, "g", cron="0 7 * * 1-5", couriers=["optimizely", "crm"], sla="2h")
    assert edited.cron == "0 7 * * 1-5" and edited.couriers == ["optimizely", "crm"] and edited.sla == timedelta(hours=2)
    assert edit_group(couriers, "g", cron="", sla="").cron is None
    assert get_group(couriers, "g").sla is None
    assert not set_enabled(couriers, "g", False).enabled
    assert set_enabled(couriers, "g", True).enabled
    remove_group(couriers, "g")
    with pytest.raises(NotFound):
        get_group(couriers, "g")


def test_after_constraint_must_exist_and_not_loop(couriers: Catalog) -> None:
    add_group(couriers, new_group("a", ["crm"]))
    with pytest.raises(NotFound):
        add_group(couriers, new_group("b", ["crm"], after="nope"))
    add_group(couriers, new_group("b", ["optimizely"], after="a"))
    with pytest.raises(ConfigError, match="loop"):
        edit_group(couriers, "a", after="b")
    with pytest.raises(ConfigError, match="itself"):
        edit_group(couriers, "a", after="a")
    with pytest.raises(ConfigError, match="waits for 'a'"):
        remove_group(couriers, "a")


def _run_row(catalog: Catalog, group: str, group_run: str, courier: str, status: str, from_day: str, to_day: str) -> None:
    catalog.execute("INSERT INTO runs (id, courier, group_name, group_run, mode, from_day, to_day, status, started_at)"
                    " VALUES (?, ?, ?, ?, 'period', ?, ?, ?, ?)",
                    (f"wf-{group_run}-{courier}", courier, group, group_run, from_day, to_day, status, now()))


def test_constraint_needs_every_courier_of_the_other_group_to_have_succeeded(couriers: Catalog) -> None:
    from datetime import date

    add_group(couriers, new_group("a", ["crm", "optimizely"]))
    b = add_group(couriers, new_group("b", ["optimizely-events"], after="a"))
    days = (date(2025, 6, 14),)
    assert constraint_missing(couriers, b, days) == [date(2025, 6, 14)]
    _run_row(couriers, "a", "gr-1", "crm", "succeeded", "2025-06-14", "2025-06-15")
    assert constraint_missing(couriers, b, days) == [date(2025, 6, 14)]  # optimizely has not run yet
    _run_row(couriers, "a", "gr-1", "optimizely", "failed", "2025-06-14", "2025-06-15")
    assert constraint_missing(couriers, b, days) == [date(2025, 6, 14)]
    _run_row(couriers, "a", "gr-2", "crm", "succeeded", "2025-06-13", "2025-06-15")
    _run_row(couriers, "a", "gr-2", "optimizely", "succeeded", "2025-06-13", "2025-06-15")
    assert constraint_missing(couriers, b, days) == []
    shifted = edit_group(couriers, "b", after_offset="2d")
    assert constraint_missing(couriers, shifted, days) == [date(2025, 6, 12)]


def test_status_shows_next_fire_and_last_result(couriers: Catalog) -> None:
    group = add_group(couriers, new_group("g", ["crm"], cron="0 6 * * *", timezone="Europe/London"))
    at = datetime(2025, 6, 15, 12, tzinfo=UTC)
    status = group_status(couriers, group, at)
    assert status["next_fire"] == "2025-06-16T06:00:00+01:00" and status["last_status"] is None
    record_fire(couriers, "g", datetime(2025, 6, 15, 5, tzinfo=UTC))
    assert get_group(couriers, "g").last_fire == datetime(2025, 6, 15, 5, tzinfo=UTC).timestamp()
    disabled = set_enabled(couriers, "g", False)
    assert group_status(couriers, disabled, at)["next_fire"] is None
