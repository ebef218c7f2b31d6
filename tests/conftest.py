"""Shared fixtures: an isolated environment, a workspace, and real local S3 servers.

S3, STS, IAM and KMS are always reached over real HTTP on 127.0.0.1 (moto's server in a child
process); boto3 is never patched.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from courier.core.devtools.s3server import LocalS3

FIXTURES = Path(__file__).parent / "fixtures"
OPTIMIZELY_LABS = FIXTURES / "optimizely-labs"
TEST_SECRET_KEY = "qjNR3u0pJ3Kx8CqzN1k1mZ4S3o4m0b2Yd8nQ7c6Zl1U="  # a Fernet key used only by tests


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's AWS config, colours, theme or real data folders."""
    home = tmp_path_factory.mktemp("home")
    for name in list(os.environ):
        if name.startswith("TEXTUAL_SNAPSHOT"):
            continue  # pytest-textual-snapshot's own bookkeeping
        if name.startswith(("AWS_", "TEXTUAL_", "COURIER_")) or name in ("NO_COLOR", "FORCE_COLOR", "OPTIMIZELY_API_TOKEN"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / ".aws" / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / ".aws" / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def workspace_dir(tmp_path: Path) -> Path:
    return tmp_path / "ws"


@pytest.fixture
def workspace(workspace_dir: Path):  # type: ignore[no-untyped-def]
    from courier.core.catalog.workspace import open_workspace

    return open_workspace(workspace_dir)


@pytest.fixture
def catalog(workspace):  # type: ignore[no-untyped-def]
    from courier.core.catalog.catalog import Catalog

    cat = Catalog(workspace)
    yield cat
    cat.close()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[LocalS3]:
    """One moto server for the session (auth off); `s3` resets it for each test."""
    with LocalS3() as server:
        yield server


@pytest.fixture
def s3(s3_server: LocalS3) -> LocalS3:
    """A clean local S3 (no buckets) for this test."""
    s3_server.reset()
    return s3_server


@pytest.fixture
def auth_s3() -> Iterator[LocalS3]:
    """A moto server with IAM enforcement: set things up with `.client(...)`, then call
    `.enable_auth()`; from then on only real IAM users' keys work."""
    with LocalS3() as server:
        yield server
