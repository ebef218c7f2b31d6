"""A fault-injecting HTTP proxy between the engine and the local S3 (moto) server.

The courier's `endpoint_url` points at the proxy; every request is forwarded to the real server
over HTTP, and a seeded share of them fail the way S3 and networks fail: 500 InternalError,
503 SlowDown (with S3's XML error body), a connection reset, a truncated body (full
Content-Length, then the socket closes early), or a slow answer. It can also answer GetObject of
chosen keys with the 403 AccessDenied S3 returns when kms:Decrypt is refused, and run a hook on
every request (to rewrite an object, or SIGKILL a run process at an exact point).

Nothing in boto3 or botocore is patched: the engine sees real bytes on a real socket.
"""

from __future__ import annotations

import http.client
import random
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

FAULT_KINDS = ("500", "503", "reset", "truncate", "slow")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection",
              "content-length"}
KMS_KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/0c1f7d2e-5b9a-4e51-9d8e-3f6a2b7c4d10"


@dataclass(frozen=True)
class S3Request:
    """What the proxy understood of one request (path-style addressing, as moto serves it)."""

    method: str
    bucket: str | None
    key: str | None
    query: dict[str, list[str]]
    seq: int  # 1-based order of arrival

    @property
    def operation(self) -> str:
        """The S3 operation name, for filtering faults and counting."""
        if self.key:
            return {"GET": "GetObject", "HEAD": "HeadObject", "PUT": "PutObject",
                    "DELETE": "DeleteObject"}.get(self.method, self.method)
        if self.bucket and self.method == "GET":
            return "ListObjectsV2" if self.query.get("list-type") == ["2"] else "ListObjects"
        return f"{self.method} {self.bucket or '/'}"


Hook = Callable[[S3Request], None]


def _error_xml(code: str, message: str, key: str | None = None) -> bytes:
    key_part = f"<Key>{key}</Key>" if key else ""
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message>'
            f"{key_part}<RequestId>FAULTPROXY0001</RequestId><HostId>faultproxy</HostId></Error>").encode()


