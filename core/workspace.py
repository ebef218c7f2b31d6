"""The workspace folder: where the catalog, landed files, the warehouse and logs live.

Chosen by `--workspace DIR`, else `COURIER_HOME`, else the platformdirs user data dir. The folder
is created private (0700) because it holds production data.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from core.errors import Busy, ConfigError, disk_full, free_bytes

APP_NAME = "courier"
RESERVE_BYTES = 1 << 20


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

    def landing_path(self, bucket: str, key: str) -> Path:
        """Landed files mirror bucket/key so an operator can find them by their S3 address."""
        return self.landing_dir / bucket / key

    @contextmanager
    def lock(self, name: str, what: str) -> Iterator[None]:
        """An exclusive, non-blocking advisory lock; released by the OS if the process dies."""
        path = self.locks_dir / f"{name}.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 200, 0).decode(errors="replace").strip()
                raise Busy(f"{what} is in use by another process{f' ({holder})' if holder else ''}",
                           hint="wait for it to finish, or see `courier runs`") from None
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


def open_workspace(root: str | os.PathLike[str] | None = None) -> Workspace:
    """Create (if needed) and return the workspace, private to this user."""
    if root is not None and not str(root).strip():
        raise ConfigError("--workspace is empty", hint="give a folder, or leave --workspace out to use $COURIER_HOME")
    path = Path(root).expanduser() if root else default_workspace_dir()
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(path, 0o700)
        ws = Workspace(path.resolve())
        for sub in (ws.landing_dir, ws.logs_dir, ws.locks_dir):
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
