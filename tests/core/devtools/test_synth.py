"""courier.core.devtools.synth: the synthetic export looks like Optimizely's, file for file and byte for byte."""

from __future__ import annotations

import io
import re
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from courier.core import optimizely as opt
from courier.core.devtools.synth import (
    ExportObject,
    ExportSpec,
    iter_export,
    upload_export,
    write_export,
)
from courier.core.errors import ConfigError

LABS = Path(__file__).resolve().parents[2] / "fixtures" / "optimizely-labs"
SMALL = ExportSpec(decisions_per_day=300, conversions_per_day=200, duplicate_share=0.03)
UUID4 = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
DAY = r"date=(\d{4}-\d{2}-\d{2})"
DECISION_KEY = re.compile(
    rf"v1/account_id=(\d+)/type=decisions/{DAY}/experiment=(\d{{11}})/part-00000-({UUID4})"
    r"\.c000\.snappy\.parquet")
EVENT_KEY = re.compile(
    rf"v1/account_id=(\d+)/type=events/{DAY}/event=([^/]+)/part-(\d{{5}})-({UUID4})"
    r"\.c(\d{3})\.snappy\.parquet")
MARKER_KEY = re.compile(rf"v1/account_id=(\d+)/type=(decisions|events)/{DAY}/_SUCCESS")


@pytest.fixture(scope="module")
def export() -> list[ExportObject]:
    return list(iter_export(SMALL))


def data(objs: list[ExportObject], dataset: str) -> list[ExportObject]:
    return [o for o in objs if f"/type={dataset}/" in o.key and o.key.endswith(".parquet")]


def table(obj: ExportObject) -> pa.Table:
    return pq.read_table(io.BytesIO(obj.body))


def whole(objs: list[ExportObject], dataset: str) -> pa.Table:
    return pa.concat_tables([table(o) for o in data(objs, dataset)])


def leaves(pf: pq.ParquetFile) -> list[tuple]:
    """Each Parquet leaf column: path, physical and logical type, nesting levels."""
    cols = [pf.schema.column(i) for i in range(len(pf.schema))]
    return [(c.path, c.physical_type, c.logical_type.type, c.max_definition_level,
             c.max_repetition_level) for c in cols]


@pytest.mark.parametrize("dataset", ["decisions", "events"])
def test_files_have_the_real_export_schema(export: list[ExportObject], dataset: str) -> None:
    real_path = next((LABS / f"type={dataset}").rglob("*.parquet"))
    real = pq.ParquetFile(real_path)
    for obj in data(export, dataset):
        made = pq.ParquetFile(io.BytesIO(obj.body))
        assert made.schema_arrow.equals(real.schema_arrow, check_metadata=False), obj.key
        assert made.schema_arrow.names == real.schema_arrow.names
        # the same Parquet layout too: 3-level list/element lists, key_value map, all optional
        assert made.schema.to_arrow_schema().equals(real.schema.to_arrow_schema(), check_metadata=False)
        assert leaves(made) == leaves(real)
        assert made.metadata.metadata[opt.SPARK_ROW_METADATA.encode()] == (
            real.metadata.metadata[opt.SPARK_ROW_METADATA.encode()])


def test_every_file_is_snappy_with_one_row_group(export: list[ExportObject]) -> None:
    files = data(export, "decisions") + data(export, "events")
    assert len(files) == 3 * (3 + 6)
    for obj in files:
        meta = pq.ParquetFile(io.BytesIO(obj.body)).metadata
        assert meta.num_row_groups == 1 and meta.num_rows == obj.rows > 0
        group = meta.row_group(0)
        assert {group.column(i).compression for i in range(group.num_columns)} == {"SNAPPY"}


