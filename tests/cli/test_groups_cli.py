"""`courier groups ...` and `courier scheduler --once` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from courier.core.catalog.catalog import Catalog, now
from courier.core.catalog.workspace import open_workspace
from courier.tui.cli.context import CliContext
from courier.tui.cli.groups import group
from courier.tui.cli.scheduler import command as scheduler_command

from tests.cli.invoke import Outcome, invoke


def run(ws: Path, *args: str) -> Outcome:
    """Invoke like `courier --workspace WS ...`: a CourierError becomes `error:`/`hint:` and its exit code."""
    root = click.Group()
    root.add_command(group)
    root.add_command(scheduler_command)
    return invoke(root, args, obj=CliContext(workspace_arg=str(ws)))


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    path = tmp_path / "ws"
    catalog = Catalog(open_workspace(path))
    for name in ("optimizely", "crm"):
        catalog.execute("INSERT INTO couriers (name, credential, bucket, entities, created_at, updated_at)"
                        " VALUES (?, 'cred', 'bucket', '[]', ?, ?)", (name, now(), now()))
    catalog.close()
    return path


def test_add_show_list(ws: Path) -> None:
    out = run(ws, "groups", "add", "daily", "--cron", "30 2 * * *", "--timezone", "America/New_York",
              "--courier", "optimizely", "--courier", "crm", "--wait", "2h", "--sla", "6h")
    assert out.code == 0, out.err
    assert "added courier group daily" in out.out
    assert "schedule      30 2 * * *  (America/New_York)" in out.out
    assert "couriers      optimizely, crm" in out.out
    assert "next fire" in out.out and "-> loads [" in out.out
    listing = run(ws, "groups", "list")
    assert listing.code == 0
    assert listing.out.splitlines()[1].split()[:4] == ["daily", "enabled", "30", "2"]
    data = json.loads(run(ws, "groups", "show", "daily", "--json").out)
    assert data["wait"] == "2h" and data["sla"] == "6h" and data["couriers"] == ["optimizely", "crm"]
    assert data["status"]["next_fire"] is not None


def test_add_errors_exit_2_with_one_line(ws: Path) -> None:
    bad_cron = run(ws, "groups", "add", "g", "--cron", "0 0 * * 8", "--courier", "crm")
    assert bad_cron.code == 2
    assert bad_cron.err.splitlines()[0] == "error: day-of-week: 8 is out of range 0–6 (Sunday–Saturday; 7 is also Sunday)"
    unknown = run(ws, "groups", "add", "g", "--courier", "optimizly")
    assert unknown.code == 2
    assert "error: no courier 'optimizly'" in unknown.err and "did you mean 'optimizely'?" in unknown.err
    bad_wait = run(ws, "groups", "add", "g", "--courier", "crm", "--wait", "2x")
    assert bad_wait.code == 2 and "error: --wait: '2x': unknown unit 'x' in '2x'" in bad_wait.err
    none = run(ws, "groups", "add", "g")
    assert none.code == 2 and "at least one courier" in none.err
    assert json.loads(run(ws, "groups", "list", "--json").out) == []


def test_edit_enable_disable_remove(ws: Path) -> None:
    assert run(ws, "groups", "add", "g", "--cron", "0 6 * * *", "--courier", "crm").code == 0
    edited = run(ws, "groups", "edit", "g", "--cron", "0 7 * * 1-5", "--courier", "optimizely",
                 "--use-timezone-for-dates", "--stop-when-missing", "--json")
    data = json.loads(edited.out)
    assert data["cron"] == "0 7 * * 1-5" and data["couriers"] == ["optimizely"]
    assert data["use_timezone_for_dates"] is True and data["stop_when_missing"] is True
    assert run(ws, "groups", "edit", "g").code == 2
    assert run(ws, "groups", "disable", "g").out.strip() == "disabled courier group g"
    assert json.loads(run(ws, "groups", "show", "g", "--json").out)["enabled"] is False
    assert run(ws, "groups", "enable", "g").code == 0
    missing = run(ws, "groups", "show", "gg")
    assert missing.code == 2 and "error: no courier group 'gg'" in missing.err and "did you mean 'g'?" in missing.err
    assert run(ws, "groups", "remove", "g").code == 0
    assert run(ws, "groups", "show", "g").code == 2


def test_run_needs_one_selection(ws: Path) -> None:
    run(ws, "groups", "add", "g", "--courier", "crm")
    both = run(ws, "groups", "run", "g", "--day", "2025-01-01", "--all")
    assert both.code == 2 and "choose exactly one of --day D, --from D --to D, or --all" in both.err
    manual_only = run(ws, "groups", "run", "g")
    assert manual_only.code == 2 and "has no schedule" in manual_only.err


def test_scheduler_once_with_nothing_due(ws: Path) -> None:
    run(ws, "groups", "add", "g", "--cron", "0 6 * * *", "--courier", "crm", "--disabled")
    out = run(ws, "scheduler", "--once", "--now", "2030-01-01T06:00:00Z", "--quiet")
    assert out.code == 0
    assert "nothing due at 2030-01-01T06:00" in (ws / "logs" / "scheduler.log").read_text()
    bad = run(ws, "scheduler", "--once", "--now", "yesterday-ish")
    assert bad.code == 2 and "is not an ISO time" in bad.err


def test_a_second_scheduler_on_the_workspace_is_refused(ws: Path) -> None:
    from courier.core.schedule.scheduler import scheduler_lock

    run(ws, "groups", "add", "g", "--cron", "0 6 * * *", "--courier", "crm")
    with scheduler_lock(open_workspace(ws)):
        out = run(ws, "scheduler", "--once", "--now", "2030-01-01T06:00:00Z", "--quiet")
    assert out.code == 1 and "error: the scheduler of workspace" in out.err and "in use by another process" in out.err
    assert json.loads(run(ws, "groups", "show", "g", "--json").out)["status"]["last_status"] is None  # nothing ran


def test_scheduler_once_catches_up_a_missed_fire_and_exits_1_when_the_run_fails(ws: Path) -> None:
    run(ws, "groups", "add", "g", "--cron", "0 6 * * *", "--courier", "crm")
    catalog = Catalog(open_workspace(ws))
    catalog.execute("UPDATE groups SET last_fire = ?", (1_750_000_000.0,))  # 2025-06-15 15:06Z, days before --now
    catalog.close()
    out = run(ws, "scheduler", "--once", "--now", "2025-06-20T07:00:00", "--quiet")
    assert out.code == 1  # the stand-in courier row has no working credential, so its run fails
    log = (ws / "logs" / "scheduler.log").read_text()
    assert "catching up: fire time 2025-06-20 06:00 UTC was missed while the scheduler was down" in log
    assert "running once for all of them" in log
    shown = json.loads(run(ws, "groups", "show", "g", "--json").out)
    assert shown["last"]["status"] == "failed"
    assert (shown["last"]["from_day"], shown["last"]["to_day"]) == ("2025-06-15", "2025-06-20")
    assert shown["last_fire"] == "2025-06-15T15:06:40Z"  # the failed window is not done
    assert shown["status"]["late"] is True and shown["status"]["retry"]["attempts"] == 1
    assert run(ws, "scheduler", "--once", "--now", "2025-06-20T07:00:00", "--quiet").code == 0  # backing off
    log = (ws / "logs" / "scheduler.log").read_text().splitlines()[-2]  # before "nothing due at ..."
    assert "group g is LATE: days 2025-06-15 .. 2025-06-20 (exclusive) are not loaded" in log
    assert "next attempt at 2025-06-20 07:01" in log
    assert " LATE" in run(ws, "groups", "list").out
    assert run(ws, "scheduler", "--once", "--now", "2025-06-20T07:02:00", "--quiet").code == 1  # retried, failed


def test_manual_group_run_with_the_real_engine(tmp_path: Path, s3) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    from courier.core.config.couriers import add_courier
    from courier.core.config.credentials import add_credential
    from courier.core.devtools.synth import ExportSpec, upload_export

    ws = tmp_path / "real"
    catalog = Catalog(open_workspace(ws))
    upload_export(ExportSpec(start=date(2026, 11, 1), days=2, decisions_per_day=20, conversions_per_day=10,
                             experiments=1, events=("purchase",)), s3.client("s3"), "optimizely-events-data")
    add_credential(catalog, "opt", "iam-credential", access_key_id="AKIALOCALS3TESTING00", secret_access_key="testing")
    add_courier(catalog, "optimizely", credential="opt", bucket="optimizely-events-data",
                endpoint_url=s3.endpoint_url, optimizely_account="1234567890", load_operations="{}")
    catalog.close()
    assert run(ws, "groups", "add", "opt", "--courier", "optimizely").code == 0
    ok = run(ws, "groups", "run", "opt", "--day", "2026-11-01", "--json")
    assert ok.code == 0, ok.err
    data = json.loads(ok.out)
    assert data["status"] == "succeeded" and data["trigger"] == "manual"
    assert [c["courier"] for c in data["couriers"]] == ["optimizely"]
    not_ready = run(ws, "groups", "run", "opt", "--day", "2026-11-02")  # the newest day has no _SUCCESS yet
    assert not_ready.code == 1
    assert "error: courier group opt failed: optimizely:" in not_ready.err
