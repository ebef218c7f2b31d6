"""Remote listing: cost follows the requested days, not the bucket; readiness per day."""

from __future__ import annotations

from datetime import date, timedelta

from courier.core.catalog.catalog import Catalog
from courier.core.config.couriers import add_courier, get_courier
from courier.core.config.credentials import add_credential
from courier.core.devtools.s3server import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY
from courier.core.devtools.synth import ExportSpec, upload_export
from courier.core.source.listing import discover_days, list_days

ACCOUNT = "1234567890"
END = date(2026, 11, 10)


def _courier(catalog: Catalog, s3, bucket: str):  # type: ignore[no-untyped-def]
    add_credential(catalog, "c", "iam-credential", access_key_id=LOCAL_ACCESS_KEY, secret_access_key=LOCAL_SECRET_KEY)
    add_courier(catalog, bucket, credential="c", bucket=bucket, endpoint_url=s3.endpoint_url,
                optimizely_account=ACCOUNT, load_operations="{}")
    return get_courier(catalog, bucket)


def _spec(days: int) -> ExportSpec:
    return ExportSpec(account_id=ACCOUNT, start=END - timedelta(days=days - 1), days=days, decisions_per_day=5,
                      conversions_per_day=5, experiments=1, events=("add_to_cart",), newest_day_ready=True)


def test_one_day_listing_costs_the_same_in_a_1_day_and_a_60_day_bucket(s3, catalog: Catalog) -> None:
    client = s3.client("s3")
    upload_export(_spec(1), client, "one-day-bucket")
    upload_export(_spec(60), client, "sixty-day-bucket")
    small = list_days(client, _courier(catalog, s3, "one-day-bucket"), [END])
    add_courier(catalog, "sixty-day-bucket", credential="c", bucket="sixty-day-bucket", endpoint_url=s3.endpoint_url,
                optimizely_account=ACCOUNT, load_operations="{}")
    big = list_days(client, get_courier(catalog, "sixty-day-bucket"), [END])
    assert small.requests == big.requests == 2  # one listing per dataset for the day
    assert len(small.objects) == len(big.objects) == 2
    assert {o.day for o in big.objects} == {END}


def test_readiness_partitions_and_newest_first(s3, catalog: Catalog) -> None:
    spec = ExportSpec(account_id=ACCOUNT, start=END - timedelta(days=1), days=2, decisions_per_day=20,
                      conversions_per_day=30, experiments=2)
    upload_export(spec, s3.client("s3"), "opt-bucket")
    courier = _courier(catalog, s3, "opt-bucket")
    listing = list_days(s3.client("s3"), courier, [END - timedelta(days=1), END])
    assert listing.ready_by_day() == {END - timedelta(days=1): True, END: False}
    events = [o for o in listing.objects if o.tag == "conversions" and o.day == END]
    names = {o.partition.get("event") for o in events}
    assert None in names and "Main_Nav_javascript:void(0);" in names and "page view" in names
    newest = listing.newest_first()
    assert [o.last_modified for o in newest] == sorted((o.last_modified for o in newest), reverse=True)


def test_discover_days_finds_every_date(s3, catalog: Catalog) -> None:
    upload_export(_spec(4), s3.client("s3"), "disc-bucket")
    courier = _courier(catalog, s3, "disc-bucket")
    days, requests = discover_days(s3.client("s3"), courier)
    assert days == [END - timedelta(days=i) for i in range(3, -1, -1)]
    assert requests >= 1
