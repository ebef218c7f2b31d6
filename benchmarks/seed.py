"""Seed the local S3: generate a synthetic export once (cached on disk), upload it in parallel.

Generating Optimizely rows is Python work (~50k rows/s), so a generated export is kept under the
cache folder keyed by its spec and the generator's source; `upload_export` would regenerate on
every call and put one object at a time, which is why large sizes go through `write_export` and a
thread pool here instead.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import courier.core.devtools.synth
import courier.core.optimizely
from courier.core.devtools.synth import ExportSpec, write_export

MANIFEST = "export.json"


@dataclass(frozen=True)
class LocalExport:
    """A generated export on disk: `root / key` is each object's body."""

    root: Path
    keys: list[str]
    rows: dict[str, int]
    distinct_uuids: dict[str, int]
    bytes: int

    def files(self, dataset: str | None = None) -> list[Path]:
        """Data files (not markers), optionally of one dataset ("decisions" or "events")."""
        return [self.root / k for k in self.keys if k.endswith(".parquet")
                and (dataset is None or f"/type={dataset}/" in k)]


def _cache_key(spec: ExportSpec) -> str:
    digest = hashlib.sha256(repr(asdict(spec)).encode())
    for module in (courier.core.devtools.synth, courier.core.optimizely):
        digest.update(Path(str(module.__file__)).read_bytes())
    return digest.hexdigest()[:16]


def generated(spec: ExportSpec, cache: Path) -> LocalExport:
    """The export for `spec`, generated now or reused from the cache (same spec -> same bytes)."""
    root = cache / f"export-{_cache_key(spec)}"
    manifest = root / MANIFEST
    if not manifest.is_file():
        shutil.rmtree(root, ignore_errors=True)
        summary = write_export(spec, root)
        data = {"keys": summary.keys, "rows": summary.rows, "distinct_uuids": summary.distinct_uuids}
        manifest.write_text(json.dumps(data))  # written last: its presence means the export is whole
    data = json.loads(manifest.read_text())
    size = sum((root / k).stat().st_size for k in data["keys"])
    return LocalExport(root, data["keys"], data["rows"], data["distinct_uuids"], size)


def upload(export: LocalExport, client: Any, bucket: str, *, threads: int = 8) -> None:
    """Create the bucket (if needed) and put every object, data files first, markers last."""
    try:
        client.create_bucket(Bucket=bucket)
    except client.exceptions.BucketAlreadyOwnedByYou:
        pass
    data = [k for k in export.keys if not k.endswith("_SUCCESS")]
    markers = [k for k in export.keys if k.endswith("_SUCCESS")]

    def put(key: str) -> None:
        client.put_object(Bucket=bucket, Key=key, Body=(export.root / key).read_bytes())

    for batch in (data, markers):
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="seed") as pool:
            list(pool.map(put, batch))
