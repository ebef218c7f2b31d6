"""Shared fixtures of the reliability suite: a ready courier workspace and ways to compare states.

Stable API (other reliability tests import these; keep signatures as they are):

- `reliability_env` fixture -> ReliabilityEnv: a workspace with a credential, the Optimizely
  courier `optimizely` (endpoint: the `s3` fixture's moto server), two activated feeds
  (Optimizely:Decisions with a generated `_updated`, Optimizely:Conversions by process_timestamp)
  wired into the courier's load operations, over a small synthetic export (SMALL_SPEC): three days,
  the last without `_SUCCESS`. `env.run()` runs the standard period (the two ready days).
- `fault_proxy` fixture -> FaultProxy in front of the `s3` server (0% faults until configured);
  `env.point_at(proxy.endpoint_url)` routes the courier through it.
- `build_env(s3, root, spec=SMALL_SPEC, upload=True)`: the same, for tests that need several
  workspaces over one bucket (`upload=False` reuses the export already in the bucket).
- `table_checksum(workspace, table)`: sha256 over the sorted rows of a domain table, lineage
  columns (_run_id, _updated, _source_file) excluded; "absent" when the table does not exist.
- `duplicate_keys(workspace, table)`: how many `_pk` values appear more than once.
- `ledger_problems(env, strict=True)`: every way the ledger and landing/ disagree (empty = fine).
- `reference_checksums(env)`: checksums of a fault-free run over the same export (cached).
- `table_keys(workspace)` / `lost_keys(before, after)`: the `_pk`s of every domain table, and how
  many of `before` are missing from `after` (the "data lost" figure; must always be 0).
- `reliability_report` fixture: `.add(scenario, iterations, passed, data_lost)`; the table is
  printed at the end of the pytest session.
- `scaled(default, full)`: iteration counts; RELIABILITY_SCALE=full picks `full`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from courier.core.catalog.catalog import Catalog
from courier.core.catalog.workspace import Workspace, open_workspace
from courier.core.config.couriers import add_courier, edit_courier
from courier.core.config.credentials import add_credential
from courier.core.devtools.s3server import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY, LocalS3
from courier.core.devtools.synth import ExportSpec, iter_export, upload_export
from courier.core.feeds.model import Feed, activate_feed, add_feed
from courier.core.runs.records import RunResult, start_run
from courier.core.runs.request import RunRequest
from courier.core.warehouse.duckdb import Warehouse

from tests.reliability.fault_proxy import FaultProxy

ACCOUNT = "1234567890"
BUCKET = "optimizely-events-data"
COURIER = "optimizely"
DECISIONS = "Optimizely:Decisions"
CONVERSIONS = "Optimizely:Conversions"
TABLES = (DECISIONS, CONVERSIONS)
LINEAGE = ("_run_id", "_updated", "_source_file")
SMALL_SPEC = ExportSpec(account_id=ACCOUNT, start=date(2026, 11, 1), days=3, decisions_per_day=200,
                        conversions_per_day=120, seed=23)
SCALE = os.environ.get("RELIABILITY_SCALE", "default").strip().lower()


def scaled(default: int, full: int) -> int:
    """Iterations for this suite: small by default (part of `make test`), more with RELIABILITY_SCALE=full."""
    return full if SCALE == "full" else default


def is_temp_name(path: Path) -> bool:
    """A download in progress (`tmp/landing/.<run id>.<digest>.part`, or s3transfer's
    `<that>.<random>` while it writes the file): never counted as landed. (A landed key may look
    like an old-style temp name `.name.<run id>.part`; it is a landed file like any other.)"""
    return (path.parent.name == "landing" and path.parent.parent.name == "tmp"
            and re.fullmatch(r"\.wf-\d{8}-\d{6}-[A-Za-z0-9]{6}\.[0-9a-f]{32}\.part(\..*)?", path.name) is not None)


@dataclass
class ReliabilityEnv:
    workspace: Workspace
    catalog: Catalog
    s3: LocalS3
    spec: ExportSpec
    feeds: dict[str, Feed] = field(default_factory=dict)  # "decisions", "conversions"
    bucket: str = BUCKET
    courier: str = COURIER

    @property
    def days(self) -> list[date]:
        """The ready days (the export's newest day has no `_SUCCESS`)."""
        return self.spec.dates[:-1] if not self.spec.newest_day_ready else self.spec.dates

    def request(self, **changes: Any) -> RunRequest:
        """The standard run: the ready days as one period ([from, to), to exclusive)."""
        request = RunRequest(self.courier, "period", from_day=self.days[0],
                             to_day=self.days[-1] + timedelta(days=1))
        for name, value in changes.items():
            setattr(request, name, value)
        return request

    def run(self, sink: Any = None, **changes: Any) -> RunResult:
        return start_run(self.catalog, self.request(**changes), sink=sink)

    def point_at(self, endpoint_url: str) -> None:
        """Route the courier's S3 traffic through another endpoint (e.g. a FaultProxy)."""
        edit_courier(self.catalog, self.courier, endpoint_url=endpoint_url)

    def checksums(self) -> dict[str, str]:
        return {table: table_checksum(self.workspace, table) for table in TABLES}

    def ledger(self) -> list[tuple[Any, ...]]:
        """The ledger, sorted: compare before/after to prove nothing changed."""
        rows = self.catalog.all("SELECT bucket, key, etag, size, local_path, run_id FROM ledger ORDER BY bucket, key")
        return [tuple(r) for r in rows]

    def landing_files(self) -> dict[str, int]:
        """Every file under landing/, plus the downloads in progress in tmp/landing/ (as
        `../tmp/landing/<temp name>`), relative path -> size."""
        root = self.workspace.landing_dir
        found = [p for folder in (root, self.workspace.landing_tmp_dir) if folder.exists()
                 for p in sorted(folder.rglob("*")) if p.is_file()]
        return {os.path.relpath(p, root): p.stat().st_size for p in found}

    def data_keys(self, dataset: str | None = None) -> list[str]:
        """The export's Parquet keys on the ready days (dataset: "decisions" or "events")."""
        wanted = {f"/date={d.isoformat()}/" for d in self.days}
        return [o.key for o in iter_export(self.spec) if o.key.endswith(".parquet")
                and any(w in o.key for w in wanted) and (dataset is None or f"/type={dataset}/" in o.key)]

    def put(self, key: str, body: bytes) -> None:
        """Write an object straight to the local S3 (never through a proxy)."""
        self.s3.client("s3").put_object(Bucket=self.bucket, Key=key, Body=body)

    def get(self, key: str) -> bytes:
        return bytes(self.s3.client("s3").get_object(Bucket=self.bucket, Key=key)["Body"].read())


def _has_table(wh: Warehouse, table: str) -> bool:
    """Through query(), which fetches everything (Warehouse.has_table leaves a result open in duckdb 2)."""
    name = table.replace("'", "''")
    found = wh.query(f"SELECT 1 FROM information_schema.tables WHERE table_schema = 'main' AND table_name = '{name}'")
    return found.num_rows > 0


def table_checksum(workspace: Workspace, table: str) -> str:
    """sha256 over the sorted rows of a domain table, lineage columns excluded; "absent" if no table."""
    if not workspace.warehouse_path.exists():
        return "absent"
    with Warehouse(workspace.warehouse_path, read_only=True) as wh:
        if not _has_table(wh, table):
            return "absent"
        columns = [c for c in wh.columns(table) if c not in LINEAGE]
        select = ", ".join('"' + c.replace('"', '""') + '"' for c in columns)
        rows = wh.query(f'SELECT {select} FROM "{table}"').to_pylist()
    lines = sorted(json.dumps(row, sort_keys=True, default=str) for row in rows)
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line.encode())
        digest.update(b"\n")
    return f"{len(lines)}:{digest.hexdigest()[:16]}"


