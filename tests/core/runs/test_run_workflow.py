"""The whole pull-from-optimizely.txt workflow, headless, against a real local S3.

courier with `{}` → run lands files → placeholder load operations fail with Amperity's exact text
→ feeds from landed samples → real feed ids → run → tables hold exactly the deduplicated rows.
"""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pyarrow.parquet as pq
import pytest
from courier.core.catalog.catalog import Catalog
from courier.core.config.couriers import add_courier, edit_courier
from courier.core.config.credentials import add_credential
from courier.core.devtools.s3server import LOCAL_SECRET_KEY
from courier.core.devtools.synth import ExportSpec, iter_export, upload_export
from courier.core.feeds.model import activate_feed, add_feed
from courier.core.runs.records import list_runs, start_run
from courier.core.runs.request import RunRequest
from courier.core.source.landing import landed_files
from courier.core.types import RunMode, RunStatus
from courier.core.warehouse.duckdb import Warehouse

ACCOUNT = "1234567890"
BUCKET = "optimizely-events-data"
START = date(2026, 11, 1)


def expected_uuids(spec: ExportSpec, days: list[date]) -> dict[str, set[str]]:
    wanted = {d.isoformat() for d in days}
    found: dict[str, set[str]] = {"decisions": set(), "events": set()}
    for obj in iter_export(spec):
        if not obj.key.endswith(".parquet"):
            continue
        if not any(f"/date={d}/" in obj.key for d in wanted):
            continue
        dataset = "decisions" if "/type=decisions/" in obj.key else "events"
        found[dataset].update(pq.read_table(io.BytesIO(obj.body), columns=["uuid"]).column("uuid").to_pylist())
    return found


@pytest.fixture
def demo(s3, catalog: Catalog):  # type: ignore[no-untyped-def]
    spec = ExportSpec(account_id=ACCOUNT, start=START, days=3, decisions_per_day=300, conversions_per_day=150, seed=11)
    upload_export(spec, s3.client("s3"), BUCKET)
    add_credential(catalog, "opt", "iam-credential", access_key_id="AKIALOCALS3TESTING00", secret_access_key=LOCAL_SECRET_KEY)
    add_courier(catalog, "optimizely", credential="opt", bucket=BUCKET, endpoint_url=s3.endpoint_url,
                optimizely_account=ACCOUNT, load_operations="{}")
    return spec