def test_keys_follow_the_hive_layout(export: list[ExportObject]) -> None:
    decisions, events = data(export, "decisions"), data(export, "events")
    for obj in decisions:
        match = DECISION_KEY.fullmatch(obj.key)
        assert match, obj.key
        t = table(obj)
        assert set(t.column("experiment_id").to_pylist()) == {match.group(3)}
        assert set(t.column("account_id").to_pylist()) == {SMALL.account_id}
    assert len({DECISION_KEY.fullmatch(o.key).group(4) for o in decisions}) == len(decisions)
    jobs: dict[str, set[str]] = defaultdict(set)
    for obj in events:
        match = EVENT_KEY.fullmatch(obj.key)
        assert match, obj.key
        jobs[match.group(2)].add(match.group(5))
        names = set(table(obj).column("event_name").to_pylist())
        assert names == {opt.parse_partition(obj.key).event}
    assert all(len(v) == 1 for v in jobs.values()) and len({*map(frozenset, jobs.values())}) == 3
    markers = [o for o in export if o.key.endswith("_SUCCESS")]
    assert all(MARKER_KEY.fullmatch(o.key) and o.body == b"" for o in markers)
    assert {o.key for o in export} == {o.key for o in decisions + events + markers}


def test_edge_event_partitions_are_escaped_and_decode(export: list[ExportObject]) -> None:
    keys = [o.key for o in data(export, "events")]
    colon = [k for k in keys if "/event=Main_Nav_javascript%3Avoid(0);/" in k]
    assert colon and opt.parse_partition(colon[0]).event == "Main_Nav_javascript:void(0);"
    space = [k for k in keys if "/event=page view/" in k]
    assert space and opt.parse_partition(space[0]).event == "page view"
    null = [k for k in keys if "/event=NULL/" in k]
    assert null and opt.partition_of(null[0])["event"] is None
    assert not any("%20" in k for k in keys)


def test_ready_markers_come_last_per_day_and_not_for_the_newest_day(export: list[ExportObject]) -> None:
    keys = [o.key for o in export]
    days = SMALL.dates
    for day in days[:-1]:
        of_day = [i for i, k in enumerate(keys) if f"/date={day}/" in k]
        markers = [i for i in of_day if keys[i].endswith("/_SUCCESS")]
        assert len(markers) == 2 and markers == of_day[-2:]
    assert not [k for k in keys if f"/date={days[-1]}/" in k and k.endswith("_SUCCESS")]
    ready = list(iter_export(replace(SMALL, days=1, decisions_per_day=5, conversions_per_day=6,
                                     newest_day_ready=True)))
    assert [o.key.rsplit("/", 2)[-2:] for o in ready[-2:]] == [
        [f"date={SMALL.start}", "_SUCCESS"]] * 2


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(export: list[ExportObject]) -> None:
    again = list(iter_export(SMALL))
    assert [o.key for o in again] == [o.key for o in export]
    assert all(a.body == b.body for a, b in zip(again, export, strict=True))
    other = list(iter_export(replace(SMALL, seed=8)))
    assert [o.key for o in other] != [o.key for o in export]


def test_date_folder_is_the_utc_date_of_process_timestamp_with_realistic_lag(
        export: list[ExportObject]) -> None:
    lags: list[float] = []
    for obj in data(export, "decisions") + data(export, "events"):
        t = table(obj)
        folder = opt.parse_partition(obj.key).date
        for pts in t.column("process_timestamp").to_pylist():
            assert pts.tzinfo is not None and pts.astimezone(UTC).date().isoformat() == folder
        lags += [(p - c).total_seconds() for p, c in zip(t.column("process_timestamp").to_pylist(),
                                                           t.column("timestamp").to_pylist(), strict=True)]
    typical = sum(2 <= lag <= 90 for lag in lags) / len(lags)
    assert typical > 0.85
    assert any(lag < 0 for lag in lags) and any(lag > 3600 for lag in lags)
    assert sum(lag < 0 for lag in lags) / len(lags) < 0.05


