"""Issue 11: a hostile bucket's object keys never escape the landing folder nor sink a run.

- keys with `..` segments or a leading `/` (custom entity patterns) land inside
  `landing/<bucket>/` under a safe, reversible name; the warehouse and the filesystem outside
  landing/ are untouched; the ledger keeps the real key;
- keys a filesystem cannot hold as given (NUL, a segment over 255 bytes, a file name whose old
  temporary name passed NAME_MAX) land under a safe name, with the Optimizely preset and
  `--all` / `--skip-missing`; the other files land and load; a key that truly cannot land (a
  file where another key needs a folder) is skipped with a warning naming it;
- downloads in progress live in tmp/landing/, so a key shaped like a stale temporary file lands
  and stays;
- the file ledger is per courier: two couriers on one bucket keep their own rows;
- landed files, warehouse.duckdb and crash.log are 0600, and crash.log is redacted.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import stat
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from courier.core.catalog.catalog import MIGRATIONS, Catalog, _split
from courier.core.catalog.workspace import Workspace
from courier.core.config.couriers import add_courier
from courier.core.devtools.synth import iter_export
from courier.core.runs.records import RunRequest, RunResult, start_run
from courier.core.source.landing import landed_files
from courier.core.warehouse.duckdb import Warehouse
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.reliability.conftest import (
    CONVERSIONS,
    DECISIONS,
    ReliabilityEnv,
    ledger_problems,
    lost_keys,
    reference_keys,
    table_keys,
)

HOSTILE = "hostile-bucket"
DAY = date(2026, 11, 4)
NAME_MAX = 255  # bytes in one path segment


def entity(pattern: str, tag: str = "drop") -> dict[str, object]:
    return {"object/type": "file", "object/file-pattern": pattern,
            "object/land-as": {"file/tag": tag, "file/content-type": "application/x-parquet"}}


def hostile_courier(env: ReliabilityEnv, name: str, *patterns: str) -> None:
    """A courier on a bucket an attacker writes to, with custom patterns; it lands files only."""
    client = env.s3.client("s3")
    if HOSTILE not in {b["Name"] for b in client.list_buckets()["Buckets"]}:
        client.create_bucket(Bucket=HOSTILE)
    add_courier(env.catalog, name, credential="opt", bucket=HOSTILE, endpoint_url=env.s3.endpoint_url,
                entities=[entity(p, f"t{i}") for i, p in enumerate(patterns)], load_operations="{}")


def put(env: ReliabilityEnv, key: str, body: bytes, bucket: str = HOSTILE) -> None:
    env.s3.client("s3").put_object(Bucket=bucket, Key=key, Body=body)


def run(env: ReliabilityEnv, courier: str, **request: object) -> RunResult:
    return start_run(env.catalog, RunRequest(courier, **({"mode": "day", "day": DAY} | request)))  # type: ignore[arg-type]


def ledger_row(env: ReliabilityEnv, courier: str, key: str) -> sqlite3.Row:
    row = env.catalog.one("SELECT * FROM ledger WHERE courier = ? AND key = ?", (courier, key))
    assert row is not None, f"{key!r} is not in {courier}'s ledger"
    return row


def assert_landed_inside(env: ReliabilityEnv, courier: str, key: str, body: bytes,
                         bucket: str = HOSTILE) -> Path:
    """The key is in the ledger as it is, its file holds the object and lies inside landing/<bucket>/."""
    path = Path(ledger_row(env, courier, key)["local_path"])
    home = (env.workspace.landing_dir / bucket).resolve()
    assert path.resolve().is_relative_to(home), f"{key!r} landed outside {home}: {path}"
    assert path.read_bytes() == body
    return path


def files_outside_landing(ws: Workspace) -> dict[str, str]:
    """Every file of the workspace outside landing/, tmp/ and locks/, with its content hash (catalog and
    the disk-space reserve, which a run sets aside for itself, excluded)."""
    found: dict[str, str] = {}
    for path in sorted(ws.root.rglob("*")):
        rel = path.relative_to(ws.root)
        if not path.is_file() or rel.parts[0] in ("landing", "tmp", "locks") or rel.name.startswith("catalog.sqlite") \
                or rel.name == ".space-reserve":
            continue
        found[str(rel)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


@pytest.fixture
def root_guard() -> Iterator[Path]:
    """The issue's leading-slash key targets /2026-11-04/: make sure a failing run leaves nothing there."""
    target = Path("/2026-11-04")
    existed = target.exists()
    yield target / "pwned.parquet"
    if not existed and target.exists():
        shutil.rmtree(target, ignore_errors=True)


# -- item 1: keys escape the landing folder ---------------------------------------------------


