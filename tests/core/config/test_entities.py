"""Entities list: Amperity's JSON shape, every error with its line/column or JSON pointer."""

from __future__ import annotations

import json
from typing import Any

import pytest
from courier.core.config.documents import JsonSchemaError
from courier.core.config.entities import entity_warnings, implied_content_type, parse_entities
from courier.core.errors import ConfigError
from courier.core.optimizely import preset_entities


def entity(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "object/type": "file",
        "object/file-pattern": "'exports/'yyyy-MM-dd'/*.parquet'",
        "object/land-as": {"file/tag": "decisions", "file/content-type": "application/x-parquet"},
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def land_as(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"file/tag": "t", "file/content-type": "text/csv"}
    base.update(fields)
    return entity(**{"object/land-as": {k: v for k, v in base.items() if v is not None}})


def error_of(value: Any) -> JsonSchemaError:
    with pytest.raises(ConfigError) as info:
        parse_entities(value)
    assert isinstance(info.value, JsonSchemaError)
    return info.value


def test_a_minimal_entity_parses_with_defaults() -> None:
    [e] = parse_entities([entity()])
    assert (e.index, e.type, e.tag, e.content_type) == (0, "file", "decisions", "application/x-parquet")
    assert e.optional is False and e.ready_marker is None and e.header_rows is None
    assert e.file_pattern == "'exports/'yyyy-MM-dd'/*.parquet'"


def test_text_and_every_land_as_key_parse() -> None:
    text = json.dumps([land_as(**{"file/header-rows": 1, "file/separator": "\t", "file/quote": "'",
                                  "file/escape": "\\"}) | {"object/optional": True,
                                                           "object/ready-marker": "'exports/'yyyy-MM-dd'/_SUCCESS'"}])
    [e] = parse_entities(text)
    assert (e.header_rows, e.separator, e.quote, e.escape) == (1, "\t", "'", "\\")
    assert e.optional is True and e.ready_marker == "'exports/'yyyy-MM-dd'/_SUCCESS'"


def test_preset_entities_parse_into_two_gated_parquet_entities() -> None:
    entities = parse_entities(preset_entities("596780373"))
    assert [e.tag for e in entities] == ["decisions", "conversions"]
    assert all(e.content_type == "application/x-parquet" and e.ready_marker for e in entities)
    assert "type=decisions" in entities[0].file_pattern and "type=events" in entities[1].file_pattern
    assert entity_warnings(entities) == []


def test_several_entities_may_share_a_tag() -> None:
    entities = parse_entities([entity(), entity(**{"object/file-pattern": "'other/'yyyy-MM-dd'/*.parquet'"})])
    assert [e.tag for e in entities] == ["decisions", "decisions"] and entities[1].index == 1


def test_invalid_json_names_line_and_column() -> None:
    text = '[\n  {"object/type": "file",\n   "object/file-pattern": "x" "oops"}\n]'
    err = error_of(text)
    assert str(err).startswith("entities list: invalid JSON at line 3, column 31: Expecting ',' delimiter")
    assert (err.line, err.column) == (3, 31)


def test_empty_text_is_reported_as_empty() -> None:
    assert "is empty" in str(error_of("  \n"))


@pytest.mark.parametrize(("value", "message"), [
    ({"object/type": "file"}, "entities list: expected a JSON array of entities, got an object"),
    ("42", "entities list: expected a JSON array of entities, got a number"),
    ([], "entities list: is empty: a courier needs at least one entity"),
])
def test_top_level_must_be_a_non_empty_array(value: Any, message: str) -> None:
    assert str(error_of(value)) == message


@pytest.mark.parametrize(("items", "pointer", "message"), [
    ([entity(), "file"], "/1", "expected an object, got a string"),
    ([entity(**{"object/type": "archive"})], "/0/object/type", "archives are not supported yet"),
    ([entity(**{"object/type": "folder"})], "/0/object/type", 'expected "file", got "folder"'),
    ([entity(**{"object/type": None})], "/0", "missing required key 'object/type'"),
    ([entity(**{"object/file-pattern": None})], "/0", "missing required key 'object/file-pattern'"),
    ([entity(**{"object/file-pattern": ""})], "/0/object/file-pattern", "expected a non-empty pattern string, got \"\""),
    ([entity(**{"object/optional": "no"})], "/0/object/optional", 'expected true or false, got "no"'),
    ([entity(**{"object/land-as": None})], "/0", "missing required key 'object/land-as'"),
    ([entity(**{"object/land-as": []})], "/0/object/land-as", "expected an object, got an array"),
    ([entity(**{"archive/contents": {}})], "/0/archive/contents", "archives are not supported yet"),
    ([land_as(**{"file/tag": None})], "/0/object/land-as", "missing required key 'file/tag'"),
    ([land_as(**{"file/tag": ""})], "/0/object/land-as/file/tag", "expected a non-empty name"),
    ([land_as(**{"file/content-type": None})], "/0/object/land-as", "missing required key 'file/content-type'"),
    ([land_as(**{"file/content-type": "application/avro"})], "/0/object/land-as/file/content-type",
     "application/avro is not supported yet"),
    ([land_as(**{"file/header-rows": 2})], "/0/object/land-as/file/header-rows", "expected 0 or 1, got 2"),
    ([land_as(**{"file/header-rows": True})], "/0/object/land-as/file/header-rows", "expected 0 or 1, got true"),
    ([land_as(**{"file/separator": ",,"})], "/0/object/land-as/file/separator", "expected a single character"),
    ([land_as(**{"file/quote": 34})], "/0/object/land-as/file/quote", "expected a single character, got 34"),
    ([land_as(**{"file/escape": ""})], "/0/object/land-as/file/escape", "expected a single character"),
])
def test_schema_errors_name_the_pointer_and_the_expectation(items: list[Any], pointer: str, message: str) -> None:
    err = error_of(items)
    assert err.pointer == pointer
    assert str(err).startswith(f"entities list {pointer}: {message}")


def test_wrong_content_type_lists_the_choices_and_suggests_the_closest() -> None:
    err = error_of([entity(), land_as(**{"file/content-type": "application/parquet"})])
    assert str(err).startswith("entities list /1/object/land-as/file/content-type: expected one of "
                               "application/x-parquet, text/csv")
    assert str(err).endswith('got "application/parquet"')
    assert err.hint == "did you mean 'application/x-parquet'?"


def test_unknown_keys_suggest_the_closest_known_key() -> None:
    err = error_of([entity(**{"object/file-patern": "x"})])
    assert str(err) == "entities list /0/object/file-patern: unknown key"
    assert err.hint == "did you mean 'object/file-pattern'?"
    err = error_of([land_as(**{"file/tags": "x"})])
    assert err.pointer == "/0/object/land-as/file/tags" and err.hint == "did you mean 'file/tag'?"


def test_a_pattern_that_does_not_compile_is_reported_under_its_pointer() -> None:
    err = error_of([entity(), entity(**{"object/ready-marker": "'unterminated/_SUCCESS"})])
    assert err.pointer == "/1/object/ready-marker"
    assert str(err).startswith("entities list /1/object/ready-marker: ")


def test_pattern_and_content_type_mismatch_is_a_warning() -> None:
    entities = parse_entities([entity(**{"object/file-pattern": "'out/'yyyy-MM-dd'/orders.csv.gz'"})])
    [warning] = entity_warnings(entities)
    assert warning.startswith("entities list /0/object/land-as/file/content-type: ")
    assert "text/csv" in warning and "application/x-parquet" in warning


def test_text_options_on_parquet_are_reported_as_ignored() -> None:
    item = entity()
    item["object/land-as"]["file/header-rows"] = 1
    assert entity_warnings(parse_entities([item])) == [
        "entities list /0/object/land-as/file/header-rows: ignored for application/x-parquet"]


def test_pattern_traps_become_warnings_with_the_pointer() -> None:
    doc_example = "'/path/to/decisions_YYYY-MM-DD.parquet'"  # pull-from-optimizely.txt's own example
    day_of_year = "'out/'YYYY-MM-DD'/x.parquet'"
    warnings = entity_warnings(parse_entities([entity(**{"object/file-pattern": doc_example}),
                                               entity(**{"object/file-pattern": day_of_year})]))
    assert any(w.startswith("entities list /0/object/file-pattern: ") for w in warnings)
    assert any(w.startswith("entities list /1/object/file-pattern: ") for w in warnings)


@pytest.mark.parametrize(("pattern", "implied"), [
    ("'a/'yyyy'/x.csv'", "text/csv"),
    ("'a/x.csv.gz'", "text/csv"),
    ("'a/x.tsv.pgp'", "text/tab-separated-values"),
    ("'a/*.snappy.parquet'", "application/x-parquet"),
    ("'a/x.ndjson'", "application/x-ndjson"),
    ("'a/x.txt'", None),
    ("'a/x.parquet/'", None),
    ("'a/*'", None),
])
def test_implied_content_type(pattern: str, implied: str | None) -> None:
    assert implied_content_type(pattern) == implied


def test_entities_carry_content_types_from_the_one_table() -> None:
    from courier.core.types import ContentType
    from courier.core.warehouse.files import CONTENT_TYPES

    assert CONTENT_TYPES == tuple(ContentType)
    entities = parse_entities([land_as(**{"file/content-type": t.value}) for t in ContentType])
    assert [e.content_type for e in entities] == list(ContentType)
    assert all(isinstance(e.content_type, ContentType) for e in entities)
