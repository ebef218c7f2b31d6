"""The peers' own virtual environment (.bench/peers-venv) and timing any command as a process.

awscli bundles its own botocore, which breaks s3fs (and would break ours) in one process, so the
peers live in a venv of their own and only ever run as subprocesses. `python -m benchmarks.peers
install` creates it with the versions verified here (`make bench` calls it); the smoke test never
does: without the venv the comparisons are reported as skipped.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".bench" / "peers-venv"
PEER_JOBS = Path(__file__).resolve().parent / "peer_jobs.py"
# verified together on Python 3.11 (dlt's filesystem source reads S3 through s3fs; duckdb and
# pyarrow are the versions courier uses, so "DuckDB by hand" is the same engine)
PINS = ["awscli==1.46.3", "dlt[duckdb,filesystem,parquet]==1.31.0", "s3fs==2026.9.0", "duckdb==2.0.1",
        "pyarrow==26.0.1", "pyinstrument==5.1.3"]
STAMP = VENV / ("installed-" + hashlib.sha256(" ".join(PINS).encode()).hexdigest()[:12])
TIME = "/usr/bin/time"


def python() -> Path:
    return VENV / "bin" / "python"


def aws() -> Path:
    return VENV / "bin" / "aws"


def available() -> bool:
    """The peers venv exists with everything the comparisons run."""
    return python().is_file() and aws().is_file() and any(VENV.glob("installed-*"))


def install() -> None:
    """Create the venv and install the pinned peers (idempotent: a stamp skips it next time)."""
    if STAMP.is_file():
        return
    if not python().is_file():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run([str(python()), "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
    subprocess.run([str(python()), "-m", "pip", "install", "-q", *PINS], check=True)
    for old in VENV.glob("installed-*"):
        old.unlink()
    STAMP.touch()


def versions() -> dict[str, str]:
    """Installed versions of the peers, read by the peers' python."""
    code = ("import json, importlib.metadata as m; print(json.dumps({n: m.version(n) for n in "
            "('awscli', 'dlt', 's3fs', 'duckdb', 'pyarrow')}))")
    out = subprocess.run([str(python()), "-c", code], capture_output=True, text=True, check=True).stdout
    return dict(json.loads(out))


def timed(argv: list[str], *, env: dict[str, str] | None = None, cwd: Path = ROOT,
          result_prefix: str | None = None, timeout: float = 3600) -> dict[str, Any]:
    """Run a command as its own process: wall seconds (process start-up included), peak RSS (GNU
    time's maximum resident set of the command), and the JSON after `result_prefix` if given."""
    use_time = Path(TIME).is_file()
    command = [TIME, "-f", "BENCH-MAXRSS-KB %M", *argv] if use_time else argv
    load_before = os.getloadavg()[0]
    started = time.monotonic()
    proc = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    wall = time.monotonic() - started
    out: dict[str, Any] = {"wall_s": round(wall, 3), "exit": proc.returncode,
                           "load_avg": [round(load_before, 2), round(os.getloadavg()[0], 2)]}
    rss = [line for line in proc.stderr.splitlines() if line.startswith("BENCH-MAXRSS-KB ")]
    out["peak_rss_mb"] = round(int(rss[-1].split()[1]) / 1024, 1) if rss else None
    if proc.returncode != 0:
        tail = "\n".join(line for line in proc.stderr.strip().splitlines()[-12:] if "BENCH-MAXRSS" not in line)
        raise RuntimeError(f"{argv[0]} exited {proc.returncode}: {tail}")
    if result_prefix is not None:
        lines = [line for line in proc.stdout.splitlines() if line.startswith(result_prefix)]
        out.update(json.loads(lines[-1][len(result_prefix):]))
    out["stdout"] = proc.stdout[-4000:] if result_prefix is None else ""
    return out


def peer_job(job: str, env: dict[str, str], **args: Any) -> dict[str, Any]:
    """One job of benchmarks/peer_jobs.py in the peers' python."""
    return timed([str(python()), str(PEER_JOBS), job, json.dumps(args)], env=env, result_prefix="PEER-RESULT ")


def peer_env(endpoint_url: str, work: Path) -> dict[str, str]:
    """Environment for a peer: the local S3 with dummy keys, nothing of the user's AWS setup."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "TMPDIR")}
    return {**keep, "HOME": str(work / "peer-home"), "AWS_ENDPOINT_URL": endpoint_url,
            "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": str(work / "aws-config"), "AWS_SHARED_CREDENTIALS_FILE": str(work / "aws-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true", "RUNTIME__DLTHUB_TELEMETRY": "false",
            "RUNTIME__LOG_LEVEL": "WARNING", "DLT_DATA_DIR": str(work / "dlt-data")}


if __name__ == "__main__":
    if sys.argv[1:] == ["install"]:
        install()
        print(json.dumps(versions()))
    else:
        raise SystemExit("usage: python -m benchmarks.peers install")
