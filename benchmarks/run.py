"""`python -m benchmarks.run`: measure courier end to end and judge it (see docs/benchmarks.md).

Starts a local S3 (moto over HTTP), seeds synthetic Optimizely exports, runs the scenarios in
fresh processes, prints a table (or JSON with --json), writes the results to --out, and exits 1
when an invariant (a count) fails. Target misses (speed, memory) are printed as warnings only.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from benchmarks import report, scenarios
from benchmarks.s3_requests import recording_env
from benchmarks.scales import SCALES


def _say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _machine() -> dict[str, Any]:
    from importlib.metadata import version

    return {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            **{name: version(name) for name in ("duckdb", "pyarrow", "boto3", "moto")}}


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


def measure_all(scale_name: str, work: Path, cache: Path) -> dict[str, Any]:
    from core.s3server import LocalS3

    scale = SCALES[scale_name]
    started = time.monotonic()
    results: dict[str, Any] = {"scale": {**asdict(scale), "rows_per_day": scale.rows_per_day},
                               "machine": {**_machine(), "load_before": round(os.getloadavg()[0], 2)}}
    with LocalS3() as server:
        bench = scenarios.Bench(server, work, cache, scale, _say)
        results["listing"] = scenarios.listing_cost(bench)
        export = scenarios.seed_export(bench)
        results["export"] = {"objects": len(export.keys), "files": len(export.files()),
                             "mb": round(export.bytes / scenarios.MB, 2), "rows": export.rows,
                             "distinct_uuid": export.distinct_uuids}
        results["baseline"] = scenarios.baseline(bench)
        results["first_run"], ws_all = scenarios.first_runs(bench, export)
        results["rerun"] = scenarios.rerun(bench, ws_all)
        results["memory"] = scenarios.memory(results["first_run"], results["baseline"])
        results["dedupe"] = scenarios.dedupe(bench, export, ws_all)
    results["machine"]["load_after"] = round(os.getloadavg()[0], 2)
    results["elapsed_s"] = round(time.monotonic() - started, 1)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="default",
                        help="default: 1M decisions + 500k conversions a day for 2 days; small: 200k; tiny: smoke test")
    parser.add_argument("--out", type=Path, default=Path(".bench/results.json"), help="where to write the results JSON")
    parser.add_argument("--cache", type=Path, default=Path(".bench/cache"),
                        help="where generated exports are kept between runs")
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead of a table")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder (workspaces, DuckDB files)")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="courier-bench-"))
    args.cache.mkdir(parents=True, exist_ok=True)
    _isolate_environment(work)
    try:
        results = measure_all(args.scale, work, args.cache.resolve())
    finally:
        if args.keep:
            _say(f"scratch folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    inv, tgt = report.invariants(results), report.targets(results)
    results["invariants"], results["targets"] = report.as_json(inv), report.as_json(tgt)
    results["ok"] = all(c.ok for c in inv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    if args.json:
        print(json.dumps(results, indent=2, default=str))
    else:
        print(report.render(results, inv, tgt))
    for c in tgt:
        if not c.ok:
            _say(f"WARNING: target missed: {c.name} (measured {c.detail})")
    for c in inv:
        if not c.ok:
            _say(f"FAILED invariant: {c.name} ({c.detail})")
    _say(f"results written to {args.out} in {results['elapsed_s']} s")
    return 0 if results["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
