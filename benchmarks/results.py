"""The printed table and tests/bench/results.md: the figures plus what they were measured on
(cores, memory, load average, versions, scale, date) and every measured process."""

from __future__ import annotations

import os
import platform
from datetime import datetime
from typing import Any

from benchmarks.report import Check, Figure, markdown_table, table_rows, text_table


def machine() -> dict[str, Any]:
    from importlib.metadata import version

    mem_kb = 0
    try:
        with open("/proc/meminfo") as f:
            mem_kb = int(next(line for line in f if line.startswith("MemTotal:")).split()[1])
    except (OSError, StopIteration):
        pass
    return {"cpus": os.cpu_count(), "memory_gib": round(mem_kb / 1024 / 1024, 1), "python": platform.python_version(),
            "platform": platform.platform(), "date": datetime.now().astimezone().isoformat(timespec="seconds"),
            **{name: version(name) for name in ("duckdb", "pyarrow", "boto3", "moto", "textual")}}


def _processes(r: dict[str, Any]) -> list[tuple[str, ...]]:
    """Every measured process: wall (with start-up), the work inside it, peak RSS, load average."""
    c, p, land = r["courier"], r["peers"], r["landing"]
    jobs: list[tuple[str, dict[str, Any] | None]] = [
        ("courier run, landing only, cold (median)", land["courier_cold"]),
        ("courier run, landing only, re-run (median)", land["courier_rerun"]),
        ("courier run, the day", c["day"]), ("courier run, the 2× day", c["double"])]
    if "skipped" not in p:
        jobs += [("aws s3 sync, cold, 2 prefixes (median)", land.get("sync_cold")),
                 ("aws s3 sync, re-run (median)", land.get("sync_rerun")), ("DuckDB CTAS (floor)", p["floor"]), ("DuckDB keyed INSERT OR REPLACE", p["keyed"]),
                 ("dlt merge on uuid", p["dlt"])]
    rows = []
    for name, j in jobs:
        if not j:
            continue
        work = j.get("load_s") if "load_s" in j else j.get("work_s")
        land = j.get("land_s")
        rows.append((name, f"{j['wall_s']:.2f}", "" if land is None else f"{land:.2f}",
                     "" if work is None else f"{work:.2f}", f"{j.get('rows_read', '') or ''}",
                     f"{j['peak_rss_mb'] or 0:,.0f}", "→".join(str(x) for x in j.get("load_avg", []))))
    return rows


PROC_HEADER = ("process", "wall s", "land s", "load/work s", "rows read", "peak RSS MB", "load avg")


def _scale_line(r: dict[str, Any]) -> str:
    s, e = r["scale"], r["export"]
    return (f"scale `{s['name']}`: the day {s['decisions_per_day']:,} decisions + {s['conversions_per_day']:,} "
            f"conversions in {e['day']['objects']} objects ({e['day']['mb']:,} MB), the 2× day in "
            f"{e['double']['objects']} objects ({e['double']['mb']:,} MB), {s['history_days']} small days of history; "
            f"listing buckets of 1 and {r['listing']['days']} days")


def _machine_line(r: dict[str, Any]) -> str:
    m = r["machine"]
    peers = r["peers"].get("versions")
    peer_text = ", ".join(f"{k} {v}" for k, v in peers.items()) if peers else "peers not installed"
    return (f"{m['cpus']} cores, {m['memory_gib']} GiB, {m['platform']}, Python {m['python']}; courier's duckdb "
            f"{m['duckdb']}, pyarrow {m['pyarrow']}, boto3 {m['boto3']}, moto {m['moto']}, textual {m['textual']}; "
            f"peers: {peer_text}. 1-minute load average {m['load_before']} before, {m['load_after']} after; "
            f"{r['elapsed_s']} s in all; {m['date']}")


def render_text(r: dict[str, Any], figs: list[Figure], inv: list[Check]) -> str:
    failed = [c for c in inv if not c.ok]
    out = [f"courier benchmarks — {_scale_line(r)}", _machine_line(r), "", text_table(table_rows(figs)), "",
           text_table(_processes(r), PROC_HEADER), "",
           f"invariants: {len(inv) - len(failed)} of {len(inv)} hold"]
    out += [f"  FAILED {c.name}: {c.detail}" for c in failed]
    return "\n".join(out)


def render_markdown(r: dict[str, Any], figs: list[Figure], inv: list[Check]) -> str:
    failed = [c for c in inv if not c.ok]
    tui, land = r.get("tui", {}), r["landing"]
    lines = ["# Benchmark results", "", "Written by `make bench` (`python -m benchmarks.run`); see docs/benchmarks.md for "
             "what each figure means and how it is measured. A verdict marked *(noisy)* was measured while the "
             "1-minute load average was above 1.5× the core count.", "",
             f"- **Machine:** {_machine_line(r)}", f"- **Scale:** {_scale_line(r)}", "",
             markdown_table(table_rows(figs)), "", "Every measured process:", "",
             markdown_table(_processes(r), PROC_HEADER), ""]
    if land.get("sync_cold"):
        lines += [f"Landing wall times (s), interleaved: courier cold {land['courier_cold']['walls_s']}, aws s3 sync "
                  f"cold {land['sync_cold']['walls_s']}, courier re-run {land['courier_rerun']['walls_s']}, aws s3 "
                  f"sync re-run {land['sync_rerun']['walls_s']}.", ""]
    if tui and not tui.get("skipped"):
        lines += [f"TUI samples (s): cold start {tui['cold_start']['samples_s']}, sample files "
                  f"{tui['files_screen']['samples_s']}, key presses during a load {tui['keys']['samples_s']}, the same "
                  f"keys with the TUI idle {tui['keys'].get('idle', {}).get('samples_s')}"
                  + (f"; through tmux, during a load {tui['keys_through_tmux']['samples_s']}"
                     if tui.get("keys_through_tmux") else "") + ".", ""]
    lines.append(f"Invariants (counts): {len(inv) - len(failed)} of {len(inv)} hold."
                 + "".join(f"\n- FAILED {c.name}: {c.detail}" for c in failed))
    return "\n".join(lines) + "\n"