def test_full_workflow_from_empty_load_operations_to_deduplicated_tables(demo: ExportSpec, catalog: Catalog, s3) -> None:
    day1, day2 = START, START + timedelta(days=1)

    # 1. `{}`: the run lands files and succeeds, saying nothing was loaded
    result = start_run(catalog, RunRequest("optimizely", "day", day=day1))
    assert result.status is RunStatus.SUCCEEDED, result.error
    assert "nothing was loaded" in result.notification
    [record] = list_runs(catalog)
    assert (record.status, record.mode) == (RunStatus.SUCCEEDED, RunMode.DAY)
    assert isinstance(record.status, RunStatus) and isinstance(record.mode, RunMode)
    landed = landed_files(catalog, "optimizely")
    assert landed and {f.tag for f in landed} == {"decisions", "conversions"}
    assert all(f.day == day1.isoformat() for f in landed)
    assert landed == sorted(landed, key=lambda f: (f.last_modified, f.key), reverse=True)

    # 2. the placeholder: files are landed (already, so skipped), then the run fails verbatim
    edit_courier(catalog, "optimizely", load_operations='{"df-xxxxxx": [{"type": "load", "file": "decisions"}]}')
    result = start_run(catalog, RunRequest("optimizely", "day", day=day1))
    assert result.status == "failed"
    assert result.error == 'Error running load-operations task\nCannot find required feeds: "df-xxxxxx"'
    assert result.stats.files_landed == 0 and result.stats.files_skipped == len(landed)

    # 3. feeds from landed samples (newest first, as the Add Feed list shows them)
    decisions_sample = next(f.key for f in landed if f.tag == "decisions")
    conversions_sample = next(f.key for f in landed if f.tag == "conversions")
    decisions = add_feed(catalog, source="Optimizely", name="Decisions", sample=decisions_sample,
                         primary_key=["uuid"], generate_updated=True)
    conversions = add_feed(catalog, source="Optimizely", name="Conversions", sample=conversions_sample,
                           primary_key=["uuid"], last_updated="process_timestamp")
    assert decisions.table_name == "Optimizely:Decisions"
    activate_feed(catalog, catalog.workspace, decisions.id, load_sample=False)
    activate_feed(catalog, catalog.workspace, conversions.id, load_sample=False)

    # 4. the real feed ids, then a period run (--to exclusive) loads both days
    ops = {decisions.id: [{"type": "truncate"}, {"type": "load", "file": "decisions"}],
           conversions.id: [{"type": "load", "file": "conversions"}]}
    edit_courier(catalog, "optimizely", load_operations=ops)
    result = start_run(catalog, RunRequest("optimizely", "period", from_day=day1, to_day=day2 + timedelta(days=1)))
    assert result.status == "succeeded", result.error
    assert re.fullmatch(r"Completed in (\d+ minutes? )?\d+ seconds?", result.notification), result.notification

    want = expected_uuids(demo, [day1, day2])
    wh = Warehouse(catalog.workspace.warehouse_path, read_only=True)
    try:
        for table, dataset in (("Optimizely:Decisions", "decisions"), ("Optimizely:Conversions", "events")):
            got = wh.query(f'SELECT count(*) AS n, count(DISTINCT uuid) AS u FROM "{table}"').to_pylist()[0]
            assert got["n"] == got["u"] == len(want[dataset]), table
        # nested columns stay nested and round-trip
        row = wh.query('SELECT attributes FROM "Optimizely:Decisions" WHERE len(attributes) > 0 LIMIT 1').to_pylist()[0]
        assert {"id", "name", "type", "value"} <= set(row["attributes"][0])
        tags = wh.query('SELECT tags FROM "Optimizely:Conversions" LIMIT 1').schema.field("tags").type
        assert str(tags).startswith("map<")
        # partition values from the key are columns
        dates = {r["date"] for r in wh.query('SELECT DISTINCT date FROM "Optimizely:Decisions"').to_pylist()}
        assert dates == {day1.isoformat(), day2.isoformat()}
    finally:
        wh.close()

    # 5. an idempotent re-run downloads nothing and adds no rows
    again = start_run(catalog, RunRequest("optimizely", "period", from_day=day1, to_day=day2 + timedelta(days=1)))
    assert again.status == "succeeded", again.error
    assert again.stats.files_landed == 0
    assert again.stats.feeds[conversions.id].inserted == 0
    assert [r.status for r in list_runs(catalog, "optimizely")][:2] == ["succeeded", "succeeded"]


def test_day_without_ready_marker_is_not_available(demo: ExportSpec, catalog: Catalog) -> None:
    newest = START + timedelta(days=2)  # the generator leaves the newest day without _SUCCESS
    result = start_run(catalog, RunRequest("optimizely", "day", day=newest))
    assert result.status == "failed"
    assert f"day {newest} is not ready" in (result.error or "")
    assert landed_files(catalog, "optimizely") == []
    skipped = start_run(catalog, RunRequest("optimizely", "day", day=newest, skip_missing=True))
    assert skipped.status == "succeeded"
    assert any("not ready" in w for w in skipped.warnings)


