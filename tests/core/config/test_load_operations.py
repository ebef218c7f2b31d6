"""Load operations: Amperity's JSON shape, pointer errors, and placeholder feed ids."""

from __future__ import annotations

import json
from typing import Any

import pytest
from courier.core.config.documents import JsonSchemaError
from courier.core.config.load_operations import (
    Operation,
    is_placeholder,
    merged_load_operations,
    operations_to_json,
    parse_load_operations,
    unknown_feeds,
)
from courier.core.errors import ConfigError

TAGS = {"decisions", "conversions"}
OPTIMIZELY_EXAMPLE = {  # pull-from-optimizely.txt, "Example load operations"
    "DECISIONS-FEED-ID": [{"type": "truncate"}, {"type": "load", "file": "decisions"}],
    "CONVERSIONS-FEED-ID": [{"type": "load", "file": "conversions"}],
}


def error_of(value: Any, tags: set[str] | None = TAGS) -> JsonSchemaError:
    with pytest.raises(ConfigError) as info:
        parse_load_operations(value, tags)
    assert isinstance(info.value, JsonSchemaError)
    return info.value


def test_empty_object_means_land_only() -> None:
    assert parse_load_operations("{}", TAGS) == {}
    assert parse_load_operations({}, set()) == {}


def test_the_optimizely_example_parses_and_round_trips() -> None:
    ops = parse_load_operations(json.dumps(OPTIMIZELY_EXAMPLE), TAGS)
    assert ops["DECISIONS-FEED-ID"] == [Operation("truncate"), Operation("load", "decisions")]
    assert ops["CONVERSIONS-FEED-ID"] == [Operation("load", "conversions")]
    assert operations_to_json(ops) == OPTIMIZELY_EXAMPLE


def test_without_tags_any_file_tag_is_accepted() -> None:
    assert parse_load_operations({"df-1": [{"type": "load", "file": "anything"}]}) == {
        "df-1": [Operation("load", "anything")]}


def test_invalid_json_names_line_and_column() -> None:
    err = error_of('{\n  "df-1": [\n    {"type": "load",}\n  ]\n}')
    assert str(err).startswith("load operations: invalid JSON at line 3, column 21:")
    assert (err.line, err.column) == (3, 21)


@pytest.mark.parametrize(("value", "pointer", "message"), [
    ([], "", "expected a JSON object {feed-id: [operations]}, got an array"),
    ('"x"', "", "expected a JSON object {feed-id: [operations]}, got a string"),
    ({"df-1": {"type": "load"}}, "/df-1", "expected an array of operations, got an object"),
    ({"df-1": []}, "/df-1", "expected at least one operation, got []"),
    ({" ": [{"type": "truncate"}]}, "/ ", "a feed id must not be empty"),
    ({"df-1": ["load"]}, "/df-1/0", "expected an object, got a string"),
    ({"df-1": [{"file": "decisions"}]}, "/df-1/0", "missing required key 'type'"),
    ({"df-1": [{"type": "append"}]}, "/df-1/0/type", 'expected "truncate" or "load", got "append"'),
    ({"df-1": [{"type": "spark-sql"}]}, "/df-1/0/type", "spark-sql ingest queries are not supported yet"),
    ({"df-1": [{"type": "truncate", "file": "decisions"}]}, "/df-1/0/file", "unknown key"),
    ({"df-1": [{"type": "load", "fille": "decisions"}]}, "/df-1/0/fille", "unknown key"),
    ({"df-1": [{"type": "truncate"}, {"type": "load"}]}, "/df-1/1", "missing required key 'file'"),
    ({"df-1": [{"type": "load", "file": 3}]}, "/df-1/0/file", "expected a file tag (string), got 3"),
])
def test_schema_errors_name_the_pointer_and_the_expectation(value: Any, pointer: str, message: str) -> None:
    err = error_of(value)
    assert err.pointer == pointer
    where = f"load operations {pointer}" if pointer else "load operations"
    assert str(err) == f"{where}: {message}"


def test_a_misspelt_type_gets_a_suggestion() -> None:
    assert error_of({"df-1": [{"type": "laod", "file": "decisions"}]}).hint == "did you mean 'load'?"


def test_load_file_must_be_a_tag_of_the_entities_list() -> None:
    err = error_of({"df-1": [{"type": "load", "file": "decision"}]})
    assert str(err) == 'load operations /df-1/0/file: "decision" is not a file/tag in the entities list'
    assert err.hint == "did you mean 'decisions'? known tags: conversions, decisions"


@pytest.mark.parametrize("feed_id", ["df-xxxxxx", "df-XXXXXX", "df-x", "xxxxxx", "DECISIONS-FEED-ID",
                                     "CONVERSIONS-FEED-ID", "FEED-ID", "MY_FEED_ID", "<feed-id>", "{feed_id}"])
def test_obviously_incorrect_ids_are_placeholders(feed_id: str) -> None:
    assert is_placeholder(feed_id)


@pytest.mark.parametrize("feed_id", ["df-5Jagkabc", "df-A1B2C3", "df-x1x2", "decisions", "df-xxxxxy", "feed-id-2"])
def test_real_looking_ids_are_not_placeholders(feed_id: str) -> None:
    assert not is_placeholder(feed_id)


def test_unknown_feeds_keeps_document_order() -> None:
    ops = parse_load_operations({"df-b": [{"type": "truncate"}], "df-a": [{"type": "truncate"}],
                                 "df-c": [{"type": "truncate"}]})
    assert unknown_feeds(ops, ["df-a"]) == ["df-b", "df-c"]
    assert unknown_feeds({}, []) == []


def test_merging_keeps_other_feeds_and_a_placeholder_for_another_tag() -> None:
    existing = {"df-aaaaaa": [{"type": "load", "file": "conversions"}],
                "df-xxxxxx": [{"type": "truncate"}, {"type": "load", "file": "decisions"}],
                "FEED-ID": [{"type": "load", "file": "other"}]}
    merged, replaced = merged_load_operations(existing, "df-new123", "decisions")
    assert replaced == "df-xxxxxx"
    assert merged == {"df-aaaaaa": [{"type": "load", "file": "conversions"}],
                      "df-new123": [{"type": "load", "file": "decisions"}],
                      "FEED-ID": [{"type": "load", "file": "other"}]}
    added, none = merged_load_operations({}, "df-new123", "decisions")
    assert none is None and added == {"df-new123": [{"type": "load", "file": "decisions"}]}


def test_wiring_writes_load_alone_by_default_even_over_a_truncating_placeholder() -> None:
    # the documentation's example truncates; a daily courier that truncates keeps only the last run's day
    doc_example = {"DECISIONS-FEED-ID": [{"type": "truncate"}, {"type": "load", "file": "decisions"}]}
    merged, replaced = merged_load_operations(doc_example, "df-abc123", "decisions")
    assert replaced == "DECISIONS-FEED-ID"
    assert merged == {"df-abc123": [{"type": "load", "file": "decisions"}]}
    chosen, _ = merged_load_operations(doc_example, "df-abc123", "decisions", truncate=True)
    assert chosen == {"df-abc123": [{"type": "truncate"}, {"type": "load", "file": "decisions"}]}
    assert parse_load_operations(merged)["df-abc123"] == [Operation("load", "decisions")]
