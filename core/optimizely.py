"""What courier knows about Optimizely's enriched-event export (E3) on S3.

The bucket layout, both Parquet schemas and the preset entities list, as code, so the generator,
the landing step and the screens share one source of truth (see
shared/reference/optimizely-export.md §1-2 and §5). Pure data and string handling: no I/O.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from courier.core import lazy
from courier.core.errors import ConfigError

if TYPE_CHECKING:
    import pyarrow as pa
else:  # stand-ins imported on first use (core/lazy.py), so landing never imports them
    pa = lazy.module("pyarrow")

DEFAULT_BUCKET = "optimizely-events-data"
DEFAULT_REGION = "us-east-1"
DECISIONS = "decisions"  # the `type=` value (and file tag) of the decisions dataset
EVENTS = "events"  # the `type=` value of the conversions dataset
CONVERSIONS_TAG = "conversions"  # the file tag courier lands `type=events` files as
READY_MARKER = "_SUCCESS"
# The footer key Spark writes (its StructType JSON); real E3 files carry only this one.
SPARK_ROW_METADATA = "org.apache.spark.sql.parquet.row.metadata"
NULL_PARTITION_VALUES = frozenset({"NULL", "__HIVE_DEFAULT_PARTITION__"})
# Optimizely stopped filling session_id and the conversions' `experiments` on this day.
SESSION_ID_CUTOFF = date(2023, 10, 9)

# Both datasets' Arrow types. Landing needs none of them (nor pyarrow), so they are built on first
# use (PEP 562 `__getattr__` below); the names are declared here for type checkers.
ATTRIBUTE_TYPE: pa.StructType
EXPERIMENT_TYPE: pa.StructType
ATTRIBUTES_LIST: pa.ListType
EXPERIMENTS_LIST: pa.ListType
TAGS_MAP: pa.MapType
DECISIONS_SCHEMA: pa.Schema
CONVERSIONS_SCHEMA: pa.Schema
SCHEMAS: dict[str, pa.Schema]
_ARROW_NAMES = frozenset({"ATTRIBUTE_TYPE", "EXPERIMENT_TYPE", "ATTRIBUTES_LIST", "EXPERIMENTS_LIST", "TAGS_MAP",
                          "DECISIONS_SCHEMA", "CONVERSIONS_SCHEMA", "SCHEMAS"})


def _arrow_types() -> dict[str, Any]:
    """The Arrow types and schemas of both datasets, by module attribute name."""
    ATTRIBUTE_TYPE = pa.struct(
        [("id", pa.string()), ("name", pa.string()), ("type", pa.string()), ("value", pa.string())]
    )
    EXPERIMENT_TYPE = pa.struct(
        [
            ("campaign_id", pa.string()),
            ("experiment_id", pa.string()),
            ("variation_id", pa.string()),
            ("is_holdback", pa.bool_()),
        ]
    )
    ATTRIBUTES_LIST = pa.list_(pa.field("element", ATTRIBUTE_TYPE))
    EXPERIMENTS_LIST = pa.list_(pa.field("element", EXPERIMENT_TYPE))
    TAGS_MAP = pa.map_(pa.string(), pa.string())
    _TS = pa.timestamp("ms", tz="UTC")

    DECISIONS_SCHEMA = pa.schema(
        [
            ("uuid", pa.string()),
            ("timestamp", _TS),
            ("process_timestamp", _TS),
            ("visitor_id", pa.string()),
            ("session_id", pa.string()),
            ("account_id", pa.string()),
            ("campaign_id", pa.string()),
            ("experiment_id", pa.string()),
            ("variation_id", pa.string()),
            ("attributes", ATTRIBUTES_LIST),
            ("user_ip", pa.string()),
            ("user_agent", pa.string()),
            ("referer", pa.string()),
            ("is_holdback", pa.bool_()),
            ("revision", pa.string()),
            ("client_engine", pa.string()),
            ("client_version", pa.string()),
        ]
    )

    CONVERSIONS_SCHEMA = pa.schema(
        [
            ("uuid", pa.string()),
            ("timestamp", _TS),
            ("process_timestamp", _TS),
            ("visitor_id", pa.string()),
            ("session_id", pa.string()),
            ("account_id", pa.string()),
            ("experiments", EXPERIMENTS_LIST),
            ("entity_id", pa.string()),
            ("attributes", ATTRIBUTES_LIST),
            ("user_ip", pa.string()),
            ("user_agent", pa.string()),
            ("referer", pa.string()),
            ("event_type", pa.string()),
            ("event_name", pa.string()),
            ("revenue", pa.int64()),
            ("value", pa.float64()),
            ("quantity", pa.int64()),
            ("tags", TAGS_MAP),
            ("revision", pa.string()),
            ("client_engine", pa.string()),
            ("client_version", pa.string()),
        ]
    )
    SCHEMAS = {DECISIONS: DECISIONS_SCHEMA, EVENTS: CONVERSIONS_SCHEMA}
    return {"ATTRIBUTE_TYPE": ATTRIBUTE_TYPE, "EXPERIMENT_TYPE": EXPERIMENT_TYPE, "ATTRIBUTES_LIST": ATTRIBUTES_LIST,
            "EXPERIMENTS_LIST": EXPERIMENTS_LIST, "TAGS_MAP": TAGS_MAP, "DECISIONS_SCHEMA": DECISIONS_SCHEMA,
            "CONVERSIONS_SCHEMA": CONVERSIONS_SCHEMA, "SCHEMAS": SCHEMAS}


def __getattr__(name: str) -> Any:
    """Build the Arrow types once, on the first read of one of them; they are module globals from then on."""
    if name in _ARROW_NAMES:
        built = _arrow_types()
        assert built.keys() == _ARROW_NAMES
        globals().update(built)
        return built[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


PARTITION_KEYS: dict[str, str] = {DECISIONS: "experiment", EVENTS: "event"}

_ACCOUNT_ID = re.compile(r"[0-9]+")
_HIVE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Spark's ExternalCatalogUtils.escapePathName: these, DEL and control characters become %XX.
_SPARK_ESCAPED = frozenset('"#%\'*/:=?\\{[]^\x7f') | frozenset(chr(c) for c in range(1, 32))


def validate_account_id(text: str) -> str:
    """The account id as Optimizely prints it (digits only), surrounding blanks removed."""
    value = text.strip()
    if not _ACCOUNT_ID.fullmatch(value):
        raise ConfigError(
            f"account id {text!r} is not a number",
            hint="use the digits after account_id= in the s3Path Optimizely shows, e.g. 596780373",
        )
    return value


def account_prefix(account_id: str) -> str:
    """The key prefix every object of one account lives under (no trailing slash)."""
    return f"v1/account_id={validate_account_id(account_id)}"


def escape_partition_value(value: str | None) -> str:
    """A partition value as it appears in a key: Spark's %XX escaping; None becomes `NULL`."""
    if value is None or value == "":
        return "NULL"
    return "".join(f"%{ord(ch):02X}" if ch in _SPARK_ESCAPED else ch for ch in value)


