"""scheduler.log is private (0600) whatever the umask, like crash.log and the catalog: it names buckets,
couriers and the errors their runs hit."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator

import pytest
from courier.core.catalog.catalog import Catalog
from courier.core.schedule.scheduler import LOG_FILE, scheduler_logger


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A umask that lets everyone read new files (022), as on many hosts."""
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


def close(log: logging.Logger) -> None:
    for handler in list(log.handlers):
        handler.close()
        log.removeHandler(handler)


def mode(path: os.PathLike[str]) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_scheduler_log_is_created_0600(catalog: Catalog, open_umask: None) -> None:
    path = catalog.workspace.logs_dir / LOG_FILE
    assert not path.exists()
    log = scheduler_logger(catalog)
    try:
        log.info("group daily: nothing due")
    finally:
        close(log)
    assert mode(path) == 0o600
    assert "group daily: nothing due" in path.read_text()


def test_an_existing_readable_scheduler_log_is_narrowed_to_0600_and_kept(catalog: Catalog, open_umask: None) -> None:
    path = catalog.workspace.logs_dir / LOG_FILE
    path.write_text("2026-11-01T06:00:00Z INFO an earlier line\n")
    os.chmod(path, 0o644)
    log = scheduler_logger(catalog)
    try:
        log.info("a later line")
    finally:
        close(log)
    assert mode(path) == 0o600
    assert path.read_text().splitlines()[0].endswith("an earlier line")  # appended, not replaced
