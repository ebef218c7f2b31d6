"""The demo: an embedded S3 holding a synthetic Optimizely export and a workspace ready to use.

`prepare_demo` leaves the workspace where a new operator stands after "Add courier" in
pull-from-optimizely.txt: a credential and an Optimizely courier whose load operations are `{}`.
The export spans `days` days ending today (UTC); today's folders have no `_SUCCESS` yet, as an
in-flight export would, so yesterday is the newest complete day.

The stage is faithful: the credential is a real IAM access key of a read-only user, and the
server checks keys and signatures from then on, so a wrong secret fails as it does on AWS.
One demo serves a workspace at a time: `claim_demo_workspace` holds a lock on the workspace's
marker file for the life of the demo, and a second demo on the same folder is refused with the
first one's pid (rebuilding the folder under a running demo would break its runs).
"""

from __future__ import annotations

import fcntl
import os
import shutil
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from courier.core.catalog.catalog import Catalog
from courier.core.catalog.workspace import Workspace, open_workspace
from courier.core.config.couriers import add_courier
from courier.core.config.credentials import add_credential
from courier.core.devtools.s3server import LocalS3
from courier.core.devtools.synth import ExportSpec, upload_export
from courier.core.errors import Busy, ConfigError

DEMO_ACCOUNT = "1234567890"
DEMO_BUCKET = "optimizely-events-data"
DEMO_COURIER = "optimizely"
DEMO_CREDENTIAL = "demo-s3"
DEMO_USER = "optimizely-export-reader"
READER_ACTIONS = ("s3:ListBucket", "s3:GetObject", "kms:Decrypt")  # what Optimizely's export keys may do
MARKER = ".courier-demo"
_NOTE = "created by `courier demo`; rebuilt on every demo start\n"


@dataclass(frozen=True)
class DemoInfo:
    endpoint: str
    bucket: str
    account_id: str
    courier: str
    credential: str
    days: list[date]
    workspace: Path
    access_key_id: str = ""
    secret_access_key: str = field(default="", repr=False)  # the demo's own throwaway key

    @property
    def prefix(self) -> str:
        """Where the account's export lives in the bucket (what `credentials test --prefix` takes)."""
        return f"v1/account_id={self.account_id}/"

    def as_dict(self) -> dict[str, object]:
        """What the TUI shows; never the secret."""
        return {"endpoint": self.endpoint, "bucket": self.bucket, "account_id": self.account_id,
                "courier": self.courier, "credential": self.credential, "access_key_id": self.access_key_id,
                "days": [d.isoformat() for d in self.days], "workspace": str(self.workspace)}


class DemoClaim:
    """This process's hold on a demo workspace, released by `release()` or when the process dies.

    The lock is an flock on the marker file, which a rebuild never deletes, so it covers the whole
    life of the demo and a second claim cannot wipe the folder under the first.
    """

    def __init__(self, workspace: Workspace, fd: int) -> None:
        self.workspace, self._fd = workspace, fd

    def release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> DemoClaim:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def claim_demo_workspace(root: Path) -> DemoClaim:
    """Hold `root` for one demo and rebuild it empty; refuse a folder another demo serves (naming
    its pid) and a non-empty folder that is not a demo workspace."""
    root = Path(root).expanduser()
    if root.exists() and not root.is_dir():
        raise ConfigError(f"{root} is a file, not a folder", hint="pass an empty or new folder to --workspace")
    if root.exists() and any(root.iterdir()) and not (root / MARKER).exists():
        raise ConfigError(f"{root} is not empty and is not a demo workspace",
                          hint="pass an empty or new folder to --workspace")
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(root / MARKER, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").partition("\n")[0].strip()
            raise Busy(f"the demo workspace {root} is in use by another `courier demo`"
                       + (f" ({holder})" if holder.startswith("pid ") else ""),
                       hint="stop that demo first (Ctrl-C in its terminal), or pass another --workspace") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}\n{_NOTE}".encode(), 0)
        for entry in root.iterdir():
            if entry.name == MARKER:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        return DemoClaim(open_workspace(root), fd)
    except BaseException:
        os.close(fd)
        raise


_HELD: dict[Path, DemoClaim] = {}


def fresh_demo_workspace(root: Path) -> Workspace:
    """A rebuilt demo workspace held by this process until it exits (tests and screenshots, which
    build a demo without serving it; `courier demo` uses `claim_demo_workspace`)."""
    key = Path(root).expanduser().absolute()
    if key in _HELD:
        _HELD.pop(key).release()
    claim = claim_demo_workspace(key)
    _HELD[key] = claim
    return claim.workspace


def prepare_demo(server: LocalS3, workspace: Workspace, *, days: int = 3, rows_per_day: int = 2000,
                 today: date | None = None, seed: int = 7) -> DemoInfo:
    """Upload the export, make a read-only IAM user whose key is the demo credential, add the
    courier, then turn key checking on (from here on only real keys of this server work)."""
    today = today or datetime.now(UTC).date()
    start = today - timedelta(days=days - 1)
    kms = server.client("kms")
    key_arn = kms.create_key(Description="optimizely export key (demo)")["KeyMetadata"]["Arn"]
    spec = ExportSpec(account_id=DEMO_ACCOUNT, start=start, days=days, decisions_per_day=rows_per_day,
                      conversions_per_day=max(1, rows_per_day // 2), seed=seed)
    upload_export(spec, server.client("s3"), DEMO_BUCKET, kms_key_id=key_arn)
    access_key_id, secret_access_key = server.create_user(DEMO_USER, READER_ACTIONS)
    catalog = Catalog(workspace)
    try:
        add_credential(catalog, DEMO_CREDENTIAL, "iam-credential", access_key_id=access_key_id,
                       secret_access_key=secret_access_key)
        add_courier(catalog, DEMO_COURIER, credential=DEMO_CREDENTIAL, bucket=DEMO_BUCKET, prefix="",
                    region="us-east-1", endpoint_url=server.endpoint_url, optimizely_account=DEMO_ACCOUNT,
                    load_operations="{}")
    finally:
        catalog.close()
    server.enable_auth()
    return DemoInfo(server.endpoint_url, DEMO_BUCKET, DEMO_ACCOUNT, DEMO_COURIER, DEMO_CREDENTIAL,
                    [start + timedelta(days=i) for i in range(days)], workspace.root,
                    access_key_id=access_key_id, secret_access_key=secret_access_key)
