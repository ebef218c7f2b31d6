"""Landing: download selected objects into `landing/<bucket>/<key>` and record them in the ledger.

A file is landed only when complete and verified: it is downloaded to a temporary name in the
workspace's `tmp/landing/` (boto3's managed transfer does ranged, parallel gets for large
objects), its size is checked (and for single-part objects its MD5 against the ETag), and only
then renamed into landing/ and written to the ledger. A re-run skips objects already landed with
the same ETag and size; an object rewritten upstream (new ETag) is landed again.

Keys are untrusted: `Workspace.landing_path` gives every key a local name inside
`landing/<bucket>/` (unsafe segments percent-encoded), temporary names never depend on the key
(no key can collide with one, and no key is too long for one), and a key that still cannot be
written (a file where a folder must be, a path too long for the filesystem) is skipped with a
warning naming it while the other files land. Landed files are private (0600).
"""

from __future__ import annotations

import errno
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
from courier.core.errors import CourierError, RunFailed, first_line
from courier.core.optimizely import partition_of
from courier.core.source.aws import translate_error
from courier.core.source.listing import RemoteObject
from courier.core.source.parquet_footer import FooterError, parquet_num_rows
from courier.core.text import iso_utc

MB = 1024 * 1024
# `.<run id>.<digest>.part` (run ids: courier.core.runs.records.new_run_id), also s3transfer's `<temp>.<random>`
_TEMP = re.compile(r"\.(wf-\d{8}-\d{6}-[A-Za-z0-9]{6})\.[0-9a-f]{32}\.part(\..*)?")
# a key whose local name the filesystem refuses: skipped with a warning, never the whole run
_NAME_ERRORS = frozenset((errno.ENAMETOOLONG, errno.ENOTDIR, errno.EEXIST, errno.EISDIR, errno.EILSEQ,
                          errno.EINVAL))
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
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
        return {**self.__dict__, "last_modified": iso_utc(self.last_modified), "landed_at": iso_utc(self.landed_at),
                "partition": self.partition}


@dataclass(frozen=True)
class LandingResult:
    obj: RemoteObject
    local_path: Path
    skipped: bool
    size: int
    etag: str
    note: str | None = None


class Unlandable(RunFailed):
    """This one key cannot be written under landing/ (the run goes on without it)."""


def shown_key(key: str) -> str:
    """A key for a message: control characters escaped, so a key cannot rewrite the terminal."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", key)


def temp_path(workspace: Workspace, obj: RemoteObject, run_id: str) -> Path:
    """Where one download in progress lives: a fixed-length name no object key can take."""
    digest = hashlib.sha256(f"{obj.bucket}/{obj.key}".encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return workspace.landing_tmp_dir / f".{run_id}.{digest}.part"


def place(workspace: Workspace, obj: RemoteObject, temp: Path) -> Path:
    """Move a verified download to its landed name (0600), which must stay inside landing/<bucket>/."""
    final = workspace.landing_path(obj.bucket, obj.key)
    where = f"s3://{obj.bucket}/{shown_key(obj.key)}"
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        home = workspace.landing_bucket_dir(obj.bucket).resolve()
        if not final.parent.resolve().is_relative_to(home):
            raise Unlandable(f"cannot land {where}: its folder {final.parent} leads outside {home}",
                             hint="remove the link under landing/, then run again")
        os.chmod(temp, 0o600)
        os.replace(temp, final)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        if exc.errno in _NAME_ERRORS:
            reason = {errno.EEXIST: "another key landed as a file where this key needs a folder",
                      errno.ENOTDIR: "another key landed as a file where this key needs a folder",
                      errno.EISDIR: "other keys landed in a folder where this key would be a file",
                      errno.ENAMETOOLONG: "its local path is too long for this filesystem"}.get(
                          exc.errno, f"the filesystem refuses its name ({exc.strerror or exc})")
            raise Unlandable(f"cannot land {where} at {final}: {reason}",
                             hint="rename or remove the object in the bucket, or narrow the courier's file patterns") from None
        raise RunFailed(f"cannot write {final}: {exc.strerror or exc}",
                        hint="check free disk space and permissions") from None
    except Unlandable:
        temp.unlink(missing_ok=True)
        raise
    return final


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(MB), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _parquet_rows(path: Path, name: str | None = None) -> int | None:
    """The ledger's row count: from the footer (no pyarrow import), pyarrow for a footer it cannot read."""
    if not (name or path.name).endswith(".parquet"):
        return None
    try:
        return parquet_num_rows(path)
    except FooterError:
        pass
    except OSError:
        return None
    try:
        import pyarrow.parquet as pq

        return int(pq.read_metadata(path).num_rows)
    except Exception:  # noqa: BLE001 - a corrupt file is reported when it is loaded
        return None