def test_a_dot_dot_key_lands_inside_the_landing_folder_and_the_warehouse_survives(
        reliability_env: ReliabilityEnv) -> None:
    env = reliability_env
    assert env.run().status == "succeeded"
    before_tables, before_files = env.checksums(), files_outside_landing(env.workspace)
    hostile_courier(env, "attacker", "'drop/'yyyy-MM-dd'/*/*/*/*/*'")
    key = "drop/2026-11-04/../../../../warehouse.duckdb"
    put(env, key, b"pwned: every domain table is gone")

    result = run(env, "attacker")

    assert result.status == "succeeded", result.error
    assert env.checksums() == before_tables, "a hostile key changed a domain table"
    assert files_outside_landing(env.workspace) == before_files, "a hostile key wrote outside landing/"
    path = assert_landed_inside(env, "attacker", key, b"pwned: every domain table is gone")
    assert ".." not in path.parts and "." not in path.parts
    with Warehouse(env.workspace.warehouse_path, read_only=True) as wh:  # still a DuckDB file
        assert wh.query(f'SELECT count(*) AS n FROM "{DECISIONS}"').column("n")[0].as_py() > 0


def test_a_key_with_a_leading_slash_lands_inside_the_landing_folder(reliability_env: ReliabilityEnv,
                                                                     root_guard: Path) -> None:
    env = reliability_env
    before = files_outside_landing(env.workspace)
    hostile_courier(env, "attacker", "*'/'yyyy-MM-dd'/*.parquet'")
    key = "/2026-11-04/pwned.parquet"
    put(env, key, b"written as whoever runs courier")

    result = run(env, "attacker")

    assert not root_guard.exists(), f"a key starting with / was written to {root_guard}"
    assert result.status == "succeeded", result.error
    assert_landed_inside(env, "attacker", key, b"written as whoever runs courier")
    assert files_outside_landing(env.workspace) == before
    assert [f.key for f in landed_files(env.catalog, "attacker")] == [key]


def test_every_hostile_segment_gets_a_safe_reversible_name(reliability_env: ReliabilityEnv) -> None:
    env = reliability_env
    hostile_courier(env, "attacker", "'seg/'yyyy-MM-dd'/*/*'")
    names = ["", ".", "..", "%41", "%", "nul\x00byte.parquet", "\x1b[2Jclear", "glob*[?].parquet", "a\u202eb",
             "x" * 300 + ".parquet"]
    keys = {f"seg/2026-11-04/{name}/file.bin": f"body {i}".encode() for i, name in enumerate(names)}
    for key, body in keys.items():
        put(env, key, body)

    result = run(env, "attacker")

    assert result.status == "succeeded", result.error
    home = env.workspace.landing_dir / HOSTILE
    paths = {key: assert_landed_inside(env, "attacker", key, body) for key, body in keys.items()}
    assert len(set(paths.values())) == len(keys), "two keys share a local file"
    for key, path in paths.items():
        rel = path.relative_to(home)
        assert all(0 < len(part.encode()) <= NAME_MAX and part not in (".", "..") and "\x00" not in part
                   and not any(ch in part for ch in "*?[]\x1b") for part in rel.parts), rel
        from courier.core.catalog.workspace import key_segment

        decoded = [key_segment(part) for part in rel.parts]
        if None not in decoded:  # hashed names (too long) are reversed by the ledger, which keeps the key
            assert "/".join(decoded) == key  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(["", ".", "..", "%", "%2E", "a"]),
                          st.text(st.characters(blacklist_characters="/"), max_size=300)), min_size=1, max_size=6))
def test_landing_path_stays_inside_and_never_maps_two_keys_to_one_file(segments: list[str]) -> None:
    ws = Workspace(Path("/ws"))
    key = "/".join(segments)
    path = ws.landing_path(HOSTILE, key)
    home = ws.landing_dir / HOSTILE
    assert Path(os.path.normpath(path)).is_relative_to(home), path
    rel = path.relative_to(home)
    assert len(rel.parts) == len(segments)
    for part in rel.parts:
        raw = part.encode("utf-8", "surrogatepass")
        assert 0 < len(raw) <= NAME_MAX and part not in (".", "..") and b"\x00" not in raw, part
    from courier.core.catalog.workspace import key_segment

    decoded = [key_segment(part) for part in rel.parts]
    if None not in decoded:
        assert decoded == segments  # reversible, hence never two keys on one file


# -- item 2: one unlandable key fails the whole run -------------------------------------------


def _events_file(env: ReliabilityEnv, prefix: str) -> bytes:
    """A real conversions file of the export, with fresh uuids (so its rows are its own)."""
    body = next(o.body for o in iter_export(env.spec) if "/type=events/" in o.key and o.key.endswith(".parquet"))
    table = pq.read_table(io.BytesIO(body))
    uuids = pa.array([f"{prefix}-{i}" for i in range(table.num_rows)], type=table.schema.field("uuid").type)
    table = table.set_column(table.schema.get_field_index("uuid"), "uuid", uuids)
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()


