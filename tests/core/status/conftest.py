"""A workspace whose catalog holds what the read models read: a credential, a courier on the local
S3 (a synthetic Optimizely export, the newest day without `_SUCCESS`) and real runs that landed files."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from courier.core.catalog.catalog import Catalog
from courier.core.config.couriers import add_courier
from courier.core.config.credentials import add_credential
from courier.core.devtools.s3server import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY
from courier.core.devtools.synth import ExportSpec, upload_export
from courier.core.runs.records import start_run
from courier.core.runs.request import RunRequest

ACCOUNT = "1234567890"
BUCKET = "optimizely-events-data"
START = date(2026, 11, 1)
NOT_READY = START + timedelta(days=2)  # the generator leaves the newest day without _SUCCESS


@pytest.fixture
def export(s3: Any, catalog: Catalog) -> ExportSpec:
    """Three days on the local S3 and courier `optimizely` with `{}` load operations (nothing run yet)."""
    spec = ExportSpec(account_id=ACCOUNT, start=START, days=3, decisions_per_day=40, conversions_per_day=20,
                      experiments=2, seed=3)  # the default events: escaped, spaced and NULL partitions
    upload_export(spec, s3.client("s3"), BUCKET)
    add_credential(catalog, "opt", "iam-credential", access_key_id=LOCAL_ACCESS_KEY, secret_access_key=LOCAL_SECRET_KEY)
    add_courier(catalog, "optimizely", credential="opt", bucket=BUCKET, endpoint_url=s3.endpoint_url,
                optimizely_account=ACCOUNT, load_operations="{}")
    return spec


@pytest.fixture
def landed(export: ExportSpec, catalog: Catalog) -> Catalog:
    """The first two days run (and landed) by `optimizely`."""
    for day in (START, START + timedelta(days=1)):
        result = start_run(catalog, RunRequest("optimizely", "day", day=day))
        assert result.status == "succeeded", result.error
    return catalog
