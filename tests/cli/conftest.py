"""Fixtures shared by the CLI tests."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from courier.core.catalog.catalog import Catalog
from courier.core.config.couriers import add_courier
from courier.core.config.credentials import add_credential
from courier.core.devtools.s3server import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY
from courier.core.devtools.synth import ExportSpec, upload_export

DAY = date(2026, 11, 1)  # the synthetic export's first day (tests' DAY)


@pytest.fixture
def landing_only(s3, workspace_dir: Path, catalog: Catalog) -> Path:
    """A workspace with one courier whose load operations are `{}`: a run only lands files."""
    upload_export(ExportSpec(start=DAY, days=2, decisions_per_day=100, conversions_per_day=60, experiments=2),
                  s3.client("s3"), "optimizely-events-data")
    add_credential(catalog, "opt", "iam-credential", access_key_id=LOCAL_ACCESS_KEY, secret_access_key=LOCAL_SECRET_KEY)
    add_courier(catalog, "optimizely", credential="opt", bucket="optimizely-events-data", endpoint_url=s3.endpoint_url,
                optimizely_account="1234567890", load_operations="{}")
    return workspace_dir
