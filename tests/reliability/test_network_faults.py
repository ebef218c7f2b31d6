"""Network faults between the engine and S3: a few faults are absorbed, total failure changes nothing.

Every run goes through tests/reliability/fault_proxy.py (real HTTP, real botocore retries): at 10%
faults (500, 503 SlowDown, connection reset, truncated body, slow answer, taking turns) a run
lands and loads exactly what a fault-free run does; at 100% it fails within botocore's retry
budget with one line naming the operation and the bucket/key, and leaves tables, ledger and
landing/ as they were.
"""

from __future__ import annotations

from pathlib import Path

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
from tests.reliability.fault_proxy import FAULT_KINDS, FaultProxy

# botocore "standard" retries with max_attempts=5 (core/source/aws.py): 1 try + 5 retries per call
ATTEMPTS_PER_CALL = 6
FAILING_KINDS = ("500", "503", "reset", "truncate")  # "slow" succeeds, so it is no use at 100%


def _state(env: ReliabilityEnv) -> tuple[dict[str, str], list[tuple[object, ...]], dict[str, int]]:
    return env.checksums(), env.ledger(), env.landing_files()


def test_ten_percent_faults_give_the_same_tables_as_a_clean_run(
        reliability_env: ReliabilityEnv, fault_proxy: FaultProxy, tmp_path: Path,
        reliability_report: ReliabilityReport) -> None:
    expected, expected_keys = reference_checksums(reliability_env), reference_keys(reliability_env)
    iterations = scaled(3, 20)
    injected = passed = lost = 0
    for seed in range(iterations):
        env = reliability_env if seed == 0 else build_env(reliability_env.s3, tmp_path / f"seed-{seed}",
                                                          upload=False)
        try:
            env.point_at(fault_proxy.endpoint_url)
            before = sum(fault_proxy.faults.values())
            fault_proxy.configure(rate=0.10, kinds=FAULT_KINDS, operations=None, seed=seed)
            result = env.run()
            assert result.status == "succeeded", f"seed {seed}: {result.error}"
            lost += lost_keys(expected_keys, table_keys(env.workspace))
            assert env.checksums() == expected, f"seed {seed}: tables differ from the fault-free run"
            for table in TABLES:
                assert duplicate_keys(env.workspace, table) == 0, f"seed {seed}: {table} has a key twice"
            assert ledger_problems(env) == [], f"seed {seed}"
            assert not any(is_temp_name(Path(p)) for p in env.landing_files()), f"seed {seed}: .part left behind"
            injected += sum(fault_proxy.faults.values()) - before
            passed += 1
        finally:
            if env is not reliability_env:
                env.catalog.close()
    # the faults really happened, and every kind of them
    assert injected >= len(FAULT_KINDS), f"only {injected} faults were injected"
    assert set(FAULT_KINDS) <= set(fault_proxy.faults), dict(fault_proxy.faults)
    reliability_report.add(f"network: 10% faults ({injected} injected)", iterations, passed, lost)
    assert lost == 0


def test_every_request_failing_stops_the_run_at_listing_and_changes_nothing(
        reliability_env: ReliabilityEnv, fault_proxy: FaultProxy, reliability_report: ReliabilityReport) -> None:
    env = reliability_env
    env.point_at(fault_proxy.endpoint_url)
    first = env.run(to_day=env.days[1])  # a clean first day: the tables hold rows to protect
    assert first.status == "succeeded", first.error
    before, keys = _state(env), table_keys(env.workspace)
    listed_before, gets_before = fault_proxy.total("ListObjectsV2"), fault_proxy.total("GetObject")

    fault_proxy.configure(rate=1.0, kinds=FAILING_KINDS, operations=None, seed=1)
    result = env.run()

    assert result.status == "failed"
    error = result.error or ""
    assert "list" in error and f"s3://{env.bucket}/" in error, error
    assert "\n" not in error and "Traceback" not in error
    # within the retry budget: the first listing call was tried 6 times, then the run gave up
    assert fault_proxy.total("ListObjectsV2") - listed_before == ATTEMPTS_PER_CALL
    assert fault_proxy.total("GetObject") == gets_before  # nothing was downloaded after the listing failed
    lost = lost_keys(keys, table_keys(env.workspace))
    reliability_report.add("network: 100% faults, listing", 1, int(_state(env) == before), lost)
    assert _state(env) == before


def test_every_download_failing_fails_the_run_naming_the_key_and_changes_nothing(
        reliability_env: ReliabilityEnv, fault_proxy: FaultProxy, reliability_report: ReliabilityReport) -> None:
    env = reliability_env
    env.point_at(fault_proxy.endpoint_url)
    first = env.run(to_day=env.days[1])
    assert first.status == "succeeded", first.error
    before, keys = _state(env), table_keys(env.workspace)
    gets_before = fault_proxy.total("GetObject")

    fault_proxy.configure(rate=1.0, kinds=FAILING_KINDS, operations={"GetObject"}, seed=2)
    result = env.run()

    assert result.status == "failed"
    error = result.error or ""
    day2_keys = set(env.data_keys()) - {k for k in env.data_keys() if f"/date={env.days[0]}/" in k}
    assert error.startswith("landing failed: "), error
    assert any(f"s3://{env.bucket}/{key}" in error for key in day2_keys), error
    assert "\n" not in error and "Traceback" not in error
    # within the budget: each new file's GET is retried by botocore and s3transfer, then given up
    gets = fault_proxy.total("GetObject") - gets_before
    assert 0 < gets <= len(day2_keys) * ATTEMPTS_PER_CALL * 5, gets
    after = _state(env)
    lost = lost_keys(keys, table_keys(env.workspace))
    reliability_report.add("network: 100% faults, downloads", 1, int(after == before), lost)
    assert after == before, "a run that failed while landing changed tables, ledger or landing/"
    assert not any(is_temp_name(Path(p)) for p in after[2])
