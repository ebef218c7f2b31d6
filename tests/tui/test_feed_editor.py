"""Feed editor (column tagging): keys, last-updated rule, tag picker, activation and wiring."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from courier.core.config.couriers import edit_courier, get_courier
from courier.core.feeds.model import list_feeds
from courier.core.runs.records import start_run
from courier.core.runs.request import RunRequest
from courier.core.warehouse.duckdb import Warehouse
from courier.tui.screens import ConfirmScreen
from courier.tui.screens.feed_editor import FeedEditorScreen, TagPicker
from textual.widgets import DataTable, Input, OptionList, Static

from tests.tui.helpers import settle, wait_for
from tests.tui.test_run_progress import START, Host, seed_courier


def local_sample(tmp_path: Path) -> Path:
    path = tmp_path / "customers.parquet"
    pq.write_table(pa.table({
        "customer_id": ["c1", "c2", "c3"],
        "email": ["a@example.com", None, "c@example.com"],
        "signup_day": pa.array([date(2026, 1, 1), date(2026, 1, 2), None], pa.date32()),
        "updated_at": pa.array([datetime(2026, 1, 1, 8), datetime(2026, 1, 2, 9), datetime(2026, 1, 3, 10)],
                               pa.timestamp("us")),
    }), path)
    return path


def cell(screen: FeedEditorScreen, column: str, label: str) -> str:
    table = screen.query_one("#columns", DataTable)
    return str(table.get_cell(column, label))


async def move_to(pilot, screen: FeedEditorScreen, column: str) -> None:  # type: ignore[no-untyped-def]
    table = screen.query_one("#columns", DataTable)
    table.focus()
    row = [c.name for c in screen.columns].index(column)
    table.move_cursor(row=row)
    await wait_for(pilot, lambda: pilot.app.focused is table and table.cursor_row == row, what=f"the cursor on {column}")


async def test_keys_last_updated_tags_and_activation_from_a_local_sample(workspace, catalog, tmp_path) -> None:
    sample = local_sample(tmp_path)
    app = Host(lambda: FeedEditorScreen(workspace, catalog, sample=str(sample)))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: bool(screen.columns), what="the sample's columns")
        assert [c.name for c in screen.columns] == ["customer_id", "email", "signup_day", "updated_at"]
        assert cell(screen, "email", "nulls") == "33%"

        await move_to(pilot, screen, "customer_id")
        await pilot.press("k")
        assert screen.primary_key == ["customer_id"] and "PK" in cell(screen, "customer_id", "key")

        await move_to(pilot, screen, "signup_day")
        await pilot.press("u")  # a DATE is refused, with the engine's own words
        assert screen.last_updated is None
        assert "is a DATE, too coarse" in str(screen.query_one("#feed-error", Static).render())

        await move_to(pilot, screen, "updated_at")
        await pilot.press("u")
        assert screen.last_updated == "updated_at" and "LU" in cell(screen, "updated_at", "updated")
        assert not screen.query_one("#generate").value
        assert str(screen.query_one("#feed-error", Static).render()) == ""

        await move_to(pilot, screen, "email")
        await pilot.press("t")
        assert isinstance(app.screen, TagPicker)
        first = app.screen.query_one(OptionList).get_option_at_index(0)
        assert first.id == "email" and "suggested" in str(first.prompt) and "PII" in str(first.prompt)
        await pilot.press("enter")
        assert app.screen is screen and screen.tags["email"] == "email"
        assert "PII" in cell(screen, "email", "tag")

        screen.query_one("#source", Input).value = "Shop"
        screen.query_one("#name", Input).value = "Customers"
        await move_to(pilot, screen, "email")
        await pilot.press("a")
        await wait_for(pilot, lambda: screen.activated is not None or "✗" in str(
            screen.query_one("#feed-error", Static).render()), what="the activation")
        assert screen.activated is not None, str(screen.query_one("#feed-error", Static).render())
    feed = list_feeds(catalog)[0]
    assert feed.table_name == "Shop:Customers" and feed.active
    assert feed.primary_key == ["customer_id"] and feed.last_updated == "updated_at"
    assert feed.tags["email"] == "email" and not feed.generate_updated
    with Warehouse(workspace.warehouse_path, read_only=True) as warehouse:
        assert warehouse.row_count("Shop:Customers") == 3


async def test_the_tag_picker_refuses_an_unknown_typed_tag(workspace, catalog, tmp_path) -> None:
    sample = local_sample(tmp_path)
    app = Host(lambda: FeedEditorScreen(workspace, catalog, sample=str(sample)))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: bool(screen.columns), what="the sample's columns")
        await move_to(pilot, screen, "customer_id")
        await pilot.press("t")
        await pilot.press(*"no-such-tag", "enter")
        assert isinstance(app.screen, TagPicker)
        assert "unknown semantic tag" in str(app.screen.query_one("#tag-error", Static).render())
        await pilot.press("escape", "escape")  # the first leaves the search field, the second the picker
        assert app.screen is screen and "customer_id" not in screen.tags


async def test_activate_then_wire_the_feed_in_place_of_the_placeholder_and_load(s3, workspace, catalog) -> None:
    seed_courier(s3, catalog, days=2)
    assert start_run(catalog, RunRequest("optimizely", "day", day=START)).status == "succeeded"
    edit_courier(catalog, "optimizely", load_operations='{"df-xxxxxx": [{"type": "load", "file": "decisions"}]}')
    sample = catalog.one("SELECT key FROM ledger WHERE tag = 'decisions' ORDER BY last_modified DESC")["key"]
    app = Host(lambda: FeedEditorScreen(workspace, catalog, sample=sample))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: bool(screen.columns), what="the sample's columns")
        assert screen.query_one("#name", Input).value == "Decisions"  # from the file tag
        assert screen.primary_key == ["uuid"]  # suggested for Optimizely data
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the wiring offer")
        feed_id = screen.activated.id
        assert "df-xxxxxx" in app.screen.question and feed_id in app.screen.question
        await pilot.press("y")
        await wait_for(pilot, lambda: "now loads" in str(screen.query_one("#feed-result", Static).render()),
                       what="the courier update")
    assert get_courier(catalog, "optimizely").load_operations_json == {feed_id: [{"type": "load", "file": "decisions"}]}
    result = start_run(catalog, RunRequest("optimizely", "day", day=START))
    assert result.status == "succeeded", result.error
    with Warehouse(workspace.warehouse_path, read_only=True) as warehouse:
        assert warehouse.row_count("Optimizely:Decisions") > 0


async def test_activate_without_a_key_leaves_no_draft_and_the_next_press_works(workspace, catalog, tmp_path) -> None:
    sample = local_sample(tmp_path)
    app = Host(lambda: FeedEditorScreen(workspace, catalog, sample=str(sample)))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: bool(screen.columns), what="the sample's columns")
        screen.query_one("#source", Input).value = "Shop"
        screen.query_one("#name", Input).value = "Customers"
        assert screen.primary_key == []  # nothing here looks like a key
        await pilot.press("a")
        await wait_for(pilot, lambda: "✗" in str(screen.query_one("#feed-error", Static).render()), what="the refusal")
        assert "needs a primary key" in str(screen.query_one("#feed-error", Static).render())
        assert list_feeds(catalog) == []  # no draft left behind
        await move_to(pilot, screen, "customer_id")
        await pilot.press("k", "a")
        await wait_for(pilot, lambda: screen.activated is not None or "already exists" in str(
            screen.query_one("#feed-error", Static).render()), what="the second activation")
        assert screen.activated is not None, str(screen.query_one("#feed-error", Static).render())
    assert [(f.table_name, f.active) for f in list_feeds(catalog)] == [("Shop:Customers", True)]


async def test_the_palette_applies_the_suggested_tags_to_the_untagged_columns(workspace, catalog, tmp_path) -> None:
    sample = local_sample(tmp_path)
    app = Host(lambda: FeedEditorScreen(workspace, catalog, sample=str(sample)))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: bool(screen.columns), what="the sample's columns")
        screen.tags["updated_at"] = "custom/changed"
        command = dict((title, cb) for title, _key, cb in screen.palette_commands())["Feed: apply the suggested tags"]
        command()
        await settle(pilot)
        assert screen.tags == {"email": "email", "updated_at": "custom/changed"}  # a given tag stays
        assert "PII" in cell(screen, "email", "tag")
