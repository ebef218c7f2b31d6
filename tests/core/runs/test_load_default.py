"""Why the default wiring is `load` alone: re-running one day keeps the other days' rows, while
truncate + load cuts the table to that day (real S3, DuckDB and runs)."""

from __future__ import annotations

from datetime import date, timedelta

from courier.core.catalog.catalog import Catalog
from courier.core.config.couriers import add_courier, edit_courier, get_courier
from courier.core.config.credentials import add_credential
from courier.core.config.load_operations import merged_load_operations
from courier.core.devtools.s3server import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY
from courier.core.devtools.synth import ExportSpec, upload_export
from courier.core.feeds.model import activate_feed, add_feed
from courier.core.runs.records import start_run
from courier.core.runs.request import RunRequest
from courier.core.source.landing import landed_files
from courier.core.warehouse.duckdb import Warehouse

START = date(2026, 11, 1)
DECISIONS = "Optimizely:Decisions"


def _days_in_table(catalog: Catalog) -> list[str]:
    with Warehouse(catalog.workspace.warehouse_path, read_only=True) as warehouse:
        found = warehouse.query(f'SELECT DISTINCT CAST("date" AS VARCHAR) AS d FROM "{DECISIONS}" ORDER BY d')
    return [str(d) for d in found.column("d").to_pylist()]


def _run(catalog: Catalog, day: date) -> None:
    result = start_run(catalog, RunRequest("optimizely", "day", day=day))
    assert result.status == "succeeded", result.error


def test_the_default_wiring_keeps_earlier_days_when_one_day_is_run_again(s3, catalog: Catalog) -> None:  # type: ignore[no-untyped-def]
    upload_export(ExportSpec(start=START, days=3, decisions_per_day=60, conversions_per_day=30, seed=5),
                  s3.client("s3"), "optimizely-events-data")
    add_credential(catalog, "opt", "iam-credential", access_key_id=LOCAL_ACCESS_KEY, secret_access_key=LOCAL_SECRET_KEY)
    add_courier(catalog, "optimizely", credential="opt", bucket="optimizely-events-data", endpoint_url=s3.endpoint_url,
                optimizely_account="1234567890", load_operations="{}")
    day1, day2 = START, START + timedelta(days=1)
    _run(catalog, day1)  # sample files
    sample = next(f.key for f in landed_files(catalog, "optimizely") if f.tag == "decisions")
    feed = add_feed(catalog, source="Optimizely", name="Decisions", sample=sample, primary_key=["uuid"],
                    generate_updated=True)
    activate_feed(catalog, catalog.workspace, feed.id, load_sample=False)
    # the onboarding's "put the feed id into the load operations", over the documentation's example
    placeholder = {"DECISIONS-FEED-ID": [{"type": "truncate"}, {"type": "load", "file": "decisions"}]}
    wired, _ = merged_load_operations(placeholder, feed.id, "decisions")
    edit_courier(catalog, "optimizely", load_operations=wired)
    assert get_courier(catalog, "optimizely").load_operations_json == {feed.id: [{"type": "load", "file": "decisions"}]}

    _run(catalog, day1)
    _run(catalog, day2)
    _run(catalog, day1)  # an operator re-runs one day
    assert _days_in_table(catalog) == [day1.isoformat(), day2.isoformat()]

    truncating, _ = merged_load_operations(placeholder, feed.id, "decisions", truncate=True)
    edit_courier(catalog, "optimizely", load_operations=truncating)
    _run(catalog, day1)  # what the warning says: truncate + load leaves only the day just run
    assert _days_in_table(catalog) == [day1.isoformat()]


def test_onboarding_warns_that_truncate_replaces_the_table() -> None:
    from courier.core.status.onboarding import STEPS

    step = next(s for s in STEPS if s.key == "load_operations")
    assert "load decisions, load conversions" in step.explanation and "truncate + load" not in step.explanation[:80]
    assert "Use load alone for a daily courier" in step.explanation
    assert "re-running one day would leave only that day" in step.explanation
