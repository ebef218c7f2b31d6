"""`courier feeds`: add prints only the id; list/show/suggest/activate/truncate/remove; errors exit 2."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import click
import pytest
from courier.core.catalog.catalog import Catalog
from courier.core.catalog.workspace import open_workspace
from courier.core.errors import CourierError
from courier.core.warehouse.duckdb import Warehouse
from courier.tui.cli.context import CliContext
from courier.tui.cli.feeds import group

from tests.cli.invoke import Outcome, invoke
from tests.conftest import OPTIMIZELY_LABS

DECISIONS = next((OPTIMIZELY_LABS / "type=decisions").rglob("*.parquet"))
KEY = "v1/account_id=596780373/type=decisions/date=2020-09-14/experiment=18786493712/part-00000.snappy.parquet"


@click.group()
@click.option("--workspace")
@click.pass_context
def root(ctx: click.Context, workspace: str) -> None:
    ctx.obj = CliContext(workspace_arg=workspace)


root.add_command(group)


@pytest.fixture
def cli(workspace_dir: Path):  # type: ignore[no-untyped-def]
    """Run `courier --workspace WS feeds ...` the way `courier` does: CourierError -> error/hint + exit code."""

    def run(*args: str) -> Outcome:
        return invoke(root, ["--workspace", str(workspace_dir), "feeds", *args])

    return run


@pytest.fixture
def landed(workspace_dir: Path) -> str:
    """The decisions fixture landed by a courier run: a ledger row and the file under landing/."""
    ws = open_workspace(workspace_dir)
    local = ws.landing_path("optimizely-events-data", KEY)
    local.parent.mkdir(parents=True)
    shutil.copy(DECISIONS, local)
    catalog = Catalog(ws)
    catalog.execute("INSERT INTO ledger (courier, bucket, key, etag, size, last_modified, tag, day, run_id, local_path,"
                    " rows, landed_at) VALUES ('opt', 'optimizely-events-data', ?, 'e', 1, 0, 'decisions', "
                    "'2020-09-14', 'run-1', ?, 10000, 0)", (KEY, str(local)))
    catalog.close()
    return KEY


def test_add_prints_only_the_feed_id(cli, landed: str) -> None:  # type: ignore[no-untyped-def]
    out = cli("add", "--source", "Optimizely", "--name", "Decisions", "--sample", landed, "--primary-key", "uuid")
    assert out.code == 0 and re.fullmatch(r"df-[A-Za-z0-9]{6}\n", out.out)


def test_add_activate_loads_the_sample_with_partition_columns(cli, landed: str, workspace_dir: Path) -> None:  # type: ignore[no-untyped-def]
    out = cli("add", "--source", "Optimizely", "--name", "Decisions", "--sample", landed, "--primary-key", "uuid",
              "--stitch", "--activate")
    assert out.code == 0 and re.fullmatch(r"df-[A-Za-z0-9]{6}\n", out.out)
    assert "10,000 inserted" in out.err
    with Warehouse(open_workspace(workspace_dir).warehouse_path, read_only=True) as wh:
        rows = wh.query('SELECT count(DISTINCT uuid) AS n, min(date) AS d, min(experiment) AS e '
                        'FROM "Optimizely:Decisions"').to_pylist()
    assert rows == [{"n": 10000, "d": "2020-09-14", "e": "18786493712"}]
    listing = json.loads(cli("list", "--json").out)
    assert listing[0]["rows"] == 10000 and listing[0]["stitch"] and listing[0]["active"]
    text = cli("list").out
    assert "Optimizely:Decisions" in text and "10,000" in text and "yes" in text


def test_add_activate_without_a_key_stores_nothing(cli, landed: str) -> None:  # type: ignore[no-untyped-def]
    out = cli("add", "--source", "Optimizely", "--name", "Decisions", "--sample", landed, "--activate")
    assert out.code == 2 and "needs a primary key" in out.err and "--primary-key uuid" in out.err
    assert json.loads(cli("list", "--json").out) == []


def test_show_lists_columns_types_tags_and_pii(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "people.csv"
    path.write_text("id,email,changed\n1,a@x.io,2024-01-01 00:00:00\n")
    feed_id = cli("add", "--source", "Crm", "--name", "People", "--sample", str(path), "--primary-key", "id",
                  "--tag", "email=email", "--last-updated", "changed").out.strip()
    out = cli("show", "Crm:People")
    assert out.code == 0 and feed_id in out.out and "last updated: changed" in out.out
    email_line = next(line for line in out.out.splitlines() if line.startswith("email"))
    assert "VARCHAR" in email_line and "PII" in email_line and "a@x.io" in email_line
    shown = json.loads(cli("show", feed_id, "--json").out)
    assert shown["primary_key"] == ["id"] and shown["tags"] == {"id": "pk", "email": "email"}


def test_suggest_then_apply(cli, landed: str) -> None:  # type: ignore[no-untyped-def]
    feed_id = cli("add", "--source", "Optimizely", "--name", "Decisions", "--sample", landed).out.strip()
    out = cli("suggest", feed_id)
    assert out.code == 0 and re.search(r"^uuid\s+pk$", out.out, re.M)
    assert json.loads(cli("show", feed_id, "--json").out)["primary_key"] == []
    cli("suggest", feed_id, "--apply")
    assert json.loads(cli("show", feed_id, "--json").out)["primary_key"] == ["uuid"]
    assert "no new suggestions" in cli("suggest", feed_id).out


def test_activate_truncate_remove(cli, landed: str, workspace_dir: Path) -> None:  # type: ignore[no-untyped-def]
    feed_id = cli("add", "--source", "Optimizely", "--name", "Decisions", "--sample", landed,
                  "--primary-key", "uuid").out.strip()
    out = cli("activate", feed_id, "--no-load-sample")
    assert out.code == 0 and out.out == "Optimizely:Decisions\n"
    assert json.loads(cli("list", "--json").out)[0]["rows"] == 0
    assert cli("activate", feed_id).code == 0
    assert json.loads(cli("list", "--json").out)[0]["rows"] == 10000
    assert cli("truncate", "Optimizely:Decisions").code == 0
    assert json.loads(cli("list", "--json").out)[0]["rows"] == 0
    out = cli("remove", feed_id)
    assert out.code == 0 and "kept the table" in out.out
    with Warehouse(open_workspace(workspace_dir).warehouse_path, read_only=True) as wh:
        assert wh.tables() == [("Optimizely:Decisions", 0)]


@pytest.mark.parametrize(("args", "message"), [
    (("--tag", "uuid=emial"), 'unknown semantic tag "emial"'),
    (("--tag", "uuid"), "is not COLUMN=TAG"),
    (("--primary-key", "uid"), 'no column "uid"'),
    (("--last-updated", "visitor_id"), "not a datetime or integer"),
])
def test_bad_input_exits_2_with_one_error_line(cli, landed: str, args: tuple[str, ...], message: str) -> None:  # type: ignore[no-untyped-def]
    out = cli("add", "--source", "Optimizely", "--name", "Decisions", "--sample", landed, *args)
    assert out.code == 2 and message in out.err and out.out == ""


def test_unknown_feed_and_unknown_sample(cli) -> None:  # type: ignore[no-untyped-def]
    out = cli("show", "df-nope00")
    assert out.code == 2 and 'feed "df-nope00" does not exist' in out.err
    out = cli("add", "--source", "Optimizely", "--name", "Decisions", "--sample", "v1/nothing.parquet")
    assert out.code == 2 and "neither a landed key nor a file" in out.err


@pytest.mark.parametrize("content_type", ["application/x-json-stream", "application/avro"])
def test_feeds_and_entities_refuse_an_unsupported_content_type_with_the_same_line(
        cli, content_type: str) -> None:  # type: ignore[no-untyped-def]
    from courier.core.config.entities import parse_entities

    added = cli("add", "--source", "Optimizely", "--name", "Decisions", "--sample", str(DECISIONS),
                "--content-type", content_type)
    with pytest.raises(CourierError) as entities:
        parse_entities([{"object/type": "file", "object/file-pattern": "'x/'yyyy-MM-dd'/*.json'",
                         "object/land-as": {"file/tag": "t", "file/content-type": content_type}}])
    line = f"{content_type} is not supported yet"
    assert added.code == 2 and f"error: {line}\n" in added.err, added.err
    assert entities.value.message == line
    assert added.err.splitlines()[1] == f"hint: {entities.value.hint}"


def test_feeds_add_accepts_exactly_the_content_types(cli) -> None:  # type: ignore[no-untyped-def]
    from courier.core.types import ContentType

    typo = cli("add", "--source", "Optimizely", "--name", "Decisions", "--sample", str(DECISIONS),
               "--content-type", "application/parquet")
    assert typo.code == 2 and "hint: did you mean 'application/x-parquet'?" in typo.err
    feed_id = cli("add", "--source", "Optimizely", "--name", "Decisions", "--sample", str(DECISIONS),
                  "--content-type", ContentType.PARQUET).out.strip()
    assert json.loads(cli("show", feed_id, "--json").out)["content_type"] == "application/x-parquet"
