"""Issue 11, the scheduling items: failed windows are retried until they load, a DST jump neither
reloads nor delays a day, date input stays in a sane range, and names are matched whole.

The CLI runs in this process through `courier.tui.cli.main.main` (the same error printer and bug handler
as the installed `courier`), against the reliability workspace: real moto S3 over HTTP, real
DuckDB. A courier "busy with a manual run" is its real advisory lock, held by this test.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from courier.core.catalog.catalog import Catalog
from courier.core.errors import ConfigError
from courier.core.runs.records import RunRequest
from courier.core.schedule.cron import next_fires
from courier.core.schedule.groups import (
    Group,
    add_group,
    get_group,
    lock_name,
    new_group,
    record_fire,
)
from courier.core.schedule.windows import group_window
from courier.core.warehouse.duckdb import Warehouse
from courier.tui.cli.main import main

from tests.reliability.conftest import DECISIONS, ReliabilityEnv

LONDON = ZoneInfo("Europe/London")
FIRE = datetime(2026, 11, 3, 6, tzinfo=UTC)  # a daily 06:00 UTC fire whose window is 2026-11-02 (a ready day)


def courier(ws: Path, *args: str) -> tuple[int, str, str]:
    """`courier --workspace WS ARGS...` in this process: exit code, stdout, stderr."""
    code: int | str | None = 0
    with CliRunner().isolation() as (out, err, _):
        try:
            main(["--workspace", str(ws), *args])
        except SystemExit as exc:
            code = exc.code
    assert isinstance(code, int), code
    return code, out.getvalue().decode(), err.getvalue().decode()


def scheduler_log(env: ReliabilityEnv) -> str:
    return (env.workspace.logs_dir / "scheduler.log").read_text()


def rows_for_day(env: ReliabilityEnv, day: date) -> int:
    with Warehouse(env.workspace.warehouse_path, read_only=True) as wh:
        found = wh.query(f"SELECT count(*) AS n FROM \"{DECISIONS}\" WHERE CAST(date AS VARCHAR) = '{day}'")
    return int(found.column("n")[0].as_py())


# --- 1. a failed scheduled window is retried until it loads -------------------------------------

def test_a_window_that_failed_on_a_busy_courier_is_retried_after_backoff_and_then_loads(
        reliability_env: ReliabilityEnv) -> None:
    env = reliability_env
    ws = env.workspace.root
    add_group(env.catalog, new_group("daily", [env.courier], cron="0 6 * * *"))
    record_fire(env.catalog, "daily", FIRE - timedelta(days=1))
    day = date(2026, 11, 2)

    with env.workspace.lock("courier-optimizely", "courier optimizely"):  # a manual run holds the courier
        code, _, err = courier(ws, "scheduler", "--once", "--now", f"{FIRE:%Y-%m-%dT%H:%M}:05", "--quiet")
        assert code == 1, err  # the fire failed ...
        group = get_group(env.catalog, "daily")
        assert group.last_fire == (FIRE - timedelta(days=1)).timestamp()  # ... so its window is not done
        assert group.retry is not None and group.retry["attempts"] == 1 and "already running" in group.retry["error"]

        code, _, err = courier(ws, "scheduler", "--once", "--now", f"{FIRE:%Y-%m-%dT%H:%M}:30", "--quiet")
        assert code == 0, err  # within the backoff: not run again yet, but not forgotten either
        log = scheduler_log(env)
        assert "nothing due" in log.splitlines()[-1]
        assert "group daily is LATE: days 2026-11-02 .. 2026-11-03 (exclusive) are not loaded" in log
        assert "next attempt at 2026-11-03 06:01" in log

        code, out, _ = courier(ws, "groups", "list")
        line, = [x for x in out.splitlines() if x.startswith("daily ")]
        assert "failed LATE (retry 2026-11-03 06:01 UTC)" in line
        code, out, _ = courier(ws, "groups", "show", "daily", "--json")
        status = json.loads(out)["status"]
        assert status["late"] is True and status["retry"]["days"] == ["2026-11-02", "2026-11-03"]
    assert rows_for_day(env, day) == 0  # nothing of that day was loaded while the courier was busy

    code, _, err = courier(ws, "scheduler", "--once", "--now", f"{FIRE:%Y-%m-%dT%H}:05:00", "--quiet")
    assert code == 0, err  # the courier is free: the retry (after its backoff) loads the window
    assert rows_for_day(env, day) > 0
    runs = env.catalog.all("SELECT status, from_day, to_day FROM runs WHERE group_name = 'daily'")
    assert [tuple(r) for r in runs] == [("succeeded", "2026-11-02", "2026-11-03")]
    group = get_group(env.catalog, "daily")
    assert group.last_fire == FIRE.timestamp() and group.retry is None
    code, out, _ = courier(ws, "groups", "list")
    assert "LATE" not in out and "succeeded" in out

    code, _, err = courier(ws, "scheduler", "--once", "--now", f"{FIRE:%Y-%m-%dT%H}:06:00", "--quiet")
    assert code == 0 and "nothing due" in scheduler_log(env).splitlines()[-1]


def test_a_failed_window_can_be_given_up_on(reliability_env: ReliabilityEnv) -> None:
    env = reliability_env
    ws = env.workspace.root
    add_group(env.catalog, new_group("daily", [env.courier], cron="0 6 * * *"))
    record_fire(env.catalog, "daily", FIRE - timedelta(days=1))
    code, _, err = courier(ws, "groups", "skip", "daily")
    assert (code, err.splitlines()[0]) == (2, "error: courier group 'daily' has no failed window to skip")
    with env.workspace.lock("courier-optimizely", "courier optimizely"):
        assert courier(ws, "scheduler", "--once", "--now", f"{FIRE:%Y-%m-%dT%H:%M}:05", "--quiet")[0] == 1
    code, out, err = courier(ws, "groups", "skip", "daily")
    assert code == 0, err
    assert "stopped retrying days 2026-11-02 .. 2026-11-03 (exclusive)" in out
    group = get_group(env.catalog, "daily")
    assert group.retry is None and group.last_fire == FIRE.timestamp()


# --- 2. DST: the window after a jump covers exactly the missed day --------------------------------

def windows(group: Group, start: datetime, count: int) -> list[list[str]]:
    """The days of `count` consecutive scheduled runs from `start`, each after the previous one handled."""
    assert group.expr is not None
    found, previous = [], None
    for fire in next_fires(group.expr, group.zone, start, count):
        found.append([d.isoformat() for d in group_window(group, fire.utc, previous).days])
        previous = fire.utc
    return found


def london(use_local_dates: bool) -> Group:
    return Group("g", ["c"], cron="30 0 * * *", timezone="Europe/London", use_timezone_for_dates=use_local_dates)


def test_spring_forward_in_london_loads_each_day_once_and_on_time() -> None:
    """29 March 2026, 01:00 GMT -> 02:00 BST: the 00:30 run on 03-30 comes 23 hours after the one on 03-29."""
    start = datetime(2026, 3, 27, tzinfo=UTC)
    assert windows(london(True), start, 5) == [["2026-03-26"], ["2026-03-27"], ["2026-03-28"], ["2026-03-29"],
                                               ["2026-03-30"]]
    # UTC dates: at 00:30 BST on 03-30 (23:30Z on 03-29) UTC's 03-29 is not over yet, so that run has nothing
    # new; 03-28 is not loaded again, and 03-29 comes with the next run like every summer day
    assert windows(london(False), start, 5) == [["2026-03-26"], ["2026-03-27"], ["2026-03-28"], [], ["2026-03-29"]]


def test_fall_back_in_london_loads_each_day_once_and_on_time() -> None:
    """25 October 2026, 02:00 BST -> 01:00 GMT: the 00:30 run on 10-26 comes 25 hours after the one on 10-25."""
    start = datetime(2026, 10, 23, tzinfo=UTC)
    assert windows(london(True), start, 5) == [["2026-10-23"], ["2026-10-24"], ["2026-10-25"], ["2026-10-26"],
                                               ["2026-10-27"]]
    assert windows(london(False), start, 5) == [["2026-10-22"], ["2026-10-23"], ["2026-10-24", "2026-10-25"],
                                                ["2026-10-26"], ["2026-10-27"]]


@pytest.mark.parametrize("zone", ["Europe/London", "America/New_York", "Australia/Sydney"])
@pytest.mark.parametrize("use_local_dates", [True, False])
def test_a_year_of_daily_runs_loads_every_day_exactly_once(zone: str, use_local_dates: bool) -> None:
    group = Group("g", ["c"], cron="30 0 * * *", timezone=zone, use_timezone_for_dates=use_local_dates)
    days = [d for window in windows(group, datetime(2026, 1, 1, tzinfo=UTC), 366) for d in window]
    assert len(days) == len(set(days)), "a day was loaded twice"
    first, last = date.fromisoformat(days[0]), date.fromisoformat(days[-1])
    assert len(days) == (last - first).days + 1, "a day was skipped"


# --- 3. dates in a sane range, refused in one line -------------------------------------------------

def assert_one_line_refusal(code: int, err: str, fragment: str) -> None:
    lines = err.splitlines()
    assert code == 2, err
    assert len(lines) == 2 and lines[0].startswith("error: ") and lines[1].startswith("hint: "), err
    assert fragment in lines[0], err
    assert "bug" not in err and "Traceback" not in err


@pytest.mark.parametrize(("args", "fragment"), [
    (("run", "optimizely", "--from", "1000-01-01", "--to", "9999-12-31"), "error: first day 1000-01-01 is outside"),
    (("run", "optimizely", "--from", "2000-01-01", "--to", "2015-01-01"), "5479 days, more than the 3660 days"),
    (("run", "optimizely", "--day", "9999-12-31"), "error: day 9999-12-31 is outside the dates courier loads"),
    (("run", "optimizely", "--day", "1969-12-31"), "error: day 1969-12-31 is outside"),
    (("groups", "run", "daily", "--day", "9999-12-31"), "error: day 9999-12-31 is outside"),
    (("groups", "run", "daily", "--from", "1970-01-01", "--to", "2199-12-31"), "more than the 3660 days"),
    (("files", "optimizely", "--remote", "--from", "1970-01-01", "--to", "2200-01-01"), "more than the 3660 days"),
    (("files", "optimizely", "--remote", "--day", "0001-01-01"), "0001-01-01 is outside"),
    (("couriers", "validate", "optimizely", "--day", "9999-12-31"), "9999-12-31 is outside"),
    (("cron", "0 0 * * *", "--now", "9999-12-31T23:59"), "error: 9999-12-31T23:59:00+00:00 is outside"),
    (("cron", "0 0 * * *", "--now", "0001-01-01T00:00+05:00"), "is outside the times courier schedules"),
    (("scheduler", "--once", "--now", "9999-12-31T23:59"), "is outside the times courier schedules"),
])
def test_dates_beyond_the_bounds_are_refused_in_one_line(reliability_env: ReliabilityEnv, args: tuple[str, ...],
                                                         fragment: str) -> None:
    add_group(reliability_env.catalog, new_group("daily", [reliability_env.courier], cron="0 6 * * *"))
    before = reliability_env.catalog.one("SELECT count(*) FROM runs")[0]
    code, _, err = courier(reliability_env.workspace.root, *args)
    assert_one_line_refusal(code, err, fragment)
    assert reliability_env.catalog.one("SELECT count(*) FROM runs")[0] == before  # nothing was planned or run
    assert not (reliability_env.workspace.logs_dir / "crash.log").exists()


def test_dates_at_the_bounds_are_accepted(reliability_env: ReliabilityEnv) -> None:
    ws = reliability_env.workspace.root
    code, out, err = courier(ws, "cron", "0 0 * * *", "--now", "2199-12-31T23:59", "--count", "2")
    assert code == 0, err
    assert "2200-01-01 00:00" in out
    code, _, err = courier(ws, "run", "optimizely", "--day", "2199-12-31")
    assert code == 1 and "2199-12-31" in err and "bug" not in err  # a real run: that day is not in the bucket
    ten_years = RunRequest("optimizely", "period", from_day=date(2189, 12, 24), to_day=date(2200, 1, 1))
    ten_years.validate()  # 3660 days, the longest period, ending at the last exclusive end
    ten_years.from_day = date(2189, 12, 23)
    with pytest.raises(ConfigError, match="3661 days, more than the 3660 days"):
        ten_years.validate()
    assert not (reliability_env.workspace.logs_dir / "crash.log").exists()


# --- 4. names are matched whole; lock files are one per name --------------------------------------

@pytest.mark.parametrize("kind", ["credential", "courier", "feed source", "feed", "group"])
def test_a_name_with_a_trailing_newline_is_refused(reliability_env: ReliabilityEnv, kind: str) -> None:
    from courier.core.config.couriers import add_courier
    from courier.core.config.credentials import add_credential
    from courier.core.feeds.model import add_feed

    env = reliability_env
    sample = env.catalog.one("SELECT sample FROM feeds LIMIT 1")["sample"]
    make = {
        "credential": lambda: add_credential(env.catalog, "optimizely\n", "default-chain"),
        "courier": lambda: add_courier(env.catalog, "optimizely2\n", credential="opt", bucket=env.bucket,
                                       endpoint_url=env.s3.endpoint_url, optimizely_account=env.spec.account_id,
                                       load_operations="{}"),
        "feed source": lambda: add_feed(env.catalog, source="Optimizely\n", name="Other", sample=sample,
                                        primary_key=["uuid"], generate_updated=True),
        "feed": lambda: add_feed(env.catalog, source="Optimizely", name="Trailing\n", sample=sample,
                                 primary_key=["uuid"], generate_updated=True),
        "group": lambda: add_group(env.catalog, new_group("nightly\n", [env.courier], cron="0 6 * * *")),
    }
    with pytest.raises(ConfigError) as caught:
        make[kind]()
    assert "\n" not in str(caught.value) and "\\n" in str(caught.value)  # one line, the newline shown escaped


def test_the_cli_refuses_a_group_name_with_a_trailing_newline(reliability_env: ReliabilityEnv) -> None:
    code, _, err = courier(reliability_env.workspace.root, "groups", "add", "nightly\n", "--cron", "0 6 * * *",
                           "--courier", "optimizely")
    assert_one_line_refusal(code, err, "group name 'nightly\\n' is not allowed")
    assert Catalog(reliability_env.workspace).one("SELECT count(*) FROM groups")[0] == 0


def test_two_groups_never_share_a_lock(reliability_env: ReliabilityEnv) -> None:
    """`night ly` and `night_ly` are two groups: one running never refuses the other."""
    env = reliability_env
    for name in ("night ly", "night_ly", "Night_ly"):
        add_group(env.catalog, new_group(name, [env.courier], cron="0 6 * * *"))
    locks = {name: lock_name(name) for name in ("night ly", "night_ly", "Night_ly")}
    assert len({f.casefold() for f in locks.values()}) == 3, locks  # distinct even on a case-insensitive disk
    with env.workspace.lock(locks["night ly"], "courier group night ly"):
        code, out, err = courier(env.workspace.root, "groups", "run", "night_ly", "--day", "2026-11-01", "--json")
        assert "already running" not in err, err
        assert code == 0, err
        assert json.loads(out)["status"] == "succeeded"