def preset_entities(account_id: str) -> list[dict[str, object]]:
    """The entities list (Amperity JSON shape) for both datasets of one account.

    `object/ready-marker` is courier's extension: a pattern naming the object that must exist
    before that date's files count (Optimizely's date-level `_SUCCESS`).
    """
    prefix = account_prefix(account_id)
    entities: list[dict[str, object]] = []
    for dataset, tag in ((DECISIONS, DECISIONS), (EVENTS, CONVERSIONS_TAG)):
        day = f"{prefix}/type={dataset}/date='yyyy-MM-dd'"
        entities.append(
            {
                "object/type": "file",
                "object/file-pattern": f"'{day}/{PARTITION_KEYS[dataset]}=*/*.parquet'",
                "object/optional": False,
                "object/ready-marker": f"'{day}/{READY_MARKER}'",
                "object/land-as": {"file/tag": tag, "file/content-type": "application/x-parquet"},
            }
        )
    return entities


def data_key(account_id: str, dataset: str, day: date, partition: str | None, file_name: str) -> str:
    """The key of one data file: `v1/account_id=…/type=…/date=…/<experiment|event>=…/<file>`."""
    part = f"{PARTITION_KEYS[dataset]}={escape_partition_value(partition)}"
    return f"{account_prefix(account_id)}/type={dataset}/date={day.isoformat()}/{part}/{file_name}"


def ready_marker_key(account_id: str, dataset: str, day: date) -> str:
    """The key of the date-level `_SUCCESS` marker of one dataset and day."""
    return f"{account_prefix(account_id)}/type={dataset}/date={day.isoformat()}/{READY_MARKER}"


@dataclass(frozen=True)
class Partition:
    """Where a key sits in the export tree; any part may be missing (None)."""

    dataset: str | None  # "decisions" or "events" (the `type=` value, passed through as found)
    date: str | None  # "YYYY-MM-DD" as in the key
    experiment: str | None
    event: str | None  # decoded event name; None for `event=NULL`
    account_id: str | None


def partition_of(key: str) -> dict[str, str | None]:
    """Every Hive `name=value` segment of a key, values URL-decoded; NULL markers become None.

    Spaces are kept as they are (Spark does not escape them) and `+` is not a space.
    """
    found: dict[str, str | None] = {}
    for segment in key.split("/"):
        name, sep, raw = segment.partition("=")
        if not sep or not _HIVE_NAME.fullmatch(name):
            continue
        found[name] = None if raw in NULL_PARTITION_VALUES else unquote(raw)
    return found


def parse_partition(key: str) -> Partition:
    """The export coordinates (dataset, date, experiment/event, account) of a key."""
    parts = partition_of(key)
    return Partition(
        dataset=parts.get("type"),
        date=parts.get("date"),
        experiment=parts.get("experiment"),
        event=parts.get("event"),
        account_id=parts.get("account_id"),
    )


def is_ready_marker(key: str) -> bool:
    """True for a `_SUCCESS` object (never data to land)."""
    return key == READY_MARKER or key.endswith("/" + READY_MARKER)


def spark_type(data_type: pa.DataType) -> Any:
    """The Spark SQL type JSON for an Arrow type (the footer Spark writes next to the data)."""
    simple = {pa.string(): "string", pa.bool_(): "boolean", pa.int64(): "long",
              pa.float64(): "double"}
    if pa.types.is_timestamp(data_type):
        return "timestamp"
    if pa.types.is_map(data_type):
        return {"type": "map", "keyType": spark_type(data_type.key_type),
                "valueType": spark_type(data_type.item_type), "valueContainsNull": True}
    if pa.types.is_list(data_type):
        return {"type": "array", "elementType": spark_type(data_type.value_type),
                "containsNull": True}
    if pa.types.is_struct(data_type):
        return {"type": "struct", "fields": [
            {"name": f.name, "type": spark_type(f.type), "nullable": True, "metadata": {}}
            for f in data_type]}
    return simple[data_type]


def spark_row_metadata(schema: pa.Schema) -> str:
    """The exact footer JSON a Spark export writes for `schema` (compact, as in the real files)."""
    return json.dumps(spark_type(pa.struct(list(schema))), separators=(",", ":"))