def test_object_rewritten_upstream_is_landed_again(demo: ExportSpec, catalog: Catalog, s3) -> None:
    assert start_run(catalog, RunRequest("optimizely", "day", day=START)).status == "succeeded"
    first = landed_files(catalog, "optimizely")[0]
    body = open(first.local_path, "rb").read()
    s3.client("s3").put_object(Bucket=BUCKET, Key=first.key, Body=body + b"")  # same bytes: same ETag
    again = start_run(catalog, RunRequest("optimizely", "day", day=START))
    assert again.stats.files_landed == 0
    table = pq.read_table(first.local_path)
    buf = io.BytesIO()
    pq.write_table(table.slice(0, max(1, table.num_rows // 2)), buf)
    s3.client("s3").put_object(Bucket=BUCKET, Key=first.key, Body=buf.getvalue())
    rewritten = start_run(catalog, RunRequest("optimizely", "day", day=START))
    assert rewritten.status == "succeeded"
    assert rewritten.stats.files_landed == 1
    now = next(f for f in landed_files(catalog, "optimizely") if f.key == first.key)
    assert now.etag != first.etag and now.rows == max(1, table.num_rows // 2)


def test_second_run_of_same_courier_is_refused(demo: ExportSpec, catalog: Catalog) -> None:
    from courier.core.errors import Busy

    with catalog.workspace.lock("courier-optimizely", "courier optimizely"):
        with pytest.raises(Busy, match="already running"):
            start_run(catalog, RunRequest("optimizely", "day", day=START))


def test_period_with_to_before_from_is_a_usage_error(demo: ExportSpec, catalog: Catalog) -> None:
    from courier.core.errors import ConfigError

    with pytest.raises(ConfigError, match="is not after from"):
        start_run(catalog, RunRequest("optimizely", "period", from_day=START, to_day=START))


def test_a_cancel_during_a_load_ends_the_run_cancelled_with_the_table_untouched(demo: ExportSpec, catalog: Catalog) -> None:
    import threading

    assert start_run(catalog, RunRequest("optimizely", "day", day=START)).status == "succeeded"
    sample = next(f.key for f in landed_files(catalog, "optimizely") if f.tag == "decisions")
    feed = add_feed(catalog, source="Optimizely", name="Decisions", sample=sample, primary_key=["uuid"])
    activate_feed(catalog, catalog.workspace, feed.id, load_sample=False)
    edit_courier(catalog, "optimizely", load_operations=f'{{"{feed.id}": [{{"type": "load", "file": "decisions"}}]}}')
    cancel = threading.Event()

    def operator(event) -> None:  # type: ignore[no-untyped-def]
        if event.type == "feed_load_started":
            cancel.set()  # as the cancel key or a quitting TUI does, while the load runs

    result = start_run(catalog, RunRequest("optimizely", "day", day=START), sink=operator, cancel=cancel)
    assert result.status == "cancelled" and "cancelled by the operator" in (result.error or "")
    with Warehouse(catalog.workspace.warehouse_path, read_only=True) as wh:
        assert wh.row_count("Optimizely:Decisions") == 0


def test_a_run_request_holds_its_mode_as_a_run_mode() -> None:
    from courier.core.errors import ConfigError

    assert RunRequest("optimizely", "all").mode is RunMode.ALL
    assert RunRequest("optimizely", RunMode.PERIOD).mode is RunMode.PERIOD
    later = RunRequest("optimizely", "all")
    later.mode, later.day = "day", START  # type: ignore[assignment]
    later.validate()
    assert later.mode is RunMode.DAY and later.days() == [START]
    with pytest.raises(ConfigError, match="unknown run mode 'weekly'"):
        RunRequest("optimizely", "weekly").validate()  # type: ignore[arg-type]


def test_the_last_event_carries_the_duration_the_record_and_notification_count(demo: ExportSpec,
                                                                                catalog: Catalog) -> None:
    from courier.core.runs.events import RunFinished
    from courier.core.runs.records import get_run, notification_for, read_events

    result = start_run(catalog, RunRequest("optimizely", "day", day=START))
    record = get_run(catalog, result.id)
    finished = [e for e in read_events(catalog, result.id) if isinstance(e, RunFinished)]
    assert len(finished) == 1 and finished[0].seconds is not None and record.ended_at is not None
    assert finished[0].seconds == pytest.approx(record.ended_at - record.started_at, abs=1e-6)
    assert (result.notification or "").startswith(notification_for(finished[0].seconds))
