"""What the home screen lists: couriers with their last run, feeds with their tables, and what needs
attention, read from a catalog that real runs against the local S3 wrote."""

from __future__ import annotations

from courier.core.catalog.catalog import Catalog
from courier.core.config.couriers import add_courier, edit_courier
from courier.core.feeds.model import activate_feed, add_feed, remove_feed
from courier.core.runs.records import start_run
from courier.core.runs.request import RunRequest
from courier.core.source.landing import landed_files
from courier.core.status.home import (
    Attention,
    AttentionKind,
    courier_rows,
    feed_rows,
    needs_attention,
)
from courier.core.types import RunStatus

from tests.core.status.conftest import ACCOUNT, BUCKET, NOT_READY, START

PLACEHOLDER = '{"df-xxxxxx": [{"type": "load", "file": "decisions"}]}'


def test_a_courier_never_run_has_no_last_run_and_lands_only(export, catalog: Catalog) -> None:  # type: ignore[no-untyped-def]
    [row] = courier_rows(catalog)
    assert (row.name, row.bucket, row.prefix) == ("optimizely", BUCKET, "")
    assert row.last_status is None and row.last_started_at is None
    assert row.feed_ids == ()
    assert needs_attention(catalog) == []


def test_couriers_by_name_with_their_latest_run_and_the_feeds_they_load(landed: Catalog, s3) -> None:  # type: ignore[no-untyped-def]
    add_courier(landed, "another", credential="opt", bucket=BUCKET, endpoint_url=s3.endpoint_url,
                optimizely_account=ACCOUNT, load_operations=PLACEHOLDER)
    failed = start_run(landed, RunRequest("optimizely", "day", day=NOT_READY))  # not ready: fails
    assert failed.status == "failed"
    rows = courier_rows(landed)
    assert [r.name for r in rows] == ["another", "optimizely"]
    another, optimizely = rows
    assert another.last_status is None and another.feed_ids == ("df-xxxxxx",)
    assert optimizely.last_status is RunStatus.FAILED  # the latest of its three runs
    started = landed.one("SELECT MAX(started_at) AS t FROM runs WHERE courier = 'optimizely'")["t"]
    assert optimizely.last_started_at == started


def test_feeds_by_table_name_with_whether_they_are_active(landed: Catalog) -> None:
    files = landed_files(landed, "optimizely")
    sample = {f.tag: f.key for f in files}
    decisions = add_feed(landed, source="Optimizely", name="Decisions", sample=sample["decisions"],
                         primary_key=["uuid"], generate_updated=True)
    conversions = add_feed(landed, source="Optimizely", name="Conversions", sample=sample["conversions"],
                           primary_key=["uuid"], generate_updated=True)
    activate_feed(landed, landed.workspace, decisions.id)
    rows = feed_rows(landed)
    assert [(r.id, r.table_name, r.active) for r in rows] == [
        (conversions.id, "Optimizely:Conversions", False), (decisions.id, "Optimizely:Decisions", True)]


def test_what_needs_attention_a_failed_run_a_day_not_ready_and_feeds_that_do_not_exist(landed: Catalog) -> None:
    edit_courier(landed, "optimizely", load_operations=PLACEHOLDER)
    failed = start_run(landed, RunRequest("optimizely", "day", day=START))
    assert failed.status == "failed"
    assert needs_attention(landed) == [
        Attention(AttentionKind.RUN_FAILED, "optimizely", failed.error or ""),
        Attention(AttentionKind.PLACEHOLDER_FEED, "optimizely", "df-xxxxxx"),
    ]
    sample = next(f.key for f in landed_files(landed, "optimizely") if f.tag == "decisions")
    feed = add_feed(landed, source="Optimizely", name="Decisions", sample=sample, primary_key=["uuid"],
                    generate_updated=True)
    edit_courier(landed, "optimizely", load_operations=f'{{"{feed.id}": [{{"type": "load", "file": "decisions"}}]}}')
    remove_feed(landed, feed.id)  # the load operations now name a feed that is gone
    skipped = start_run(landed, RunRequest("optimizely", "day", day=NOT_READY, skip_missing=True))
    assert skipped.status == "failed"
    kinds = [(a.kind, a.detail) for a in needs_attention(landed)]
    assert (AttentionKind.DAY_NOT_READY, NOT_READY.isoformat()) in kinds
    assert (AttentionKind.UNKNOWN_FEED, feed.id) in kinds
    assert (AttentionKind.PLACEHOLDER_FEED, "df-xxxxxx") not in kinds


def test_a_succeeded_last_run_needs_no_attention(landed: Catalog) -> None:
    assert needs_attention(landed) == []
    skipped = start_run(landed, RunRequest("optimizely", "day", day=NOT_READY, skip_missing=True))
    assert skipped.status == "succeeded"
    assert needs_attention(landed) == [Attention(AttentionKind.DAY_NOT_READY, "optimizely", NOT_READY.isoformat())]
