"""Semantic tags: Amperity's vocabulary, the custom/prefix rules, suggestions from column names."""

from __future__ import annotations

import pytest
from courier.core.errors import ConfigError
from courier.core.feeds.tags import (
    PII_TAGS,
    VOCABULARY,
    apply_suggestions,
    is_pii,
    suggest_tags,
    validate_tag,
)


@pytest.mark.parametrize("tag", ["email", "given-name", "surname", "postal", "phone", "pk", "ck", "sk",
                                 "fk-customer", "bk-household", "txn-item/order-id", "txn-item/item-quantity",
                                 "pc/product-category", "email-event/open", "loy-event/points", "blv/email",
                                 "custom/loyalty-tier"])
def test_documented_tags_are_accepted(tag: str) -> None:
    assert validate_tag(tag) == tag


def test_tags_are_case_insensitive_and_stored_lower_case() -> None:
    assert validate_tag("  Given-Name ") == "given-name"


def test_unknown_tag_is_an_error_with_closest_suggestions() -> None:
    with pytest.raises(ConfigError) as err:
        validate_tag("emial")
    assert 'unknown semantic tag "emial"' in err.value.message
    assert "email" in err.value.hint and "custom/" in err.value.hint


def test_unknown_itemized_transaction_tag_suggests_the_right_one() -> None:
    with pytest.raises(ConfigError) as err:
        validate_tag("txn-item/order-idd")
    assert "txn-item/order-id" in err.value.hint


@pytest.mark.parametrize("tag", ["fk-", "bk-", "custom/", "pc/Bad Name", "fk-has space"])
def test_prefix_tags_need_a_well_formed_name(tag: str) -> None:
    with pytest.raises(ConfigError):
        validate_tag(tag)


def test_pii_marks_profile_tags_but_not_keys_or_record_timestamps() -> None:
    assert is_pii("email") and is_pii("given-name") and is_pii("postal")
    assert not is_pii("pk") and not is_pii("update-dt") and not is_pii(None) and not is_pii("custom/x")
    assert PII_TAGS <= VOCABULARY


def test_suggestions_from_column_names() -> None:
    columns = ["Email", "phone_number", "first_name", "LastName", "zip", "postal_code", "uuid", "city",
               "created_at", "visitor_id"]
    suggested = suggest_tags(columns)
    assert suggested == {"Email": "email", "phone_number": "phone", "first_name": "given-name",
                         "LastName": "surname", "zip": "postal", "postal_code": "postal", "uuid": "pk",
                         "city": "city", "created_at": "create-dt"}


def test_suggestions_keep_once_per_feed_tags_unique_and_one_primary_key() -> None:
    suggested = suggest_tags(["id", "uuid", "first_name", "given_name"])
    assert suggested == {"uuid": "pk", "first_name": "given-name"}


def test_optimizely_columns_suggest_uuid_as_the_primary_key_and_no_pii() -> None:
    decisions = ["uuid", "timestamp", "process_timestamp", "visitor_id", "session_id", "account_id",
                 "campaign_id", "experiment_id", "variation_id", "attributes", "user_ip", "user_agent",
                 "referer", "is_holdback", "revision", "client_engine", "client_version"]
    assert suggest_tags(decisions) == {"uuid": "pk"}


def test_applying_suggestions_keeps_given_tags_and_keys_and_proposes_a_key_only_when_none() -> None:
    columns = ["uuid", "email", "first_name", "given_name", "city"]
    fresh = apply_suggestions(columns, {}, [])
    assert fresh.new == {"uuid": "pk", "email": "email", "first_name": "given-name", "city": "city"}
    assert fresh.primary_key == ["uuid"] and fresh.tags == fresh.new
    keyed = apply_suggestions(columns, {"city": "custom/town", "given_name": "given-name"}, ["email"])
    assert keyed.new == {}  # city keeps its tag, email is the key, given-name is taken once per feed, no 2nd key
    assert keyed.tags == {"city": "custom/town", "given_name": "given-name"} and keyed.primary_key == ["email"]
