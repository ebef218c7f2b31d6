"""Landing: download selected objects into `landing/<bucket>/<key>` and record them in the ledger.

A file is landed only when complete and verified: it is downloaded to a temporary name next to
its final place (boto3's managed transfer does ranged, parallel gets for large objects), its size
is checked (and for single-part objects its MD5 against the ETag), and only then renamed and
written to the ledger. A re-run skips objects already landed with the same ETag and size; an
object rewritten upstream (new ETag) is landed again.
"""

from __future__ import annotations

import glob
import hashlib
import os
import re
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from boto3.exceptions import RetriesExceededError
from boto3.s3.transfer import TransferConfig
from courier.core.catalog.catalog import Catalog, now
from courier.core.catalog.workspace import Workspace
from courier.core.errors import CourierError, RunFailed
from courier.core.optimizely import partition_of
from courier.core.source.aws import translate_error
from courier.core.source.listing import RemoteObject

MB = 1024 * 1024
_RUN_ID = re.compile(r"wf-\d{8}-\d{6}-[A-Za-z0-9]{6}")  # courier.core.runs.records.new_run_id
TRANSFER = TransferConfig(multipart_threshold=16 * MB, multipart_chunksize=8 * MB, max_concurrency=4,
                          use_threads=True)


@dataclass(frozen=True)
class LandedFile:
    courier: str
    bucket: str
    key: str
    etag: str
    tag: str
    size: int
    rows: int | None
    last_modified: float
    landed_at: float
    local_path: str
    day: str | None
    run_id: str

    @property
    def partition(self) -> dict[str, str | None]:
        return partition_of(self.key)

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "partition": self.partition}


@dataclass(frozen=True)
class LandingResult:
    obj: RemoteObject
    local_path: Path
    skipped: bool
    size: int
    etag: str
    note: str | None = None


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(MB), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _parquet_rows(path: Path, name: str | None = None) -> int | None:
    if not (name or path.name).endswith(".parquet"):
        return None
    try:
        import pyarrow.parquet as pq

        return int(pq.read_metadata(path).num_rows)
    except Exception:  # noqa: BLE001 - a corrupt file is reported when it is loaded
        return None


def already_landed(catalog: Catalog, obj: RemoteObject) -> Path | None:
    row = catalog.one("SELECT etag, size, local_path FROM ledger WHERE bucket = ? AND key = ?", (obj.bucket, obj.key))
    if row is None or row["etag"] != obj.etag or row["size"] != obj.size:
        return None
    path = Path(row["local_path"])
    if not path.is_file() or path.stat().st_size != obj.size:
        return None
    return path


def download(client: Any, workspace: Workspace, obj: RemoteObject, run_id: str, *,
             publish: bool = True) -> tuple[Path, str, int, str | None]:
    """Download one object verified; returns (path, etag, size, note). Raises CourierError.

    publish=False leaves the verified file under its temporary name (the returned path) so the
    caller can rename it and write its ledger row back to back (see `land`).
    """

    final = workspace.landing_path(obj.bucket, obj.key)
    final.parent.mkdir(parents=True, exist_ok=True)
    temp = final.with_name(f".{final.name}.{run_id}.part")
    etag, size, note = obj.etag, obj.size, None
    try:
        if obj.size < TRANSFER.multipart_threshold:
            etag, size, note = _get_small(client, obj, temp)
            if publish:
                os.replace(temp, final)
            return (final if publish else temp), etag, size, note
        for attempt in range(2):
            client.download_file(obj.bucket, obj.key, str(temp), Config=TRANSFER)
            got = temp.stat().st_size
            single_part = "-" not in etag
            if got == size and (not single_part or _md5(temp) == etag):
                break
            # the object may have been rewritten since it was listed: look again and retry once
            head = client.head_object(Bucket=obj.bucket, Key=obj.key)
            new_etag, new_size = str(head["ETag"]).strip('"'), int(head["ContentLength"])
            if (new_etag, new_size) != (etag, size):
                note = f"{obj.key} changed upstream while landing (ETag {etag} -> {new_etag}); landed the new version"
                etag, size = new_etag, new_size
                if got == size and ("-" in etag or _md5(temp) == etag):
                    break
            if attempt == 1:
                raise RunFailed(f"{obj.key}: downloaded {got} bytes that do not match the object ({size} bytes, ETag {etag})",
                                hint="re-run the courier; if it persists the object is being rewritten")
        if publish:
            os.replace(temp, final)
    except CourierError:
        temp.unlink(missing_ok=True)
        raise
    except Exception as exc:  # noqa: BLE001 - boto/OS errors become one specific line
        temp.unlink(missing_ok=True)
        if isinstance(exc, RetriesExceededError) and exc.last_exception is not None:
            # s3transfer gave up after its own retries: name the network failure, not "Max Retries Exceeded"
            raise translate_error(exc.last_exception, action="GetObject", bucket=obj.bucket, key=obj.key) from None
        if isinstance(exc, OSError) and not hasattr(exc, "response"):
            if exc.__class__.__module__.startswith(("botocore", "urllib3", "s3transfer")):
                raise translate_error(exc, action="GetObject", bucket=obj.bucket, key=obj.key) from None
            raise RunFailed(f"cannot write {final}: {exc.strerror or exc}", hint="check free disk space and permissions") from None
        raise translate_error(exc, action="GetObject", bucket=obj.bucket, key=obj.key) from None
    return (final if publish else temp), etag, size, note


