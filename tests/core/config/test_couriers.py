"""Couriers: save-time validation, CRUD, and the validation test against a real (local) S3."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from courier.core.catalog.catalog import Catalog, now
from courier.core.config.couriers import (
    add_courier,
    courier_to_json,
    edit_courier,
    get_courier,
    list_couriers,
    remove_courier,
)
from courier.core.config.credentials import add_credential
from courier.core.errors import ConfigError, Fix, FixKind, NotFound
from courier.core.optimizely import preset_entities
from courier.core.source.checks import validate_courier
from courier.core.types import Check, CheckState

ACCOUNT = "596780373"
BUCKET = "optimizely-events-data"
DAY = date(2020, 9, 14)
PLACEHOLDER_OPS = {"df-xxxxxx": [{"type": "truncate"}, {"type": "load", "file": "decisions"}]}


@pytest.fixture
def cat(catalog: Catalog) -> Catalog:
    add_credential(catalog, "opt-keys", "iam-credential", access_key_id="AKIAIOSFODNN7EXAMPLE",
                   secret_access_key="testing-secret-access-key-0123")
    return catalog


def add_feed_row(catalog: Catalog, feed_id: str) -> None:
    stamp = now()
    catalog.execute("INSERT INTO feeds (id, source, name, sample, schema, created_at, updated_at)"
                    " VALUES (?, 'Optimizely', ?, 'x', '[]', ?, ?)", (feed_id, feed_id, stamp, stamp))


def add_opt(catalog: Catalog, name: str = "opt", **kw: Any):  # type: ignore[no-untyped-def]
    settings: dict[str, Any] = {"credential": "opt-keys", "bucket": BUCKET, "optimizely_account": ACCOUNT}
    settings.update(kw)
    return add_courier(catalog, name, **settings)


def test_add_with_the_optimizely_preset_and_land_only_operations(cat: Catalog) -> None:
    courier, warnings = add_opt(cat)
    assert warnings == []
    assert (courier.bucket, courier.prefix, courier.region, courier.endpoint_url) == (BUCKET, "", "us-east-1", None)
    assert courier.tags == ["decisions", "conversions"] and courier.load_operations == {}
    assert courier.entities_json == preset_entities(ACCOUNT)
    assert get_courier(cat, "opt") == courier


def test_entities_as_json_text_keep_the_operators_document(cat: Catalog) -> None:
    text = json.dumps(preset_entities(ACCOUNT)[:1], indent=4)
    courier, _ = add_courier(cat, "dec", credential="opt-keys", bucket=BUCKET, entities=text,
                             load_operations='{"df-xxxxxx": [{"type": "load", "file": "decisions"}]}')
    assert courier.entities_json == preset_entities(ACCOUNT)[:1]
    assert courier_to_json(courier)["load_operations"] == {"df-xxxxxx": [{"type": "load", "file": "decisions"}]}


def test_placeholder_feed_is_accepted_with_a_warning(cat: Catalog) -> None:
    courier, warnings = add_opt(cat, load_operations=PLACEHOLDER_OPS)
    assert list(courier.load_operations) == ["df-xxxxxx"]
    assert warnings == ['df-xxxxxx is a placeholder: the run will land files and then fail with Cannot find '
                        'required feeds: "df-xxxxxx" (replace it once the feed exists)']


def test_unknown_real_looking_feed_is_rejected(cat: Catalog) -> None:
    with pytest.raises(ConfigError) as info:
        add_opt(cat, load_operations={"df-5Jagkabc": [{"type": "load", "file": "decisions"}]})
    assert str(info.value) == 'load operations /df-5Jagkabc: feed "df-5Jagkabc" does not exist'
    assert "df-xxxxxx" in (info.value.hint or "")
    assert list_couriers(cat) == []


def test_known_feed_is_accepted_without_warning(cat: Catalog) -> None:
    add_feed_row(cat, "df-5Jagkabc")
    courier, warnings = add_opt(cat, load_operations={"df-5Jagkabc": [{"type": "load", "file": "decisions"}]})
    assert warnings == [] and courier.load_operations["df-5Jagkabc"][0].file == "decisions"


def test_load_operations_must_name_tags_of_the_entities_list(cat: Catalog) -> None:
    with pytest.raises(ConfigError, match=r"/df-xxxxxx/0/file: \"events\" is not a file/tag"):
        add_opt(cat, load_operations={"df-xxxxxx": [{"type": "load", "file": "events"}]})


@pytest.mark.parametrize(("settings", "message"), [
    ({"credential": "opt-key"}, "no credential named 'opt-key'"),
    ({"bucket": "Optimizely_Events"}, "is not a valid S3 bucket name"),
    ({"bucket": "ab"}, "is not a valid S3 bucket name"),
    ({"bucket": "a..b"}, "is not a valid S3 bucket name"),
    ({"bucket": "192.168.1.10"}, "looks like an IP address"),
    ({"bucket": "s3://optimizely-events-data/v1"}, "is a URL, not a bucket name"),
    ({"region": "useast1"}, "is not an AWS region name"),
    ({"endpoint_url": "ftp://host"}, "is not an http(s) URL"),
    ({"endpoint_url": "http://key:secret@127.0.0.1:9000"}, "must not contain a user name or password"),
    ({"endpoint_url": "http://127.0.0.1:9000/bucket"}, "has a path or query"),
    ({"optimizely_account": "acct-1"}, "is not a number"),
    ({"entities": "[]"}, "entities list: is empty"),
    ({"entities": "[{]"}, "entities list: invalid JSON at line 1, column 3"),
    ({"load_operations": "{"}, "load operations: invalid JSON at line 1, column 2"),
])
def test_save_time_validation(cat: Catalog, settings: dict[str, Any], message: str) -> None:
    if "entities" in settings:
        settings["optimizely_account"] = None
    with pytest.raises(ConfigError) as info:
        add_opt(cat, **settings)
    assert message in str(info.value)
    assert list_couriers(cat) == []


def test_error_hints_point_at_the_fix(cat: Catalog) -> None:
    with pytest.raises(NotFound) as info:
        add_opt(cat, credential="opt-key")
    assert info.value.hint == "did you mean 'opt-keys'?"
    with pytest.raises(ConfigError) as info:
        add_opt(cat, bucket="s3://optimizely-events-data/v1/account_id=1")
    assert info.value.hint == "put 'v1/account_id=1' in the prefix"
    assert info.value.fix == Fix(FixKind.GIVE, "bucket", "optimizely-events-data")


def test_one_entities_source_is_required(cat: Catalog) -> None:
    with pytest.raises(ConfigError, match="needs an entities list"):
        add_opt(cat, optimizely_account=None)
    with pytest.raises(ConfigError, match="give only one of"):
        add_opt(cat, entities=preset_entities(ACCOUNT))


def test_names_are_checked_and_unique(cat: Catalog) -> None:
    add_opt(cat)
    with pytest.raises(ConfigError, match="already exists"):
        add_opt(cat)
    with pytest.raises(ConfigError, match="courier name 'my courier' is not valid"):
        add_opt(cat, name="my courier")


def test_plain_http_to_another_host_warns(cat: Catalog) -> None:
    _, warnings = add_opt(cat, endpoint_url="http://minio.internal:9000")
    assert warnings == ["endpoint http://minio.internal:9000 uses plain HTTP: keys and data travel unencrypted"]


def test_get_unknown_courier_suggests_the_closest_name(cat: Catalog) -> None:
    add_opt(cat, name="optimizely")
    with pytest.raises(NotFound) as info:
        get_courier(cat, "optimizly")
    assert str(info.value) == "no courier named 'optimizly'" and info.value.hint == "did you mean 'optimizely'?"


def test_edit_replaces_placeholder_with_the_real_feed(cat: Catalog) -> None:
    add_opt(cat, load_operations=PLACEHOLDER_OPS, endpoint_url="http://127.0.0.1:9")
    add_feed_row(cat, "df-5Jagkabc")
    courier, warnings = edit_courier(cat, "opt", load_operations=json.dumps(
        {"df-5Jagkabc": [{"type": "truncate"}, {"type": "load", "file": "decisions"}]}), endpoint_url="")
    assert warnings == [] and list(courier.load_operations) == ["df-5Jagkabc"] and courier.endpoint_url is None
    assert courier.tags == ["decisions", "conversions"]  # untouched settings stay
    assert get_courier(cat, "opt").updated_at >= courier.created_at


def test_edit_revalidates_old_load_operations_against_new_entities(cat: Catalog) -> None:
    add_opt(cat, load_operations={"df-xxxxxx": [{"type": "load", "file": "conversions"}]})
    with pytest.raises(ConfigError, match='"conversions" is not a file/tag'):
        edit_courier(cat, "opt", optimizely_account=None, entities=preset_entities(ACCOUNT)[:1])
    assert get_courier(cat, "opt").tags == ["decisions", "conversions"]


def test_edit_needs_a_change_and_an_existing_courier(cat: Catalog) -> None:
    add_opt(cat)
    with pytest.raises(ConfigError, match="nothing to change"):
        edit_courier(cat, "opt")
    with pytest.raises(NotFound):
        edit_courier(cat, "nope", region="eu-west-1")
    courier, _ = edit_courier(cat, "opt", region="eu-west-1", prefix="exports")
    assert (courier.region, courier.prefix) == ("eu-west-1", "exports")


def test_list_and_remove(cat: Catalog) -> None:
    add_opt(cat, name="b")
    add_opt(cat, name="a")
    assert [c.name for c in list_couriers(cat)] == ["a", "b"]
    remove_courier(cat, "a")
    assert [c.name for c in list_couriers(cat)] == ["b"]
    with pytest.raises(NotFound):
        remove_courier(cat, "a")


def test_remove_is_refused_while_a_group_uses_the_courier(cat: Catalog) -> None:
    add_opt(cat)
    stamp = now()
    cat.execute("INSERT INTO groups (name, settings, created_at, updated_at) VALUES ('daily', ?, ?, ?)",
                (json.dumps({"couriers": [{"courier": "opt", "wait": 0}]}), stamp, stamp))
    with pytest.raises(ConfigError, match="courier 'opt' is in courier group daily"):
        remove_courier(cat, "opt")


def test_courier_to_json_uses_amperity_shapes(cat: Catalog) -> None:
    courier, _ = add_opt(cat, load_operations=PLACEHOLDER_OPS)
    data = courier_to_json(courier)
    assert data["entities"] == preset_entities(ACCOUNT) and data["load_operations"] == PLACEHOLDER_OPS
    assert data["created_at"].endswith("Z") and json.loads(json.dumps(data)) == data


# ---- validation test against the local S3 ---------------------------------------------------------

def seed_decisions_day(s3: Any) -> None:
    """One day of decisions (with _SUCCESS) and no conversions at all."""
    client = s3.client("s3")
    client.create_bucket(Bucket=BUCKET)
    day = f"v1/account_id={ACCOUNT}/type=decisions/date={DAY.isoformat()}"
    client.put_object(Bucket=BUCKET, Key=f"{day}/experiment=111/part-00000-a.c000.snappy.parquet", Body=b"PAR1")
    client.put_object(Bucket=BUCKET, Key=f"{day}/experiment=222/part-00000-a.c000.snappy.parquet", Body=b"PAR1")
    client.put_object(Bucket=BUCKET, Key=f"{day}/_SUCCESS", Body=b"")


def test_validate_with_a_day_names_the_entity_that_found_nothing(cat: Catalog, s3: Any) -> None:
    seed_decisions_day(s3)
    add_opt(cat, endpoint_url=s3.endpoint_url, load_operations=PLACEHOLDER_OPS)
    report = validate_courier(cat, "opt", DAY)
    assert not report.ok
    by_name = {c.name: c for c in report.checks}
    decisions = by_name["files on 2020-09-14 for decisions (entity 0)"]
    conversions = by_name["files on 2020-09-14 for conversions (entity 1)"]
    assert decisions.ok and decisions.detail.startswith("2 objects match ")
    assert "ready marker present" in decisions.detail
    assert not conversions.ok
    assert conversions.detail.startswith("no object matches ") and "type=events/date=2020-09-14" in conversions.detail
    assert [c.name for c in report.checks if not c.ok] == [conversions.name]
    assert any("df-xxxxxx is a placeholder" in w for w in report.warnings)


def test_validate_passes_when_every_entity_finds_files(cat: Catalog, s3: Any) -> None:
    seed_decisions_day(s3)
    add_courier(cat, "dec", credential="opt-keys", bucket=BUCKET, endpoint_url=s3.endpoint_url,
                entities=preset_entities(ACCOUNT)[:1])
    report = validate_courier(cat, "dec", DAY)
    assert report.ok, report.checks
    names = [c.name for c in report.checks]
    assert names[:3] == ["entities list", "file patterns", "load operations"]
    assert any(n.startswith("credential opt-keys") for n in names)


def test_validate_without_a_day_does_not_look_for_files(cat: Catalog, s3: Any) -> None:
    seed_decisions_day(s3)
    add_opt(cat, endpoint_url=s3.endpoint_url)
    report = validate_courier(cat, "opt")
    assert report.ok and not any(c.name.startswith("files on") for c in report.checks)


def test_validate_reports_a_missing_bucket_and_skips_the_file_checks(cat: Catalog, s3: Any) -> None:
    add_opt(cat, endpoint_url=s3.endpoint_url)
    report = validate_courier(cat, "opt", DAY)
    assert not report.ok
    failed = [c for c in report.checks if not c.ok]
    assert any("optimizely-events-data" in c.detail for c in failed)
    assert report.checks[-1] == Check("files on 2020-09-14", False, "not checked: the credentials check failed")
    # the one Check type: the connection test's check arrives whole, its hint included
    bucket = next(c for c in failed if c.name.startswith("credential opt-keys: "))
    assert type(bucket) is Check and bucket.hint and bucket.state is CheckState.FAILED


def test_optimizely_from_token_takes_bucket_and_account_from_the_exchange(cat: Catalog) -> None:
    from courier.core.source.token import token_courier_settings

    from tests.token_server import TokenServer

    def mint() -> dict[str, Any]:  # the keys are not used: adding a courier only reads the s3Path
        return {"AccessKeyId": "ASIAEXAMPLEEXAMPLE01", "SecretAccessKey": "s" * 40, "SessionToken": "t" * 40}

    with TokenServer(mint=mint, token="2:token-for-tests", account_id="8675309") as api:
        add_credential(cat, "opt-token", "optimizely-token", token="2:token-for-tests", api_url=api.url)
        found = token_courier_settings(cat, "opt-token")
        courier, warnings = add_courier(cat, "opt", credential="opt-token", **found)
        assert api.exchanges == 1
    assert warnings == []
    assert (courier.bucket, courier.prefix, courier.region) == (BUCKET, "", "us-east-1")
    assert courier.entities_json == preset_entities("8675309")
    with pytest.raises(ConfigError, match="is a iam-credential credential"):
        token_courier_settings(cat, "opt-keys")


def test_an_endpoint_url_with_a_password_is_refused_without_echoing_it(cat: Catalog) -> None:
    with pytest.raises(ConfigError) as info:
        add_opt(cat, endpoint_url="ftp://AKIAX:hunter2-secret@minio:9000")
    assert "hunter2" not in info.value.one_line()
