"""`courier cron`: exit 0 and an explanation when valid, exit 2 and the error line when not."""

from __future__ import annotations

import json

import click
from courier.tui.cli.cron import command

from tests.cli.invoke import Outcome, invoke


def run(*args: str) -> Outcome:
    """Invoke the command the way `courier` does: a CourierError becomes `error:`/`hint:` and its exit code."""
    root = click.Group()
    root.add_command(command)
    return invoke(root, ["cron", *args])


NOW = ("--now", "2025-03-07T12:00:00Z")


def test_valid_expression_shows_description_times_and_warnings() -> None:
    out = run("30 2 * * *", "--timezone", "America/New_York", "--count", "3", *NOW)
    assert out.code == 0
    lines = out.out.splitlines()
    assert lines[0] == "30 2 * * *  (America/New_York)"
    assert lines[1] == "At 02:30"
    assert "Sat 2025-03-08 02:30 EST   2025-03-08 07:30" in out.out
    assert "Sun 2025-03-09 03:00 EDT   2025-03-09 07:00   (02:30 does not exist that day: shifted)" in out.out
    assert "warning: 2025-03-09: 02:30 does not exist in America/New_York" in out.out


def test_invalid_expression_exits_2_with_the_field_named() -> None:
    out = run("0 0 * * 8")
    assert out.code == 2
    assert out.err.splitlines()[0] == "error: day-of-week: 8 is out of range 0–6 (Sunday–Saturday; 7 is also Sunday)"
    assert out.out == ""


def test_unknown_time_zone_suggests() -> None:
    out = run("0 6 * * *", "--timezone", "Europe/Londn")
    assert out.code == 2
    assert "error: timezone: unknown time zone 'Europe/Londn'" in out.err
    assert "Europe/London" in out.err


def test_json_output_valid_and_invalid() -> None:
    ok = run("0 17 * * 1-5", "--json", "--count", "2", *NOW)
    assert ok.code == 0
    data = json.loads(ok.out)
    assert data["valid"] is True and data["description"] == "At 17:00, Monday through Friday"
    assert [n["utc"] for n in data["next"]] == ["2025-03-07T17:00:00Z", "2025-03-10T17:00:00Z"]
    bad = run("0 2x * * *", "--json")
    assert bad.code == 2
    data = json.loads(bad.out)
    assert data == {"valid": False, "expression": "0 2x * * *", "field": "hour", "error": "hour: '2x' is not a number",
                    "hint": data["hint"]}


def test_count_must_be_positive() -> None:
    assert run("0 6 * * *", "--count", "0").code == 2
