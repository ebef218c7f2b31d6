"""Column tagging: a feed from a sample file — primary key, semantic tags, last-updated field.

One row per sample column. `k` toggles the primary key, `u` picks the last-updated column (the
engine's rule refuses DATE columns), `t` opens the tag picker (suggestions first, PII marked).
`a` activates: the engine creates the feed and its domain table and loads the sample, then the
screen offers to put the new feed id into the courier's load operations in place of a placeholder.
"""

from __future__ import annotations

import json
from typing import Any

from courier.core.catalog.catalog import Catalog
from courier.core.catalog.workspace import Workspace
from courier.core.errors import CourierError
from courier.core.status.files import sample_origin
from courier.core.text import printable
from courier.tui.formatting import cell, error_text, literal
from courier.tui.screens import ConfirmScreen, CourierScreen
from courier.tui.widgets.forms import GlyphCheckbox, TextInput
from courier.tui.widgets.tag_picker import CLEAR, TagPicker
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Checkbox, DataTable, Input, Label, Static


class FeedEditorScreen(CourierScreen):
    """Define a feed from a sample file (or edit an existing feed's tagging)."""

    HELP = ("One row per column of the sample. k toggles the primary key, u sets the last-updated column, "
            "t picks a semantic tag (PII tags are marked), a activates: creates the domain table, loads "
            "the sample and offers to wire the feed into the courier's load operations.")
    DEFAULT_CSS = """
    FeedEditorScreen #feed-bar { height: 3; }
    FeedEditorScreen #feed-bar Label { padding: 1 1 0 1; }
    FeedEditorScreen #source { width: 22; }
    FeedEditorScreen #name { width: 1fr; }
    FeedEditorScreen #feed-info { height: 1; padding: 0 1; color: $text-muted; text-wrap: nowrap;
                                  text-overflow: ellipsis; }
    FeedEditorScreen #columns { height: 1fr; border: round $primary; }
    FeedEditorScreen #feed-options { height: auto; }
    FeedEditorScreen #feed-error { height: auto; padding: 0 1; color: $error; }
    FeedEditorScreen #feed-result { height: auto; padding: 0 1; color: $success; }
    """
    BINDINGS = [
        Binding("k", "toggle_key", "Primary key", id="feed.key", tooltip="Feed: toggle primary key"),
        Binding("u", "last_updated", "Last updated", id="feed.last_updated", tooltip="Feed: set last-updated column"),
        Binding("t", "tag", "Tag", id="feed.tag", tooltip="Feed: tag the column"),
        Binding("a", "activate", "Activate", id="feed.activate", tooltip="Feed: activate"),
    ]
    FORM = "#source, #name, #stitch, #generate"
    COLUMN_ACTIONS = ("toggle_key", "last_updated", "tag", "activate")

    class SampleRead(Message):
        def __init__(self, columns: list[Any], info: dict[str, Any], error: str | None = None) -> None:
            super().__init__()
            self.columns, self.info, self.error = columns, info, error

    class Activated(Message):
        def __init__(self, feed: Any, rows: int | None, error: str | None = None) -> None:
            super().__init__()
            self.feed, self.rows, self.error = feed, rows, error

    class Wired(Message):
        def __init__(self, text: str, error: str | None = None) -> None:
            super().__init__()
            self.text, self.error = text, error

    def __init__(self, workspace: Workspace, catalog: Catalog, sample: str | None = None,
                 feed_id: str | None = None) -> None:
        super().__init__(workspace, catalog)
        if sample is None and feed_id is None:
            raise ValueError("FeedEditorScreen needs a sample or a feed_id")
        self.sample, self.feed_id = sample, feed_id
        self.columns: list[Any] = []
        self.primary_key: list[str] = []
        self.tags: dict[str, str] = {}
        self.suggested: dict[str, str] = {}
        self.last_updated: str | None = None
        self.info: dict[str, Any] = {}
        self.activated: Any = None

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="feed-bar"):
            yield Label("Source")
            yield TextInput("Optimizely", id="source")
            yield Label("Feed")
            yield TextInput(placeholder="feed name, e.g. Decisions", id="name")
        yield Static("reading the sample…", id="feed-info")
        table: DataTable[Any] = DataTable(cursor_type="row", zebra_stripes=True, id="columns")
        table.border_title = "Columns · k key · u last updated · t tag · a activate"
        yield table
        with Horizontal(id="feed-options"):
            yield GlyphCheckbox("Make available to Stitch", id="stitch")
            yield GlyphCheckbox("Generate updated field", value=True, id="generate")
        yield Static("", id="feed-error")
        yield Static("", id="feed-result")

    def on_mount(self) -> None:
        table = self.query_one("#columns", DataTable)
        for label in ("key", "column", "tag", "updated", "type", "nulls", "sample values"):
            table.add_column(label, key=label)
        table.focus()
        self._read_sample()

    # reading ------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="feed-sample", exit_on_error=False)
    def _read_sample(self) -> None:
        from courier.core.feeds.model import get_feed, resolve_sample
        from courier.core.feeds.schema import read_sample

        catalog = Catalog(self.workspace)
        try:
            info: dict[str, Any] = {}
            if self.feed_id:
                feed = get_feed(catalog, self.feed_id)
                info.update(feed=feed, sample=feed.sample)
                columns = feed.columns
                sample = feed.sample
            else:
                sample = self.sample or ""
                columns = None
            ref = resolve_sample(catalog, sample)
            info.update(key=ref.key, path=str(ref.path))
            origin = sample_origin(catalog, ref.key)
            if origin is not None:
                info.update(courier=origin.courier, tag=origin.tag)
            if columns is None:
                schema = read_sample(ref.path)
                columns = schema.columns
                info.update(total_rows=schema.total_rows)
            self.post_message(self.SampleRead(columns, info))
        except Exception as exc:  # noqa: BLE001 - shown next to the form
            self.post_message(self.SampleRead([], {}, error_text(exc)))
        finally:
            catalog.close()

    @on(SampleRead)
    def _sample_read(self, message: SampleRead) -> None:
        from courier.core.feeds.tags import suggest_tags

        if message.error:
            self._error(message.error)
            self.query_one("#feed-info", Static).update("")
            return
        self.columns, self.info = message.columns, message.info
        names = [c.name for c in self.columns]
        self.suggested = suggest_tags(names)
        feed = self.info.get("feed")
        if feed is not None:
            self.primary_key, self.tags = list(feed.primary_key), dict(feed.tags)
            self.last_updated = feed.last_updated
            self.query_one("#source", Input).value = feed.source
            self.query_one("#name", Input).value = feed.name
            self.query_one("#stitch", Checkbox).value = feed.stitch
        else:
            # the suggested primary key (uuid for both Optimizely datasets) starts marked
            self.primary_key = [c for c, tag in self.suggested.items() if tag == "pk"]
            tag = str(self.info.get("tag") or "")
            if tag and not self.query_one("#name", Input).value:
                self.query_one("#name", Input).value = tag[:1].upper() + tag[1:]
        self.query_one("#generate", Checkbox).value = self.last_updated is None
        self._fill()
        self._show_info()
        self.mark_saved()
        self.refresh_bindings()

    def _show_info(self) -> None:
        source = self.query_one("#source", Input).value.strip()
        name = self.query_one("#name", Input).value.strip()
        text = Text()
        text.append(f"domain table {source}:{name}" if source and name else "domain table (give a source and a name)",
                    style="bold")
        if self.info.get("tag"):
            text.append(f" · file tag {printable(self.info['tag'])} · courier {printable(self.info.get('courier'))}")
        text.append(f" · {len(self.columns)} columns · sample {printable(self.info.get('key', self.sample))}")
        self.query_one("#feed-info", Static).update(text)

    @on(Input.Changed, "#source, #name")
    def _names_changed(self) -> None:
        if self.columns:
            self._show_info()

    def _fill(self) -> None:
        from courier.core.feeds.tags import is_pii

        table = self.query_one("#columns", DataTable)
        cursor = table.cursor_row
        table.clear()
        for column in self.columns:
            tag = self.tags.get(column.name)
            tag_text = literal(tag or "", newlines=False)
            if is_pii(tag):
                tag_text.append(" PII", style="bold red")
            elif not tag and column.name in self.suggested and self.suggested[column.name] != "pk":
                tag_text = Text(f"({self.suggested[column.name]}?)", style="dim")
            type_text = printable(column.type) if len(column.type) <= 28 else printable(column.type[:27]) + "…"
            table.add_row(
                Text("PK" if column.name in self.primary_key else "", style="bold yellow"),
                cell(column.name), tag_text,  # names, types, values: the file's, shown literally
                Text("LU" if column.name == self.last_updated else "", style="bold cyan"),
                Text(type_text), f"{column.null_share:.0%}", literal(", ".join(column.samples[:3])[:60], "dim", newlines=False),
                key=column.name,
            )
        if self.columns:
            table.move_cursor(row=min(max(cursor, 0), len(self.columns) - 1))

    def form_state(self) -> tuple[object, ...]:
        """The fields plus the tagging, which lives in the screen, not in a control."""
        return (*super().form_state(), tuple(self.primary_key), tuple(sorted(self.tags.items())), self.last_updated)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Column keys work once the sample's columns are there."""
        if action in self.COLUMN_ACTIONS:
            return bool(self.columns)
        return True

    def _cursor_column(self) -> Any | None:
        table = self.query_one("#columns", DataTable)
        if not self.columns or not 0 <= table.cursor_row < len(self.columns):
            return None
        return self.columns[table.cursor_row]

    def _error(self, text: str) -> None:
        self.query_one("#feed-error", Static).update(literal(f"✗ {text}" if text else ""))

    # keys ---------------------------------------------------------------------------------

    def action_toggle_key(self) -> None:
        column = self._cursor_column()
        if column is None:
            return
        if column.name in self.primary_key:
            self.primary_key.remove(column.name)
            if self.tags.get(column.name) == "pk":
                del self.tags[column.name]
        else:
            self.primary_key.append(column.name)
        self._error("")
        self._fill()

    def action_last_updated(self) -> None:
        from courier.core.feeds import model as feeds

        column = self._cursor_column()
        if column is None:
            return
        if self.last_updated == column.name:
            self.last_updated = None
        else:
            try:
                feeds.check_last_updated(self.columns, column.name, self._table_name())
            except CourierError as exc:
                self._error(error_text(exc))
                return
            self.last_updated = column.name
        self._error("")
        self.query_one("#generate", Checkbox).value = self.last_updated is None
        self._fill()

    def _table_name(self) -> str:
        return f"{self.query_one('#source', Input).value.strip()}:{self.query_one('#name', Input).value.strip()}"

    @on(Checkbox.Changed, "#generate")
    def _generate_changed(self, event: Checkbox.Changed) -> None:
        if event.value and self.last_updated is not None:
            self.last_updated = None
            self._fill()

    def action_tag(self) -> None:
        column = self._cursor_column()
        if column is None:
            return
        suggestions = [t for c, t in self.suggested.items() if c == column.name]
        self.app.push_screen(TagPicker(column.name, suggestions, self.tags.get(column.name)),
                             lambda tag: self._tag_picked(column.name, tag))

    def _tag_picked(self, column: str, tag: str | None) -> None:
        if tag is None:
            return
        if tag == CLEAR:
            self.tags.pop(column, None)
        else:
            self.tags[column] = tag
            if tag == "pk" and column not in self.primary_key:
                self.primary_key.append(column)
        self._fill()

    def action_apply_suggestions(self) -> None:
        """Take every suggested tag for the untagged columns (the engine's rule, as `feeds suggest --apply`)."""
        from courier.core.feeds.tags import apply_suggestions

        applied = apply_suggestions([c.name for c in self.columns], self.tags, self.primary_key)
        self.tags, self.primary_key = applied.tags, applied.primary_key
        self.notify(f"applied {len(applied.new)} suggested tag(s)" if applied.new else "no new suggestions")
        self._fill()

    # activation ---------------------------------------------------------------------------

    def action_activate(self) -> None:
        if not self.columns:
            self._error("no sample columns yet")
            return
        self._error("")
        self.query_one("#feed-result", Static).update("activating: creating the table and loading the sample…")
        self._activate(self.query_one("#source", Input).value.strip(), self.query_one("#name", Input).value.strip(),
                       self.query_one("#stitch", Checkbox).value)

    @work(thread=True, exclusive=True, group="feed-activate", exit_on_error=False)
    def _activate(self, source: str, name: str, stitch: bool) -> None:
        from courier.core.feeds.model import activate_feed, create_active_feed, update_feed

        catalog = Catalog(self.workspace)
        try:
            existing = self.info.get("feed")
            if existing is not None:
                feed = update_feed(catalog, existing.id, primary_key=self.primary_key, tags=self.tags,
                                   last_updated=self.last_updated, generate_updated=self.last_updated is None,
                                   stitch=stitch)
                feed, stats = activate_feed(catalog, self.workspace, feed.id, load_sample=True)
            else:  # one engine call: an active feed, or nothing stored (the next press starts afresh)
                feed, stats = create_active_feed(
                    catalog, self.workspace, source=source, name=name,
                    sample=self.info.get("key") or self.sample or "", primary_key=self.primary_key, tags=self.tags,
                    last_updated=self.last_updated, generate_updated=self.last_updated is None, stitch=stitch)
            self.post_message(self.Activated(feed, stats.rows_read if stats else None))
        except Exception as exc:  # noqa: BLE001 - shown next to the form
            self.post_message(self.Activated(None, None, error_text(exc)))
        finally:
            catalog.close()

    @on(Activated)
    def _activated(self, message: Activated) -> None:
        result = self.query_one("#feed-result", Static)
        if message.error:
            result.update("")
            self._error(message.error)
            return
        feed = self.activated = message.feed
        self.feed_id = feed.id
        self.info["feed"] = feed
        rows = f", {message.rows:,} sample rows loaded" if message.rows is not None else ""
        result.update(literal(f"✓ feed {feed.id} is active: table {feed.table_name}{rows}"))
        self.mark_saved()
        self._offer_wiring(feed.id)

    def _offer_wiring(self, feed_id: str) -> None:
        from courier.core.config.couriers import get_courier
        from courier.core.config.load_operations import LOAD_ALONE_NOTE, merged_load_operations

        courier_name, tag = self.info.get("courier"), self.info.get("tag")
        if not courier_name or not tag:
            return
        try:
            courier = get_courier(self.catalog, courier_name)
        except CourierError:
            return
        existing = dict(courier.load_operations_json or {})
        if feed_id in existing:
            return
        new, replaced = merged_load_operations(existing, feed_id, tag)
        what = f"replacing the placeholder {replaced}" if replaced else "added to the existing ones"
        question = (f"Put {feed_id} into courier {courier_name}'s load operations ({what})?\n\n"
                    f"{json.dumps(new, indent=1)}\n\n{LOAD_ALONE_NOTE}")
        def answered(yes: bool | None) -> None:
            if yes:
                self._wire(courier_name, new)

        self.app.push_screen(ConfirmScreen(question, yes="Update load operations", no="Not now"), answered)

    @work(thread=True, exclusive=True, group="feed-wire", exit_on_error=False)
    def _wire(self, courier_name: str, operations: dict[str, Any]) -> None:
        from courier.core.config.couriers import edit_courier

        catalog = Catalog(self.workspace)
        try:
            _, warnings = edit_courier(catalog, courier_name, load_operations=json.dumps(operations))
            note = f" ({'; '.join(warnings)})" if warnings else ""
            self.post_message(self.Wired(f"✓ courier {courier_name} now loads {', '.join(operations)}{note}"))
        except Exception as exc:  # noqa: BLE001 - shown next to the form
            self.post_message(self.Wired("", error_text(exc)))
        finally:
            catalog.close()

    @on(Wired)
    def _wired(self, message: Wired) -> None:
        if message.error:
            self._error(message.error)
            return
        self.query_one("#feed-result", Static).update(literal(message.text))

    def palette_commands(self) -> list[tuple[str, str, Any]]:
        """The one command without a key (the others come from the live bindings)."""
        return [("Feed: apply the suggested tags", "untagged columns only", self.action_apply_suggestions)]
