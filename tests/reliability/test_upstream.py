"""Upstream surprises: the export changes under a run, and each case is handled as designed, file named.

- an object rewritten between listing and download (new ETag): the new version lands, with a
  warning naming the key;
- a day's `_SUCCESS` appearing while a run waits (wait_until): the run picks the day up;
- a corrupt Parquet object: its feed fails naming the file, and no table changes (a run's loads
  commit together, so the other feed is not half-updated either); once the object is fixed the
  next run converges;
- a file with an extra column: the column is added (nullable) with a warning;
- a KMS denial on GetObject (S3's 403 AccessDenied naming kms:Decrypt, from the proxy): the run
  fails naming the key and KMS, nothing is half-loaded, and it converges once access is back.
"""

from __future__ import annotations

import io
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from courier.core.devtools.synth import iter_export
from courier.core.runs.events import Event
from courier.core.source.landing import landed_files
from courier.core.warehouse.duckdb import Warehouse

from tests.reliability.conftest import (
    CONVERSIONS,
    DECISIONS,
    TABLES,
    ReliabilityEnv,
    ReliabilityReport,
    duplicate_keys,
    is_temp_name,
    ledger_problems,
    lost_keys,
    reference_checksums,
    reference_keys,
    table_keys,
)
from tests.reliability.fault_proxy import FaultProxy, S3Request


def _parquet(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="snappy")
    return buffer.getvalue()


def _second_day_key(env: ReliabilityEnv, dataset: str) -> str:
    return next(k for k in env.data_keys(dataset) if f"/date={env.days[1]}/" in k)


def _uuids(env: ReliabilityEnv, table: str, where: str = "true") -> set[str]:
    with Warehouse(env.workspace.warehouse_path, read_only=True) as wh:
        return set(wh.query(f'SELECT uuid FROM "{table}" WHERE {where}').column("uuid").to_pylist())


def _first_day_then(env: ReliabilityEnv) -> dict[str, str]:
    """Load the first day cleanly so the tables hold rows a failure must not touch."""
    first = env.run(to_day=env.days[1])
    assert first.status == "succeeded", first.error
    return env.checksums()