class FaultProxy:
    """Start with `with FaultProxy(upstream_url) as proxy:`; `proxy.endpoint_url` is what couriers use.

    rate: share of matching requests that fail (0.0-1.0), drawn from a seeded generator; kinds: which
    faults (FAULT_KINDS), taking turns so that a handful of faults exercises every kind;
    operations: only these S3 operations get faults (None: all); seed: makes the fault sequence
    reproducible for a given request order; slow_seconds: the delay of a "slow" fault.
    """

    def __init__(self, upstream_url: str, *, rate: float = 0.0, kinds: Iterable[str] = FAULT_KINDS,
                 operations: Iterable[str] | None = None, seed: int = 0, slow_seconds: float = 0.3) -> None:
        self.upstream = urlsplit(upstream_url)
        self.rate = rate
        self.kinds = tuple(kinds)
        self.operations = set(operations) if operations is not None else None
        self.slow_seconds = slow_seconds
        self.kms_denied: set[str] = set()  # keys whose GetObject gets 403 AccessDenied naming kms:Decrypt
        self.hooks: list[Hook] = []
        self.requests: Counter[str] = Counter()  # by S3 operation
        self.faults: Counter[str] = Counter()  # by fault kind (and "kms")
        self.log: list[tuple[str, str | None, str | None]] = []  # (operation, key, fault or None)
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._seq = 0
        self._cycle = seed
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        unknown = set(self.kinds) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; use {FAULT_KINDS}")

    # -- lifecycle ----------------------------------------------------------------------------
    @property
    def endpoint_url(self) -> str:
        assert self._server is not None, "start the proxy first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FaultProxy:
        proxy = self

        class Handler(_Handler):
            owner = proxy

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-proxy", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- configuration ------------------------------------------------------------------------
    def configure(self, *, rate: float | None = None, kinds: Iterable[str] | None = None,
                  operations: Iterable[str] | None | bool = False, seed: int | None = None) -> None:
        """Change the fault settings between runs (operations=None: every operation)."""
        with self._lock:
            if rate is not None:
                self.rate = rate
            if kinds is not None:
                self.kinds = tuple(kinds)
            if operations is not False:
                self.operations = set(operations) if operations is not None else None  # type: ignore[arg-type]
            if seed is not None:
                self._random = random.Random(seed)
                self._cycle = seed

    def total(self, operation: str | None = None) -> int:
        with self._lock:
            return sum(self.requests.values()) if operation is None else self.requests[operation]

    # -- decisions (called from handler threads) ------------------------------------------------
    def _admit(self, req_line: tuple[str, str]) -> S3Request:
        method, target = req_line
        parts = urlsplit(target)
        segments = parts.path.lstrip("/").split("/", 1)
        bucket = unquote(segments[0]) or None
        key = unquote(segments[1]) if len(segments) > 1 and segments[1] else None
        with self._lock:
            self._seq += 1
            request = S3Request(method, bucket, key, parse_qs(parts.query), self._seq)
            self.requests[request.operation] += 1
        return request

    def _choose_fault(self, request: S3Request) -> str | None:
        with self._lock:
            if request.operation == "GetObject" and request.key in self.kms_denied:
                fault: str | None = "kms"
            elif self.operations is not None and request.operation not in self.operations:
                fault = None
            elif self.rate > 0 and self._random.random() < self.rate:
                fault = self.kinds[self._cycle % len(self.kinds)]  # kinds take turns: every kind is exercised
                self._cycle += 1
            else:
                fault = None
            if fault:
                self.faults[fault] += 1
            self.log.append((request.operation, request.key, fault))
        return fault


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client killed or reset mid-answer is expected here, not worth a traceback


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    owner: FaultProxy

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass  # quiet: the test output is the report

    def do_GET(self) -> None:
        self._handle()

    do_HEAD = do_PUT = do_POST = do_DELETE = do_GET

    def _handle(self) -> None:
        proxy = self.owner
        request = proxy._admit((self.command, self.path))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        for hook in list(proxy.hooks):
            hook(request)
        fault = proxy._choose_fault(request)
        if fault == "reset":
            self._reset()
            return
        if fault in ("500", "503", "kms"):
            self._error(fault, request)
            return
        if fault == "slow":
            time.sleep(proxy.slow_seconds)
        status, reason, headers, payload = self._forward(body)
        if fault == "truncate" and payload and self.command != "HEAD":
            self._send_head(status, reason, headers, len(payload))
            self.wfile.write(payload[: len(payload) // 2])
            self.wfile.flush()
            self._reset()
            return
        if fault == "truncate":  # nothing to truncate (HEAD, empty body): drop the connection instead
            self._reset()
            return
        self._send_head(status, reason, headers, len(payload))
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _forward(self, body: bytes) -> tuple[int, str, list[tuple[str, str]], bytes]:
        up = self.owner.upstream
        conn = http.client.HTTPConnection(up.hostname or "127.0.0.1", up.port, timeout=30)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            headers["Host"] = up.netloc
            if body or self.command in ("PUT", "POST"):
                headers["Content-Length"] = str(len(body))
            conn.request(self.command, self.path, body=body or None, headers=headers)
            response = conn.getresponse()
            payload = response.read()
            kept = [(k, v) for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP]
            if self.command == "HEAD":  # keep the object's size: a HEAD answer has no body to count
                size = response.getheader("Content-Length")
                if size is not None:
                    kept.append(("Content-Length", size))
            return response.status, response.reason, kept, payload
        finally:
            conn.close()

    def _send_head(self, status: int, reason: str, headers: list[tuple[str, str]], length: int) -> None:
        self.send_response_only(status, reason)
        for name, value in headers:
            self.send_header(name, value)
        if self.command != "HEAD" or not any(k.lower() == "content-length" for k, _ in headers):
            self.send_header("Content-Length", str(length))
        self.end_headers()

    def _error(self, fault: str, request: S3Request) -> None:
        if fault == "500":
            status, reason, payload = 500, "Internal Server Error", _error_xml(
                "InternalError", "We encountered an internal error. Please try again.")
        elif fault == "503":
            status, reason, payload = 503, "Slow Down", _error_xml("SlowDown", "Please reduce your request rate.")
        else:
            status, reason, payload = 403, "Forbidden", _error_xml(
                "AccessDenied",
                "User: arn:aws:iam::123456789012:user/courier is not authorized to perform: kms:Decrypt on "
                f"resource: {KMS_KEY_ARN} because no identity-based policy allows the kms:Decrypt action",
                request.key)
        self._send_head(status, reason, [("Content-Type", "application/xml"),
                                         ("x-amz-request-id", "FAULTPROXY0001")], len(payload))
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _reset(self) -> None:
        """Abort the TCP connection (RST, not a clean FIN), as a dropped network path looks."""
        try:
            self.wfile.flush()
        except OSError:
            pass
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        try:
            self.connection.close()
        except OSError:
            pass

    def finish(self) -> None:
        try:
            super().finish()
        except (OSError, ValueError):
            pass  # the connection was reset on purpose
