"""The Sample files list as the engine builds it: the ledger in one query, as typed Arrow columns,
newest first; the partition text and the filter; remote listings in the same shape."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa
from courier.core.catalog.catalog import Catalog
from courier.core.config.couriers import add_courier
from courier.core.runs.records import start_run
from courier.core.runs.request import RunRequest
from courier.core.source.landing import landed_files
from courier.core.source.listing import list_remote
from courier.core.status.files import (
    FILE_SCHEMA,
    FileList,
    FileState,
    empty_files_table,
    landed_files_table,
    landed_path,
    newest_landed_day,
    partition_text,
    partition_texts,
    remote_files_table,
    sample_origin,
)
from hypothesis import given
from hypothesis import strategies as st

from tests.core.status.conftest import ACCOUNT, BUCKET, NOT_READY, START


def test_landed_files_are_the_ledger_newest_first_in_typed_columns(landed: Catalog) -> None:
    files = landed_files(landed, "optimizely")  # the ledger as objects: what the CLI lists
    table = landed_files_table(landed, "optimizely")
    assert table.schema == FILE_SCHEMA
    assert table.num_rows == len(files) > 0
    assert table["key"].to_pylist() == [f.key for f in files]  # newest first by LastModified, then key
    assert table["modified"].to_pylist() == [datetime.fromtimestamp(f.last_modified, UTC) for f in files]
    for column in ("tag", "day", "size", "rows", "courier", "bucket"):
        assert table[column].to_pylist() == [getattr(f, column) for f in files], column
    assert set(table["ready"].to_pylist()) == {FileState.LANDED}
    assert {d for d in table["day"].to_pylist()} == {START.isoformat(), (START + timedelta(days=1)).isoformat()}


def test_the_list_is_read_in_one_query(landed: Catalog) -> None:
    statements: list[str] = []
    landed.db.set_trace_callback(statements.append)
    try:
        table = landed_files_table(landed)
    finally:
        landed.db.set_trace_callback(None)
    assert table.num_rows > 0
    assert len(statements) == 1 and statements[0].startswith("SELECT") and "FROM ledger" in statements[0]


def test_files_landed_at_the_same_moment_are_ordered_by_key_descending(catalog: Catalog) -> None:
    rows = [("c", "b", key, "etag", 10, 1_700_000_000.25, "decisions", "2026-11-01", "wf-1", f"/x/{key}", None, 1.0)
            for key in ("a/2.parquet", "a/10.parquet", "b/1.parquet")]
    rows.append(("c", "b", "z/older.parquet", "etag", 10, 1_700_000_000.0, "decisions", None, "wf-1", "/x", 5, 1.0))
    with catalog.transaction() as db:
        db.executemany("INSERT INTO ledger (courier, bucket, key, etag, size, last_modified, tag, day, run_id, "
                       "local_path, rows, landed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    table = landed_files_table(catalog)
    assert table["key"].to_pylist() == ["b/1.parquet", "a/2.parquet", "a/10.parquet", "z/older.parquet"]
    assert table["modified"][0].as_py() == datetime(2023, 11, 14, 22, 13, 20, 250_000, tzinfo=UTC)
    assert table["rows"].to_pylist() == [None, None, None, 5] and table["day"][3].as_py() is None


def test_an_empty_ledger_is_an_empty_list(catalog: Catalog) -> None:
    assert landed_files_table(catalog).equals(empty_files_table())
    assert newest_landed_day(catalog) is None


def test_each_courier_lists_its_own_landings_of_a_shared_bucket(landed: Catalog, s3) -> None:  # type: ignore[no-untyped-def]
    add_courier(landed, "second", credential="opt", bucket=BUCKET, endpoint_url=s3.endpoint_url,
                optimizely_account=ACCOUNT, load_operations="{}")
    assert start_run(landed, RunRequest("second", "day", day=START)).status == "succeeded"
    second = landed_files_table(landed, "second")
    assert set(second["courier"].to_pylist()) == {"second"}
    assert set(second["day"].to_pylist()) == {START.isoformat()}
    everything = landed_files_table(landed)
    assert everything.num_rows == second.num_rows + landed_files_table(landed, "optimizely").num_rows
    assert newest_landed_day(landed, "second") == START.isoformat()
    assert newest_landed_day(landed) == (START + timedelta(days=1)).isoformat()


def test_a_landed_file_knows_its_path_and_origin(landed: Catalog) -> None:
    first = landed_files(landed, "optimizely")[0]
    assert landed_path(landed, "optimizely", first.bucket, first.key) == first.local_path
    assert landed_path(landed, "someone-else", first.bucket, first.key) is None
    origin = sample_origin(landed, first.key)
    assert origin is not None and (origin.courier, origin.tag) == ("optimizely", first.tag)
    assert sample_origin(landed, "no/such/key.parquet") is None


def test_partition_text_is_the_keys_hive_segments_but_date_and_account(landed: Catalog) -> None:
    table = landed_files_table(landed)
    texts = dict(zip(table["key"].to_pylist(), partition_texts(table["key"]).to_pylist(), strict=True))
    assert all(text == partition_text(key) for key, text in texts.items())
    conversions = [t for k, t in texts.items() if "/type=events/" in k]
    assert "type=events event=Main_Nav_javascript:void(0);" in conversions  # %3A decoded
    assert "type=events event=page view" in conversions and "type=events event=NULL" in conversions
    assert not any("date=" in t or "account_id=" in t for t in texts.values())


_SEGMENTS = st.one_of(
    st.sampled_from(["v1", "account_id=1", "date=2026-11-01", "type=decisions", "type=events", "experiment=7",
                     "event=NULL", "event=__HIVE_DEFAULT_PARTITION__", "event=a%3Ab", "event=page view", "x=y=NULL",
                     "1a=b", "_u=v", "a=", "=b", "", "part-0.parquet", "event=%1B%5B2J", "n=ü", "e=\x1b[2J"]),
    st.text(alphabet=st.characters(blacklist_characters="/", blacklist_categories=("Cs",)), max_size=8),
)


@given(st.lists(st.lists(_SEGMENTS, max_size=7).map("/".join), max_size=20))
def test_vectorised_partition_texts_agree_with_the_one_key_function(keys: list[str]) -> None:
    assert partition_texts(pa.array(keys, pa.string())).to_pylist() == [partition_text(k) for k in keys]


def test_a_name_given_twice_keeps_its_last_value_in_first_place() -> None:
    assert partition_texts(pa.array(["a=1/b=2/a=3/f.parquet"])).to_pylist() == ["a=3 b=2"]


def test_the_filter_matches_key_tag_partition_day_and_state_in_any_case(landed: Catalog) -> None:
    files = FileList(landed_files_table(landed))
    total = files.table.num_rows
    tags = files.table["tag"].to_pylist()
    assert files.matching("").num_rows == total and files.matching("   ").num_rows == total
    assert files.matching("CONVERSIONS").num_rows == tags.count("conversions") > 0
    assert files.matching("event=main_nav_javascript:void(0);").num_rows > 0  # the decoded partition value
    assert files.matching("type=events event=page view").num_rows > 0  # two partition segments as shown
    day2 = (START + timedelta(days=1)).isoformat()
    assert files.matching(day2).num_rows == files.table["day"].to_pylist().count(day2)
    assert files.matching("landed").num_rows == total
    assert files.matching("no such file").num_rows == 0
    keys = files.matching("conversions")["key"].to_pylist()
    assert keys == [k for k, t in zip(files.table["key"].to_pylist(), tags, strict=True) if t == "conversions"]


def test_remote_files_have_the_same_columns_and_say_whether_their_day_is_ready(export, catalog: Catalog) -> None:  # type: ignore[no-untyped-def]
    ready_day, waiting_day = START, NOT_READY
    listing = list_remote(catalog, "optimizely", [ready_day, waiting_day])
    table = remote_files_table("optimizely", listing.objects)
    assert table.schema == FILE_SCHEMA and table.num_rows == len(listing.objects) > 0
    objects = listing.newest_first()
    assert table["key"].to_pylist() == [o.key for o in objects]
    assert table["modified"].to_pylist() == [o.last_modified for o in objects]
    state = dict(zip(table["day"].to_pylist(), table["ready"].to_pylist(), strict=True))
    assert state == {ready_day.isoformat(): FileState.READY, waiting_day.isoformat(): FileState.NOT_READY}
    assert set(table["rows"].to_pylist()) == {None} and set(table["courier"].to_pylist()) == {"optimizely"}
    assert FileList(table).matching("not ready").num_rows == table["ready"].to_pylist().count(FileState.NOT_READY)
