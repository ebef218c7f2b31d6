"""The feed editor's "put the feed id into the load operations" writes load alone by default, also
over a placeholder copied from the documentation's truncate + load example, and says why."""

from __future__ import annotations

from courier.core.config.couriers import edit_courier, get_courier
from courier.core.config.load_operations import LOAD_ALONE_NOTE
from courier.core.runs.records import start_run
from courier.core.runs.request import RunRequest
from courier.tui.screens import ConfirmScreen
from courier.tui.screens.feed_editor import FeedEditorScreen

from tests.tui.helpers import wait_for
from tests.tui.test_run_progress import START, Host, seed_courier


async def test_wiring_over_a_truncating_placeholder_writes_load_alone(s3, workspace, catalog) -> None:  # type: ignore[no-untyped-def]
    seed_courier(s3, catalog, days=2)
    assert start_run(catalog, RunRequest("optimizely", "day", day=START)).status == "succeeded"
    edit_courier(catalog, "optimizely",
                 load_operations='{"DECISIONS-FEED-ID": [{"type": "truncate"}, {"type": "load", "file": "decisions"}]}')
    sample = catalog.one("SELECT key FROM ledger WHERE tag = 'decisions' ORDER BY last_modified DESC")["key"]
    app = Host(lambda: FeedEditorScreen(workspace, catalog, sample=sample))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: bool(screen.columns), what="the sample's columns")
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the wiring offer")
        feed_id = screen.activated.id
        question = app.screen.question
        assert "DECISIONS-FEED-ID" in question and feed_id in question
        assert '"truncate"' not in question and LOAD_ALONE_NOTE in question
        await pilot.press("y")
        await wait_for(pilot, lambda: get_courier(catalog, "optimizely").load_operations_json != {
            "DECISIONS-FEED-ID": [{"type": "truncate"}, {"type": "load", "file": "decisions"}]}, what="the courier update")
    assert get_courier(catalog, "optimizely").load_operations_json == {feed_id: [{"type": "load", "file": "decisions"}]}