def test_duplicates_reuse_uuid_and_payload_also_across_days(export: list[ExportObject]) -> None:
    for dataset in ("decisions", "events"):
        t = whole(export, dataset)
        rows = t.to_pylist()
        by_uuid: dict[str, list[dict]] = defaultdict(list)
        for row in rows:
            by_uuid[row["uuid"]].append(row)
        repeated = [group for group in by_uuid.values() if len(group) > 1]
        assert repeated, dataset
        for group in repeated:
            first = {k: v for k, v in group[0].items() if k != "process_timestamp"}
            assert all({k: v for k, v in r.items() if k != "process_timestamp"} == first for r in group)
        assert sum(len(g) - 1 for g in repeated) == sum(o.duplicates for o in data(export, dataset))
    days_of: dict[str, set[str]] = defaultdict(set)
    for obj in data(export, "decisions"):
        for uuid in obj.uuids or ():
            days_of[uuid].add(opt.parse_partition(obj.key).date or "")
    assert any(len(days) > 1 for days in days_of.values())


def test_rows_follow_the_export_conventions(export: list[ExportObject]) -> None:
    for dataset in ("decisions", "events"):
        for row in whole(export, dataset).to_pylist():
            names = [a["name"] for a in row["attributes"]]
            assert "attribution/captured" in names and "attribution/enriched" in names
            assert 4 <= len(names) <= 6
            assert row["session_id"] is None  # the default start is after 2023-10-09
    conversions = whole(export, "events").to_pylist()
    assert all(r["tags"] is not None and r["event_type"] is None for r in conversions)
    assert any(r["tags"] == [] for r in conversions)
    assert {r["experiments"] is None for r in conversions} == {True, False}
    assert all(not r["experiments"] for r in conversions)
    purchases = [r for r in conversions if r["event_name"] == "purchase"]
    assert purchases
    for r in purchases:
        tags = dict(r["tags"])
        assert r["revenue"] == int(tags["revenue"]) == round(float(tags["price"]) * 100) * (
            r["quantity"] or 1)
    decisions = whole(export, "decisions")
    assert set(decisions.column("is_holdback").to_pylist()) == {False, True}


def test_session_id_and_attribution_stop_on_2023_10_09() -> None:
    spec = ExportSpec(start=date(2023, 10, 7), days=4, decisions_per_day=60, conversions_per_day=60)
    for obj in iter_export(spec):
        if not obj.key.endswith(".parquet"):
            continue
        day = date.fromisoformat(opt.parse_partition(obj.key).date or "")
        t = table(obj)
        sessions = t.column("session_id").to_pylist()
        if day < opt.SESSION_ID_CUTOFF:
            assert all(re.fullmatch(r"-?\d+", s) and -(2**31) <= int(s) < 2**31 for s in sessions)
        else:
            assert all(s is None for s in sessions)
        if "experiments" in t.column_names:
            attribution = t.column("experiments").to_pylist()
            if day < opt.SESSION_ID_CUTOFF:
                assert all(a is not None for a in attribution)
                assert any(a and all(re.fullmatch(r"\d{11}", e["variation_id"]) for e in a)
                           for a in attribution)
            else:
                assert all(not a for a in attribution)


def test_write_export_mirrors_keys_and_summarises(tmp_path: Path, export: list[ExportObject]) -> None:
    summary = write_export(SMALL, tmp_path)
    assert summary.keys == [o.key for o in export]
    on_disk = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert on_disk == sorted(summary.keys)
    assert (tmp_path / export[0].key).read_bytes() == export[0].body
    assert summary.rows == {"decisions": 900, "events": 600}
    for dataset in ("decisions", "events"):
        uuids = whole(export, dataset).column("uuid").to_pylist()
        assert summary.distinct_uuids[dataset] == len(set(uuids)) < len(uuids)
    assert summary.days_ready == SMALL.dates[:2] and summary.days_not_ready == SMALL.dates[2:]


def test_large_partitions_roll_into_numbered_files_of_one_job() -> None:
    spec = ExportSpec(days=1, experiments=1, decisions_per_day=250, conversions_per_day=0,
                      max_rows_per_file=100, track_uuids=False)
    files = [o for o in iter_export(spec) if o.key.endswith(".parquet")]
    assert [o.key.rsplit(".c", 1)[1] for o in files] == ["000.snappy.parquet", "001.snappy.parquet",
                                                        "002.snappy.parquet"]
    assert [o.rows for o in files] == [100, 100, 50] and all(o.uuids is None for o in files)
    assert len({o.key.rsplit(".c", 1)[0] for o in files}) == 1
    times = pa.concat_tables([table(o) for o in files]).column("process_timestamp").to_pylist()
    assert times == sorted(times)