@pytest.mark.parametrize("skip_missing", [False, True], ids=["all", "all-skip-missing"])
def test_keys_a_filesystem_cannot_hold_land_and_load_with_the_preset(reliability_env: ReliabilityEnv,
                                                                     skip_missing: bool) -> None:
    env = reliability_env
    day = f"v1/account_id={env.spec.account_id}/type=events/date={env.days[0].isoformat()}"
    hostile = {
        f"{day}/event={'e' * 300}/part-00000.parquet": "long-segment",        # a segment over 255 bytes
        f"{day}/event=nul/part-\x00-00000.parquet": "nul-byte",               # NUL in the file name
        f"{day}/event=near/{'p' * 240}.parquet": "near-name-max",             # `.{name}.{run_id}.part` > 255
    }
    bodies = {key: _events_file(env, prefix) for key, prefix in hostile.items()}
    for key, body in bodies.items():
        env.put(key, body)

    result = env.run(mode="all", from_day=None, to_day=None, skip_missing=skip_missing)

    assert result.status == "succeeded", result.error
    for key, body in bodies.items():
        assert_landed_inside(env, env.courier, key, body, bucket=env.bucket)
    # the other files landed and loaded as a clean run does, and the hostile files' rows loaded too
    assert lost_keys(reference_keys(env), table_keys(env.workspace)) == 0
    with Warehouse(env.workspace.warehouse_path, read_only=True) as wh:
        loaded = {r["_source_file"] for r in wh.query(f'SELECT DISTINCT _source_file FROM "{CONVERSIONS}"').to_pylist()}
        rows = wh.query(f"SELECT count(*) AS n FROM \"{CONVERSIONS}\" WHERE uuid LIKE 'long-segment-%'"
                        " OR uuid LIKE 'nul-byte-%' OR uuid LIKE 'near-name-max-%'").column("n")[0].as_py()
    assert set(hostile) <= loaded
    assert rows == 3 * pq.read_metadata(io.BytesIO(next(iter(bodies.values())))).num_rows
    assert ledger_problems(env) == []


def test_a_key_that_cannot_land_is_skipped_with_a_warning_and_the_others_land(
        reliability_env: ReliabilityEnv) -> None:
    env = reliability_env
    hostile_courier(env, "attacker", "'c/'yyyy-MM-dd'/*'", "'c/'yyyy-MM-dd'/*/*'")
    file_key, folder_key, other = "c/2026-11-04/clash", "c/2026-11-04/clash/inner", "c/2026-11-04/fine"
    for key in (file_key, folder_key, other):
        put(env, key, key.encode())

    result = run(env, "attacker")

    assert result.status == "succeeded", result.error
    landed = {f.key for f in landed_files(env.catalog, "attacker")}
    assert other in landed
    assert len(landed & {file_key, folder_key}) == 1, landed  # one of the two can be a file, not both
    skipped = ({file_key, folder_key} - landed).pop()
    assert any(skipped in w and "skipped" in w for w in result.warnings), result.warnings


# -- item 3: temporaries live where no key can collide with them ------------------------------


def test_a_key_shaped_like_a_stale_temp_file_lands_and_stays(reliability_env: ReliabilityEnv) -> None:
    env = reliability_env
    hostile_courier(env, "attacker", "'t/'yyyy-MM-dd'/*'")
    victim = "t/2026-11-04/part-00000.parquet"
    shaped = "t/2026-11-04/.part-00000.parquet.wf-20260101-000000-abcdef.part.parquet"
    put(env, shaped, b"a file that looks like a temp file")
    assert run(env, "attacker").status == "succeeded"
    put(env, victim, b"its neighbour")

    result = run(env, "attacker")

    assert result.status == "succeeded", result.error
    assert_landed_inside(env, "attacker", shaped, b"a file that looks like a temp file")
    assert_landed_inside(env, "attacker", victim, b"its neighbour")
    assert ledger_problems(env) == []


def test_stale_temporaries_are_cleaned_in_tmp_only(reliability_env: ReliabilityEnv) -> None:
    env = reliability_env
    temps = env.workspace.root / "tmp" / "landing"
    temps.mkdir(parents=True, exist_ok=True)
    stale = temps / f".wf-20200101-000000-abcdef.{'0' * 32}.part"  # a run that died long ago
    stale.write_bytes(b"half a download")

    result = env.run()

    assert result.status == "succeeded", result.error
    assert not stale.exists(), "a dead run's temporary file was kept"
    assert list(temps.iterdir()) == []
    assert not [p for p in env.workspace.landing_dir.rglob("*.part*")], "a temporary file was left in landing/"


# -- item 4: the ledger is per courier --------------------------------------------------------