def duplicate_keys(workspace: Workspace, table: str) -> int:
    """How many primary keys appear more than once (must always be 0)."""
    with Warehouse(workspace.warehouse_path, read_only=True) as wh:
        if not _has_table(wh, table):
            return 0
        found = wh.query(f'SELECT _pk, count(*) AS n FROM "{table}" GROUP BY _pk HAVING count(*) > 1')
    return found.num_rows


def table_keys(workspace: Workspace) -> dict[str, set[str]]:
    """Every domain table's primary keys (`_pk`)."""
    keys: dict[str, set[str]] = {}
    if not workspace.warehouse_path.exists():
        return {table: set() for table in TABLES}
    with Warehouse(workspace.warehouse_path, read_only=True) as wh:
        for table in TABLES:
            found = wh.query(f'SELECT _pk FROM "{table}"') if _has_table(wh, table) else None
            keys[table] = set(found.column("_pk").to_pylist()) if found is not None else set()
    return keys


def lost_keys(before: dict[str, set[str]], after: dict[str, set[str]]) -> int:
    """Rows (by key) present before and missing after: data lost."""
    return sum(len(keys - after.get(table, set())) for table, keys in before.items())


def ledger_problems(env: ReliabilityEnv, *, strict: bool = True) -> list[str]:
    """Every disagreement between the ledger and landing/.

    Always: each ledger row's file exists with the recorded size and is not a temp name.
    strict: also every non-temp file under landing/ is in the ledger. (A SIGKILL between a
    file's rename and its ledger write can leave one unrecorded file; the next run re-lands it,
    so convergence is checked strictly after the next run.)
    """
    problems: list[str] = []
    recorded: set[Path] = set()
    for row in env.catalog.all("SELECT key, size, local_path FROM ledger"):
        path = Path(row["local_path"])
        recorded.add(path.resolve())
        if is_temp_name(path):
            problems.append(f"ledger row {row['key']} points at a temp file {path.name}")
        elif not path.is_file():
            problems.append(f"ledger row {row['key']} has no file at {path}")
        elif path.stat().st_size != row["size"]:
            problems.append(f"ledger row {row['key']}: file is {path.stat().st_size} bytes, ledger says {row['size']}")
    if strict and env.workspace.landing_dir.exists():
        for path in env.workspace.landing_dir.rglob("*"):
            if path.is_file() and not is_temp_name(path) and path.resolve() not in recorded:
                problems.append(f"landed file {path} is not in the ledger")
    return problems


