"""TUI timings in a real terminal.

Cold start and the sample-files screen run inside a private tmux server; the harness polls
`tmux capture-pane` for what the operator would see (a poll costs ~3 ms, the resolution here).

- cold start: from starting the process to the first painted frame (the header's subtitle);
- sample files: from pressing `f` on the home screen to the files table showing N landed files
  (ledger rows inserted straight into the workspace's catalog);
- key presses while a load runs: `?` opens help, `esc` closes it, each timed to the repaint, while
  `courier run` loads a day in another process on the same workspace. The figure is taken on a
  pseudo-terminal this process owns (`PtyTerminal`): the key is written to it and the repaint is
  the moment the frame's bytes come out, read as they come. Through tmux the same presses also pay
  for a `tmux send-keys` process per key (3–49 ms on a loaded 2-core machine) and a
  `capture-pane` process per look (a frame was seen up to ~100 ms after it left the TUI), measured
  beside the TUI's own trace: the harness's time, not the TUI's. That figure is kept beside it
  (`keys_through_tmux`). Each round starts after `os.sync()`, so no earlier writes are being
  written back under it.
"""

from __future__ import annotations

import fcntl
import os
import signal
import sqlite3
import statistics
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

HEADER = "Optimizely exports"  # the header's subtitle: on screen once the first frame is painted
HELP_OPEN = "esc closes"  # the help modal's border subtitle
HOME_SHOWN = "Needs attention"  # a home panel's title: drawn when help closes (help's backdrop hides it)
PTY_KEYS = {"?": b"?", "Escape": b"\x1b"}
COURIER = str(Path(sys.executable).parent / "courier")


