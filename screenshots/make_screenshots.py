"""Regenerate screenshots/ from the demo: `python screenshots/make_screenshots.py screenshots` (`make screenshots`).

Builds a demo workspace (local S3, synthetic export, credential, courier), lands one day, adds a
feed and loads it so the data screens have something to show, then opens every screen at 120×40
and saves an SVG (and a PNG when `rsvg-convert` is installed: apt package librsvg2-bin).
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

SIZE = (120, 40)
TODAY = date(2026, 11, 3)  # a fixed demo calendar, so the pictures do not change from day to day


def _prepare(server: Any, root: Path) -> dict[str, Any]:
    """The demo workspace plus one landed day, and (when the engine allows) a loaded feed."""
    from courier.core.catalog.catalog import Catalog
    from courier.core.devtools.demo import fresh_demo_workspace, prepare_demo
    from courier.core.runs.records import start_run
    from courier.core.runs.request import RunRequest

    workspace = fresh_demo_workspace(root)
    info = prepare_demo(server, workspace, days=3, rows_per_day=400, today=TODAY)
    catalog = Catalog(workspace)
    try:
        day = TODAY - timedelta(days=1)
        start_run(catalog, RunRequest(courier=info.courier, mode="day", day=day))
        _add_feed(catalog, workspace, info.courier, day)
    finally:
        catalog.close()
    return {"workspace": workspace, "info": info}


def _add_feed(catalog: Any, workspace: Any, courier: str, day: date) -> None:
    """Decisions feed from the newest landed decisions file, activated and wired (best effort)."""
    from courier.core.config.couriers import edit_courier, get_courier
    from courier.core.config.load_operations import merged_load_operations
    from courier.core.errors import CourierError
    from courier.core.feeds.model import activate_feed, add_feed
    from courier.core.runs.records import start_run
    from courier.core.runs.request import RunRequest

    row = catalog.one("SELECT key FROM ledger WHERE tag = 'decisions' ORDER BY last_modified DESC LIMIT 1")
    if row is None:
        return
    try:
        feed = add_feed(catalog, source="Optimizely", name="Decisions", sample=row["key"],
                        primary_key=["uuid"], generate_updated=True)
        activate_feed(catalog, workspace, feed.id, load_sample=True)
        existing = dict(get_courier(catalog, courier).load_operations_json or {})
        operations, _ = merged_load_operations(existing, feed.id, "decisions")  # load alone, onboarding's default
        edit_courier(catalog, courier, load_operations=operations)
        start_run(catalog, RunRequest(courier=courier, mode="day", day=day))
    except CourierError as exc:
        print(f"screenshots: feed step skipped ({exc.one_line()})", file=sys.stderr)


async def _shoot(workspace: Any, info: Any, out_dir: Path) -> list[Path]:
    from courier.tui.app import CourierApp

    app = CourierApp(workspace, demo_info={"endpoint": info.endpoint, "bucket": info.bucket,
                                           "courier": info.courier})
    app.fixed_now = datetime(TODAY.year, TODAY.month, TODAY.day, 12, tzinfo=UTC)
    saved: list[Path] = []
    async with app.run_test(size=SIZE) as pilot:

        async def settle() -> None:
            for _ in range(3):
                await pilot.pause(0.3)
                await app.workers.wait_for_complete()
            await pilot.pause(0.2)

        async def shot(name: str, opener: Callable[[], Any] | None = None,
                       then: Callable[[], Awaitable[None]] | None = None) -> None:
            if opener is not None:
                if opener() is None and name not in ("home",):
                    print(f"screenshots: {name} skipped (not available)", file=sys.stderr)
                    return
            await settle()
            if then is not None:
                await then()
                await settle()
            path = app.save_screenshot(f"{name}.svg", path=str(out_dir))
            saved.append(Path(path))

        async def press(*keys: str) -> None:
            await pilot.press(*keys)

        async def test_connection() -> None:
            from textual.widgets import Input

            screen = app.screen
            screen.query_one("#test-bucket", Input).value = info.bucket
            screen.query_one("#test-endpoint", Input).value = info.endpoint
            screen.action_test()

        async def validate() -> None:
            from textual.widgets import Input

            app.screen.query_one("#validate-day", Input).value = (TODAY - timedelta(days=1)).isoformat()
            app.screen.action_validate()

        async def set_day() -> None:
            from textual.widgets import Input

            app.screen.query_one("#day", Input).value = (TODAY - timedelta(days=1)).isoformat()

        await shot("home")
        await shot("onboarding", lambda: app.open_section("onboarding"))
        await shot("credentials", lambda: app.open_section("credentials"),
                   lambda: _then(app.screen.edit, info.credential, test_connection))
        await shot("courier-setup", lambda: app.open_section("courier_setup"), validate)
        await shot("cron", lambda: app.open_section("groups"))
        await shot("files", lambda: app.open_section("files"))
        await shot("feed-editor", lambda: app.open_section("feed_editor"))
        await shot("run-dialog", lambda: app.open_section("run"), set_day)
        await pilot.press("f5")
        await shot("run-progress")
        await pilot.press("escape")
        await shot("history", lambda: app.open_section("history"))
        await shot("explorer", lambda: app.open_section("explorer"))
        await shot("help", lambda: app.open_section("credentials"), lambda: press("f1"))
    return saved


async def _then(first: Callable[..., Any], arg: Any, after: Callable[[], Awaitable[None]]) -> None:
    first(arg)
    await after()


def to_png(svgs: list[Path]) -> int:
    """Convert with rsvg-convert when present; say how to get it when not."""
    tool = shutil.which("rsvg-convert")
    if tool is None:
        print("screenshots: rsvg-convert not found, PNGs skipped (apt-get install librsvg2-bin)", file=sys.stderr)
        return 0
    for svg in svgs:
        subprocess.run([tool, "-o", str(svg.with_suffix(".png")), str(svg)], check=True)
    return len(svgs)


def main(out_dir: str | Path = "screenshots") -> list[Path]:
    """Build the demo, photograph every screen into `out_dir`; returns the SVG paths."""
    from courier.core.devtools.s3server import LocalS3

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="courier-shots-") as tmp, LocalS3() as server:
        prepared = _prepare(server, Path(tmp) / "demo")
        svgs = asyncio.run(_shoot(prepared["workspace"], prepared["info"], out))
    pngs = to_png(svgs)
    print(f"screenshots: {len(svgs)} SVG, {pngs} PNG in {out}")
    return svgs


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "screenshots")
