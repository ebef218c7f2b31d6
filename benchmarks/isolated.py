"""Run one unit of work in a fresh Python process and read back its result and peak RSS.

Peak RSS only ever grows within a process, so every measured run, re-run and dedupe strategy gets
its own process: the number is that unit's peak, not the harness's. It is read from the child's
own `VmHWM` (/proc/self/status): Linux carries `ru_maxrss` over fork+exec, so a child's
`ru_maxrss` never drops below the parent's peak at the time it was started. The child is
`python -m benchmarks.isolated JOB ARGS_JSON`; it prints one JSON line last.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULT_PREFIX = "BENCH-RESULT "


class JobFailed(RuntimeError):
    """A measured child process crashed; carries the end of its stderr."""


def _jobs() -> dict[str, Callable[..., dict[str, Any]]]:
    from benchmarks import dedupe, jobs

    return {"baseline": jobs.baseline, "courier_run": jobs.courier_run,
            "dedupe_upsert": dedupe.staging_upsert, "dedupe_insert_or_replace": dedupe.insert_or_replace,
            "dedupe_distinct_on": dedupe.read_all_distinct_on}


def measure(job: str, timeout: float = 1800, **args: Any) -> dict[str, Any]:
    """Run `job(**args)` in a child; its result plus `peak_rss_mb` and `process_s`."""
    started, load_before = time.monotonic(), os.getloadavg()[0]
    proc = subprocess.run([sys.executable, "-m", "benchmarks.isolated", job, json.dumps(args, default=str)],
                          cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    lines = [line for line in proc.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if proc.returncode != 0 or not lines:
        tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
        raise JobFailed(f"benchmark job {job} failed (exit {proc.returncode}):\n{tail}")
    result: dict[str, Any] = json.loads(lines[-1][len(RESULT_PREFIX):])
    result["process_s"] = round(time.monotonic() - started, 3)
    result["load_avg"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]  # other work on the machine
    return result


def peak_rss_mb() -> float:
    """This process's own peak resident set (VmHWM), in MiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # not Linux: may include the parent


def main(argv: list[str]) -> int:
    job, args = argv[0], json.loads(argv[1]) if len(argv) > 1 else {}
    result = _jobs()[job](**args)
    result["peak_rss_mb"] = peak_rss_mb()
    print(RESULT_PREFIX + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