def test_two_couriers_on_one_bucket_keep_their_own_ledger_rows(reliability_env: ReliabilityEnv) -> None:
    from courier.tui.cli.main import cli

    env = reliability_env
    add_courier(env.catalog, "copy", credential="opt", bucket=env.bucket, endpoint_url=env.s3.endpoint_url,
                optimizely_account=env.spec.account_id, load_operations="{}")
    assert env.run().status == "succeeded"
    mine = {f.key for f in landed_files(env.catalog, env.courier)}
    assert mine == set(env.data_keys())

    copy = start_run(env.catalog, env.request(courier="copy"))

    assert copy.status == "succeeded", copy.error
    assert copy.stats.files_landed == 0, "the copy downloaded files the bucket's other courier had landed"
    assert {f.key for f in landed_files(env.catalog, env.courier)} == mine, "the copy took over the ledger rows"
    assert {f.key for f in landed_files(env.catalog, "copy")} == mine
    assert {f.courier for f in landed_files(env.catalog, env.courier)} == {env.courier}
    shown = CliRunner().invoke(cli, ["--workspace", str(env.workspace.root), "files", env.courier, "--json"])
    assert shown.exit_code == 0, shown.output
    assert {f["courier"] for f in json.loads(shown.output)} == {env.courier}
    # an object rewritten upstream, landed again by the copy: the first courier keeps its own row
    key = sorted(mine)[0]
    rewritten = io.BytesIO()
    pq.write_table(pq.read_table(io.BytesIO(env.get(key))), rewritten, compression="gzip")
    env.put(key, rewritten.getvalue())
    assert start_run(env.catalog, env.request(courier="copy")).status == "succeeded"
    assert ledger_row(env, "copy", key)["etag"] != ledger_row(env, env.courier, key)["etag"]
    assert {f.key for f in landed_files(env.catalog, env.courier)} == mine
    # the first courier's next run takes the new version from the copy's landed file: nothing downloaded
    again = env.run()
    assert again.status == "succeeded" and again.stats.files_landed == 0, again.stats
    assert ledger_row(env, "copy", key)["etag"] == ledger_row(env, env.courier, key)["etag"]
    assert ledger_problems(env) == []


def test_the_ledger_migration_keeps_rows_and_keys_them_by_courier(tmp_path: Path) -> None:
    from courier.core.catalog.workspace import open_workspace

    ws = open_workspace(tmp_path / "old")
    db = sqlite3.connect(ws.catalog_path)
    for statement in [s for migration in MIGRATIONS[:2] for s in _split(migration)]:
        db.execute(statement)
    db.execute("PRAGMA user_version = 2")
    db.execute("INSERT INTO ledger VALUES ('a', 'b', 'k', 'e', 1, 0, 't', NULL, 'r', '/p', NULL, 0)")
    db.commit()
    db.close()

    catalog = Catalog(ws)
    try:
        assert [tuple(r) for r in catalog.all("SELECT courier, bucket, key, etag FROM ledger")] == [("a", "b", "k", "e")]
        catalog.execute("INSERT INTO ledger VALUES ('other', 'b', 'k', 'e2', 1, 0, 't', NULL, 'r', '/p', NULL, 0)")
        rows = catalog.all("SELECT courier, etag FROM ledger WHERE bucket = 'b' AND key = 'k' ORDER BY courier")
        assert [tuple(r) for r in rows] == [("a", "e"), ("other", "e2")]
    finally:
        catalog.close()


# -- item 5: private files, redacted crash log ------------------------------------------------


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The common umask 022 (files 0644 unless courier says otherwise), for this test only."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_landed_files_and_the_warehouse_are_private(open_umask: None, reliability_env: ReliabilityEnv) -> None:
    env = reliability_env
    result = env.run()

    assert result.status == "succeeded", result.error
    landed = [p for p in env.workspace.landing_dir.rglob("*") if p.is_file()]
    assert landed
    assert {str(p): oct(mode(p)) for p in landed if mode(p) != 0o600} == {}
    assert oct(mode(env.workspace.warehouse_path)) == oct(0o600)


def test_the_crash_log_is_private_and_redacted(open_umask: None, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    from courier.core.config.secrets import remember
    from courier.tui.cli.main import _report_bug

    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYCRASHLOGKEY"
    remember([secret])  # a secret this process handled, as a run does when it decrypts a credential
    try:
        raise RuntimeError(f"boom while signing with {secret}")
    except RuntimeError as exc:
        _report_bug(exc, str(tmp_path / "ws"))

    log = tmp_path / "ws" / "logs" / "crash.log"
    text = log.read_text()
    assert "RuntimeError" in text and "boom while signing" in text
    assert secret not in text, "the crash log holds a secret"
    assert secret not in capsys.readouterr().err
    assert oct(mode(log)) == oct(0o600)
