"""SVG snapshots of the shell and setup screens at 80×24 and 120×40 on a fixed, offline workspace.

Regenerate after an intended change with `pytest tests/tui/test_snapshots_setup.py --snapshot-update`.
"""

from __future__ import annotations

import os

import pytest

from tests.tui.helpers import make_app, offline_workspace, snapshot_root

SIZES = [(80, 24), (120, 40)]
_SNAPSHOT_TEMPDIR = os.environ.get("TEXTUAL_SNAPSHOT_TEMPDIR")  # set by the plugin at start-up


@pytest.fixture(autouse=True)
def keep_snapshot_tempdir(isolated_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """conftest clears TEXTUAL_* for isolation; the snapshot plugin needs its own variable back."""
    if _SNAPSHOT_TEMPDIR:
        monkeypatch.setenv("TEXTUAL_SNAPSHOT_TEMPDIR", _SNAPSHOT_TEMPDIR)

DEMO = {"endpoint": "http://127.0.0.1:4566", "bucket": "optimizely-events-data", "courier": "optimizely"}


def app_for(name: str, **kwargs):  # type: ignore[no-untyped-def]
    from courier.core.schedule.groups import add_group, new_group

    setup = offline_workspace(snapshot_root(name))
    add_group(setup.catalog, new_group("nightly", ["optimizely"], cron="30 8 * * *", timezone="America/New_York"))
    setup.close()
    return make_app(setup.workspace, **kwargs)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_home(snap_compare, size: tuple[int, int]) -> None:
    assert snap_compare(app_for("home", demo_info=DEMO), terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_onboarding(snap_compare, size: tuple[int, int]) -> None:
    assert snap_compare(app_for("onboarding"), press=["o"], terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_credentials(snap_compare, size: tuple[int, int]) -> None:
    assert snap_compare(app_for("credentials"), press=["c", "enter"], terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_courier_setup(snap_compare, size: tuple[int, int]) -> None:
    assert snap_compare(app_for("courier_setup"), press=["s"], terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_cron(snap_compare, size: tuple[int, int]) -> None:
    assert snap_compare(app_for("cron"), press=["g"], terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_help(snap_compare, size: tuple[int, int]) -> None:
    assert snap_compare(app_for("help"), press=["c", "f1"], terminal_size=size)
