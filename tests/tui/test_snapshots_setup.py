"""SVG snapshots of the shell and setup screens at 80×24 and 120×40 on a fixed, offline workspace.

Each snapshot presses its keys in `run_before` and waits there for the screen they open, filled and
with its workers done, before the shot; never for an amount of time.
Regenerate after an intended change with `pytest tests/tui/test_snapshots_setup.py --snapshot-update`.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tests.tui.helpers import (
    COURIER,
    CREDENTIAL,
    make_app,
    offline_workspace,
    snapshot_root,
    steady_cursors,
    wait_for,
    workers_idle,
)

SIZES = [(80, 24), (120, 40)]
_SNAPSHOT_TEMPDIR = os.environ.get("TEXTUAL_SNAPSHOT_TEMPDIR")  # set by the plugin at start-up


@pytest.fixture(autouse=True)
def keep_snapshot_tempdir(isolated_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """conftest clears TEXTUAL_* for isolation; the snapshot plugin needs its own variable back."""
    if _SNAPSHOT_TEMPDIR:
        monkeypatch.setenv("TEXTUAL_SNAPSHOT_TEMPDIR", _SNAPSHOT_TEMPDIR)

DEMO = {"endpoint": "http://127.0.0.1:4566", "bucket": "optimizely-events-data", "courier": "optimizely"}


def opens(*keys: str, screen: str, ready: Callable[[Any], object] = lambda screen: True,
          ) -> Callable[[Any], Awaitable[None]]:
    """A run_before: wait for home, press `keys`, then wait for `screen` to show and be `ready`."""

    def shown(pilot: Any, name: str) -> bool:
        return type(pilot.app.screen).__name__ == name and workers_idle(pilot.app)

    async def run_before(pilot: Any) -> None:
        await wait_for(pilot, lambda: shown(pilot, "HomeScreen")
                       and pilot.app.screen.query_one("#couriers-table").row_count > 0, what="home with its courier")
        if keys:
            await pilot.press(*keys)
            await wait_for(pilot, lambda: shown(pilot, screen) and ready(pilot.app.screen), what=f"the {screen}")
        await steady_cursors(pilot)

    return run_before


def app_for(name: str, **kwargs):  # type: ignore[no-untyped-def]
    from courier.core.schedule.groups import add_group, new_group

    setup = offline_workspace(snapshot_root(name))
    add_group(setup.catalog, new_group("nightly", ["optimizely"], cron="30 8 * * *", timezone="America/New_York"))
    setup.close()
    return make_app(setup.workspace, **kwargs)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_home(snap_compare, size: tuple[int, int]) -> None:
    assert snap_compare(app_for("home", demo_info=DEMO), terminal_size=size, run_before=opens(screen="HomeScreen"))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_onboarding(snap_compare, size: tuple[int, int]) -> None:
    ready = opens("o", screen="OnboardingScreen", ready=lambda s: s.query_one("#onboarding-steps").option_count == 8)
    assert snap_compare(app_for("onboarding"), terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_credentials(snap_compare, size: tuple[int, int]) -> None:
    ready = opens("c", "enter", screen="CredentialsScreen", ready=lambda s: s.query_one("#cred-name").value == CREDENTIAL)
    assert snap_compare(app_for("credentials"), terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_courier_setup(snap_compare, size: tuple[int, int]) -> None:
    ready = opens("s", screen="CourierSetupScreen", ready=lambda s: s.query_one("#courier-name").value == COURIER)
    assert snap_compare(app_for("courier_setup"), terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_cron(snap_compare, size: tuple[int, int]) -> None:
    ready = opens("g", screen="CronScreen", ready=lambda s: s.query_one("#groups-table").row_count == 1
                  and s.app.focused is s.query_one("#cron-expr"))
    assert snap_compare(app_for("cron"), terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_help(snap_compare, size: tuple[int, int]) -> None:
    ready = opens("c", "f1", screen="HelpScreen", ready=lambda s: "Credentials" in s.title_text)
    assert snap_compare(app_for("help"), terminal_size=size, run_before=ready)
