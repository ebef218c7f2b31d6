"""The workspace folder: where the catalog, landed files, the warehouse and logs live.

Chosen by `--workspace DIR`, else `COURIER_HOME`, else the platformdirs user data dir. The folder
is created private (0700) because it holds production data.
"""

from __future__ import annotations

import fcntl
import hashlib
import itertools
import os
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import platformdirs
from courier.core.errors import Busy, ConfigError, disk_full, free_bytes

APP_NAME = "courier"
RESERVE_BYTES = 1 << 20  # set aside so a run that fills the disk can still record how it ended
NAME_MAX = 255  # bytes in one path segment (Linux, macOS)
# bytes an encoded segment keeps as they are: printable ASCII, minus '%' (the escape), '/' and the
# glob characters DuckDB's read_parquet would expand (`*`, `?`, `[`, `]`) and the backslash
_KEPT = frozenset(range(0x21, 0x7F)) - frozenset(b"%/*?[]\\")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/*?\[\]\\]")
_INVISIBLE = frozenset(("Cc", "Cf", "Cs", "Zl", "Zp"))  # controls, bidi overrides, surrogates, line breaks
_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,16}\Z")
READER_PREFIX = "warehouse-reader-"  # locks/warehouse-reader-<pid>-<n>.lock: one per open read-only warehouse
_reader_seq = itertools.count(1)

_LOCK_SAFE = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_.")


def lock_name(kind: str, name: str) -> str:
    """The lock file name for a courier, group, ...: `kind-` + the name percent-encoded.

    Injective (two names never share a lock file: `night ly` is `group-night%20ly`, `night_ly` stays
    `group-night_ly`), and still distinct on a case-insensitive filesystem (capitals are encoded).
    """
    return f"{kind}-" + "".join(chr(b) if chr(b) in _LOCK_SAFE else f"%{b:02X}" for b in name.encode())


def default_workspace_dir() -> Path:
    env = os.environ.get("COURIER_HOME")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


@dataclass(frozen=True)
class Workspace:
    """Paths inside one workspace; `open_workspace` creates them."""

    root: Path

    @property
    def catalog_path(self) -> Path:
        return self.root / "catalog.sqlite"

    @property
    def warehouse_path(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def landing_dir(self) -> Path:
        return self.root / "landing"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    @property
    def locks_dir(self) -> Path:
        return self.root / "locks"

    @property
    def tmp_dir(self) -> Path:
        return self.root / "tmp"

    @property
    def landing_tmp_dir(self) -> Path:
        """Downloads in progress: apart from landing/, so no object key can collide with one."""
        return self.tmp_dir / "landing"

    def landing_bucket_dir(self, bucket: str) -> Path:
        return self.landing_dir / local_segment(bucket)

    def landing_path(self, bucket: str, key: str) -> Path:
        """Landed files mirror bucket/key so an operator can find them by their S3 address.

        Keys are untrusted: a segment a filesystem cannot hold as given (see `local_segment`) gets
        a safe, reversible local name, so the path always stays inside landing/<bucket>/.
        """
        return self.landing_bucket_dir(bucket).joinpath(*(local_segment(s) for s in key.split("/")))

    @contextmanager
    def lock(self, name: str, what: str, hint: str = "wait for it to finish, or see `courier runs`") -> Iterator[None]:
        """An exclusive, non-blocking advisory lock; released by the OS if the process dies."""
        path = self.locks_dir / f"{name}.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 200, 0).decode(errors="replace").strip()
                raise Busy(f"{what} is in use by another process{f' ({holder})' if holder else ''}",
                           hint=hint) from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()}".encode(), 0)
            yield
        finally:
            os.close(fd)

    @contextmanager
    def wait_lock(self, name: str) -> Iterator[None]:
        """An exclusive lock that waits its turn (short warehouse writes)."""
        path = self.locks_dir / f"{name}.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def mark_reader(self, what: str) -> ReaderMark:
        """Say who holds the warehouse open read-only (a load that has to wait names them).

        The note is written and locked under a temporary name, then renamed into place: a note with
        its final name is either locked by a live reader or left by one that died (then ignored).
        """
        final = self.locks_dir / f"{READER_PREFIX}{os.getpid()}-{next(_reader_seq)}.lock"
        temp = final.with_name(f".{final.name}.new")
        fd = os.open(temp, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.pwrite(fd, f"{os.getpid()}\n{what}".encode(), 0)
            os.replace(temp, final)
        except OSError:
            os.close(fd)
            temp.unlink(missing_ok=True)
            raise
        return ReaderMark(final, fd)

    def warehouse_readers(self) -> list[tuple[int, str]]:
        """(pid, what) of every live process holding the warehouse open read-only; stale notes are removed."""
        readers: list[tuple[int, str]] = []
        for path in sorted(self.locks_dir.glob(f"{READER_PREFIX}*.lock")):
            try:
                fd = os.open(path, os.O_RDONLY)
            except OSError:
                continue  # its reader just closed
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                except BlockingIOError:
                    pid, _, what = os.pread(fd, 300, 0).decode(errors="replace").partition("\n")
                    if pid.strip().isdigit():
                        readers.append((int(pid), what.strip() or "courier"))
                else:
                    path.unlink(missing_ok=True)  # left by a reader that died
            finally:
                os.close(fd)
        return readers

    def is_locked(self, name: str) -> bool:
        path = self.locks_dir / f"{name}.lock"
        if not path.exists():
            return False
        fd = os.open(path, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
        return False

    @property
    def reserve_path(self) -> Path:
        return self.root / ".space-reserve"

    def reserve_space(self) -> None:
        """Set RESERVE_BYTES aside (a file of random bytes, so no filesystem stores it sparse or
        compressed) for a run that fills the disk: releasing it lets the run still record how it
        ended. No room for it is no error: the run goes on without a reserve."""
        path = self.reserve_path
        try:
            if path.stat().st_size >= RESERVE_BYTES:
                return
        except OSError:
            pass
        if free_bytes(self.root) < 8 * RESERVE_BYTES:
            return  # a nearly full disk: the reserve would only bring the failure closer
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                data = memoryview(os.urandom(RESERVE_BYTES))
                while data:
                    data = data[os.write(fd, data):]
            finally:
                os.close(fd)
        except OSError:
            path.unlink(missing_ok=True)

    def release_reserve(self) -> bool:
        """Give the reserve back to the disk; True when there was one."""
        try:
            self.reserve_path.unlink()
        except OSError:
            return False
        return True


def local_segment(segment: str) -> str:
    """One key segment as a local file name: as it is when safe, else percent-encoded.

    Safe means: not empty, not `.` or `..`, no control or invisible format characters (NUL and
    bidi overrides included), no `/`, glob character or backslash, not starting with `%`, at most
    NAME_MAX bytes. Any other segment is percent-encoded with its first byte always escaped, so
    an encoded name starts with `%` and no kept name does: the mapping is reversible
    (`key_segment`). The empty segment is `%`. A segment still too long is
    `%~<readable head>~<sha256>` plus its extension (the ledger keeps the real key).
    """
    raw = segment.encode("utf-8", "surrogatepass")
    if (segment not in ("", ".", "..") and not segment.startswith("%") and len(raw) <= NAME_MAX
            and not _UNSAFE.search(segment)
            and (segment.isascii() or not any(unicodedata.category(c) in _INVISIBLE for c in segment))):
        return segment
    if not raw:
        return "%"
    encoded = "".join(chr(b) if b in _KEPT and i else f"%{b:02X}" for i, b in enumerate(raw))
    if len(encoded) <= NAME_MAX:
        return encoded
    digest = hashlib.sha256(raw).hexdigest()[:48]
    extension = _EXTENSION.search(segment)
    head = re.sub(r"[^A-Za-z0-9=._-]", "_", segment[:80])
    return f"%~{head}~{digest}{extension.group(0) if extension else ''}"


def key_segment(name: str) -> str | None:
    """The key segment a local name stands for (None for a hashed name: see the ledger)."""
    if name.startswith("%~"):
        return None
    if name == "%":
        return ""
    if not name.startswith("%"):
        return name
    from urllib.parse import unquote_to_bytes

    return unquote_to_bytes(name).decode("utf-8", "surrogatepass")


class ReaderMark:
    """A live reader's note in locks/ (see Workspace.mark_reader); `close()` removes it."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path, self._fd = path, fd

    def close(self) -> None:
        if self._fd < 0:
            return
        self.path.unlink(missing_ok=True)
        os.close(self._fd)
        self._fd = -1


def open_workspace(root: str | os.PathLike[str] | None = None) -> Workspace:
    """Create (if needed) and return the workspace, private to this user."""
    if root is not None and not str(root).strip():
        raise ConfigError("--workspace is empty", hint="give a folder, or leave --workspace out to use $COURIER_HOME")
    path = Path(root).expanduser() if root else default_workspace_dir()
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(path, 0o700)
        ws = Workspace(path.resolve())
        for sub in (ws.landing_dir, ws.logs_dir, ws.locks_dir, ws.tmp_dir):
            sub.mkdir(exist_ok=True, mode=0o700)
        probe = ws.root / ".write-probe"
        probe.write_text("")
        probe.unlink()
    except PermissionError:
        raise ConfigError(f"workspace {path} is not writable",
                          hint="choose another folder with --workspace or COURIER_HOME, or fix its permissions") from None
    except NotADirectoryError:
        raise ConfigError(f"workspace {path} is not a folder",
                          hint="point --workspace or COURIER_HOME at a folder") from None
    except FileExistsError:
        raise ConfigError(f"workspace {path} is a file, not a folder",
                          hint="point --workspace or COURIER_HOME at a folder") from None
    except OSError as exc:
        full = disk_full(exc, path)
        if full is None:
            raise ConfigError(f"workspace {path} cannot be used: {exc.strerror or exc}",
                              hint="choose another folder with --workspace or COURIER_HOME") from None
        raise full from None
    return ws
