"""courier.core.optimizely: the export's schemas, keys and preset entities match the real export."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from courier.core import optimizely as opt
from courier.core.errors import ConfigError

LABS = Path(__file__).resolve().parents[1] / "fixtures" / "optimizely-labs"
REAL_ACCOUNT = "596780373"  # the account id inside the labs files


def real_files(dataset: str) -> list[Path]:
    return sorted((LABS / f"type={dataset}").rglob("*.parquet"))


def real_keys() -> list[str]:
    """The fixture tree as it sits in the bucket: under the account prefix."""
    return sorted(f"v1/account_id={REAL_ACCOUNT}/{p.relative_to(LABS).as_posix()}"
                  for p in LABS.rglob("*") if p.is_file() and p.name != "LICENSE")


@pytest.mark.parametrize(("dataset", "schema", "width"), [
    ("decisions", opt.DECISIONS_SCHEMA, 17), ("events", opt.CONVERSIONS_SCHEMA, 21),
])
def test_schemas_equal_the_real_export_files(dataset: str, schema: pa.Schema, width: int) -> None:
    files = real_files(dataset)
    assert files
    for path in files:
        real = pq.read_schema(path)
        assert real.names == schema.names and len(schema) == width
        assert real.equals(schema, check_metadata=False), path
        for name in ("attributes", "experiments"):
            if name in schema.names:
                assert schema.field(name).type.value_field.name == "element"
                assert schema.field(name).type.value_field.nullable
                assert real.field(name).type.value_type.equals(schema.field(name).type.value_type)


def test_timestamps_are_utc_milliseconds_and_tags_a_string_map() -> None:
    for schema in (opt.DECISIONS_SCHEMA, opt.CONVERSIONS_SCHEMA):
        for name in ("timestamp", "process_timestamp"):
            assert schema.field(name).type == pa.timestamp("ms", tz="UTC")
        assert all(f.nullable for f in schema)
    tags = opt.CONVERSIONS_SCHEMA.field("tags").type
    assert pa.types.is_map(tags) and tags.key_type == pa.string() and tags.item_type == pa.string()
    assert "campaign_id" not in opt.CONVERSIONS_SCHEMA.names


def test_preset_entities_have_the_amperity_shape() -> None:
    decisions, conversions = opt.preset_entities("596780373")
    assert decisions == {
        "object/type": "file",
        "object/file-pattern":
            "'v1/account_id=596780373/type=decisions/date='yyyy-MM-dd'/experiment=*/*.parquet'",
        "object/optional": False,
        "object/ready-marker": "'v1/account_id=596780373/type=decisions/date='yyyy-MM-dd'/_SUCCESS'",
        "object/land-as": {"file/tag": "decisions", "file/content-type": "application/x-parquet"},
    }
    assert conversions == {
        "object/type": "file",
        "object/file-pattern":
            "'v1/account_id=596780373/type=events/date='yyyy-MM-dd'/event=*/*.parquet'",
        "object/optional": False,
        "object/ready-marker": "'v1/account_id=596780373/type=events/date='yyyy-MM-dd'/_SUCCESS'",
        "object/land-as": {"file/tag": "conversions", "file/content-type": "application/x-parquet"},
    }


def test_account_prefix_and_validation() -> None:
    assert opt.DEFAULT_BUCKET == "optimizely-events-data"
    assert opt.account_prefix("596780373") == "v1/account_id=596780373"
    assert opt.validate_account_id(" 123 ") == "123"
    for bad in ("", "12a", "account_id=12", "-5", "1 2"):
        with pytest.raises(ConfigError) as err:
            opt.validate_account_id(bad)
        assert err.value.hint and "digits" in err.value.hint
    with pytest.raises(ConfigError):
        opt.preset_entities("abc")


def test_partition_of_real_fixture_keys() -> None:
    keys = real_keys()
    decision = next(k for k in keys if "/type=decisions/" in k)
    assert opt.partition_of(decision) == {
        "account_id": REAL_ACCOUNT, "type": "decisions", "date": "2020-09-14",
        "experiment": "18786493712",
    }
    events = {opt.parse_partition(k).event for k in keys if k.endswith(".parquet") and "=events" in k}
    assert events == {"add_to_cart", "detail_page_view", "homepage_view", "purchase"}
    marker = next(k for k in keys if opt.is_ready_marker(k))
    assert opt.parse_partition(marker) == opt.Partition("events", "2020-09-14", None, None, REAL_ACCOUNT)
    assert sum(opt.is_ready_marker(k) for k in keys) == 1


def test_partition_of_decodes_escapes_and_null_markers() -> None:
    base = "v1/account_id=1/type=events/date=2024-01-01"
    assert opt.parse_partition(f"{base}/event=Main_Nav_javascript%3Avoid(0);/p.parquet").event == (
        "Main_Nav_javascript:void(0);")
    assert opt.parse_partition(f"{base}/event=page view/p.parquet").event == "page view"
    assert opt.parse_partition(f"{base}/event=a+b/p.parquet").event == "a+b"
    for null in ("NULL", "__HIVE_DEFAULT_PARTITION__"):
        parts = opt.partition_of(f"{base}/event={null}/p.parquet")
        assert "event" in parts and parts["event"] is None
    assert opt.parse_partition("some/other/file.csv") == opt.Partition(None, None, None, None, None)
    assert opt.partition_of("x/a=1=2/y") == {"a": "1=2"}


def test_escape_partition_value_follows_spark() -> None:
    assert opt.escape_partition_value("Main_Nav_javascript:void(0);") == "Main_Nav_javascript%3Avoid(0);"
    assert opt.escape_partition_value("page view") == "page view"
    assert opt.escape_partition_value("a/b=c%") == "a%2Fb%3Dc%25"
    assert opt.escape_partition_value(None) == "NULL"
    value = "we{ird}#?*[x]^'\"\\"
    assert opt.partition_of(f"event={opt.escape_partition_value(value)}") == {"event": value}


def test_is_ready_marker() -> None:
    assert opt.is_ready_marker("v1/account_id=1/type=events/date=2024-01-01/_SUCCESS")
    assert not opt.is_ready_marker("v1/account_id=1/type=events/date=2024-01-01/x_SUCCESS")
    assert not opt.is_ready_marker("v1/account_id=1/type=events/date=2024-01-01/_SUCCESS.parquet")


def test_keys_for_data_and_markers() -> None:
    from datetime import date

    key = opt.data_key("7", "events", date(2024, 1, 2), None, "part-00000-x.c000.snappy.parquet")
    assert key == "v1/account_id=7/type=events/date=2024-01-02/event=NULL/part-00000-x.c000.snappy.parquet"
    assert opt.ready_marker_key("7", "decisions", date(2024, 1, 2)) == (
        "v1/account_id=7/type=decisions/date=2024-01-02/_SUCCESS")


@pytest.mark.parametrize(("dataset", "schema"), [
    ("decisions", opt.DECISIONS_SCHEMA), ("events", opt.CONVERSIONS_SCHEMA),
])
def test_spark_footer_json_equals_the_real_one(dataset: str, schema: pa.Schema) -> None:
    real = pq.ParquetFile(real_files(dataset)[0]).metadata.metadata
    assert real[opt.SPARK_ROW_METADATA.encode()].decode() == opt.spark_row_metadata(schema)
