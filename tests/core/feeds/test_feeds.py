"""Feeds: schema from real and hand-made samples, validation, catalog CRUD, activation."""

from __future__ import annotations

import gzip
import re
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from courier.core.catalog.catalog import Catalog
from courier.core.errors import Cancelled, ConfigError, Fix, FixKind, NotFound
from courier.core.feeds.model import (
    PLACEHOLDER_ID,
    activate_feed,
    add_feed,
    apply_suggested_tags,
    create_active_feed,
    feed_to_json,
    get_feed,
    list_feeds,
    new_feed_id,
    remove_feed,
    truncate_feed,
    update_feed,
)
from courier.core.feeds.schema import hive_partition, read_sample
from courier.core.warehouse.duckdb import Warehouse
from courier.core.warehouse.files import open_batches, parquet_row_count

from tests.conftest import OPTIMIZELY_LABS

DECISIONS = next((OPTIMIZELY_LABS / "type=decisions").rglob("*.parquet"))
EVENTS = sorted((OPTIMIZELY_LABS / "type=events").rglob("*.parquet"))


def land(catalog: Catalog, tmp_path: Path, source: Path, key: str, bucket: str = "optimizely-events-data") -> Path:
    """A ledger row as the landing step writes it, pointing at a copy of `source`."""
    local = tmp_path / "landing" / bucket / key
    local.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, local)
    catalog.execute("INSERT INTO ledger (courier, bucket, key, etag, size, last_modified, tag, day, run_id, local_path,"
                    " rows, landed_at) VALUES ('opt', ?, ?, 'e', 1, 0, 'decisions', '2020-09-14', 'run-1', ?, 1, 0)",
                    (bucket, key, str(local)))
    return local


# -- schema from a sample ----------------------------------------------------------------------


def test_decisions_schema_keeps_nested_and_timezone_types() -> None:
    sample = read_sample(DECISIONS)
    types = {c.name: c.type for c in sample.columns}
    assert sample.names[:3] == ["uuid", "timestamp", "process_timestamp"] and len(sample.columns) == 17
    assert types["timestamp"] == "TIMESTAMP WITH TIME ZONE"
    assert types["attributes"] == 'STRUCT(id VARCHAR, "name" VARCHAR, "type" VARCHAR, "value" VARCHAR)[]'
    assert types["is_holdback"] == "BOOLEAN"
    assert sample.total_rows == 10000 == parquet_row_count(DECISIONS)
    assert sample.partition == {"type": "decisions", "date": "2020-09-14", "experiment": "18786493712"}
    uuid = next(c for c in sample.columns if c.name == "uuid")
    assert len(uuid.samples) == 5 and uuid.null_share == 0.0


def test_events_schema_has_a_map_column_with_readable_samples() -> None:
    sample = read_sample(EVENTS[0])
    tags = next(c for c in sample.columns if c.name == "tags")
    assert tags.type == "MAP(VARCHAR, VARCHAR)"
    assert tags.samples[0].startswith('{"product":')  # a map reads as a JSON object, not key/value pairs
    assert next(c for c in sample.columns if c.name == "experiments").type.startswith("STRUCT(campaign_id VARCHAR")


def test_open_batches_is_bounded_by_the_batch_size() -> None:
    sizes = [b.num_rows for b in open_batches(DECISIONS, None, batch_rows=1000)]
    assert max(sizes) <= 1000 and sum(sizes) == 10000


@pytest.mark.parametrize(("name", "text", "options"), [
    ("people.csv", "id,email,zip,score,seen\n1,a@x.io,02134,1.5,2024-01-02 03:04:05\n2,b@x.io,10001,2.5,2024-01-03 00:00:00\n", {}),
    ("people.tsv", "id\temail\tzip\tscore\tseen\n1\ta@x.io\t02134\t1.5\t2024-01-02 03:04:05\n", {}),
    ("people.psv", "id|email|zip|score|seen\n1|a@x.io|02134|1.5|2024-01-02 03:04:05\n", {}),
    ("people.txt", "id;email;zip;score;seen\n1;a@x.io;02134;1.5;2024-01-02 03:04:05\n", {"separator": ";"}),
])
def test_delimited_samples(tmp_path: Path, name: str, text: str, options: dict[str, str]) -> None:
    path = tmp_path / name
    path.write_text(text)
    sample = read_sample(path, "text/csv" if name.endswith(".txt") else None, **options)
    types = {c.name: c.type for c in sample.columns}
    assert types == {"id": "BIGINT", "email": "VARCHAR", "zip": "BIGINT", "score": "DOUBLE", "seen": "TIMESTAMP"}
    assert next(c for c in sample.columns if c.name == "email").samples[0] == "a@x.io"


