"""A new operator on `courier demo` reaches a loaded table through the onboarding checklist alone.

Real demo preparation (embedded-S3 data, credential, Optimizely courier with `{}`), then only keys:
onboarding → step 4 runs the courier → step 5 opens the sample files → a decisions file becomes a
feed → Activate + "put the feed id into the load operations" → run → rows in Optimizely:Decisions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from courier.core.catalog.catalog import Catalog
from courier.core.devtools.demo import fresh_demo_workspace, prepare_demo
from courier.core.source.landing import landed_files
from courier.core.warehouse.duckdb import Warehouse
from courier.tui.app import CourierApp
from textual.widgets import OptionList

from tests.tui.helpers import wait_for


def _screen_name(app: Any) -> str:
    return type(app.screen).__name__


async def _open_step(app: Any, pilot: Any, key: str) -> None:
    await pilot.press("o")
    await wait_for(pilot, lambda: _screen_name(app) == "OnboardingScreen", what="the onboarding screen")
    screen = app.screen
    steps = screen.query_one("#onboarding-steps", OptionList)
    steps.focus()
    steps.highlighted = next(i for i, s in enumerate(screen.steps) if s.key == key)
    await pilot.press("enter")


async def test_demo_onboarding_reaches_rows_in_optimizely_decisions(s3, tmp_path: Path) -> None:
    workspace = fresh_demo_workspace(tmp_path / "demo")
    info = prepare_demo(s3, workspace, days=3, rows_per_day=300)
    app = CourierApp(workspace, demo_info=info.as_dict())
    async with app.run_test(size=(120, 40)) as pilot:
        # step 4: get sample files — a run with `{}` lands the day's files
        await _open_step(app, pilot, "samples")
        await wait_for(pilot, lambda: _screen_name(app) == "RunDialog", what="the run dialog")
        await pilot.press("f5")
        await wait_for(pilot, lambda: "Completed in" in str(app.screen.query_one("#outcome").render()),
                       what="the sample run to finish", timeout=120)
        await pilot.press("escape")
        await _open_step(app, pilot, "samples")  # reopen the checklist: samples are done now
        await pilot.press("escape")
        await wait_for(pilot, lambda: _screen_name(app) == "OnboardingScreen", what="the checklist again")
        assert app.screen.status_of("samples") == "done"

        # step 5: add feeds — the newest-first sample list; decisions files are the oldest of the day
        await _open_step(app, pilot, "feeds")
        await wait_for(pilot, lambda: _screen_name(app) == "FilesScreen", what="the files screen")
        await wait_for(pilot, lambda: app.screen.selected_file() is not None, what="landed files listed")
        await pilot.press("end")
        await wait_for(pilot, lambda: (app.screen.selected_file() or {}).get("tag") == "decisions",
                       what="a decisions sample selected")
        await pilot.press("n")
        await wait_for(pilot, lambda: _screen_name(app) == "FeedEditorScreen", what="the feed editor")
        await pilot.press("a")  # activate: creates the table and loads the sample
        await wait_for(pilot, lambda: _screen_name(app) == "ConfirmScreen", what="the offer to update load operations",
                       timeout=120)
        await pilot.press("y")
        await wait_for(pilot, lambda: _screen_name(app) == "FeedEditorScreen", what="back in the editor")

        # step 7: run the courier again; this time the files load
        await pilot.press("r")
        await wait_for(pilot, lambda: _screen_name(app) == "RunDialog", what="the run dialog")
        await pilot.press("f5")
        await wait_for(pilot, lambda: "Completed in" in str(app.screen.query_one("#outcome").render()),
                       what="the loading run to finish", timeout=120)
        await pilot.press("escape")
        await _open_step(app, pilot, "run")
        await pilot.press("escape")
        await wait_for(pilot, lambda: _screen_name(app) == "OnboardingScreen", what="the checklist")
        statuses = {s.key: s.status for s in app.screen.steps}
    assert statuses["samples"] == statuses["feeds"] == statuses["load_operations"] == statuses["run"] == "done"
    catalog = Catalog(workspace)
    decisions = [f for f in landed_files(catalog) if f.tag == "decisions"]
    catalog.close()
    assert len(decisions) > 1  # the sample was one of them; the run loaded them all
    uuids = set()
    for f in decisions:
        uuids.update(pq.read_table(f.local_path, columns=["uuid"]).column("uuid").to_pylist())
    warehouse = Warehouse(workspace.warehouse_path, read_only=True)
    try:
        assert warehouse.row_count("Optimizely:Decisions") == len(uuids)
    finally:
        warehouse.close()
