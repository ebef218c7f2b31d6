"""SIGKILL a run anywhere: nothing half-done survives, and the next run converges.

Each seed runs a courier in a child process (crash_runner.py) and kills it at one point:
while listing or downloading (the fault proxy kills the child when the N-th request arrives),
after N files landed, mid-load (inside the warehouse transaction), right after a feed's COMMIT
(before the catalog records what it loaded), or after a seeded random delay. After every kill:
each table is either as before or complete (never half-loaded), no key appears twice, every
ledger row's file exists with its size and no temp file is in the ledger, and the killed run
shows as failed. The next run then gives tables identical to a clean run and a ledger that
matches landing/ exactly.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner
from courier.core.runs.records import list_runs

from tests.reliability.conftest import (
    TABLES,
    ReliabilityEnv,
    ReliabilityReport,
    build_env,
    duplicate_keys,
    is_temp_name,
    ledger_problems,
    lost_keys,
    reference_checksums,
    reference_keys,
    scaled,
    table_keys,
)
from tests.reliability.fault_proxy import FaultProxy, S3Request

RUNNER = Path(__file__).with_name("crash_runner.py")
ROOT = Path(__file__).resolve().parents[2]
POINTS = ("listing", "download", "landed", "load", "commit", "delay")


class Child:
    """A crash_runner process; `kill()` may be called from any thread, once."""

    def __init__(self, env: ReliabilityEnv, *extra: str) -> None:
        days = env.request()
        assert days.from_day and days.to_day
        self.proc = subprocess.Popen(
            [sys.executable, str(RUNNER), str(env.workspace.root), env.courier, days.from_day.isoformat(),
             days.to_day.isoformat(), *extra],
            cwd=ROOT, env=dict(os.environ), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE)
        self.killed_by_us = False

    def kill(self) -> None:
        if not self.killed_by_us and self.proc.poll() is None:
            self.killed_by_us = True
            os.kill(self.proc.pid, signal.SIGKILL)

    def wait(self) -> int:
        try:
            out, err = self.proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        self.output = (out + err).decode(errors="replace")
        return self.proc.returncode


def kill_on_request(child_ref: list[Child], operation: str, n: int) -> Callable[[S3Request], None]:
    """A proxy hook that SIGKILLs the child when its n-th `operation` request arrives."""
    seen = [0]

    def hook(request: S3Request) -> None:
        if request.operation == operation:
            seen[0] += 1
            if seen[0] == n and child_ref:
                child_ref[0].kill()
                time.sleep(0.05)  # the answer must not reach the dead process's sockets first

    return hook


def kill_after_delay(child_ref: list[Child], delay: float) -> Callable[[S3Request], None]:
    """A proxy hook that starts a timer at the first request and SIGKILLs the child when it fires."""
    started = threading.Event()

    def hook(request: S3Request) -> None:
        if not started.is_set() and child_ref:
            started.set()
            timer = threading.Timer(delay, child_ref[0].kill)
            timer.daemon = True
            timer.start()

    return hook


def crash_once(env: ReliabilityEnv, proxy: FaultProxy, point: str, rng: random.Random) -> tuple[Child, str]:
    """Start a run in a child process and kill it at `point`; returns the child and what was chosen."""
    files = len(env.data_keys())
    proxy.hooks.clear()
    child_ref: list[Child] = []
    if point == "listing":
        n = rng.randint(1, 4)
        proxy.hooks.append(kill_on_request(child_ref, "ListObjectsV2", n))
        child_ref.append(Child(env))
    elif point == "download":
        n = rng.randint(1, files)
        proxy.hooks.append(kill_on_request(child_ref, "GetObject", n))
        child_ref.append(Child(env))
    elif point == "landed":
        n = rng.randint(1, files - 1)
        child_ref.append(Child(env, "--kill-on", f"file_landed:{n}"))
    elif point == "load":
        n = rng.randint(1, files)
        child_ref.append(Child(env, "--kill-on", f"batch_loaded:{n}"))
    elif point == "commit":  # a run's loads commit once, together
        n = 1
        child_ref.append(Child(env, "--kill-after-commit", str(n)))
    else:  # a seeded delay counted from the run's first S3 request
        delay = rng.uniform(0.0, 1.0)
        proxy.hooks.append(kill_after_delay(child_ref, delay))
        child_ref.append(Child(env))
        return child_ref[0], f"delay {delay:.2f}s"
    return child_ref[0], f"{point} #{n}"


def check_after_kill(env: ReliabilityEnv, child: Child, before: dict[str, str], expected: dict[str, str],
                     what: str) -> None:
    """Nothing half-done: tables as before or complete, keys unique, ledger rows real, run failed."""
    for table, checksum in env.checksums().items():
        assert checksum in (before[table], expected[table]), f"{what}: {table} is half-loaded"
        assert duplicate_keys(env.workspace, table) == 0, f"{what}: {table} has a key twice"
    # every ledger row is real; the rename and the ledger write are back to back on one thread, so a
    # kill between them leaves at most the one file in flight unrecorded (the next run lands it again)
    assert ledger_problems(env, strict=False) == [], what
    unrecorded = [p for p in ledger_problems(env, strict=True) if p.endswith("is not in the ledger")]
    assert len(unrecorded) <= 1, f"{what}: {unrecorded}"
    runs = [r for r in list_runs(env.catalog, env.courier) if r.pid == child.proc.pid]
    if runs and runs[0].status == "succeeded":  # a random delay may kill it after it recorded its end
        assert what.split("(")[1].startswith("delay") and env.checksums() == expected, what
    elif runs:  # (a kill before the run row was written leaves no run to show)
        assert runs[0].status == "failed", f"{what}: the killed run shows as {runs[0].status}"
        assert "ended without finishing" in (runs[0].error or ""), runs[0].error


def check_converged(env: ReliabilityEnv, expected: dict[str, str], what: str) -> None:
    result = env.run()
    assert result.status == "succeeded", f"{what}: the next run failed: {result.error}"
    assert env.checksums() == expected, f"{what}: the next run did not converge to the clean tables"
    for table in TABLES:
        assert duplicate_keys(env.workspace, table) == 0, f"{what}: {table} has a key twice"
    assert ledger_problems(env, strict=True) == [], what
    leftovers = [p for p in env.landing_files() if is_temp_name(Path(p))]
    assert leftovers == [], f"{what}: temp files of the killed run were left behind: {leftovers}"


def test_sigkill_at_random_points_always_converges(reliability_env: ReliabilityEnv, fault_proxy: FaultProxy,
                                                   tmp_path: Path, reliability_report: ReliabilityReport) -> None:
    expected, expected_keys = reference_checksums(reliability_env), reference_keys(reliability_env)
    seeds = scaled(20, 60)
    tally = {p: [0, 0, 0, 0] for p in POINTS}  # iterations, killed, converged, keys lost
    for seed in range(seeds):
        point = POINTS[seed % len(POINTS)]
        rng = random.Random(seed)
        env = build_env(reliability_env.s3, tmp_path / f"seed-{seed}", upload=False)
        try:
            env.point_at(fault_proxy.endpoint_url)
            before = env.checksums()
            child, what = crash_once(env, fault_proxy, point, rng)
            code = child.wait()
            what = f"seed {seed} ({what})"
            tally[point][0] += 1
            if point != "delay":
                assert code == -signal.SIGKILL, f"{what}: the run was not killed (exit {code}): {child.output}"
            if code == -signal.SIGKILL:
                tally[point][1] += 1
                check_after_kill(env, child, before, expected, what)
            fault_proxy.hooks.clear()
            check_converged(env, expected, what)
            tally[point][3] += lost_keys(expected_keys, table_keys(env.workspace))
            tally[point][2] += 1
        finally:
            fault_proxy.hooks.clear()
            env.catalog.close()
    for point, (iterations, killed, converged, lost) in tally.items():
        reliability_report.add(f"crash: SIGKILL at {point} ({killed} killed)", iterations, converged, lost)
    assert sum(t[1] for t in tally.values()) >= seeds - tally["delay"][0]  # only "delay" may miss its run


def test_sigkill_mid_load_keeps_the_previous_table_and_the_next_run_completes(
        reliability_env: ReliabilityEnv, reliability_report: ReliabilityReport) -> None:
    """Issue 3: the killed load was a truncate + load; the old rows must all still be there."""
    from courier.tui.cli.main import cli

    env = reliability_env
    expected = reference_checksums(env)
    first = env.run(to_day=env.days[1])
    assert first.status == "succeeded", first.error
    previous, previous_keys = env.checksums(), table_keys(env.workspace)
    assert all(not c.startswith("0:") for c in previous.values())

    child = Child(env, "--kill-on", "batch_loaded:3")  # inside the Decisions truncate + load transaction
    assert child.wait() == -signal.SIGKILL, child.output
    assert env.checksums() == previous, "a killed load changed a table"

    shown = CliRunner().invoke(cli, ["--workspace", str(env.workspace.root), "runs", "--json"])
    assert shown.exit_code == 0, shown.output
    killed = [r for r in json.loads(shown.stdout) if r["pid"] == child.proc.pid]
    assert killed and killed[0]["status"] == "failed", shown.stdout
    assert killed[0]["ended_at"] is not None

    check_converged(env, expected, "after the mid-load kill")
    reliability_report.add("crash: SIGKILL mid truncate+load (issue 3)", 1, 1,
                           lost_keys(previous_keys, table_keys(env.workspace)))
