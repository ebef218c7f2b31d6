"""A local stand-in for Optimizely's Authentication API, for tests of optimizely-token credentials.

It serves `GET /v2/export/credentials` on 127.0.0.1 (random port) and answers with REAL temporary
keys minted by a moto server's STS (the `mint` callable), so S3 with moto's auth switched on
enforces them. Tests can shorten the advertised expiry, count exchanges, and make it answer
401, 403, 500, garbage, an incomplete answer, or hang.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODES = ("ok", "401", "403", "500", "garbage", "incomplete", "hang")


@dataclass
class TokenServer:
    """`mint()` returns STS credentials (AccessKeyId, SecretAccessKey, SessionToken)."""

    mint: Callable[[], dict[str, Any]]
    token: str
    account_id: str = "8675309"
    bucket: str = "optimizely-events-data"
    trailing_slash: bool = False
    mode: str = "ok"
    expiry_seconds: float = 3600.0
    exchanges: int = 0          # successful answers with keys
    requests: int = 0           # every request to the endpoint
    durations: list[str] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = field(default=None, repr=False)
    _release: threading.Event = field(default_factory=threading.Event, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def s3_path(self) -> str:
        return f"s3://{self.bucket}/v1/account_id={self.account_id}" + ("/" if self.trailing_slash else "")

    def start(self) -> TokenServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                owner._handle(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> TokenServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        path, _, query = request.path.partition("?")
        if path != "/v2/export/credentials":
            return _send(request, 404, b'{"message": "not found"}')
        with self._lock:
            self.requests += 1
            self.durations.append(query)
        mode = self.mode
        if mode == "hang":
            self._release.wait(30)
            return None
        if request.headers.get("Authorization") != f"Bearer {self.token}" or mode == "401":
            return _send(request, 401, b'{"code": "UNAUTHORIZED", "message": "Invalid token"}')
        if mode == "403":
            return _send(request, 403, b'{"code": "FORBIDDEN", "message": "Export not enabled"}')
        if mode == "500":
            return _send(request, 500, b'{"message": "internal error"}')
        if mode == "garbage":
            return _send(request, 200, b"<html>proxy login</html>")
        keys = self.mint()
        credentials = {"accessKeyId": keys["AccessKeyId"], "secretAccessKey": keys["SecretAccessKey"],
                       "sessionToken": keys["SessionToken"],
                       "expiration": int((time.time() + self.expiry_seconds) * 1000)}
        if mode == "incomplete":
            del credentials["sessionToken"]
        with self._lock:
            self.exchanges += 1
        body = json.dumps({"credentials": credentials, "s3Path": self.s3_path}).encode()
        return _send(request, 200, body)


def _send(request: BaseHTTPRequestHandler, status: int, body: bytes) -> None:
    request.send_response(status)
    request.send_header("Content-Type", "application/json")
    request.send_header("Content-Length", str(len(body)))
    request.end_headers()
    request.wfile.write(body)
