"""Onboarding checklist: pure logic from the catalog, and the screen that opens each step."""

from __future__ import annotations

from pathlib import Path

from courier.core.status.onboarding import (
    BLOCKED,
    DONE,
    NEXT,
    OPEN,
    WorkspaceFacts,
    judge,
    onboarding_steps,
)

from tests.tui.helpers import (
    COURIER,
    CREDENTIAL,
    make_app,
    offline_workspace,
    wait_for,
    wait_for_screen,
)


def statuses(steps: list) -> dict[str, str]:
    return {s.key: s.status for s in steps}


def test_empty_workspace_starts_at_get_details_and_blocks_the_rest(catalog) -> None:
    steps = onboarding_steps(catalog)
    assert [s.number for s in steps] == list(range(1, 9))
    got = statuses(steps)
    assert got["details"] == NEXT
    assert got["courier"] == BLOCKED and got["samples"] == BLOCKED and got["group"] == BLOCKED
    assert "step 1" in next(s for s in steps if s.key == "courier").detail


def test_add_courier_is_done_once_a_courier_exists(tmp_path: Path) -> None:
    setup = offline_workspace(tmp_path / "ws", courier=False)
    got = statuses(onboarding_steps(setup.catalog))
    assert got["s3"] == NEXT and got["courier"] == OPEN  # Test connection is suggested first
    got = statuses(onboarding_steps(setup.catalog, checked_credentials={CREDENTIAL}))
    assert got["s3"] == DONE and got["courier"] == NEXT
    from tests.tui.helpers import OFFLINE_ENDPOINT, add_courier

    add_courier(setup.catalog, OFFLINE_ENDPOINT)
    got = statuses(onboarding_steps(setup.catalog, checked_credentials={CREDENTIAL}))
    assert got["details"] == DONE and got["courier"] == DONE
    assert got["samples"] == NEXT  # the first open step after the courier: land samples
    assert got["feeds"] == BLOCKED and got["group"] == OPEN
    setup.close()


def test_placeholder_load_operations_do_not_count_as_wired(tmp_path: Path) -> None:
    setup = offline_workspace(tmp_path / "ws")
    setup.catalog.execute("UPDATE couriers SET load_operations = ?",
                          ('{"df-xxxxxx": [{"type": "load", "file": "decisions"}]}',))
    steps = onboarding_steps(setup.catalog)
    step6 = next(s for s in steps if s.key == "load_operations")
    assert step6.status == BLOCKED  # no active feed yet
    facts = WorkspaceFacts(credentials=1, access_checked=True, couriers=1, landed_files=3, feeds=1, active_feeds=1,
                           placeholder_couriers=1)
    judged = {s.key: s for s in judge(facts)}
    assert judged["load_operations"].status == NEXT
    assert "placeholder" in judged["load_operations"].detail
    setup.close()


def test_later_steps_follow_facts_in_order() -> None:
    facts = WorkspaceFacts(credentials=1, access_checked=True, couriers=1, landed_files=4, feeds=2,
                           active_feeds=2, wired_couriers=1, loaded_runs=1, grouped_couriers=0)
    got = statuses(judge(facts))
    assert [got[k] for k in ("details", "s3", "courier", "samples", "feeds", "load_operations", "run")] == [DONE] * 7
    assert got["group"] == NEXT


async def test_screen_marks_add_courier_done_and_enter_opens_the_step(tmp_path: Path) -> None:
    setup = offline_workspace(tmp_path / "ws", courier=False)
    app = make_app(setup.workspace)
    app.checked_credentials.add(CREDENTIAL)  # as if Test connection had passed
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("o")
        screen = await wait_for_screen(pilot, "OnboardingScreen")
        assert screen.status_of("courier") == NEXT
        # Enter on the highlighted (next) step opens courier setup
        await pilot.press("enter")
        await wait_for_screen(pilot, "CourierSetupScreen")
        from tests.tui.helpers import OFFLINE_ENDPOINT, add_courier

        add_courier(setup.catalog, OFFLINE_ENDPOINT, name=COURIER)
        await pilot.press("escape", "escape")  # the first esc leaves the focused name field
        await wait_for_screen(pilot, "OnboardingScreen")
        await wait_for(pilot, lambda: app.screen.status_of("courier") == DONE, what="the step done on resume")
    setup.close()