def already_landed(catalog: Catalog, courier: str, obj: RemoteObject) -> tuple[Path, bool] | None:
    """The landed file of this version of the object, and whether this courier's ledger has it.

    Couriers on one bucket share the landed file of a key, and every landing replaces the file and
    then writes its row, so the newest row says which version is on disk. When another courier
    landed this version, its file is reused (the caller writes this courier's own row).
    """
    rows = catalog.all("SELECT courier, etag, size, local_path FROM ledger WHERE bucket = ? AND key = ?"
                       " ORDER BY landed_at DESC", (obj.bucket, obj.key))
    if not rows or rows[0]["etag"] != obj.etag or rows[0]["size"] != obj.size:
        return None
    path = Path(rows[0]["local_path"])
    if not path.is_file() or path.stat().st_size != obj.size:
        return None
    own = any(r["courier"] == courier and r["etag"] == obj.etag and r["local_path"] == rows[0]["local_path"]
              for r in rows)
    return path, own


def download(client: Any, workspace: Workspace, obj: RemoteObject, run_id: str, *,
             publish: bool = True) -> tuple[Path, str, int, str | None]:
    """Download one object verified; returns (path, etag, size, note). Raises CourierError.

    publish=False leaves the verified file under its temporary name (the returned path) so the
    caller can rename it and write its ledger row back to back (see `land`).
    """

    temp = temp_path(workspace, obj, run_id)
    temp.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    etag, size, note = obj.etag, obj.size, None
    try:
        if obj.size < TRANSFER.multipart_threshold:
            etag, size, note = _get_small(client, obj, temp)
            return (place(workspace, obj, temp) if publish else temp), etag, size, note
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
            return place(workspace, obj, temp), etag, size, note
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
            raise RunFailed(f"cannot write {temp}: {exc.strerror or exc}", hint="check free disk space and permissions") from None
        raise translate_error(exc, action="GetObject", bucket=obj.bucket, key=obj.key) from None
    return temp, etag, size, note


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
    reason = first_line(last) if last else "no data"
    raise RunFailed(f"cannot read s3://{obj.bucket}/{obj.key}: the download was cut short 3 times ({reason})",
                    hint="check the network between here and S3, then re-run the courier")


def _drop_stale_temps(catalog: Catalog, workspace: Workspace) -> None:
    """Delete the downloads that runs which died (SIGKILL, power loss) left in tmp/landing/.

    Only that folder is touched (never landed/), and only courier's own temporary names of runs
    that are no longer running.
    """
    folder = workspace.landing_tmp_dir
    if not folder.is_dir():
        return
    for stale in folder.iterdir():
        match = _TEMP.fullmatch(stale.name)
        if match is None:
            continue  # not a courier temp file
        row = catalog.one("SELECT status FROM runs WHERE id = ?", (match.group(1),))
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
         cancel: threading.Event | None = None,
         on_skipped: Callable[[RemoteObject, str], None] | None = None) -> list[LandingResult]:
    """Land every object (bounded parallelism); skip what the ledger already holds unchanged.

    A key the filesystem cannot hold under any local name is left out (`on_skipped` gets it and
    the reason); the other files still land. Any other failure fails the landing.
    """
    _drop_stale_temps(catalog, workspace)
    results: list[LandingResult] = []
    todo: list[RemoteObject] = []
    for obj in objects:
        found = already_landed(catalog, courier, obj)
        if found is not None:
            path, own = found
            if not own:  # landed by another courier on this bucket: this courier's ledger gets its row
                record(catalog, courier, obj, path, obj.etag, obj.size, run_id)
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
            rows = _parquet_rows(temp, workspace.landing_path(obj.bucket, obj.key).name)
            try:
                path = place(workspace, obj, temp)
            except Unlandable as exc:
                if on_skipped is None:
                    errors.append(exc)
                else:
                    on_skipped(obj, f"{exc}; skipped it, the other files land")
                continue
            except CourierError as exc:
                errors.append(exc)
                continue
            record(catalog, courier, obj, path, etag, size, run_id, rows)
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
