"""What the forms offer (names, a credential's S3 target, the feed editor's first sample) and what a
face asks about runs in progress (is this process running one; which run a group started)."""

from __future__ import annotations

import os
import time

from courier.core.catalog.catalog import Catalog
from courier.core.config.couriers import add_courier
from courier.core.config.credentials import add_credential
from courier.core.feeds.model import add_feed
from courier.core.runs.events import Event
from courier.core.runs.records import start_run
from courier.core.runs.request import RunRequest
from courier.core.source.landing import landed_files
from courier.core.status.choices import (
    EditorStart,
    S3Target,
    courier_names,
    credential_names,
    credential_target,
    feed_editor_start,
    feed_ids,
)
from courier.core.status.runs import first_group_run, process_runs_a_courier

from tests.core.status.conftest import ACCOUNT, BUCKET, START


def test_names_to_pick_from_are_sorted(export, catalog: Catalog, s3) -> None:  # type: ignore[no-untyped-def]
    add_credential(catalog, "another", "default-chain")
    add_courier(catalog, "alpha", credential="another", bucket="other-bucket", prefix="exports/", region="eu-west-1",
                load_operations="{}", optimizely_account=ACCOUNT)
    assert courier_names(catalog) == ["alpha", "optimizely"]
    assert credential_names(catalog) == ["another", "opt"]
    assert feed_ids(catalog) == []


def test_a_credential_is_tested_against_the_first_courier_that_uses_it(export, catalog: Catalog, s3) -> None:  # type: ignore[no-untyped-def]
    assert credential_target(catalog, "opt") == S3Target(BUCKET, "", "us-east-1", s3.endpoint_url)
    add_credential(catalog, "unused", "default-chain")
    assert credential_target(catalog, "unused") is None


def test_the_feed_editor_opens_on_the_newest_landed_file_then_on_the_last_changed_feed(landed: Catalog) -> None:
    files = landed_files(landed, "optimizely")
    assert feed_editor_start(landed) == EditorStart(files[0].key, None)
    older = add_feed(landed, source="Optimizely", name="Decisions", sample=files[-1].key, primary_key=["uuid"],
                     generate_updated=True)
    assert feed_editor_start(landed) == EditorStart(older.sample, older.id)
    assert feed_ids(landed) == [older.id]


def test_an_empty_workspace_gives_the_feed_editor_nothing_to_open(catalog: Catalog) -> None:
    assert feed_editor_start(catalog) is None


def test_a_process_runs_a_courier_only_while_its_run_is_running(export, catalog: Catalog) -> None:  # type: ignore[no-untyped-def]
    seen: list[bool] = []
    other = Catalog(catalog.workspace)  # the app's own connection, as the TUI asks it

    def during(event: Event) -> None:
        if event.type == "run_started":
            seen.append(process_runs_a_courier(other, os.getpid()))
            seen.append(process_runs_a_courier(other, os.getpid() + 1))

    try:
        assert not process_runs_a_courier(other, os.getpid())
        assert start_run(catalog, RunRequest("optimizely", "day", day=START), sink=during).status == "succeeded"
        assert seen == [True, False]
        assert not process_runs_a_courier(other, os.getpid())
    finally:
        other.close()


def test_the_first_run_a_group_started_since_a_moment(export, catalog: Catalog) -> None:  # type: ignore[no-untyped-def]
    before = time.time() - 1
    assert first_group_run(catalog, "nightly", before) is None
    alone = start_run(catalog, RunRequest("optimizely", "day", day=START))
    grouped = start_run(catalog, RunRequest("optimizely", "day", day=START, group_name="nightly", group_run="g-1"))
    assert first_group_run(catalog, "nightly", before) == grouped.id != alone.id
    assert first_group_run(catalog, "weekly", before) is None
    assert first_group_run(catalog, "nightly", time.time() + 60) is None
