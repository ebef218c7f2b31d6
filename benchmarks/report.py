"""Judge the measurements: invariants (counts; a miss fails `make bench`) and targets (speed and
memory; a miss is a warning), and render them as a readable table.

The targets live here and in docs/benchmarks.md, never as timing asserts in tests.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

LOAD_ROWS_PER_S = 500_000
PEAK_RSS_MB = 1024
RSS_FLAT_RATIO = 1.25  # 2x the rows may cost at most 25% more peak RSS
RERUN_SECONDS = 5.0


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


def invariants(r: dict[str, Any]) -> list[Check]:
    checks: list[Check] = []

    def check(name: str, ok: bool, detail: str) -> None:
        checks.append(Check(name, bool(ok), detail))

    one, sixty = r["listing"]["buckets"]["1-day"], r["listing"]["buckets"]["60-day"]
    check("listing: one-day runs succeed in both buckets", one["status"] == sixty["status"] == "succeeded",
          f"{one['status']} / {sixty['status']} {one['error'] or sixty['error'] or ''}".strip())
    check("listing: one-day run sends the same S3 requests in a 1-day and a 60-day bucket",
          one["run_requests"]["by_operation"] == sixty["run_requests"]["by_operation"],
          f"{one['run_requests']['by_operation']} vs {sixty['run_requests']['by_operation']}")
    check("listing: Lister requests for one day are independent of bucket size",
          one["lister_requests"] == sixty["lister_requests"],
          f"{one['lister_requests']} vs {sixty['lister_requests']}")
    check("listing: the same files are landed from both buckets", one["files_landed"] == sixty["files_landed"] > 0,
          f"{one['files_landed']} vs {sixty['files_landed']}")

    for label, run in r["first_run"].items():
        check(f"first run ({label}): succeeded", run["status"] == "succeeded", run["error"] or "")
        check(f"first run ({label}): every generated row is read", run["rows_read"] == run["rows_expected"],
              f"{run['rows_read']} read, {run['rows_expected']} generated")
        for table, counts in run["tables"].items():
            check(f"first run ({label}): {table} holds one row per uuid",
                  counts["rows"] == counts["distinct_uuid"] > 0, f"{counts}")
    all_days = r["first_run"]["all_days"]
    want = r["export"]["distinct_uuid"]
    got = {"decisions": all_days["tables"].get("Optimizely:Decisions", {}).get("rows"),
           "events": all_days["tables"].get("Optimizely:Conversions", {}).get("rows")}
    check("first run (all_days): tables hold exactly the export's distinct uuids", got == want, f"{got} vs {want}")

    re = r["rerun"]
    check("re-run: succeeded", re["status"] == "succeeded", re["error"] or "")
    check("re-run: downloads 0 objects", re["files_landed"] == 0 and re["requests"]["get"] == 0,
          f"{re['files_landed']} landed, {re['requests']['get']} GetObject requests")
    check("re-run: inserts and updates 0 rows", re["inserted"] == re["updated"] == re["rows_read"] == 0,
          f"{re['rows_read']} read, {re['inserted']} inserted, {re['updated']} updated")
    check("re-run: tables unchanged", re["tables"] == all_days["tables"],
          ", ".join(f"{t} {c['rows']:,} rows" for t, c in re["tables"].items()))

    d = r["dedupe"]
    counts = {name: s["rows"] for name, s in d["strategies"].items()}
    check("dedupe: every strategy keeps one row per distinct uuid",
          set(counts.values()) == {d["distinct_uuid"]}
          and all(s["rows"] == s["distinct_uuid"] for s in d["strategies"].values()),
          f"{counts}, expected {d['distinct_uuid']}")
    return checks


def targets(r: dict[str, Any]) -> list[Check]:
    checks: list[Check] = []
    run, mem, re = r["first_run"]["all_days"], r["memory"], r["rerun"]
    rate = run["load_rows_per_s"] or 0
    checks.append(Check(f"first-run load >= {LOAD_ROWS_PER_S:,} rows/s", rate >= LOAD_ROWS_PER_S,
                        f"{rate:,.0f} rows/s"))
    checks.append(Check(f"first-run peak RSS < {PEAK_RSS_MB} MB", run["peak_rss_mb"] < PEAK_RSS_MB,
                        f"{run['peak_rss_mb']:.0f} MB for {run['rows_read']:,} rows"))
    checks.append(Check(f"peak RSS flat: 2x the rows <= {RSS_FLAT_RATIO}x the RSS", mem["rss_ratio"] <= RSS_FLAT_RATIO,
                        f"{mem['one_day_peak_rss_mb']:.0f} MB -> {mem['all_days_peak_rss_mb']:.0f} MB "
                        f"(x{mem['rss_ratio']})"))
    checks.append(Check(f"re-run with nothing new < {RERUN_SECONDS:.0f} s", re["wall_s"] < RERUN_SECONDS,
                        f"{re['wall_s']:.2f} s"))
    s = r["dedupe"]["strategies"]
    ours, ior, naive = s["staging_upsert"], s["insert_or_replace"], s["read_all_distinct_on"]
    checks.append(Check("dedupe: staging upsert faster than INSERT OR REPLACE", ours["wall_s"] < ior["wall_s"],
                        f"{ours['wall_s']:.2f} s vs {ior['wall_s']:.2f} s"))
    checks.append(Check("dedupe: staging upsert peak RSS below read-everything", ours["peak_rss_mb"] < naive["peak_rss_mb"],
                        f"{ours['peak_rss_mb']:.0f} MB vs {naive['peak_rss_mb']:.0f} MB"))
    return checks


def as_json(checks: list[Check]) -> list[dict[str, Any]]:
    return [asdict(c) for c in checks]


def _table(title: str, header: tuple[str, ...], rows: list[tuple[Any, ...]], align: str = "") -> list[str]:
    """A plain-text table; `align` has one letter per column ("l" or "r"), default: first left."""
    align = align or "l" + "r" * (len(header) - 1)
    cells = [tuple(str(c) for c in header)] + [tuple("" if c is None else str(c) for c in row) for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row: tuple[str, ...]) -> str:
        return "  ".join(c.rjust(w) if a == "r" else c.ljust(w)
                         for c, w, a in zip(row, widths, align, strict=True)).rstrip()

    return ["", title, line(cells[0]), "  ".join("-" * w for w in widths), *[line(row) for row in cells[1:]]]


def render(r: dict[str, Any], inv: list[Check], tgt: list[Check]) -> str:
    out: list[str] = [f"courier benchmarks, scale {r['scale']['name']} "
                      f"({r['scale']['decisions_per_day']:,} decisions + {r['scale']['conversions_per_day']:,} "
                      f"conversions a day, {r['scale']['days']} days) on {r['machine']['cpus']} CPUs, "
                      f"load average {r['machine']['load_before']} before, {r['machine']['load_after']} after; "
                      f"{r['elapsed_s']} s"]
    buckets = r["listing"]["buckets"]
    out += _table("Listing cost of a one-day run (requests counted by the S3 server)",
                  ("bucket", "keys", "run requests", "list", "get", "Lister", "all-days discovery"),
                  [(label, b["keys"], b["run_requests"]["total"], b["run_requests"]["list"], b["run_requests"]["get"],
                    b["lister_requests"], b["all_days_discovery_requests"]) for label, b in buckets.items()])
    out.append(f"(load avg: the machine's 1-minute load before->after each job; above {r['machine']['cpus']} "
               "means other work competed for the CPUs and timings are pessimistic)")
    runs = [("first run, 1 day", r["first_run"]["one_day"]), (f"first run, {r['scale']['days']} days",
                                                             r["first_run"]["all_days"]),
            ("re-run, nothing new", r["rerun"])]
    out += _table("Runs (each in a fresh process; peak RSS of that process)",
                  ("run", "wall s", "land s", "MB landed", "MB/s", "load s", "rows read", "rows/s",
                   "inserted", "files landed", "peak RSS MB", "load avg"),
                  [(name, f"{x['wall_s']:.2f}", f"{x['land_s']:.2f}", x["mb_landed"], x["land_mb_per_s"],
                    f"{x['load_s']:.2f}", f"{x['rows_read']:,}", _num(x["load_rows_per_s"]), f"{x['inserted']:,}",
                    x["files_landed"], x["peak_rss_mb"], _load(x)) for name, x in runs])
    out.append(f"re-run S3 requests: {r['rerun']['requests']['by_operation']}; "
               f"idle process baseline RSS {r['memory']['baseline_rss_mb']} MB")
    d = r["dedupe"]
    out += _table(f"Dedupe on uuid: {d['rows']:,} decision rows in {d['files']} files -> {d['distinct_uuid']:,} rows",
                  ("strategy", "wall s", "rows/s", "peak RSS MB", "rows kept", "load avg"),
                  [(name, f"{s['wall_s']:.2f}", _num(s["rows_per_s"]), s["peak_rss_mb"], f"{s['rows']:,}", _load(s))
                   for name, s in d["strategies"].items()])
    out += _table("Invariants (counts; a failure fails the benchmark)", ("check", "result", "detail"),
                  [(c.name, "ok" if c.ok else "FAILED", c.detail) for c in inv], align="lll")
    scale_note = "" if r["scale"]["name"] == "default" else "; they are set for the default scale"
    out += _table(f"Targets (speed and memory; a miss is a warning{scale_note})", ("target", "result", "measured"),
                  [(c.name, "met" if c.ok else "MISSED", c.detail) for c in tgt], align="lll")
    return "\n".join(out)


def _load(job: dict[str, Any]) -> str:
    """The machine's 1-minute load average before -> after a job: other work skews its timings."""
    before, after = job.get("load_avg", (None, None))
    return f"{before}->{after}"


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:,.0f}"
