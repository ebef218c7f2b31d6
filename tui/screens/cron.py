"""Cron validation that explains itself as the operator types (description, next runs in the zone
and UTC, DST and calendar warnings, errors that name the field), and the courier groups list."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from courier.core.errors import CourierError
from courier.core.text import printable
from courier.tui.formatting import cell, error_block, literal
from courier.tui.screens import CourierScreen
from courier.tui.widgets.forms import Body, Field, TextInput
from courier.tui.widgets.help import with_help
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.suggester import Suggester
from textual.widgets import DataTable, Input, Static
from textual.worker import get_current_worker

CRON_HELP = ("Five fields: minute (0-59) hour (0-23) day-of-month (1-31) month (1-12 or JAN-DEC) day-of-week "
             "(0-6 Sunday-Saturday or SUN-SAT). Use * for any, ranges 1-5, lists 1,15 and steps */15. "
             "Example: 30 8 * * * runs at 8:30 every day.")
ZONE_HELP = ("An IANA time zone such as America/New_York or Europe/London. Type part of a name (spaces match "
             "underscores); the closest match is suggested inline (right arrow accepts it) and more are listed.")


class ZoneSuggester(Suggester):
    """Inline completion from the engine's time-zone search (a zone that starts with what was typed)."""

    def __init__(self) -> None:
        super().__init__(use_cache=True, case_sensitive=False)

    async def get_suggestion(self, value: str) -> str | None:
        from courier.core.schedule.timezones import search

        if not value:
            return None
        folded = value.casefold()
        for name in search(value, limit=20):
            if name.casefold().startswith(folded):
                return name
        return None


def fmt(moment: datetime) -> str:
    return moment.strftime("%a %Y-%m-%d %H:%M %Z")


def group_rows(catalog: Any, now: datetime) -> list[tuple[Any, ...]]:
    """One row per courier group (the engine's group_status): schedule, couriers, next fire, last
    result, late/missing."""
    from courier.core.schedule.groups import group_status, list_groups

    rows = []
    for group in list_groups(catalog):
        status = group_status(catalog, group, now)
        schedule = f"{group.cron} ({group.timezone})" if group.cron else "manual only"
        if not group.enabled:
            upcoming = "disabled"
        else:
            fire = group.next_fire(now)  # in the group's zone, with its abbreviation
            upcoming = fmt(fire.at) if fire else "never"
        result = status["last_status"] or "never run"
        if status["last_days"] and status["last_days"][0]:
            result += f" ({status['last_days'][0]})"
        flags = (["late"] if status["late"] else []) + \
            ([f"retry {status['retry'].get('next_attempt', '')[:16].replace('T', ' ')} UTC"] if status["retry"] else []) + \
            ([f"missing: {', '.join(status['missing'])}"] if status["missing"] else [])
        rows.append((group.name, schedule, ", ".join(group.couriers), upcoming, result, ", ".join(flags) or "–"))
    return rows


