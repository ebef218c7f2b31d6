"""Shared helpers for TUI tests: workspaces with a credential and a courier, against the moto `s3`
fixture (synthetic Optimizely export) or offline (fixed values, for deterministic snapshots).

Also the one way TUI tests wait: `wait_for` lets the app work, a message cycle at a time, until the
state a test checks holds, then lets the screen settle; never a wait for an amount of time.

Other TUI test modules import from here; keep these signatures stable.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from courier.core.catalog.catalog import Catalog
from courier.core.catalog.workspace import Workspace, open_workspace
from courier.core.devtools.s3server import LOCAL_ACCESS_KEY, LocalS3

ACCOUNT = "1234567890"
BUCKET = "optimizely-events-data"
CREDENTIAL = "optimizely-s3"
COURIER = "optimizely"
START = date(2026, 11, 1)  # the synthetic export's first day
DAYS = 2
FIXED_NOW = datetime(2026, 11, 3, 12, 0, tzinfo=UTC)  # a pinned clock for screens that show times
TEST_SECRET = "testing/secret/key/for/moto/0000000000"  # moto (auth off) accepts any secret
OFFLINE_ENDPOINT = "http://127.0.0.1:9"  # never contacted: snapshots only read the catalog


@dataclass
class Setup:
    """What a helper built: the workspace, an open catalog, and the S3 details used."""

    workspace: Workspace
    catalog: Catalog
    endpoint_url: str
    bucket: str = BUCKET
    courier: str = COURIER
    credential: str = CREDENTIAL
    days: tuple[date, ...] = ()

    def close(self) -> None:
        self.catalog.close()


def upload_synthetic(s3: LocalS3, *, days: int = DAYS, rows: int = 200, newest_ready: bool = True) -> list[date]:
    """Put a small synthetic Optimizely export into BUCKET on the moto server; returns its days."""
    from courier.core.devtools.synth import ExportSpec, upload_export

    spec = ExportSpec(account_id=ACCOUNT, start=START, days=days, decisions_per_day=rows,
                      conversions_per_day=max(1, rows // 2), newest_day_ready=newest_ready)
    upload_export(spec, s3.client("s3"), BUCKET)
    return spec.dates


def add_credential(catalog: Catalog, name: str = CREDENTIAL) -> None:
    from courier.core.config.credentials import add_credential as add

    add(catalog, name, "iam-credential", access_key_id=LOCAL_ACCESS_KEY,
        secret_access_key=TEST_SECRET)


def add_courier(catalog: Catalog, endpoint_url: str, *, name: str = COURIER, credential: str = CREDENTIAL,
                load_operations: str = "{}") -> None:
    from courier.core.config.couriers import add_courier as add

    add(catalog, name, credential=credential, bucket=BUCKET, prefix="", region="us-east-1",
        endpoint_url=endpoint_url, optimizely_account=ACCOUNT, load_operations=load_operations)


def s3_workspace(root: Path, s3: LocalS3, *, courier: bool = True, data: bool = True) -> Setup:
    """A workspace with a credential (and a courier) pointing at the moto server, with synthetic data."""
    workspace = open_workspace(root)
    catalog = Catalog(workspace)
    days = tuple(upload_synthetic(s3)) if data else ()
    add_credential(catalog)
    if courier:
        add_courier(catalog, s3.endpoint_url)
    return Setup(workspace, catalog, s3.endpoint_url, days=days)


def offline_workspace(root: Path, *, credential: bool = True, courier: bool = True) -> Setup:
    """A workspace with fixed names and no network (deterministic for snapshots)."""
    workspace = open_workspace(root)
    catalog = Catalog(workspace)
    if credential:
        add_credential(catalog)
    if courier:
        add_courier(catalog, OFFLINE_ENDPOINT)
    _pin_times(catalog)
    return Setup(workspace, catalog, OFFLINE_ENDPOINT)


def _pin_times(catalog: Catalog) -> None:
    """Creation times show on some screens: make them the same on every run."""
    stamp = FIXED_NOW.timestamp()
    for table in ("credentials", "couriers"):
        catalog.execute(f"UPDATE {table} SET created_at = ?, updated_at = ?", (stamp, stamp))


def snapshot_root(name: str) -> Path:
    """A fixed path per snapshot workspace (the path itself may show on screen), emptied first."""
    root = Path(tempfile.gettempdir()) / "courier-snapshots" / name
    shutil.rmtree(root, ignore_errors=True)
    root.parent.mkdir(parents=True, exist_ok=True)
    return root


def make_app(workspace: Workspace, **kwargs: Any) -> Any:
    """A CourierApp with the clock pinned (import here so helpers load without Textual errors)."""
    from courier.tui.app import CourierApp

    app = CourierApp(workspace, **kwargs)
    app.fixed_now = FIXED_NOW
    return app


WAIT_SECONDS = 60.0  # a safety net that stops a hung test; the wait itself ends on state, never on time


async def settle(pilot: Any) -> None:
    """Let the screen finish what the last change set going: animations, deferred scrolls
    (`call_after_refresh`), and the repaint after them."""
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


async def wait_for(pilot: Any, predicate: Callable[[], object], *, what: str, timeout: float = WAIT_SECONDS) -> None:
    """Let the app work, one message cycle at a time, until `predicate()` holds and still holds once
    the screen has settled (a layout pass after it may undo it: a log that shrinks after scrolling).

    A widget the predicate queries that is not mounted yet counts as "not yet". `timeout` only
    stops a test that would hang: a busy machine makes the wait longer, never wrong; past it the
    test fails naming `what`.
    """
    from textual.css.query import NoMatches

    def holds() -> bool:
        try:
            return bool(predicate())
        except NoMatches:
            return False

    deadline = time.monotonic() + timeout
    while True:
        if holds():
            await settle(pilot)
            if holds():
                return
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout:g} s waiting for {what}")
        await pilot.pause()


def workers_idle(app: Any) -> bool:
    """Whether every worker the app started (screens read in threads) has ended: what they post
    arrives before the next wait_for settles."""
    return all(worker.is_finished for worker in app.workers)


def log_text(log: Any) -> str:
    """What a RichLog holds, one line per line (rendered lines, not the deferred ones)."""
    return "\n".join(line.text for line in log.lines)


def log_at_end(log: Any, last: str) -> bool:
    """Whether a RichLog holds a line with `last` and is scrolled to its end, as drawn.

    RichLog defers both its lines (until it knows its size) and its scroll to the end (until after
    the next refresh): a run can be over while its log still shows the top.
    """
    return (any(last in line.text for line in log.lines)
            and log.virtual_size.height == len(log.lines)
            and log.scroll_y == log.max_scroll_y)


async def steady_cursors(pilot: Any) -> None:
    """Stop the text cursors blinking, shown where a field has focus: a blink flips every 0.5 s, so a
    snapshot of a focused field would depend on how long the machine took to get there."""
    for field in pilot.app.screen.query("Input, TextArea"):
        field.cursor_blink = False
    await settle(pilot)


async def wait_for_screen(pilot: Any, name: str, *, timeout: float = WAIT_SECONDS) -> Any:
    """Wait until the app shows the screen class `name`; returns it."""
    await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == name, what=f"the {name}", timeout=timeout)
    return pilot.app.screen