def test_compressed_and_headerless_csv(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv.gz"
    path.write_bytes(gzip.compress(b"1,x\n2,y\n"))
    sample = read_sample(path, header_rows=0)
    assert sample.names == ["f0", "f1"] and sample.rows_sampled == 2 and sample.options == {"header_rows": 0}


def test_ndjson_sample_with_nested_values(tmp_path: Path) -> None:
    path = tmp_path / "events.ndjson"
    path.write_text('{"uuid": "a", "n": 1, "props": {"k": "v"}, "items": [1, 2]}\n{"uuid": "b", "n": null}\n')
    types = {c.name: c.type for c in read_sample(path).columns}
    assert types == {"uuid": "VARCHAR", "n": "BIGINT", "props": "STRUCT(k VARCHAR)", "items": "BIGINT[]"}


def test_unreadable_sample_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "broken.parquet"
    bad.write_bytes(b"not parquet at all")
    with pytest.raises(ConfigError) as err:
        read_sample(bad)
    assert "broken.parquet" in err.value.message
    with pytest.raises(ConfigError) as err:
        read_sample(tmp_path / "missing.csv")
    assert "missing.csv" in err.value.message


def test_unknown_extension_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "data.xyz"
    path.write_text("a,b\n")
    with pytest.raises(ConfigError, match="cannot tell the format of data.xyz"):
        read_sample(path)


def test_hive_partition_values_are_url_decoded_and_null_aware() -> None:
    key = "v1/account_id=1/type=events/date=2024-01-01/event=Main_Nav_javascript%3Avoid(0);/part-0.parquet"
    assert hive_partition(key) == {"account_id": "1", "type": "events", "date": "2024-01-01",
                                   "event": "Main_Nav_javascript:void(0);"}
    assert hive_partition("x/event=__HIVE_DEFAULT_PARTITION__/p.parquet") == {"event": None}
    # Optimizely's own null marker: a sample and a run must agree (both go through partition_of)
    assert hive_partition("x/event=NULL/p=q.parquet") == {"event": None}


# -- feeds in the catalog ---------------------------------------------------------------------


def test_feed_id_shape() -> None:
    ids = {new_feed_id() for _ in range(200)}
    assert all(re.fullmatch(r"df-[A-Za-z0-9]{6}", i) for i in ids)
    assert PLACEHOLDER_ID not in ids and len(ids) == 200


def test_add_feed_from_a_local_path(catalog: Catalog) -> None:
    feed = add_feed(catalog, source="Optimizely", name="Decisions", sample=str(DECISIONS), primary_key=["uuid"],
                    tags={"visitor_id": "fk-visitor"})
    assert re.fullmatch(r"df-[A-Za-z0-9]{6}", feed.id) and feed.table_name == "Optimizely:Decisions"
    stored = get_feed(catalog, feed.id)
    assert stored.primary_key == ["uuid"] and stored.tags == {"uuid": "pk", "visitor_id": "fk-visitor"}
    assert stored.generate_updated and stored.last_updated is None and not stored.active
    assert stored.partition_columns == ["type", "date", "experiment"]
    assert stored.column("attributes").type.endswith("[]") and stored.sample == str(DECISIONS.resolve())
    assert get_feed(catalog, "optimizely:decisions").id == feed.id


def test_add_feed_from_a_landed_key(catalog: Catalog, tmp_path: Path) -> None:
    key = "v1/account_id=596780373/type=decisions/date=2020-09-14/experiment=18786493712/part-00000.parquet"
    land(catalog, tmp_path, DECISIONS, key)
    by_key = add_feed(catalog, source="Optimizely", name="Decisions", sample=key)
    assert by_key.sample == f"s3://optimizely-events-data/{key}"
    assert by_key.partition_columns == ["account_id", "type", "date", "experiment"]
    by_bucket_key = add_feed(catalog, source="Optimizely", name="D2", sample=f"optimizely-events-data/{key}")
    by_url = add_feed(catalog, source="Optimizely", name="D3", sample=f"s3://optimizely-events-data/{key}")
    assert by_bucket_key.sample == by_url.sample == by_key.sample


def test_unknown_sample_suggests_the_closest_landed_key(catalog: Catalog, tmp_path: Path) -> None:
    key = "v1/type=decisions/date=2020-09-14/experiment=1/part-00000.parquet"
    land(catalog, tmp_path, DECISIONS, key)
    with pytest.raises(NotFound) as err:
        add_feed(catalog, source="Optimizely", name="Decisions", sample=key.replace("00000", "00001"))
    assert key in err.value.hint


def test_primary_key_column_must_exist(catalog: Catalog) -> None:
    with pytest.raises(ConfigError) as err:
        add_feed(catalog, source="Optimizely", name="Decisions", sample=str(DECISIONS), primary_key=["uid"])
    assert 'no column "uid"' in err.value.message and "uuid" in err.value.hint
    assert list_feeds(catalog) == []


def test_nested_primary_key_is_rejected(catalog: Catalog) -> None:
    with pytest.raises(ConfigError, match="a key must be a plain value"):
        add_feed(catalog, source="Optimizely", name="Decisions", sample=str(DECISIONS), primary_key=["attributes"])


def test_date_last_updated_is_rejected_as_amperity_does(catalog: Catalog, tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text("id,day,changed,version,name\n1,2024-01-02,2024-01-02 10:00:00,7,x\n")
    with pytest.raises(ConfigError) as err:
        add_feed(catalog, source="Shop", name="Rows", sample=str(path), primary_key=["id"], last_updated="day")
    assert "DATE" in err.value.message and err.value.fix == Fix(FixKind.TURN_ON, "generate_updated", why="instead")
    with pytest.raises(ConfigError, match="not a datetime or integer"):
        add_feed(catalog, source="Shop", name="Rows", sample=str(path), primary_key=["id"], last_updated="name")
    with pytest.raises(ConfigError, match="either a last-updated column or a generated"):
        add_feed(catalog, source="Shop", name="Rows", sample=str(path), last_updated="changed", generate_updated=True)
    by_time = add_feed(catalog, source="Shop", name="Rows", sample=str(path), primary_key=["id"], last_updated="changed")
    by_int = add_feed(catalog, source="Shop", name="Rows2", sample=str(path), primary_key=["id"], last_updated="version")
    assert (by_time.last_updated, by_time.generate_updated, by_int.last_updated) == ("changed", False, "version")


@pytest.mark.parametrize(("source", "name"), [("Opti mizely", "Decisions"), ("Optimizely", "De:cisions"),
                                              ("9lives", "Decisions"), ("Optimizely", "")])
def test_source_and_name_characters(catalog: Catalog, source: str, name: str) -> None:
    with pytest.raises(ConfigError, match="is not a valid name"):
        add_feed(catalog, source=source, name=name, sample=str(DECISIONS))


def test_duplicate_table_name_is_refused(catalog: Catalog) -> None:
    feed = add_feed(catalog, source="Optimizely", name="Decisions", sample=str(DECISIONS))
    with pytest.raises(ConfigError) as err:
        add_feed(catalog, source="optimizely", name="DECISIONS", sample=str(DECISIONS))
    assert feed.id in err.value.message


def test_bad_tags_are_refused_with_suggestions(catalog: Catalog) -> None:
    with pytest.raises(ConfigError) as err:
        add_feed(catalog, source="Optimizely", name="Decisions", sample=str(DECISIONS), tags={"visitor_id": "emial"})
    assert "email" in err.value.hint
    with pytest.raises(ConfigError, match="once per feed"):
        add_feed(catalog, source="Optimizely", name="Decisions", sample=str(DECISIONS),
                 tags={"visitor_id": "given-name", "session_id": "given-name"})


def test_unknown_feed_suggests_the_closest(catalog: Catalog) -> None:
    add_feed(catalog, source="Optimizely", name="Decisions", sample=str(DECISIONS))
    with pytest.raises(NotFound) as err:
        get_feed(catalog, "Optimizely:Decision")
    assert "Optimizely:Decisions" in err.value.hint


def test_update_feed_tags_key_and_stitch(catalog: Catalog) -> None:
    feed = add_feed(catalog, source="Optimizely", name="Decisions", sample=str(DECISIONS))
    updated = update_feed(catalog, feed.id, primary_key=["uuid"], tags={"user_ip": "custom/ip"}, stitch=True)
    assert updated.primary_key == ["uuid"] and updated.tags == {"uuid": "pk", "user_ip": "custom/ip"}
    again = update_feed(catalog, feed.id, untag=["user_ip"], last_updated="process_timestamp")
    assert again.tags == {"uuid": "pk"} and again.last_updated == "process_timestamp" and again.stitch
    assert not again.generate_updated and get_feed(catalog, feed.id).last_updated == "process_timestamp"


def test_apply_suggested_tags_stores_them_once(catalog: Catalog, tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text("id,email,plan\n1,a@x.io,gold\n")
    feed = add_feed(catalog, source="Crm", name="People", sample=str(path), tags={"email": "custom/contact"})
    feed, new = apply_suggested_tags(catalog, feed.id)
    assert new == {"id": "pk"}  # email keeps the tag it was given
    stored = get_feed(catalog, feed.id)
    assert stored.primary_key == ["id"] and stored.tags == {"email": "custom/contact", "id": "pk"}
    assert apply_suggested_tags(catalog, feed.id)[1] == {}


def test_feed_json_marks_pii(catalog: Catalog, tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text("id,email,plan\n1,a@x.io,gold\n")
    feed = add_feed(catalog, source="Crm", name="People", sample=str(path), tags={"email": "email", "id": "pk"})
    columns = {c["name"]: c for c in feed_to_json(feed)["columns"]}
    assert columns["email"]["pii"] and not columns["id"]["pii"] and columns["plan"]["tag"] is None
    assert feed_to_json(feed)["table"] == "Crm:People" and feed_to_json(feed)["primary_key"] == ["id"]


def test_activate_load_sample_truncate_and_remove(catalog: Catalog, workspace) -> None:  # type: ignore[no-untyped-def]
    feed = add_feed(catalog, source="Optimizely", name="Decisions", sample=str(DECISIONS), primary_key=["uuid"])
    feed, stats = activate_feed(catalog, workspace, feed.id, load_sample=True)
    assert stats is not None and stats.inserted == 10000 and get_feed(catalog, feed.id).active
    catalog.execute("INSERT INTO loaded_files VALUES (?, 'b', 'k', 'e', 'r', 0)", (feed.id,))
    truncate_feed(catalog, workspace, feed.id)
    assert catalog.one("SELECT count(*) FROM loaded_files")[0] == 0
    with Warehouse(workspace.warehouse_path, read_only=True) as wh:
        assert wh.tables() == [("Optimizely:Decisions", 0)]
    with pytest.raises(ConfigError, match="is active"):
        update_feed(catalog, feed.id, primary_key=["uuid", "visitor_id"])
    remove_feed(catalog, feed.id, workspace=workspace, drop_table=True)
    assert list_feeds(catalog) == []
    with Warehouse(workspace.warehouse_path, read_only=True) as wh:
        assert wh.tables() == []


def test_activating_a_feed_without_a_key_says_how_to_set_one(catalog: Catalog, workspace) -> None:  # type: ignore[no-untyped-def]
    feed = add_feed(catalog, source="Optimizely", name="Decisions", sample=str(DECISIONS))
    with pytest.raises(ConfigError) as err:
        activate_feed(catalog, workspace, feed.id)
    assert "no primary key" in err.value.message and "suggest" in err.value.hint
    assert err.value.fix == Fix(FixKind.GIVE, "primary_key", "COL")
    assert not workspace.warehouse_path.exists()


def test_create_active_feed_without_a_key_stores_nothing_and_the_next_try_works(catalog: Catalog, workspace) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError) as err:
        create_active_feed(catalog, workspace, source="Optimizely", name="Decisions", sample=str(DECISIONS))
    assert "needs a primary key" in err.value.message and "uuid" in (err.value.hint or "")
    assert list_feeds(catalog) == [] and not workspace.warehouse_path.exists()
    feed, stats = create_active_feed(catalog, workspace, source="Optimizely", name="Decisions",
                                     sample=str(DECISIONS), primary_key=["uuid"])
    assert stats is not None and stats.inserted == 10000
    assert [(f.id, f.active, f.primary_key) for f in list_feeds(catalog)] == [(feed.id, True, ["uuid"])]
    with Warehouse(workspace.warehouse_path, read_only=True) as wh:
        assert wh.tables() == [("Optimizely:Decisions", 10000)]


def test_create_active_feed_that_fails_while_loading_leaves_no_feed_and_no_new_table(catalog: Catalog, workspace) -> None:  # type: ignore[no-untyped-def]
    def cancel(progress: object) -> None:
        raise Cancelled()

    with pytest.raises(Cancelled):
        create_active_feed(catalog, workspace, source="Optimizely", name="Decisions", sample=str(DECISIONS),
                           primary_key=["uuid"], on_progress=cancel)
    assert list_feeds(catalog) == []
    with Warehouse(workspace.warehouse_path, read_only=True) as wh:
        assert wh.tables() == []
    kept, _ = create_active_feed(catalog, workspace, source="Optimizely", name="Decisions", sample=str(DECISIONS),
                                 primary_key=["uuid"])
    remove_feed(catalog, kept.id)  # the table stays, with its rows
    with pytest.raises(Cancelled):
        create_active_feed(catalog, workspace, source="Optimizely", name="Decisions", sample=str(DECISIONS),
                           primary_key=["uuid"], on_progress=cancel)
    assert list_feeds(catalog) == []
    with Warehouse(workspace.warehouse_path, read_only=True) as wh:
        assert wh.tables() == [("Optimizely:Decisions", 10000)]  # a table the call did not create is never dropped


def test_sample_rows_round_trip_through_parquet_written_here(tmp_path: Path) -> None:
    path = tmp_path / "x.parquet"
    pq.write_table(pa.table({"k": ["a"], "m": pa.array([[("x", 1)]], pa.map_(pa.string(), pa.int64()))}), path)
    sample = read_sample(path)
    assert [c.type for c in sample.columns] == ["VARCHAR", "MAP(VARCHAR, BIGINT)"]
    assert sample.columns[1].samples == ['{"x":1}']