class CronScreen(CourierScreen):
    """Cron validation and courier groups (the navigation's place for scheduling)."""

    HELP = ("Type a cron expression and a time zone: the description, the next fire times (in the zone and in "
            "UTC) and warnings (DST gaps and overlaps, months without day 31, day-of-month OR day-of-week) "
            "update as you type. ctrl+s saves the schedule as a courier group (name, couriers, wait, offset "
            "below). In the groups list, Enter loads a group's schedule and ctrl+g runs the group now and "
            "follows it in the live run view.")
    BINDINGS = [
        Binding("ctrl+s", "save_group", "Save as group", id="cron.save_group",
                tooltip="Save the schedule as a courier group"),
        Binding("ctrl+g", "run_group", "Run group now", id="cron.run_group",
                tooltip="Run the highlighted courier group now"),
        Binding("ctrl+r", "reload", "Refresh groups", id="cron.refresh", tooltip="Refresh courier groups"),
    ]
    FORM = "#group-form Input"

    class GroupRunStarted(Message):
        """The group-run worker saw its first courier run start (or the group run ended first)."""

        def __init__(self, group: str, run_id: str | None, error: str | None = None) -> None:
            super().__init__()
            self.group, self.run_id, self.error = group, run_id, error

    def __init__(self, workspace: Any, catalog: Any, *, expression: str = "30 8 * * *", timezone: str = "UTC",
                 now: datetime | None = None, **kwargs: Any) -> None:
        super().__init__(workspace, catalog, **kwargs)
        self.expression = expression
        self.timezone = timezone
        self.fixed_now = now

    def now(self) -> datetime:
        """The clock for next fire times; fixed in tests and screenshots (app.fixed_now)."""
        return self.fixed_now or self.courier_app.fixed_now or datetime.now(UTC)

    def compose_body(self) -> ComposeResult:
        with Body(id="cron-body"):
            with Vertical(id="cron-form", classes="panel") as form:
                form.border_title = "Cron expression"
                yield Field("Expression", with_help(
                    TextInput(self.expression, placeholder="minute hour day-of-month month day-of-week",
                              id="cron-expr"), CRON_HELP))
                yield Static("", id="cron-error", classes="error")
                yield Field("Time zone", with_help(TextInput(self.timezone, placeholder="e.g. America/New_York",
                                                             id="cron-zone", suggester=ZoneSuggester()), ZONE_HELP))
                yield Static("", id="zone-matches", classes="muted")
            with Vertical(id="cron-output", classes="panel") as out:
                out.border_title = "Schedule"
                yield Static("", id="cron-description")
                yield Static("", id="cron-next")
                yield Static("", id="cron-warnings", classes="warning")
            with Vertical(id="group-form", classes="panel") as new:
                new.border_title = "Save as a courier group (ctrl+s)"
                with Horizontal(classes="pair"):
                    yield Field("Group name", with_help(TextInput(placeholder="e.g. nightly", id="group-name"),
                                                        "The courier group's name: letters, digits, . _ -"))
                    yield Field("Couriers", with_help(
                        TextInput(placeholder="comma-separated; empty = all", id="group-couriers"),
                        "Couriers in the group, in run order. Empty means every courier."))
                with Horizontal(classes="pair"):
                    yield Field("Wait", with_help(TextInput(placeholder="e.g. 2h (default 0)", id="group-wait"),
                                                  "How long to keep polling for missing files or ready markers "
                                                  "after the fire time."))
                    yield Field("Offset", with_help(TextInput(placeholder="e.g. 24h (default)", id="group-offset"),
                                                    "How far back from the fire time the window of days ends "
                                                    "(typically 24h)."))
                yield Static("", id="group-error", classes="error")
            with Vertical(id="groups-panel", classes="panel") as groups:
                groups.border_title = "Courier groups"
                yield with_help(DataTable(id="groups-table", cursor_type="row"),
                                "Courier groups: schedule, couriers, next fire time, the last run's result and "
                                "whether it was late or missed files. Enter loads a group's schedule above.")

    def on_mount(self) -> None:
        super().on_mount()
        self.explain()
        self.query_one("#cron-expr", Input).focus()

    def refresh_data(self) -> None:
        table = self.query_one("#groups-table", DataTable)
        if not table.columns:
            table.add_columns("group", "schedule", "couriers", "next fire", "last result", "late / missing")
        table.clear()
        rows = group_rows(self.catalog, self.now())
        for row in rows:
            table.add_row(*(cell(value) for value in row), key=row[0])  # missing files, errors: escaped
        if not rows:
            table.add_row("no courier groups yet", "courier groups add NAME --cron ... --courier C", "", "", "", "")
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Run group now is offered only when there is a group to run (rows keyed by a group name)."""
        if action == "run_group":
            return self.is_mounted and any(key.value for key in self.query_one("#groups-table", DataTable).rows)
        return True

    @on(Input.Changed, "#cron-expr, #cron-zone")
    def _typed(self, event: Input.Changed) -> None:
        self.explain()

    def explain(self) -> None:
        """Validate the expression and zone with the engine; show the result or the field error."""
        from courier.core.schedule.cron import check
        from courier.core.schedule.timezones import search

        expr = self.query_one("#cron-expr", Input).value
        zone = self.query_one("#cron-zone", Input).value.strip() or "UTC"
        matches = search(zone, limit=6) if zone else []
        self.query_one("#zone-matches", Static).update("matches: " + ", ".join(matches) if matches else "")
        error = self.query_one("#cron-error", Static)
        try:
            report = check(expr, zone, count=5, now=self.now())
        except CourierError as exc:
            error.update(literal(error_block(exc)))
            self.query_one("#cron-description", Static).update("")
            self.query_one("#cron-next", Static).update("")
            self.query_one("#cron-warnings", Static).update("")
            return
        error.update("")
        self.query_one("#cron-description", Static).update(Text(report.description, style="bold"))
        lines = Text(f"Next runs ({report.timezone} / UTC):\n", style="italic")
        for fire in report.fires:
            shifted = f"  (moved from {fire.shifted_from:%H:%M}: DST gap)" if fire.shifted_from else ""
            lines.append(f"  {fmt(fire.at):<28} {fire.utc:%Y-%m-%d %H:%M} UTC{shifted}\n")
        self.query_one("#cron-next", Static).update(lines)
        self.query_one("#cron-warnings", Static).update("\n".join(f"! {w}" for w in report.warnings))

    @on(DataTable.RowSelected, "#groups-table")
    def _group_selected(self, event: DataTable.RowSelected) -> None:
        from courier.core.schedule.groups import get_group

        try:
            group = get_group(self.catalog, str(event.row_key.value))
        except CourierError:
            return  # the placeholder row
        self.query_one("#cron-expr", Input).value = group.cron or ""
        self.query_one("#cron-zone", Input).value = group.timezone

    def action_reload(self) -> None:
        self.refresh_data()

    def action_save_group(self) -> None:
        """Save the typed schedule as a courier group (the engine validates everything)."""
        from courier.core.config.couriers import list_couriers
        from courier.core.schedule.groups import add_group, new_group

        value = {name: self.query_one(f"#group-{name}", Input).value.strip()
                 for name in ("name", "couriers", "wait", "offset")}
        couriers = [c.strip() for c in value["couriers"].split(",") if c.strip()] or \
            [c.name for c in list_couriers(self.catalog)]
        settings: dict[str, Any] = {"cron": self.query_one("#cron-expr", Input).value.strip(),
                                    "timezone": self.query_one("#cron-zone", Input).value.strip() or "UTC"}
        for name in ("wait", "offset"):
            if value[name]:
                settings[name] = value[name]
        error = self.query_one("#group-error", Static)
        try:
            if not value["name"]:
                raise CourierError("the group needs a name", hint="type one in the group name field")
            group = add_group(self.catalog, new_group(value["name"], couriers, **settings))
        except CourierError as exc:
            error.update(literal(f"✗ {exc}" + (f"  hint: {exc.hint}" if exc.hint else "")))
            return
        error.update("")
        self.notify(f"courier group {group.name} saved: {', '.join(group.couriers)}")
        self.refresh_data()
        self.mark_saved()

    def action_run_group(self) -> None:
        """Run the highlighted group now: the engine's rule (its latest window; none without a schedule)."""
        table = self.query_one("#groups-table", DataTable)
        if table.row_count == 0:
            return
        name = str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        from courier.core.schedule.groups import get_group

        try:
            get_group(self.catalog, name)
        except CourierError:
            self.notify("No courier group selected.", severity="warning")
            return
        from courier.core.schedule.scheduler import real_clock

        pinned = self.fixed_now or self.courier_app.fixed_now  # tests and screenshots pin the clock
        self.notify(f"running courier group {name}…")
        self._run_group(name, (lambda: pinned) if pinned else real_clock)

    @work(thread=True, group="run", exit_on_error=False)
    def _run_group(self, name: str, clock: Callable[[], datetime]) -> None:
        """Run the group in this worker (cancelled when the app quits or the screen goes); the live view
        follows its first courier run."""
        from courier.core.catalog.catalog import Catalog
        from courier.core.schedule.scheduler import run_group_now

        cancel = get_current_worker().cancelled_event  # set by Textual when the app quits
        started: list[str] = []

        def first_run(event: Any) -> None:
            if event.type == "run_started" and not started:
                started.append(event.run_id)
                self.post_message(self.GroupRunStarted(name, event.run_id))

        catalog = Catalog(self.workspace)  # this thread's own connection, closed whatever happens
        try:
            result = run_group_now(catalog, name, sink=first_run, cancel=cancel, clock=clock)
            if not started:
                self.post_message(self.GroupRunStarted(name, None, result.error or result.note or
                                                       "the group run started no courier"))
        except CourierError as exc:
            self.post_message(self.GroupRunStarted(name, None, exc.one_line()))
        finally:
            catalog.close()

    def cancel_run(self) -> None:
        """Stop the group run started here (the app calls this when quitting during a run)."""
        self.workers.cancel_group(self, "run")

    def on_cron_screen_group_run_started(self, message: GroupRunStarted) -> None:
        if message.run_id is None:
            self.notify(printable(f"courier group {message.group}: {message.error}"), severity="error", markup=False)
            self.refresh_data()
            return
        from courier.tui.screens.run_progress import RunProgressScreen

        self.app.push_screen(RunProgressScreen(self.workspace, self.catalog, run_id=message.run_id))
