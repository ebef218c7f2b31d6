"""The demo: an embedded S3 holding a synthetic Optimizely export and a workspace ready to use.

`prepare_demo` leaves the workspace where a new operator stands after "Add courier" in
pull-from-optimizely.txt: a credential and an Optimizely courier whose load operations are `{}`.
The export spans `days` days ending today (UTC); today's folders have no `_SUCCESS` yet, as an
in-flight export would, so yesterday is the newest complete day.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from courier.core.catalog.catalog import Catalog
from courier.core.catalog.workspace import Workspace, open_workspace
from courier.core.config.couriers import add_courier
from courier.core.config.credentials import add_credential
from courier.core.devtools.s3server import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY, LocalS3
from courier.core.devtools.synth import ExportSpec, upload_export
from courier.core.errors import ConfigError

DEMO_ACCOUNT = "1234567890"
DEMO_BUCKET = "optimizely-events-data"
DEMO_COURIER = "optimizely"
DEMO_CREDENTIAL = "demo-s3"
MARKER = ".courier-demo"


@dataclass(frozen=True)
class DemoInfo:
    endpoint: str
    bucket: str
    account_id: str
    courier: str
    credential: str
    days: list[date]
    workspace: Path

    def as_dict(self) -> dict[str, object]:
        return {"endpoint": self.endpoint, "bucket": self.bucket, "account_id": self.account_id,
                "courier": self.courier, "credential": self.credential,
                "days": [d.isoformat() for d in self.days], "workspace": str(self.workspace)}


def fresh_demo_workspace(root: Path) -> Workspace:
    """A demo workspace is rebuilt on every start; refuse to wipe a folder that is not one."""
    if root.exists() and any(root.iterdir()):
        if not (root / MARKER).exists():
            raise ConfigError(f"{root} is not empty and is not a demo workspace",
                              hint="pass an empty or new folder to --workspace")
        shutil.rmtree(root)
    workspace = open_workspace(root)
    (workspace.root / MARKER).write_text("created by `courier demo`; rebuilt on every demo start\n")
    return workspace


def prepare_demo(server: LocalS3, workspace: Workspace, *, days: int = 3, rows_per_day: int = 2000,
                 today: date | None = None, seed: int = 7) -> DemoInfo:
    today = today or datetime.now(UTC).date()
    start = today - timedelta(days=days - 1)
    kms = server.client("kms")
    key_arn = kms.create_key(Description="optimizely export key (demo)")["KeyMetadata"]["Arn"]
    spec = ExportSpec(account_id=DEMO_ACCOUNT, start=start, days=days, decisions_per_day=rows_per_day,
                      conversions_per_day=max(1, rows_per_day // 2), seed=seed)
    upload_export(spec, server.client("s3"), DEMO_BUCKET, kms_key_id=key_arn)
    catalog = Catalog(workspace)
    try:
        add_credential(catalog, DEMO_CREDENTIAL, "iam-credential", access_key_id=LOCAL_ACCESS_KEY,
                       secret_access_key=LOCAL_SECRET_KEY)
        add_courier(catalog, DEMO_COURIER, credential=DEMO_CREDENTIAL, bucket=DEMO_BUCKET, prefix="",
                    region="us-east-1", endpoint_url=server.endpoint_url, optimizely_account=DEMO_ACCOUNT,
                    load_operations="{}")
    finally:
        catalog.close()
    return DemoInfo(server.endpoint_url, DEMO_BUCKET, DEMO_ACCOUNT, DEMO_COURIER, DEMO_CREDENTIAL,
                    [start + timedelta(days=i) for i in range(days)], workspace.root)
