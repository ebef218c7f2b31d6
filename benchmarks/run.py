"""`python -m benchmarks.run`: courier against the tools a user would pick instead (issue 8).

Starts a local S3 (moto over HTTP), seeds a synthetic Optimizely export (the day, a 2x day, small
days of history) and two listing buckets, runs courier and each peer as their own processes on the
same data, measures the TUI in tmux, prints one table (figure, courier, peer, ratio, target,
verdict), writes the results as JSON to --out and as Markdown to --md, and exits 1 when an
invariant (a count) fails. Missed targets are reported, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from benchmarks import report, results, scenarios, tui_bench
from benchmarks.landing import landing
from benchmarks.peer_runs import peer_runs
from benchmarks.s3_requests import recording_env
from benchmarks.scales import SCALES, START


def _say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _isolate_environment(work: Path) -> None:
    """Children inherit this: a throwaway secret key (never the user's), no AWS config, and the
    moto request recorder's file inside the bench folder."""
    from cryptography.fernet import Fernet

    os.environ["COURIER_SECRET_KEY"] = Fernet.generate_key().decode()
    os.environ["AWS_CONFIG_FILE"] = str(work / "aws-config")
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = str(work / "aws-credentials")
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    os.environ.pop("AWS_PROFILE", None)
    os.environ.update(recording_env(work))


def _settle(scale: str, most: float = 45.0) -> None:
    """After seeding (moto and the harness busy for minutes), wait until the 1-minute load average
    falls below the core count, at most `most` seconds, so the first timings start on a calm machine."""
    if scale == "tiny":
        return
    cpus, started = os.cpu_count() or 1, time.monotonic()
    while os.getloadavg()[0] >= cpus and time.monotonic() - started < most:
        time.sleep(1)


def _tui(bench: scenarios.Bench, exports: scenarios.Exports) -> dict[str, Any]:
    """Cold start, the sample-files screen over many landed files, key presses while a load runs."""
    if shutil.which("tmux") is None:
        return {"skipped": "tmux not installed"}
    scale = bench.scale
    os.sync()  # the peers' gigabytes are on disk, not being written back under the TUI's timings
    _settle(scale.name)
    day_ws = bench.work / "ws-day"
    files_ws = scenarios.workspace(bench, exports, "ws-tui-files", load=False)
    from courier.core.catalog.workspace import open_workspace

    tui_bench.insert_landed_files(open_workspace(files_ws.root).catalog_path, files_ws.courier,
                                  scenarios.EXPORT_BUCKET, scale.tui_files,
                                  exports.day.files("decisions")[0])
    load_ws = scenarios.workspace(bench, exports, "ws-tui-load", load=True)
    tmux_load_ws = scenarios.workspace(bench, exports, "ws-tui-load-tmux", load=True)
    with tui_bench.tmux_server(bench.work) as tmux:
        bench.say(f"TUI: cold start x{scale.tui_runs}")
        cold = tui_bench.cold_start(tmux, day_ws, scale.tui_runs)
        bench.say(f"TUI: sample files with {scale.tui_files:,} landed files x{scale.tui_runs}")
        files = tui_bench.files_screen(tmux, files_ws.root, scale.tui_files, scale.tui_runs)
        bench.say("TUI: key presses while courier run loads the day (pseudo-terminal, then through tmux)")
        keys = tui_bench.keys_during_load(load_ws.root, scenarios.run_argv(load_ws, START))
        through_tmux = tui_bench.keys_during_load(tmux_load_ws.root, scenarios.run_argv(tmux_load_ws, START),
                                                  tmux=tmux)
    return {"cold_start": cold, "files_screen": files, "keys": keys, "keys_through_tmux": through_tmux}


def measure_all(scale_name: str, work: Path, cache: Path, *, peers: bool, tui: bool) -> dict[str, Any]:
    from courier.core.devtools.s3server import LocalS3

    scale = SCALES[scale_name]
    started = time.monotonic()
    out: dict[str, Any] = {"scale": {**asdict(scale), "rows_per_day": scale.rows_per_day},
                           "machine": {**results.machine(), "load_before": round(os.getloadavg()[0], 2)}}
    with LocalS3() as server:
        bench = scenarios.Bench(server, work, cache, scale, _say)
        out["listing"] = scenarios.listing_cost(bench)
        exports, out["export"] = scenarios.seed_export(bench)
        _settle(scale.name)
        out["landing"] = landing(bench, exports)
        out["courier"] = scenarios.courier_runs(bench, exports)
        out["peers"] = peer_runs(bench) if peers else {"skipped": "peers not requested (--no-peers)"}
        try:
            out["tui"] = _tui(bench, exports) if tui else {"skipped": "not requested (--no-tui)"}
        except (RuntimeError, TimeoutError) as exc:  # a broken terminal must not lose the other figures
            _say(f"TUI timings failed: {exc}")
            out["tui"] = {"skipped": f"failed: {str(exc).splitlines()[0]}", "error": str(exc)}
    out["courier"].pop("landed", None)
    out["machine"]["load_after"] = round(os.getloadavg()[0], 2)
    out["elapsed_s"] = round(time.monotonic() - started, 1)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default=os.environ.get("BENCH_SCALE") or "small",
                        help="small (default, or $BENCH_SCALE): a few minutes; full: issue 8's size; tiny: smoke test")
    parser.add_argument("--out", type=Path, default=Path(".bench/results.json"), help="where to write the results JSON")
    parser.add_argument("--md", type=Path, default=None, help="also write the table as Markdown here "
                        "(make bench: tests/bench/results.md)")
    parser.add_argument("--cache", type=Path, default=Path(".bench/cache"),
                        help="where generated exports are kept between runs")
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead of a table")
    parser.add_argument("--no-peers", action="store_true", help="skip the peers even if their venv exists")
    parser.add_argument("--no-tui", action="store_true", help="skip the TUI timings")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder (workspaces, DuckDB files)")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="courier-bench-"))
    args.cache.mkdir(parents=True, exist_ok=True)
    _isolate_environment(work)
    try:
        out = measure_all(args.scale, work, args.cache.resolve(), peers=not args.no_peers, tui=not args.no_tui)
    finally:
        if args.keep:
            _say(f"scratch folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    figs, inv = report.figures(out), report.invariants(out)
    out["figures"], out["invariants"] = [f.to_json() for f in figs], report.as_json(inv)
    out["ok"] = all(c.ok for c in inv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2, default=str) + "\n")
    if args.md is not None:
        args.md.parent.mkdir(parents=True, exist_ok=True)
        args.md.write_text(results.render_markdown(out, figs, inv))
    print(json.dumps(out, indent=2, default=str) if args.json else results.render_text(out, figs, inv))
    for f in figs:
        if f.verdict.startswith("MISSED"):
            _say(f"target missed: {f.figure} ({f.target})")
    for c in inv:
        if not c.ok:
            _say(f"FAILED invariant: {c.name} ({c.detail})")
    _say(f"results written to {args.out}{' and ' + str(args.md) if args.md else ''} in {out['elapsed_s']} s")
    return 0 if out["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