def _write_samples(spec: ExportSpec, folder: Path) -> dict[str, Path]:
    """One local sample file per dataset (feeds are defined from files, as an operator may)."""
    samples: dict[str, Path] = {}
    for obj in iter_export(spec):
        if not obj.key.endswith(".parquet"):
            continue
        dataset = "decisions" if "/type=decisions/" in obj.key else "events"
        if dataset not in samples:  # under the key's own path, so its Hive partition columns are known
            path = folder / obj.key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(obj.body)
            samples[dataset] = path
        if len(samples) == 2:
            break
    return samples


def build_env(s3: LocalS3, root: Path, spec: ExportSpec = SMALL_SPEC, *, upload: bool = True) -> ReliabilityEnv:
    """A workspace at `root` with credential, courier and two activated feeds over `spec` in BUCKET."""
    if upload:
        upload_export(spec, s3.client("s3"), BUCKET)
    workspace = open_workspace(root / "ws")
    catalog = Catalog(workspace)
    add_credential(catalog, "opt", "iam-credential", access_key_id=LOCAL_ACCESS_KEY,
                   secret_access_key=LOCAL_SECRET_KEY)
    add_courier(catalog, COURIER, credential="opt", bucket=BUCKET, endpoint_url=s3.endpoint_url,
                optimizely_account=spec.account_id, load_operations="{}")
    samples = _write_samples(spec, root / "samples")
    decisions = add_feed(catalog, source="Optimizely", name="Decisions", sample=str(samples["decisions"]),
                         primary_key=["uuid"], generate_updated=True)
    conversions = add_feed(catalog, source="Optimizely", name="Conversions", sample=str(samples["events"]),
                           primary_key=["uuid"], last_updated="process_timestamp")
    for feed in (decisions, conversions):
        activate_feed(catalog, workspace, feed.id, load_sample=False)
    edit_courier(catalog, COURIER, load_operations={
        decisions.id: [{"type": "truncate"}, {"type": "load", "file": "decisions"}],
        conversions.id: [{"type": "load", "file": "conversions"}],
    })
    env = ReliabilityEnv(workspace, catalog, s3, spec)
    env.feeds = {"decisions": decisions, "conversions": conversions}
    return env


_REFERENCE: dict[Any, tuple[dict[str, str], dict[str, set[str]]]] = {}


def _bucket_state(env: ReliabilityEnv) -> tuple[tuple[str, str], ...]:
    """What the bucket holds now (key, ETag): a test that adds objects gets its own reference."""
    client = env.s3.client("s3")
    found: list[tuple[str, str]] = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=env.bucket):
        found += [(o["Key"], o["ETag"]) for o in page.get("Contents", [])]
    return tuple(sorted(found))


def _reference(env: ReliabilityEnv) -> tuple[dict[str, str], dict[str, set[str]]]:
    cache_key = (env.spec, _bucket_state(env))
    if cache_key not in _REFERENCE:
        clean = build_env(env.s3, env.workspace.root.parent / "reference", env.spec, upload=False)
        try:
            result = clean.run()
            assert result.status == "succeeded", result.error
            _REFERENCE[cache_key] = (clean.checksums(), table_keys(clean.workspace))
        finally:
            clean.catalog.close()
    return _REFERENCE[cache_key]


def reference_checksums(env: ReliabilityEnv) -> dict[str, str]:
    """Checksums of a clean, fault-free run of the standard request over env's (unmodified) export."""
    return dict(_reference(env)[0])


def reference_keys(env: ReliabilityEnv) -> dict[str, set[str]]:
    """The keys a clean run of the standard request loads into each table."""
    return {table: set(keys) for table, keys in _reference(env)[1].items()}


@dataclass
class ReliabilityReport:
    """Rows of the issue's table: scenario, iterations, passed, data lost (must be zero)."""

    rows: list[tuple[str, int, int, int]] = field(default_factory=list)

    def add(self, scenario: str, iterations: int, passed: int, data_lost: int) -> None:
        self.rows.append((scenario, iterations, passed, data_lost))


_REPORT = ReliabilityReport()


@pytest.fixture
def reliability_report() -> ReliabilityReport:
    return _REPORT


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _REPORT.rows:
        return
    terminalreporter.section(f"reliability (RELIABILITY_SCALE={SCALE})")
    terminalreporter.write_line(f"{'scenario':<44} {'iterations':>10} {'passed':>7} {'data lost':>10}")
    for scenario, iterations, passed, lost in _REPORT.rows:
        terminalreporter.write_line(f"{scenario:<44} {iterations:>10} {passed:>7} {lost:>10}")


@pytest.fixture
def reliability_env(s3: LocalS3, tmp_path: Path) -> Iterator[ReliabilityEnv]:
    env = build_env(s3, tmp_path)
    yield env
    env.catalog.close()


@pytest.fixture
def fault_proxy(s3: LocalS3) -> Iterator[FaultProxy]:
    """A fault-injecting proxy in front of the `s3` server; faults are off until configured."""
    with FaultProxy(s3.endpoint_url) as proxy:
        yield proxy