class Tmux:
    """One private tmux server (its own socket), so nothing of the user's sessions is touched."""

    def __init__(self, work: Path, env: dict[str, str]) -> None:
        self.socket = str(work / "tmux.sock")
        self.env = env

    def _tmux(self, *args: str, check: bool = True) -> str:
        proc = subprocess.run(["tmux", "-S", self.socket, *args], env=self.env, capture_output=True, text=True)
        if check and proc.returncode != 0:
            raise RuntimeError(f"tmux {args[0]} failed: {proc.stderr.strip()}")
        return proc.stdout

    def start(self, name: str, argv: list[str]) -> None:
        self._tmux("new-session", "-d", "-s", name, "-x", "160", "-y", "48", "--", *argv)

    def screen(self, name: str) -> str:
        return self._tmux("capture-pane", "-p", "-t", name, check=False)

    def keys(self, name: str, *keys: str) -> None:
        self._tmux("send-keys", "-t", name, *keys)

    def stop(self, name: str) -> None:
        """Close the session and wait for its process to be gone, so it cannot slow the next one."""
        pid = self._tmux("display-message", "-p", "-t", name, "#{pane_pid}", check=False).strip()
        self._tmux("kill-session", "-t", name, check=False)
        deadline = time.monotonic() + 10
        while pid.isdigit() and time.monotonic() < deadline:
            try:
                os.kill(int(pid), 0)
            except OSError:
                return
            time.sleep(0.02)

    def close(self) -> None:
        self._tmux("kill-server", check=False)

    def wait(self, name: str, ready: Callable[[str], bool], timeout: float = 30.0) -> float:
        """Seconds until the pane shows what `ready` wants (raises after `timeout`)."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if ready(self.screen(name)):
                return time.monotonic() - started
            time.sleep(0.002)
        raise TimeoutError(f"tmux pane {name} never showed the expected text; last screen:\n{self.screen(name)}")


class PtyTerminal:
    """One TUI on a pseudo-terminal this process owns, 160x48 like the tmux panes: keys are bytes
    written to it, and a thread reads its output as it comes, noting when each chunk arrived, so a
    repaint's time is when its bytes left the TUI (no process is started per key or per look)."""

    def __init__(self, argv: list[str], env: dict[str, str], cols: int = 160, rows: int = 48) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                                     start_new_session=True, close_fds=True)
        os.close(slave)
        self.master = master
        self.output = bytearray()
        self.arrivals: list[tuple[int, float]] = []  # (end offset of a chunk, when it was read)
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, name="pty-reader", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 1 << 16)
            except OSError:  # the TUI closed its side
                data = b""
            now = time.monotonic()
            with self._changed:
                if data:
                    self.output += data
                    self.arrivals.append((len(self.output), now))
                self._changed.notify_all()
            if not data:
                return

    def press(self, key: str) -> tuple[float, int]:
        """Write `key`; returns when it was written and where the output stood then."""
        with self._changed:
            offset = len(self.output)
        started = time.monotonic()
        os.write(self.master, PTY_KEYS.get(key, key.encode()))
        return started, offset

    def wait_for(self, marker: str, since: int = 0, timeout: float = 30.0) -> float:
        """When the bytes of `marker` came out (after offset `since`); raises after `timeout`."""
        wanted = marker.encode()
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = self.output.find(wanted, since)
                if found >= 0:
                    end = found + len(wanted)
                    return next(at for offset, at in self.arrivals if offset >= end)
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self._reader.is_alive()):
                    tail = self.output[-2000:].decode("utf-8", "replace")
                    raise TimeoutError(f"the TUI never wrote {marker!r}; its last output:\n{tail}")
                self._changed.wait(min(left, 0.5))

    def stop(self) -> None:
        """Stop the TUI (its whole session) and wait until it is gone."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._reader.join(timeout=10)
        os.close(self.master)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TEXTUAL_THEME", "TMUX")}
    env["TERM"] = "xterm-256color"
    return env


@contextmanager
def tmux_server(work: Path) -> Iterator[Tmux]:
    """Start the server with an idle session (so it outlives every measured one) and keep panes of
    exited commands on screen, so a crash shows up in the timeout message instead of a lost server."""
    server = Tmux(work, _env())
    server.start("idle", ["sleep", "86400"])
    server._tmux("set-option", "-g", "remain-on-exit", "on")
    try:
        yield server
    finally:
        server.close()


def _summary(samples: list[float]) -> dict[str, Any]:
    return {"median_s": round(statistics.median(samples), 3), "max_s": round(max(samples), 3),
            "samples_s": [round(s, 3) for s in samples]}


def cold_start(tmux: Tmux, workspace: Path, runs: int) -> dict[str, Any]:
    """Process start to the first painted frame, `runs` times (page cache warm after the first)."""
    samples = []
    for i in range(runs):
        name = f"cold{i}"
        started = time.monotonic()
        tmux.start(name, [COURIER, "--workspace", str(workspace)])
        tmux.wait(name, lambda s: HEADER in s)
        samples.append(time.monotonic() - started)
        tmux.stop(name)
    return _summary(samples)


def insert_landed_files(catalog_path: Path, courier: str, bucket: str, count: int, sample: Path) -> None:
    """`count` ledger rows, as if a courier had landed that many files; each points at the local
    file `sample`, so the preview the screen opens on its first row has a real file to read."""
    now = time.time()
    rows = [(courier, bucket, f"v1/account_id=1234567890/type=decisions/date=2026-10-{1 + i % 28:02d}/"
             f"experiment=tuibench{i:06d}/part-00000.parquet", f"etag{i}", 1000 + i, now - i, "decisions",
             f"2026-10-{1 + i % 28:02d}", "bench-tui", str(sample), 100, now)
            for i in range(count)]
    con = sqlite3.connect(catalog_path)
    with con:
        con.executemany("INSERT INTO ledger (courier, bucket, key, etag, size, last_modified, tag, day, run_id, "
                        "local_path, rows, landed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    con.close()


def files_screen(tmux: Tmux, workspace: Path, count: int, runs: int) -> dict[str, Any]:
    """Key `f` on the home screen to the files table listing `count` landed files."""
    wanted = f"{count:,} landed file(s)"  # the status line once the table is filled
    samples = []
    for i in range(runs):
        name = f"files{i}"
        tmux.start(name, [COURIER, "--workspace", str(workspace)])
        tmux.wait(name, lambda s: HEADER in s)
        time.sleep(0.5)  # let the home screen finish its own loading
        started = time.monotonic()
        tmux.keys(name, "f")
        tmux.wait(name, lambda s: wanted in s and "tuibench" in s)
        samples.append(time.monotonic() - started)
        tmux.stop(name)
    return {"files": count, **_summary(samples)}


def _press_help(tmux: Tmux, name: str) -> list[float]:
    """`?` then `esc` through tmux: seconds from each key to the pane showing (then not showing)
    the help modal."""
    samples = []
    for key, shown in (("?", True), ("Escape", False)):
        started = time.monotonic()
        tmux.keys(name, key)
        tmux.wait(name, lambda s, want=shown: (HELP_OPEN in s) == want, timeout=10)
        samples.append(time.monotonic() - started)
        time.sleep(0.1)
    return samples


def _press_help_pty(term: PtyTerminal) -> list[float]:
    """`?` then `esc` on the pseudo-terminal: seconds from writing each key to the bytes of the
    frame that shows help (its border's "esc closes"), then home again (a home panel's title)."""
    samples = []
    for key, marker in (("?", HELP_OPEN), ("Escape", HOME_SHOWN)):
        started, offset = term.press(key)
        samples.append(term.wait_for(marker, offset, timeout=10) - started)
        time.sleep(0.1)
    return samples


class RunPhase:
    """Which part of a `courier run` is under way, read from its events in the catalog (read-only,
    one small query per look): landing (downloads; here the local S3 serves them on the same cores)
    until the first feed starts loading, then loading (DuckDB writing)."""

    def __init__(self, workspace: Path) -> None:
        from courier.core.catalog.workspace import open_workspace

        self.uri = f"file:{open_workspace(workspace).catalog_path}?mode=ro"
        self.loading = False

    def now(self) -> str:
        if not self.loading:
            try:
                con = sqlite3.connect(self.uri, uri=True, timeout=1)
                try:
                    self.loading = con.execute(
                        "SELECT 1 FROM run_events WHERE type = 'feed_load_started' LIMIT 1").fetchone() is not None
                finally:
                    con.close()
            except sqlite3.OperationalError:
                pass  # not created yet, or busy: still landing as far as we know
        return "loading" if self.loading else "landing"


def keys_during_load(workspace: Path, run_argv: list[str], *, tmux: Tmux | None = None, presses: int = 20,
                     tui_prefix: list[str] | None = None) -> dict[str, Any]:
    """Open and close help while the TUI is idle, then while `run_argv` (a courier run) lands and
    loads in another process: up to `presses` timings in each phase (a phase shorter than that gives
    fewer), each counted in the phase it began in and only if the run still ran when it was answered.
    The first open/close (imports, first layout) is a warm-up, not measured. The figure is the worst
    of both phases. On a pseudo-terminal of this process, or through `tmux` when given.
    `tui_prefix` runs the TUI under another command (a profiler, say)."""
    argv = [*(tui_prefix or []), COURIER, "--workspace", str(workspace)]
    os.sync()  # what the last round's load (or anything before) wrote is not written back during this one
    press_pair: Callable[[], list[float]]
    if tmux is None:
        term = PtyTerminal(argv, {**_env(), "COLORTERM": "truecolor"})
        term.wait_for(HEADER)
        press_pair, stop = (lambda: _press_help_pty(term)), term.stop
    else:
        name = "keys"
        tmux.start(name, argv)
        tmux.wait(name, lambda s: HEADER in s)
        press_pair, stop = (lambda: _press_help(tmux, name)), (lambda: tmux.stop(name))
    phases: dict[str, list[float]] = {"landing": [], "loading": []}
    try:
        time.sleep(0.5)
        press_pair()  # warm-up
        idle = press_pair() + press_pair()
        phase = RunPhase(workspace)
        load = subprocess.Popen(run_argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(0.3)  # the run is past start-up
            while load.poll() is None and not all(len(s) >= presses for s in phases.values()):
                now = phase.now()
                if len(phases[now]) >= presses:
                    time.sleep(0.05)  # enough of this phase: wait for the next
                    continue
                pair = press_pair()
                if load.poll() is None:  # count only presses answered while the run still ran
                    phases[now] += pair
        finally:
            if load.poll() is None:
                load.terminate()  # enough presses: the rest of the run is not measured
            load.wait(timeout=60)
    finally:
        stop()
    samples = phases["landing"] + phases["loading"]
    out: dict[str, Any] = {"terminal": "tmux" if tmux else "pty", "presses": len(samples), "idle": _summary(idle),
                           **{name: _summary(s) if s else None for name, s in phases.items()}}
    if not samples:
        return {**out, "median_s": None, "max_s": None, "samples_s": []}
    return {**out, **_summary(samples)}


def files_screen_alone(count: int, runs: int) -> dict[str, Any]:
    """The sample-files figure by itself, on a fresh workspace: `count` ledger rows whose local file
    is one small Parquet file (for the preview of the first row)."""
    import tempfile

    import pyarrow as pa
    import pyarrow.parquet as pq
    from courier.core.catalog.catalog import Catalog
    from courier.core.catalog.workspace import open_workspace

    with tempfile.TemporaryDirectory(prefix="courier-tui-files-") as scratch:
        work = Path(scratch)
        workspace = open_workspace(work / "ws")
        Catalog(workspace).close()  # the schema, as the TUI expects it
        sample = work / "sample.parquet"
        pq.write_table(pa.table({"uuid": [str(i) for i in range(100)], "n": list(range(100))}), sample)
        insert_landed_files(workspace.catalog_path, "optimizely", "optimizely-events-data", count, sample)
        with tmux_server(work) as tmux:
            return files_screen(tmux, workspace.root, count, runs)


def keys_alone(scale_name: str, runs: int, cache: Path, tui_prefix: list[str] | None = None,
               through_tmux: bool = False) -> dict[str, Any]:
    """The key-press figure by itself: a local S3 with the scale's measured day, and `runs` rounds,
    each on a fresh workspace whose `courier run --day` (landing, then loading) is the load."""
    import tempfile

    from courier.core.devtools.s3server import LocalS3

    from benchmarks import scenarios
    from benchmarks.scales import SCALES, START
    from benchmarks.seed import generated, upload

    scale = SCALES[scale_name]
    rounds: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="courier-tui-keys-") as scratch, LocalS3() as server:
        work = Path(scratch)
        _isolate(work)
        day = generated(scale.day_spec(), cache)
        bench = scenarios.Bench(server, work, cache, scale, lambda m: print(f"[keys] {m}", file=sys.stderr))
        upload(day, bench.client(), scenarios.EXPORT_BUCKET, threads=16)
        exports = scenarios.Exports(day=day, double=day, history=day)
        with tmux_server(work) if through_tmux else nullcontext() as tmux:  # the pty needs no tmux
            for i in range(runs):
                ws = scenarios.workspace(bench, exports, f"ws-keys-{i}", load=True)
                rounds.append(keys_during_load(ws.root, scenarios.run_argv(ws, START), tui_prefix=tui_prefix,
                                               tmux=tmux))
    worst = [r["max_s"] for r in rounds if r["max_s"] is not None]
    return {"scale": scale_name, "terminal": "tmux" if through_tmux else "pty", "rounds": rounds,
            "max_s_range": [min(worst), max(worst)] if worst else None}


def _isolate(work: Path) -> None:
    """The runs inherit a throwaway secret key and no AWS config (never the user's)."""
    from cryptography.fernet import Fernet

    os.environ["COURIER_SECRET_KEY"] = Fernet.generate_key().decode()
    os.environ["AWS_CONFIG_FILE"] = str(work / "aws-config")
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = str(work / "aws-credentials")
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    os.environ.pop("AWS_PROFILE", None)


def main(argv: list[str] | None = None) -> int:
    """`python -m benchmarks.tui_bench [--files N] [--runs N]`: the sample-files figure;
    `--keys [--scale S] [--runs N] [--through-tmux]`: the key presses while a load runs (tmux needed
    for the first, and for the second with --through-tmux)."""
    import argparse
    import json
    import shlex

    from benchmarks.report import TUI_FILES_S

    parser = argparse.ArgumentParser(prog="python -m benchmarks.tui_bench", description=main.__doc__)
    parser.add_argument("--files", type=int, default=100_000, help="landed files in the ledger (default 100,000)")
    parser.add_argument("--runs", type=int, default=5, help="TUI starts to take the median of (default 5; "
                        "with --keys: rounds, each on a fresh workspace)")
    parser.add_argument("--keys", action="store_true", help="measure key presses while a load runs instead")
    parser.add_argument("--scale", default="small", help="with --keys: the scale of the loaded day (default small)")
    parser.add_argument("--cache", type=Path, default=Path(".bench/cache"), help="generated exports (with --keys)")
    parser.add_argument("--through-tmux", action="store_true", help="with --keys: press keys through tmux "
                        "(send-keys, capture-pane polls) instead of on a pseudo-terminal of this process")
    parser.add_argument("--tui-prefix", default="", help="with --keys: run the TUI under this command "
                        "(e.g. 'pyinstrument -o /tmp/p.html -r html')")
    args = parser.parse_args(argv)
    if args.keys:
        print(json.dumps(keys_alone(args.scale, args.runs, args.cache, shlex.split(args.tui_prefix) or None,
                                    through_tmux=args.through_tmux)))
        return 0
    figure = files_screen_alone(args.files, args.runs)
    figure["target_s"] = TUI_FILES_S
    figure["verdict"] = "met" if figure["median_s"] <= TUI_FILES_S else "MISSED"
    print(json.dumps(figure))
    return 0


if __name__ == "__main__":
    sys.exit(main())
