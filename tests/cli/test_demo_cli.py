"""`courier demo --no-tui`: an embedded S3 with the export, a ready workspace, stopped on Ctrl-C.

The demo's S3 checks keys (a real IAM key is printed, a wrong secret is refused as on AWS), and a
second demo on the same workspace is refused with the first one's pid.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import TEST_SECRET_KEY

COURIER = str(Path(sys.executable).parent / "courier")


def test_demo_serves_until_interrupted_and_leaves_no_server(tmp_path: Path) -> None:
    ws = tmp_path / "demo"
    proc = subprocess.Popen([COURIER, "demo", "--no-tui", "--workspace", str(ws), "--days", "2", "--rows", "40"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = proc.stdout.readline() if proc.stdout else ""
            if not line:
                break
            lines.append(line)
            if "serving until Ctrl-C" in line:
                break
        text = "".join(lines)
        assert "serving until Ctrl-C" in text, text + (proc.stderr.read() if proc.stderr else "")
        endpoint = next(line.split()[-1] for line in lines if line.startswith("demo S3 endpoint:"))
        assert endpoint.startswith("http://127.0.0.1:")
        assert "bucket:           optimizely-events-data" in text
        # the workspace is the state after "Add courier": a credential, an Optimizely courier with {}
        shown = subprocess.run([COURIER, "--workspace", str(ws), "couriers", "show", "optimizely", "--json"],
                               capture_output=True, text=True, timeout=60)
        courier = json.loads(shown.stdout)
        assert courier["load_operations"] == {} and courier["endpoint_url"] == endpoint
        remote = subprocess.run([COURIER, "--workspace", str(ws), "files", "optimizely", "--remote", "--from",
                                 _first_day(text), "--to", _last_day(text), "--json"],
                                capture_output=True, text=True, timeout=60)
        assert remote.returncode == 0, remote.stderr
        listing = json.loads(remote.stdout)
        ready = {(d["day"], d["tag"]): d["ready"] for d in listing["days"]}
        assert ready and all(ready.values())  # every day before the newest is complete
        assert any(o["partition"].get("event") is None for o in listing["objects"] if o["tag"] == "conversions")
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    port = endpoint.rsplit(":", 1)[1]
    deadline = time.monotonic() + 30  # only stops a hung test: the wait ends when the port refuses
    alive = True
    while alive and time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/data.json", timeout=2)
            time.sleep(0.1)  # the poll's interval
        except OSError:
            alive = False
    assert not alive, "the embedded S3 outlived `courier demo`"
    assert os.stat(ws).st_mode & 0o077 == 0


def _days(text: str) -> tuple[str, str]:
    line = next(line for line in text.splitlines() if line.startswith("bucket:"))
    first, last = line.split("days: ")[1].split(";")[0].split(" .. ")
    return first, last


def _first_day(text: str) -> str:
    return _days(text)[0]


def _last_day(text: str) -> str:
    return _days(text)[1]  # --to is exclusive: the newest (not yet ready) day is left out


@dataclass
class Demo:
    proc: subprocess.Popen[str]
    workspace: Path
    text: str  # what it printed up to "serving until Ctrl-C"
    env: dict[str, str]

    def field(self, label: str) -> str:
        return next(line.split(":", 1)[1].strip() for line in self.text.splitlines() if line.startswith(label))

    def courier(self, *args: str, stdin: str = "", workspace: Path | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([COURIER, "--workspace", str(workspace or self.workspace), *args], input=stdin,
                              capture_output=True, text=True, env=self.env, timeout=60)


def _serving(proc: subprocess.Popen[str], deadline: float) -> str:
    """Read the demo's stdout until it says it serves (a condition, with a deadline)."""
    lines: list[str] = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline() if proc.stdout else ""
        if not line:
            break
        lines.append(line)
        if "serving until Ctrl-C" in line:
            return "".join(lines)
    raise AssertionError("".join(lines) + (proc.stderr.read() if proc.stderr else ""))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """One `courier demo --no-tui` for this module's tests (an isolated HOME, no AWS settings)."""
    root = tmp_path_factory.mktemp("demo")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "COURIER_"))}
    env.update(HOME=str(root / "home"), XDG_CONFIG_HOME=str(root / "home" / ".config"),
               XDG_DATA_HOME=str(root / "home" / ".local" / "share"), AWS_EC2_METADATA_DISABLED="true",
               COURIER_SECRET_KEY=TEST_SECRET_KEY)
    ws = root / "ws"
    proc = subprocess.Popen([COURIER, "demo", "--no-tui", "--workspace", str(ws), "--days", "2", "--rows", "40"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        yield Demo(proc, ws, _serving(proc, time.monotonic() + 90), env)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)


def test_no_tui_prints_endpoint_key_and_secret_that_work_with_the_readme_steps(demo: Demo, tmp_path: Path) -> None:
    endpoint, key_id, secret = demo.field("demo S3 endpoint:"), demo.field("access key id:"), demo.field("secret key:")
    assert endpoint.startswith("http://127.0.0.1:") and key_id.startswith("AKIA") and len(secret) == 40
    assert f"--endpoint-url {endpoint}" in demo.text and "--secret-access-key-stdin" in demo.text
    mine = tmp_path / "mine"  # the README's workflow from step 1, in a workspace of one's own
    added = demo.courier("credentials", "add", "demo", "--kind", "iam-credential", "--access-key-id", key_id,
                         "--secret-access-key-stdin", stdin=secret + "\n", workspace=mine)
    assert added.returncode == 0, added.stderr
    tested = demo.courier("credentials", "test", "demo", "--bucket", "optimizely-events-data", "--prefix",
                          "v1/account_id=1234567890/", "--endpoint-url", endpoint, workspace=mine)
    assert tested.returncode == 0 and tested.stdout.rstrip().endswith("Connection successful"), tested.stdout
    assert "user/optimizely-export-reader" in tested.stdout  # a real IAM user of the demo's S3
    courier = demo.courier("couriers", "add", "optimizely", "--credential", "demo", "--bucket",
                           "optimizely-events-data", "--optimizely-account", "1234567890", "--endpoint-url", endpoint,
                           "--load-operations", "-", stdin="{}", workspace=mine)
    assert courier.returncode == 0, courier.stderr
    day = demo.text.split("couriers validate optimizely --day ")[1].split()[0]
    validated = demo.courier("couriers", "validate", "optimizely", "--day", day, workspace=mine)
    assert validated.returncode == 0, validated.stdout + validated.stderr


def test_the_demo_s3_refuses_a_wrong_secret_as_aws_does(demo: Demo, tmp_path: Path) -> None:
    endpoint, key_id, secret = demo.field("demo S3 endpoint:"), demo.field("access key id:"), demo.field("secret key:")
    mine = tmp_path / "mine"
    wrong = secret[:-4] + ("AAAA" if not secret.endswith("AAAA") else "BBBB")
    for name, key, value in (("typo", key_id, wrong), ("ghost", "AKIAGHOSTGHOSTGHOST1", secret)):
        added = demo.courier("credentials", "add", name, "--kind", "iam-credential", "--access-key-id", key,
                             "--secret-access-key-stdin", stdin=value + "\n", workspace=mine)
        assert added.returncode == 0, added.stderr
    typo = demo.courier("credentials", "test", "typo", "--bucket", "optimizely-events-data", "--endpoint-url",
                        endpoint, workspace=mine)
    assert typo.returncode == 1 and "Traceback" not in typo.stdout + typo.stderr
    identity = typo.stdout.splitlines()[0]
    assert identity.startswith("✗ identity  wrong secret access key: the request signature does not match"), typo.stdout
    assert wrong not in typo.stdout + typo.stderr
    assert "Connection successful" not in typo.stdout
    ghost = demo.courier("credentials", "test", "ghost", "--bucket", "optimizely-events-data", "--endpoint-url",
                         endpoint, workspace=mine)
    assert ghost.returncode == 1 and ghost.stdout.splitlines()[0].startswith("✗ identity  unknown access key")
    # the courier's own runs go through the same check: the demo workspace's key is the real one
    landed = demo.courier("files", "optimizely", "--remote", "--day", demo.text.split("--day ")[1].split()[0])
    assert landed.returncode == 0, landed.stderr


def test_a_second_demo_on_the_same_workspace_is_refused_with_the_first_ones_pid(demo: Demo) -> None:
    catalog = demo.workspace / "catalog.sqlite"
    before = catalog.stat().st_ino
    second = subprocess.run([COURIER, "demo", "--no-tui", "--workspace", str(demo.workspace), "--days", "2",
                             "--rows", "40"], capture_output=True, text=True, env=demo.env, timeout=60)
    assert second.returncode == 1
    assert second.stderr.splitlines() == [
        f"error: the demo workspace {demo.workspace} is in use by another `courier demo` (pid {demo.proc.pid})",
        "hint: stop that demo first (Ctrl-C in its terminal), or pass another --workspace"]
    assert second.stdout == ""
    assert demo.proc.poll() is None  # the first demo still serves ...
    assert catalog.stat().st_ino == before  # ... on the workspace it built, which was not rebuilt
    day = demo.text.split("run optimizely --day ")[1].split()[0]
    run = demo.courier("run", "optimizely", "--day", day)  # and its runs still work
    assert run.returncode == 0, run.stdout + run.stderr
