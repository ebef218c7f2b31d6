"""A local S3 (plus STS, IAM and KMS) endpoint: moto's server in a child process.

Used by `courier demo` and by the test suite, so both talk real HTTP to the same kind of server.
It binds 127.0.0.1 on a free port, its request log goes nowhere, and it is always stopped: on
`stop()`, on context exit, and at interpreter exit (no orphaned servers).

Keys: with auth off (the default) moto accepts any key, and `client()` seeds with the LOCAL_* pair.
`create_user` makes an IAM user with a real access key; after `enable_auth()` only such keys work
and a wrong secret fails with SignatureDoesNotMatch, as on AWS (the demo runs that way).
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

LOCAL_ACCESS_KEY = "AKIALOCALS3TESTING00"
LOCAL_SECRET_KEY = "localS3TestingSecretKeyNotASecret0000000"  # a placeholder for moto, not a secret
# (moto takes any key while auth is off; once `enable_auth()` is on, only `create_user` keys work)


def _die_with_parent() -> None:
    """Linux: the server gets SIGTERM when the process that started it dies (even by SIGKILL/SIGHUP)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LocalS3:
    """One moto server. `auth=True` turns IAM enforcement on after `bootstrap_requests` calls."""

    auth: bool = False
    bootstrap_requests: int = 0
    port: int = 0
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> LocalS3:
        env = dict(os.environ)
        env.pop("AWS_PROFILE", None)
        if self.auth:
            env["INITIAL_NO_AUTH_ACTION_COUNT"] = str(self.bootstrap_requests)
        for _attempt in range(3):
            self.port = free_port()
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                env=env, start_new_session=True, preexec_fn=_die_with_parent,
            )
            atexit.register(self.stop)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self._proc.poll() is not None:
                    break  # port race: try another
                try:
                    urllib.request.urlopen(f"{self.endpoint_url}/moto-api/data.json", timeout=1).read()
                    return self
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    time.sleep(0.05)
            self.stop()
        raise RuntimeError("the local S3 server did not start")

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def reset(self) -> None:
        """Forget every bucket, user and key (moto's reset endpoint), and accept any key again."""
        req = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
        urllib.request.urlopen(req, timeout=10).read()
        self._set_auth("inf")

    def enable_auth(self, free_requests: int = 0) -> None:
        """Turn IAM enforcement on from now on (after `free_requests` unauthenticated calls)."""
        self._set_auth(str(free_requests))

    def disable_auth(self) -> None:
        """Accept any key again (moto's default)."""
        self._set_auth("inf")

    def _set_auth(self, free_requests: str) -> None:
        req = urllib.request.Request(
            f"{self.endpoint_url}/moto-api/reset-auth", data=free_requests.encode(),
            method="POST", headers={"Content-Type": "application/octet-stream"},
        )
        urllib.request.urlopen(req, timeout=10).read()

    def create_user(self, name: str, actions: Sequence[str]) -> tuple[str, str]:
        """An IAM user allowed `actions` on every resource, and its new access key (id, secret).

        Call it before `enable_auth()` (it seeds with the root pair); the key is a real credential
        from then on."""
        iam = self.client("iam")
        iam.create_user(UserName=name)
        policy = {"Version": "2012-10-17",
                  "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}]}
        iam.put_user_policy(UserName=name, PolicyName=f"{name}-access", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return str(key["AccessKeyId"]), str(key["SecretAccessKey"])

    def client(self, service: str, **kwargs: object) -> Any:
        """A boto3 client for this server with moto's root credentials (for seeding)."""
        import boto3
        from botocore.config import Config

        params: dict[str, object] = {
            "endpoint_url": self.endpoint_url,
            "region_name": "us-east-1",
            "aws_access_key_id": LOCAL_ACCESS_KEY,
            "aws_secret_access_key": LOCAL_SECRET_KEY,
            "config": Config(signature_version="s3v4", retries={"max_attempts": 2}),
        }
        params.update(kwargs)
        return boto3.client(service, **params)

    def __enter__(self) -> LocalS3:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
