"""`courier demo --no-tui`: an embedded S3 with the export, a ready workspace, stopped on Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

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
    time.sleep(0.5)
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/data.json", timeout=2)
        alive = True
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
