"""Every `--json` command writes its timestamps one way: UTC ISO-8601 to the second, `Z` (core.text.iso_utc).

Times that are deliberately wall-clock times in a zone (`local`, `next_fire`, `shifted_from`) keep
their offset; everything else that is a moment is UTC.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

from courier.core.text import iso_utc

from tests.cli.test_run_cli import DAY, courier, ws  # noqa: F401 - ws is the fixture (real S3, a courier)

UTC_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
MOMENTS = {"at", "created_at", "updated_at", "started_at", "ended_at", "landed_at", "last_modified", "last_fire",
           "next_fire_utc", "utc", "fire", "next_attempt", "expiration"}


def moments(value: Any, path: str = "") -> dict[str, Any]:
    """Every moment in a JSON document, by its path."""
    found: dict[str, Any] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            if key in MOMENTS and not isinstance(item, dict | list):
                found[f"{path}/{key}"] = item
            found.update(moments(item, f"{path}/{key}"))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found.update(moments(item, f"{path}/{i}"))
    return found


def json_of(ws_: Path, *args: str) -> Any:
    out = courier(ws_, *args, "--json")
    assert out.returncode in (0, 1), out.stderr
    return json.loads(out.stdout)


def assert_utc(document: Any, *required: str) -> None:
    found = moments(document)
    bad = {path: v for path, v in found.items() if v is not None and not (isinstance(v, str) and UTC_ISO.match(v))}
    assert bad == {}, bad
    names = {path.rsplit("/", 1)[-1] for path, v in found.items() if v is not None}
    assert set(required) <= names, (required, found)


def test_iso_utc() -> None:
    assert iso_utc(1793714400.0) == "2026-11-03T14:00:00Z"
    assert iso_utc(None) is None


def test_every_json_command_writes_utc_iso_times(ws: Path, tmp_path: Path) -> None:  # noqa: F811
    run = json_of(ws, "run", "optimizely", "--day", DAY.isoformat())
    assert_utc(run, "started_at", "ended_at")
    assert_utc(json_of(ws, "runs"), "started_at", "ended_at")
    assert_utc(json_of(ws, "runs", "show", run["id"]), "started_at", "ended_at", "at")
    landed = json_of(ws, "files", "optimizely")
    assert_utc(landed, "last_modified", "landed_at")
    assert_utc(json_of(ws, "files", "optimizely", "--remote", "--day", DAY.isoformat()), "last_modified")
    assert_utc(json_of(ws, "credentials", "list"), "created_at", "updated_at")
    assert_utc(json_of(ws, "couriers", "list"), "created_at", "updated_at")
    assert_utc(json_of(ws, "couriers", "show", "optimizely"), "created_at", "updated_at")

    added = courier(ws, "feeds", "add", "--source", "Optimizely", "--name", "Decisions", "--sample", landed[0]["key"])
    assert added.returncode == 0, added.stderr
    assert_utc(json_of(ws, "feeds", "list"), "created_at", "updated_at")
    assert_utc(json_of(ws, "feeds", "show", added.stdout.strip()), "created_at", "updated_at")

    group = courier(ws, "groups", "add", "daily", "--cron", "0 6 * * *", "--courier", "optimizely")
    assert group.returncode == 0, group.stderr
    assert_utc(json_of(ws, "groups", "run", "daily", "--day", DAY.isoformat()), "started_at", "ended_at")
    assert_utc(json_of(ws, "groups", "show", "daily"), "created_at", "updated_at", "started_at", "next_fire_utc")
    assert_utc(json_of(ws, "groups", "list"), "created_at", "updated_at", "started_at", "next_fire_utc")
    assert_utc(json_of(ws, "cron", "0 6 * * *", "--timezone", "Europe/London"), "utc")


def test_stored_times_stay_epoch_seconds(ws: Path) -> None:  # noqa: F811
    """The catalog keeps epoch seconds (older rows read unchanged); only the JSON faces format them."""
    from courier.core.catalog.catalog import Catalog
    from courier.core.catalog.workspace import open_workspace

    assert courier(ws, "groups", "add", "daily", "--cron", "0 6 * * *", "--courier", "optimizely").returncode == 0
    assert courier(ws, "groups", "run", "daily", "--day", date(2026, 11, 1).isoformat()).returncode == 0
    catalog = Catalog(open_workspace(ws))
    try:
        last = json.loads(catalog.one("SELECT settings FROM groups WHERE name = 'daily'")["settings"])["last"]
        started = catalog.one("SELECT started_at FROM runs")["started_at"]
    finally:
        catalog.close()
    assert isinstance(last["started_at"], float) and isinstance(started, float)
