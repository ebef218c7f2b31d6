"""Fresh courier workspaces wired the way an operator leaves them after the workflow.

A credential for the local S3, an Optimizely courier, and (when samples are given) the two feeds
of the workflow test: Decisions (key uuid, generated `_updated`) and Conversions (key uuid,
last-updated `process_timestamp`), both activated, with load operations that load without
truncating so a re-run has nothing to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from courier.core.catalog.catalog import Catalog
from courier.core.catalog.workspace import open_workspace
from courier.core.config.couriers import add_courier
from courier.core.config.credentials import add_credential
from courier.core.devtools.s3server import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY
from courier.core.feeds.model import activate_feed, add_feed

from benchmarks.scales import ACCOUNT

COURIER = "bench"
CREDENTIAL = "bench-s3"


@dataclass(frozen=True)
class BenchWorkspace:
    root: Path
    courier: str
    feeds: dict[str, str]  # tag -> feed id


def prepare(root: Path, *, endpoint_url: str, bucket: str, decisions_sample: Path | None = None,
            conversions_sample: Path | None = None) -> BenchWorkspace:
    """A new workspace at `root`; without samples the courier only lands (load operations `{}`)."""
    workspace = open_workspace(root)
    catalog = Catalog(workspace)
    try:
        add_credential(catalog, CREDENTIAL, "iam-credential", access_key_id=LOCAL_ACCESS_KEY,
                       secret_access_key=LOCAL_SECRET_KEY)
        feeds: dict[str, str] = {}
        if decisions_sample is not None and conversions_sample is not None:
            decisions = add_feed(catalog, source="Optimizely", name="Decisions", sample=str(decisions_sample),
                                 primary_key=["uuid"], generate_updated=True)
            conversions = add_feed(catalog, source="Optimizely", name="Conversions",
                                   sample=str(conversions_sample), primary_key=["uuid"],
                                   last_updated="process_timestamp")
            for feed in (decisions, conversions):
                activate_feed(catalog, workspace, feed.id, load_sample=False)
            feeds = {"decisions": decisions.id, "conversions": conversions.id}
        operations = {feed_id: [{"type": "load", "file": tag}] for tag, feed_id in feeds.items()}
        add_courier(catalog, COURIER, credential=CREDENTIAL, bucket=bucket, endpoint_url=endpoint_url,
                    optimizely_account=ACCOUNT, load_operations=operations)
    finally:
        catalog.close()
    return BenchWorkspace(workspace.root, COURIER, feeds)