def _get_small(client: Any, obj: RemoteObject, temp: Path) -> tuple[str, int, str | None]:
    """One GetObject (no HeadObject first), streamed to disk and checked against its own ETag.

    The answer describes the version it carries, so an object rewritten since it was listed is
    landed in its new version, with a note. A body cut short is fetched again (3 attempts).
    """
    from botocore.exceptions import IncompleteReadError, ResponseStreamingError
    from urllib3.exceptions import ProtocolError

    last: Exception | None = None
    for _attempt in range(3):
        response = client.get_object(Bucket=obj.bucket, Key=obj.key)
        etag, size = str(response["ETag"]).strip('"'), int(response["ContentLength"])
        digest = hashlib.md5(usedforsecurity=False)
        got = 0
        try:
            with temp.open("wb") as fh:
                for chunk in response["Body"].iter_chunks(MB):
                    fh.write(chunk)
                    digest.update(chunk)
                    got += len(chunk)
        except (IncompleteReadError, ResponseStreamingError, ProtocolError, ConnectionError) as exc:
            last = exc
            continue
        if got == size and ("-" in etag or digest.hexdigest() == etag):
            note = None
            if etag != obj.etag:
                note = f"{obj.key} changed upstream while landing (ETag {obj.etag} -> {etag}); landed the new version"
            return etag, size, note
        last = RunFailed(f"{obj.key}: downloaded {got} bytes that do not match the object ({size} bytes, ETag {etag})",
                         hint="re-run the courier; if it persists the object is being rewritten")
    if isinstance(last, CourierError):
        raise last
    reason = str(last).splitlines()[0] if last else "no data"
    raise RunFailed(f"cannot read s3://{obj.bucket}/{obj.key}: the download was cut short 3 times ({reason})",
                    hint="check the network between here and S3, then re-run the courier")


def _drop_stale_temps(catalog: Catalog, final: Path) -> None:
    """Delete the temp files that runs which died (SIGKILL, power loss) left beside a landed file."""
    prefix = f".{final.name}."
    for stale in final.parent.glob(f"{glob.escape(prefix)}*.part*"):  # also s3transfer's `<temp>.<random>`
        run_id = stale.name[len(prefix):].split(".part")[0]
        if not _RUN_ID.fullmatch(run_id):
            continue  # not a courier temp file
        row = catalog.one("SELECT status FROM runs WHERE id = ?", (run_id,))
        if row is None or row["status"] != "running":
            stale.unlink(missing_ok=True)


def record(catalog: Catalog, courier: str, obj: RemoteObject, path: Path, etag: str, size: int, run_id: str,
           rows: int | None = None) -> None:
    if rows is None:
        rows = _parquet_rows(path)
    catalog.execute(
        "INSERT OR REPLACE INTO ledger (courier, bucket, key, etag, size, last_modified, tag, day, run_id, local_path, rows, landed_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (courier, obj.bucket, obj.key, etag, size, obj.last_modified.timestamp(), obj.tag, obj.day.isoformat(),
         run_id, str(path), rows, now()),
    )


def land(catalog: Catalog, workspace: Workspace, client: Any, courier: str, objects: Sequence[RemoteObject],
         run_id: str, *, parallelism: int = 8, on_file: Callable[[LandingResult], None] | None = None,
         cancel: threading.Event | None = None) -> list[LandingResult]:
    """Land every object (bounded parallelism); skip what the ledger already holds unchanged."""
    results: list[LandingResult] = []
    todo: list[RemoteObject] = []
    for obj in objects:
        path = already_landed(catalog, obj)
        if path is not None:
            result = LandingResult(obj, path, True, obj.size, obj.etag)
            results.append(result)
            if on_file:
                on_file(result)
        else:
            todo.append(obj)
    if not todo:
        return results
    errors: list[CourierError] = []
    with ThreadPoolExecutor(max_workers=max(1, parallelism), thread_name_prefix="land") as pool:
        futures = {pool.submit(download, client, workspace, obj, run_id, publish=False): obj for obj in todo}
        for future in as_completed(futures):
            obj = futures[future]
            if cancel is not None and cancel.is_set():
                for f in futures:
                    f.cancel()
            try:
                temp, etag, size, note = future.result()
            except CourierError as exc:
                errors.append(exc)
                continue
            except Exception as exc:  # noqa: BLE001 - cancelled futures
                if cancel is not None and cancel.is_set():
                    continue
                errors.append(RunFailed(f"{obj.key}: {exc}"))
                continue
            # rename and ledger row back to back on this thread: a process killed between them
            # leaves at most this one file unrecorded (and the next run lands it again)
            path = workspace.landing_path(obj.bucket, obj.key)
            rows = _parquet_rows(temp, path.name)
            try:
                os.replace(temp, path)
            except OSError as exc:
                temp.unlink(missing_ok=True)
                errors.append(RunFailed(f"cannot write {path}: {exc.strerror or exc}",
                                        hint="check free disk space and permissions"))
                continue
            record(catalog, courier, obj, path, etag, size, run_id, rows)
            _drop_stale_temps(catalog, path)
            result = LandingResult(obj, path, False, size, etag, note)
            results.append(result)
            if on_file:
                on_file(result)
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more files failed)" if len(errors) > 1 else ""
        raise RunFailed(f"landing failed: {first}{more}", hint=first.hint)
    return results


def landed_files(catalog: Catalog, courier: str | None = None, day: date | None = None) -> list[LandedFile]:
    """Landed files newest first (by the object's LastModified): the list feed samples come from."""
    sql = "SELECT * FROM ledger WHERE 1 = 1"
    params: list[Any] = []
    if courier:
        sql += " AND courier = ?"
        params.append(courier)
    if day:
        sql += " AND day = ?"
        params.append(day.isoformat())
    sql += " ORDER BY last_modified DESC, key DESC"
    return [
        LandedFile(r["courier"], r["bucket"], r["key"], r["etag"], r["tag"], r["size"], r["rows"], r["last_modified"],
                   r["landed_at"], r["local_path"], r["day"], r["run_id"])
        for r in catalog.all(sql, tuple(params))
    ]
