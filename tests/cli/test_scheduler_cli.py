"""`courier scheduler --once` never blocks silently: a run waiting for late files says so on stderr
and in the scheduler log while it waits (a real process against the moto S3)."""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path

from courier.core.catalog.catalog import Catalog
from courier.core.config.couriers import add_courier
from courier.core.config.credentials import add_credential
from courier.core.devtools.s3server import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY
from courier.core.devtools.synth import ExportSpec, upload_export
from courier.core.schedule.groups import record_fire

COURIER = str(Path(sys.executable).parent / "courier")
START = date(2026, 11, 1)  # three days; the newest, 2026-11-03, has no _SUCCESS yet
WAITING = "courier optimizely: waiting for late files: day 2026-11-03 is not ready for decisions (no ready marker yet)"


def _drain(lines: queue.Queue[str]) -> list[str]:
    out: list[str] = []
    while not lines.empty():
        out.append(lines.get_nowait())
    return out


def test_once_prints_and_logs_that_it_waits_for_late_files(s3, workspace_dir: Path, catalog: Catalog) -> None:  # type: ignore[no-untyped-def]
    upload_export(ExportSpec(start=START, days=3, decisions_per_day=20, conversions_per_day=10), s3.client("s3"),
                  "optimizely-events-data")
    add_credential(catalog, "opt", "iam-credential", access_key_id=LOCAL_ACCESS_KEY, secret_access_key=LOCAL_SECRET_KEY)
    add_courier(catalog, "optimizely", credential="opt", bucket="optimizely-events-data", endpoint_url=s3.endpoint_url,
                optimizely_account="1234567890", load_operations="{}")
    added = subprocess.run([COURIER, "--workspace", str(workspace_dir), "groups", "add", "daily", "--cron", "0 14 * * *",
                            "--timezone", "UTC", "--courier", "optimizely", "--wait", "2h"],
                           capture_output=True, text=True, timeout=60)
    assert added.returncode == 0, added.stderr
    record_fire(catalog, "daily", datetime(2026, 11, 3, 14, 0, tzinfo=UTC))  # the 11-04 fire is the next one
    # at 11-04 14:00 the window is 2026-11-03, which is not ready: the run waits (up to 2 h) for it
    proc = subprocess.Popen([COURIER, "--workspace", str(workspace_dir), "scheduler", "--once",
                             "--now", "2026-11-04T14:00:30"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stderr or ()], daemon=True).start()
    seen: list[str] = []
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not any("waiting for late files" in line for line in seen):
            try:  # a silent scheduler never gets past here: the deadline ends the wait, not a readline
                seen.append(lines.get(timeout=max(0.1, deadline - time.monotonic())))
            except queue.Empty:
                break
        waiting = next((line for line in seen if "waiting for late files" in line), None)
        assert waiting is not None, "".join(seen)
        # (and 1 more): conversions' day is not ready either; the first poll comes back after 2 s
        assert f"WARNING group daily: {WAITING} (and 1 more); checking again in 2 s, until " in waiting
        assert waiting.rstrip().endswith(" UTC")
        log = (workspace_dir / "logs" / "scheduler.log").read_text()
        assert WAITING in log  # the log has it too, as it happens (the run is still waiting)
        assert proc.poll() is None
    finally:
        proc.send_signal(signal.SIGTERM)  # cancels the waiting run; its fire time stays unhandled
        try:  # a bound for a hung scheduler, above the catalog's 30 s busy timeout (a busy CI machine)
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)
            raise AssertionError("the scheduler did not stop within 120 s of SIGTERM; it said:\n"
                                 + "".join(seen) + "".join(_drain(lines))) from None
    assert proc.returncode == 0