def test_invalid_specs_are_config_errors() -> None:
    for bad in ({"account_id": "12x"}, {"days": 0}, {"duplicate_share": 1.5},
                {"decisions_per_day": -1}, {"events": ()}):
        with pytest.raises(ConfigError):
            ExportSpec(**bad)


def test_upload_with_sse_kms_to_local_s3(s3) -> None:  # type: ignore[no-untyped-def]
    key_id = s3.client("kms").create_key(Description="export key")["KeyMetadata"]["KeyId"]
    client = s3.client("s3")
    spec = replace(SMALL, days=2, decisions_per_day=20, conversions_per_day=12)
    summary = upload_export(spec, client, opt.DEFAULT_BUCKET, kms_key_id=key_id)
    listed = client.list_objects_v2(Bucket=opt.DEFAULT_BUCKET)["Contents"]
    assert sorted(o["Key"] for o in listed) == sorted(summary.keys)
    for key in (summary.keys[0], next(k for k in summary.keys if k.endswith("_SUCCESS"))):
        head = client.head_object(Bucket=opt.DEFAULT_BUCKET, Key=key)
        assert head["ServerSideEncryption"] == "aws:kms"
        assert key_id in head["SSEKMSKeyId"]
    body = client.get_object(Bucket=opt.DEFAULT_BUCKET, Key=summary.keys[0])["Body"].read()
    assert body == next(iter_export(spec)).body
    again = upload_export(spec, client, opt.DEFAULT_BUCKET)  # bucket exists: still fine
    assert again.keys == summary.keys
    plain = client.head_object(Bucket=opt.DEFAULT_BUCKET, Key=summary.keys[0])
    assert plain.get("ServerSideEncryption") != "aws:kms"


def test_preset_patterns_match_the_generated_and_real_keys(export: list[ExportObject]) -> None:
    patterns = pytest.importorskip("courier.core.patterns.grammar", reason="core/patterns/grammar.py is not written yet")
    entities = {e["object/land-as"]["file/tag"]: e for e in opt.preset_entities(SMALL.account_id)}
    for tag, dataset in (("decisions", "decisions"), ("conversions", "events")):
        files = patterns.FilePattern.parse(entities[tag]["object/file-pattern"])
        marker = patterns.FilePattern.parse(entities[tag]["object/ready-marker"])
        for day in SMALL.dates:
            of_day = [o.key for o in data(export, dataset) if f"/date={day}/" in o.key]
            assert of_day and all(files.matches(k, day) for k in of_day)
            assert not any(files.matches(o.key, day) for o in export if f"/date={day}/" not in o.key)
            assert marker.matches(opt.ready_marker_key(SMALL.account_id, dataset, day), day)
            assert not any(files.matches(o.key, day) for o in export if o.key.endswith("_SUCCESS"))
    real_day = date(2020, 9, 14)
    for entity in opt.preset_entities("596780373"):
        dataset = "decisions" if entity["object/land-as"]["file/tag"] == "decisions" else "events"
        real = [f"v1/account_id=596780373/{p.relative_to(LABS).as_posix()}"
                for p in (LABS / f"type={dataset}").rglob("*.parquet")]
        files = patterns.FilePattern.parse(entity["object/file-pattern"])
        assert real and all(files.matches(k, real_day) for k in real)
        assert not any(files.matches(k, date(2020, 9, 15)) for k in real)
    marker = patterns.FilePattern.parse(entities["conversions"]["object/ready-marker"].replace(
        SMALL.account_id, "596780373"))
    assert marker.matches("v1/account_id=596780373/type=events/date=2020-09-14/_SUCCESS", real_day)
