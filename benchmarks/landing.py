"""Landing, courier vs `aws s3 sync`, interleaved: each tool lands the day cold (a fresh workspace,
a fresh folder) and then again with nothing new, REPEATS times in turn, and the medians are kept.
A 2-second process is easily moved by whatever ran just before, so neither tool always goes first.
"""

from __future__ import annotations

from typing import Any

from benchmarks import peers
from benchmarks.peer_runs import sync_day
from benchmarks.s3_requests import recorded
from benchmarks.scales import START
from benchmarks.scenarios import Bench, Exports, courier_run, workspace

REPEATS = 3


def _median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median wall time, with every wall time kept beside it."""
    ordered = sorted(runs, key=lambda r: r["wall_s"])
    return {**ordered[len(ordered) // 2], "walls_s": [r["wall_s"] for r in runs]}


def landing(bench: Bench, exports: Exports) -> dict[str, Any]:
    with_peers = peers.available()
    env = peers.peer_env(bench.server.endpoint_url, bench.work) if with_peers else {}
    runs: dict[str, list[dict[str, Any]]] = {"courier_cold": [], "courier_rerun": [], "sync_cold": [],
                                             "sync_rerun": []}
    repeats = REPEATS if bench.scale.name != "tiny" else 1
    for i in range(repeats):
        bench.say(f"landing {i + 1}/{repeats}: courier cold, courier again, aws s3 sync cold, again")
        ws = workspace(bench, exports, f"ws-land-{i}", load=False)
        runs["courier_cold"].append(courier_run(bench, ws, START))
        with recorded(bench.server) as requests:
            rerun = courier_run(bench, ws, START)
        rerun["requests"] = requests.to_json()
        runs["courier_rerun"].append(rerun)
        if with_peers:
            dest = bench.work / f"aws-sync-{i}"
            runs["sync_cold"].append(sync_day(bench, env, dest))
            runs["sync_rerun"].append(sync_day(bench, env, dest))
    out = {name: _median(r) for name, r in runs.items() if r}
    # the invariants hold for every repeat, not only the median one
    out["courier_rerun"]["requests"] = {"get": sum(r["requests"]["get"] for r in runs["courier_rerun"]),
                                        "by_operation": runs["courier_rerun"][0]["requests"]["by_operation"]}
    out["courier_rerun"]["files_landed"] = sum(r["files_landed"] for r in runs["courier_rerun"])
    out["courier_cold"]["files_landed"] = min(r["files_landed"] for r in runs["courier_cold"])
    out["repeats"] = repeats
    return out
