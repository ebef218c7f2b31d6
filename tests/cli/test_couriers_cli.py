"""`courier couriers ...`: exit codes, stderr lines, stdin documents, and validate against local S3."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from courier.core.catalog.catalog import Catalog
from courier.core.catalog.workspace import open_workspace
from courier.core.config.credentials import add_credential
from courier.core.optimizely import preset_entities
from courier.tui.cli.main import main

ACCOUNT = "596780373"
BUCKET = "optimizely-events-data"
REPO = Path(__file__).resolve().parents[2]


class Result:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    catalog = Catalog(open_workspace(root))
    add_credential(catalog, "opt-keys", "iam-credential", access_key_id="AKIAIOSFODNN7EXAMPLE",
                   secret_access_key="testing-secret-access-key-0123")
    catalog.close()
    return root


def courier(ws: Path, *args: str, input: str | None = None) -> Result:
    """Run `courier --workspace WS couriers ARGS` in-process, as the console script would."""
    runner = CliRunner()
    with runner.isolation(input=input) as (out, err, _):
        try:
            main(["--workspace", str(ws), "couriers", *args])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        return Result(code, out.getvalue().decode(), err.getvalue().decode())


def write(tmp_path: Path, name: str, value: Any) -> str:
    path = tmp_path / name
    path.write_text(value if isinstance(value, str) else json.dumps(value))
    return str(path)


def add(ws: Path, *extra: str, name: str = "opt", input: str | None = None) -> Result:
    return courier(ws, "add", name, "--credential", "opt-keys", "--bucket", BUCKET, *extra, input=input)


def test_add_list_show_remove(ws: Path, tmp_path: Path) -> None:
    entities = write(tmp_path, "entities.json", preset_entities(ACCOUNT))
    result = add(ws, "--entities", entities)
    assert result.code == 0, result.err
    assert result.out.startswith("added courier opt: s3://optimizely-events-data/ (2 entities: decisions, conversions)")
    assert result.err == ""

    listed = courier(ws, "list")
    assert listed.code == 0
    assert listed.out.splitlines()[0].split() == ["NAME", "CREDENTIAL", "LOCATION", "REGION", "TAGS", "LOAD",
                                                  "OPERATIONS"]
    assert "opt" in listed.out and "{} (land only)" in listed.out
    assert [c["name"] for c in json.loads(courier(ws, "list", "--json").out)] == ["opt"]

    shown = json.loads(courier(ws, "show", "opt", "--json").out)
    assert shown["entities"] == preset_entities(ACCOUNT) and shown["load_operations"] == {}
    assert "entities list:" in courier(ws, "show", "opt").out

    assert courier(ws, "remove", "opt").out == "removed courier opt\n"
    assert courier(ws, "list", "--json").out.strip() == "[]"


def test_optimizely_account_and_placeholder_from_stdin_warns_on_stderr(ws: Path) -> None:
    ops = json.dumps({"df-xxxxxx": [{"type": "load", "file": "decisions"}]})
    result = add(ws, "--optimizely-account", ACCOUNT, "--load-operations", "-", input=ops)
    assert result.code == 0, result.err
    assert result.err.startswith("warning: df-xxxxxx is a placeholder: the run will land files and then fail "
                                 'with Cannot find required feeds: "df-xxxxxx"')


def test_edit_load_operations_from_stdin(ws: Path) -> None:
    assert add(ws, "--optimizely-account", ACCOUNT).code == 0
    ops = {"CONVERSIONS-FEED-ID": [{"type": "load", "file": "conversions"}]}
    result = courier(ws, "edit", "opt", "--load-operations", "-", input=json.dumps(ops))
    assert (result.code, result.out) == (0, "updated courier opt\n")
    assert json.loads(courier(ws, "show", "opt", "--json").out)["load_operations"] == ops


@pytest.mark.parametrize(("args", "stdin", "first_error_line"), [
    (["--entities", "-"], '[{"object/type": "file",,}]',
     "error: entities list: invalid JSON at line 1, column 25: Expecting property name enclosed in double quotes"),
    (["--entities", "-"], '[{"object/type": "archive"}]',
     "error: entities list /0/object/type: archives are not supported yet"),
    (["--optimizely-account", ACCOUNT, "--load-operations", "-"], '{"df-5Jagkabc": [{"type": "load", "file": "decisions"}]}',
     'error: load operations /df-5Jagkabc: feed "df-5Jagkabc" does not exist'),
    (["--optimizely-account", ACCOUNT, "--load-operations", "-"], '{"df-xxxxxx": [{"type": "load", "file": "decision"}]}',
     'error: load operations /df-xxxxxx/0/file: "decision" is not a file/tag in the entities list'),
    (["--entities", "/nonexistent/entities.json"], None, "error: --entities: no such file '/nonexistent/entities.json'"),
    ([], None, "error: a courier needs an entities list"),
    (["--optimizely-account", "abc"], None, "error: account id 'abc' is not a number"),
    (["--optimizely-account", ACCOUNT, "--region", "mars"], None, "error: region 'mars' is not an AWS region name"),
])
def test_bad_input_exits_2_with_one_error_line_and_no_traceback(ws: Path, args: list[str], stdin: str | None,
                                                                first_error_line: str) -> None:
    result = add(ws, *args, input=stdin)
    assert result.code == 2
    lines = result.err.splitlines()
    assert lines[0] == first_error_line
    assert all(line.startswith(("error: ", "hint: ")) for line in lines) and len(lines) <= 2
    assert "Traceback" not in result.err


def test_unknown_courier_exits_2_with_a_suggestion(ws: Path) -> None:
    assert add(ws, "--optimizely-account", ACCOUNT, name="optimizely").code == 0
    result = courier(ws, "show", "optimizly")
    assert result.code == 2
    assert result.err == "error: no courier named 'optimizly'\nhint: did you mean 'optimizely'?\n"


@pytest.mark.parametrize("day", ["2020-13-01", "yesterday", "20200914", "2020-9-14"])
def test_validate_with_a_bad_day_exits_2(ws: Path, day: str) -> None:
    assert add(ws, "--optimizely-account", ACCOUNT).code == 0
    result = courier(ws, "validate", "opt", "--day", day)
    assert result.code == 2
    assert result.err.splitlines()[0] == f"error: --day {day!r} is not a date"
    assert "Traceback" not in result.err


def seed(s3: Any) -> None:
    client = s3.client("s3")
    client.create_bucket(Bucket=BUCKET)
    day = f"v1/account_id={ACCOUNT}/type=decisions/date=2020-09-14"
    client.put_object(Bucket=BUCKET, Key=f"{day}/experiment=111/part-00000-a.c000.snappy.parquet", Body=b"PAR1")
    client.put_object(Bucket=BUCKET, Key=f"{day}/_SUCCESS", Body=b"")


def test_validate_day_fails_and_names_the_entity_without_files(ws: Path, s3: Any) -> None:
    seed(s3)
    assert add(ws, "--optimizely-account", ACCOUNT, "--endpoint-url", s3.endpoint_url).code == 0
    result = courier(ws, "validate", "opt", "--day", "2020-09-14")
    assert result.code == 1
    assert "✓ files on 2020-09-14 for decisions (entity 0): 1 object match" in result.out
    assert "✗ files on 2020-09-14 for conversions (entity 1): no object matches" in result.out
    assert "Courier validation failed: 1 of" in result.err and "Courier validation passed" not in result.out


def test_validate_day_passes(ws: Path, s3: Any, tmp_path: Path) -> None:
    seed(s3)
    entities = write(tmp_path, "decisions.json", preset_entities(ACCOUNT)[:1])
    assert add(ws, "--entities", entities, "--endpoint-url", s3.endpoint_url).code == 0
    result = courier(ws, "validate", "opt", "--day", "2020-09-14")
    assert result.code == 0, result.out + result.err
    assert result.out.rstrip().endswith("Courier validation passed")
    report = json.loads(courier(ws, "validate", "opt", "--day", "2020-09-14", "--json").out)
    assert report["ok"] is True and all(c["ok"] for c in report["checks"])


def test_the_console_script_reads_stdin_and_prints_no_traceback(ws: Path) -> None:
    """A real process: the `-` file is the process's stdin and a bad document exits 2."""
    code = "from courier.tui.cli.main import main; main()"
    proc = subprocess.run(
        [sys.executable, "-c", code, "--workspace", str(ws), "couriers", "add", "opt", "--credential", "opt-keys",
         "--bucket", BUCKET, "--entities", "-"],
        input='[{"object/type": "file", "object/file-pattern": 7}]', capture_output=True, text=True, cwd=REPO,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[0] == (
        "error: entities list /0/object/file-pattern: expected a non-empty pattern string, got 7")
    assert "Traceback" not in proc.stderr