def test_object_rewritten_between_listing_and_download_lands_the_new_version(
        reliability_env: ReliabilityEnv, fault_proxy: FaultProxy, reliability_report: ReliabilityReport) -> None:
    env = reliability_env
    env.point_at(fault_proxy.endpoint_url)
    key = _second_day_key(env, "decisions")
    original = pq.read_table(io.BytesIO(env.get(key)))
    newer = original.slice(0, original.num_rows // 2)
    rewritten: list[str] = []

    def rewrite_on_first_get(request: S3Request) -> None:
        if request.key == key and request.operation == "GetObject" and not rewritten:
            env.put(key, _parquet(newer))  # after the run listed it, before its bytes are served
            rewritten.append(key)

    fault_proxy.hooks.append(rewrite_on_first_get)
    result = env.run()

    assert rewritten == [key]
    assert result.status == "succeeded", result.error
    notes = [w for w in result.warnings if key in w]
    assert notes and "changed upstream" in notes[0], result.warnings
    landed = next(f for f in landed_files(env.catalog, env.courier) if f.key == key)
    assert landed.rows == newer.num_rows and landed.size == len(env.get(key))
    assert landed.etag == env.s3.client("s3").head_object(Bucket=env.bucket, Key=key)["ETag"].strip('"')
    assert pq.read_table(landed.local_path).equals(newer)
    loaded = _uuids(env, DECISIONS, f"_source_file = '{key}'")
    assert set(newer.column("uuid").to_pylist()) >= loaded and loaded
    assert not set(original.slice(original.num_rows // 2).column("uuid").to_pylist()) & loaded
    assert ledger_problems(env) == []
    lost = len(set(newer.column("uuid").to_pylist()) - _uuids(env, DECISIONS))
    reliability_report.add("upstream: object rewritten before GET", 1, 1, lost)
    assert lost == 0


def test_ready_marker_appearing_mid_run_is_picked_up_by_a_waiting_run(
        reliability_env: ReliabilityEnv, reliability_report: ReliabilityReport) -> None:
    env = reliability_env
    newest = env.spec.dates[-1]  # exported without _SUCCESS: not ready
    markers = [k.replace(f"/date={env.days[0]}/", f"/date={newest}/") for k in
               (f"v1/account_id={env.spec.account_id}/type=decisions/date={env.days[0]}/_SUCCESS",
                f"v1/account_id={env.spec.account_id}/type=events/date={env.days[0]}/_SUCCESS")]
    written: list[str] = []

    def on_event(event: Event) -> None:
        if event.type == "warning" and "waiting" in event.data.get("message", "") and not written:
            for marker in markers:  # the export finishes while the run waits
                env.put(marker, b"")
                written.append(marker)

    result = env.run(sink=on_event, mode="day", day=newest, wait_until=time.time() + 60)

    assert written == markers, "the run never waited for the missing ready marker"
    assert result.status == "succeeded", result.error
    days = {f.day for f in landed_files(env.catalog, env.courier)}
    assert days == {newest.isoformat()}
    with Warehouse(env.workspace.warehouse_path, read_only=True) as wh:
        dates = wh.query(f'SELECT DISTINCT date FROM "{DECISIONS}"').column("date").to_pylist()
    assert dates == [newest.isoformat()]
    exported = {u for o in iter_export(env.spec) if f"/type=decisions/date={newest}/" in o.key
                and o.key.endswith(".parquet") for u in (o.uuids or ())}
    lost = len(exported - _uuids(env, DECISIONS))
    reliability_report.add("upstream: _SUCCESS appears mid-run", 1, 1, lost)
    assert exported and lost == 0


def test_corrupt_parquet_fails_its_feed_naming_the_file_and_loses_nothing(
        reliability_env: ReliabilityEnv, reliability_report: ReliabilityReport) -> None:
    env = reliability_env
    expected = reference_checksums(env)
    before = _first_day_then(env)
    keys_before = table_keys(env.workspace)
    key = _second_day_key(env, "decisions")
    good = env.get(key)
    env.put(key, b"PAR1" + bytes(range(256)) * 8 + b"not a footer")

    result = env.run()

    assert result.status == "failed"
    error = result.error or ""
    assert key in error and DECISIONS in error, error
    assert env.checksums()[DECISIONS] == before[DECISIONS], "the failed feed's table changed (truncate kept?)"
    assert env.checksums()[CONVERSIONS] == before[CONVERSIONS], "the run failed, yet the other feed's load was kept"
    assert error.endswith("; tables were left as they were"), error
    lost = lost_keys(keys_before, table_keys(env.workspace))
    # the producer rewrites the object: the next run loads it and converges
    env.put(key, good)
    again = env.run()
    assert again.status == "succeeded", again.error
    assert env.checksums() == expected
    assert all(duplicate_keys(env.workspace, t) == 0 for t in TABLES)
    lost += lost_keys(reference_keys(env), table_keys(env.workspace))
    reliability_report.add("upstream: corrupt Parquet object", 1, 1, lost)
    assert lost == 0


def test_file_with_an_extra_column_adds_the_column_with_a_warning(
        reliability_env: ReliabilityEnv, reliability_report: ReliabilityReport) -> None:
    env = reliability_env
    key = _second_day_key(env, "events")
    table = pq.read_table(io.BytesIO(env.get(key)))
    widened = table.append_column("loyalty_tier", pa.array(["gold"] * table.num_rows, pa.string()))
    env.put(key, _parquet(widened))

    result = env.run()

    assert result.status == "succeeded", result.error
    assert any(key in w and "loyalty_tier" in w for w in result.warnings), result.warnings
    with Warehouse(env.workspace.warehouse_path, read_only=True) as wh:
        assert "loyalty_tier" in wh.columns(CONVERSIONS)
        tiers = wh.query(f'SELECT _source_file = \'{key}\' AS from_new, loyalty_tier, count(*) AS n '
                         f'FROM "{CONVERSIONS}" GROUP BY ALL').to_pylist()
    assert {(r["from_new"], r["loyalty_tier"]) for r in tiers} == {(True, "gold"), (False, None)}
    lost = lost_keys(reference_keys(env), table_keys(env.workspace))
    reliability_report.add("upstream: file with an extra column", 1, 1, lost)
    assert lost == 0


def test_kms_denial_on_get_fails_the_run_naming_the_key_and_kms(
        reliability_env: ReliabilityEnv, fault_proxy: FaultProxy, reliability_report: ReliabilityReport) -> None:
    env = reliability_env
    expected = reference_checksums(env)
    env.point_at(fault_proxy.endpoint_url)
    before = _first_day_then(env)
    keys_before = table_keys(env.workspace)
    key = _second_day_key(env, "events")
    fault_proxy.kms_denied.add(key)

    result = env.run()

    assert result.status == "failed"
    error = result.error or ""
    assert f"s3://{env.bucket}/{key}" in error and "KMS" in error and "kms:Decrypt" in error, error
    assert "\n" not in error
    assert fault_proxy.faults["kms"] >= 1
    assert env.checksums() == before, "a run that could not decrypt a file changed a table"
    assert key not in {f.key for f in landed_files(env.catalog, env.courier)}
    assert not any(is_temp_name(Path(p)) for p in env.landing_files())
    lost = lost_keys(keys_before, table_keys(env.workspace))
    # access is granted: the next run converges
    fault_proxy.kms_denied.clear()
    again = env.run()
    assert again.status == "succeeded", again.error
    assert env.checksums() == expected
    assert ledger_problems(env) == []
    lost += lost_keys(reference_keys(env), table_keys(env.workspace))
    reliability_report.add("upstream: KMS denial on GetObject", 1, 1, lost)
    assert lost == 0
