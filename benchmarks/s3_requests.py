"""Count the S3 requests a piece of work really makes, on the server side.

moto's request recorder (`/moto-api/recorder/*`) logs every request the server receives, so the
count covers every client courier creates inside a run (listing, HEAD, ranged GETs) without
touching boto3. The server must be started with `MOTO_RECORDER_FILEPATH` in its environment
(`recording_env`), which `LocalS3` passes through.
"""

from __future__ import annotations

import json
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from courier.core.devtools.s3server import LocalS3


def recording_env(work: Path) -> dict[str, str]:
    """Environment for the moto server so its recordings go to a file inside the bench folder."""
    return {"MOTO_RECORDER_FILEPATH": str(work / "moto-recording.jsonl")}


def _call(server: LocalS3, action: str) -> str:
    req = urllib.request.Request(f"{server.endpoint_url}/moto-api/recorder/{action}", data=b"",
                                 method="POST", headers={"Content-Type": "application/octet-stream"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return resp.read().decode()


def operation(method: str, url: str) -> str:
    """The S3 operation of a recorded request (enough for what a courier run sends)."""
    parts = urlsplit(url)
    query = parse_qs(parts.query, keep_blank_values=True)
    has_key = "/" in parts.path.strip("/")
    if method == "GET" and not has_key:
        return "ListObjectsV2" if query.get("list-type") == ["2"] else "ListObjects"
    if method == "GET":
        return "GetObject"
    if method == "HEAD":
        return "HeadObject" if has_key else "HeadBucket"
    if method == "PUT":
        return "PutObject" if has_key else "CreateBucket"
    return method


class RequestCount:
    """Requests by operation, filled in when the `recorded` block ends."""

    def __init__(self) -> None:
        self.by_operation: Counter[str] = Counter()

    @property
    def total(self) -> int:
        return sum(self.by_operation.values())

    @property
    def lists(self) -> int:
        return self.by_operation["ListObjectsV2"] + self.by_operation["ListObjects"]

    @property
    def gets(self) -> int:
        return self.by_operation["GetObject"]

    def to_json(self) -> dict[str, object]:
        return {"total": self.total, "list": self.lists, "get": self.gets,
                "by_operation": dict(sorted(self.by_operation.items()))}


@contextmanager
def recorded(server: LocalS3) -> Iterator[RequestCount]:
    """Count every request the server receives inside the block."""
    count = RequestCount()
    _call(server, "reset-recording")
    _call(server, "start-recording")
    try:
        yield count
    finally:
        _call(server, "stop-recording")
        for line in _call(server, "download-recording").splitlines():
            if line.strip():
                entry = json.loads(line)
                count.by_operation[operation(entry["method"], entry["url"])] += 1
        _call(server, "reset-recording")
