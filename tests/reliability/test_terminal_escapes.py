"""Issue 11 (medium): untrusted text never drives the operator's terminal.

A bucket's author chooses object keys, the Hive partition values in them (URL-decoded for
display), the column names and values of the files, and what S3 says about them. A key holding
`ESC[2J` clears the screen, `ESC]0;…BEL` retitles the window, `\\r` overwrites the line with a fake
one, `\\x9b` is CSI on 8-bit terminals and U+202E shows text reversed; in the TUI `[bold]` is Rich
markup. Every face must show such text literally, control characters escaped (`\\x1b`, `\\u202e`).

The CLI runs as a real process, on a real pseudo-terminal where the issue says "on a terminal"
(output post-processing off, so every byte the process writes is seen as written), against a
real local S3 (moto over HTTP); S3's own error texts come through the fault proxy. The TUI runs
under Pilot and the test reads what the compositor would draw.
"""

from __future__ import annotations

import io
import json
import os
import pty
import re
import select
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from courier.core.catalog.catalog import Catalog
from courier.core.catalog.workspace import Workspace
from courier.core.config.couriers import add_courier, edit_courier
from courier.core.config.credentials import add_credential
from courier.core.devtools.s3server import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY, LocalS3
from courier.core.runs.records import RunRequest, list_runs, start_run
from courier.core.text import printable

from tests.reliability.fault_proxy import FaultProxy

COURIER_BIN = str(Path(sys.executable).parent / "courier")
BUCKET = "hostile-bucket"
COURIER = "hostile"
DAY = date(2026, 11, 1)

# A file name a bucket's author may choose (no `/`: that would start a new segment).
NAME = "\x1b]0;pwned\x07\x1b[2J\x1b[31m[bold]red\rfake\u202eevil\x9b"
# The partition segment is URL-encoded in the key and decoded for display: ESC[2J and [reverse].
PARTITION = "event=%1B%5B2J%5Breverse%5D"
KEY = f"x/{DAY.isoformat()}/{PARTITION}/{NAME}.parquet"
COLUMN = "[bold]hot\x1b[7m"  # a column name from the file: markup and a control sequence
VALUE = "v\x1b[2J\r\u202eend"

# What a terminal must never receive from untrusted text: C0 controls but the line feed, DEL,
# C1 controls, bidi embeddings/overrides/isolates, line and paragraph separators.
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
# The hostile sequences themselves, for output that legitimately styles itself (rich progress).
HOSTILE_RAW = ("\x1b]0;pwned", "\x1b[2J", "\x07", "\rfake", "\u202e", "\x9b", "[bold]red\x1b")
# ... and how every face must show that key: each control character as a visible escape
SHOWN_KEY = ("x/2026-11-01/event=%1B%5B2J%5Breverse%5D/"
             "\\x1b]0;pwned\\x07\\x1b[2J\\x1b[31m[bold]red\\x0dfake\\u202eevil\\x9b.parquet")
SHOWN_PARTITION = "event=\\x1b[2J[reverse]"


def hostile_parquet() -> bytes:
    buf = io.BytesIO()
    pq.write_table(pa.table({"uuid": ["u1", "u2"], COLUMN: [VALUE, "plain"]}), buf)
    return buf.getvalue()


@dataclass
class Hostile:
    ws: Path
    workspace: Workspace
    catalog: Catalog
    s3: LocalS3


@pytest.fixture
def hostile(s3: LocalS3, workspace_dir: Path, workspace: Workspace, catalog: Catalog) -> Iterator[Hostile]:
    """A bucket with one hostile object and a land-only courier whose pattern selects it."""
    client = s3.client("s3")
    client.create_bucket(Bucket=BUCKET)
    client.put_object(Bucket=BUCKET, Key=KEY, Body=hostile_parquet())
    assert [o["Key"] for o in client.list_objects_v2(Bucket=BUCKET)["Contents"]] == [KEY]
    add_credential(catalog, "opt", "iam-credential", access_key_id=LOCAL_ACCESS_KEY,
                   secret_access_key=LOCAL_SECRET_KEY)
    entities = [{"object/type": "file", "object/file-pattern": "'x/'yyyy-MM-dd'/*/*.parquet'",
                 "object/land-as": {"file/tag": "hostile", "file/content-type": "application/x-parquet"}}]
    add_courier(catalog, COURIER, credential="opt", bucket=BUCKET, endpoint_url=s3.endpoint_url,
                entities=json.dumps(entities), load_operations="{}")
    yield Hostile(workspace_dir, workspace, catalog, s3)


def _env() -> dict[str, str]:
    # wide, so that rich never wraps a line; TERM set, so that a terminal is treated as one
    return {**os.environ, "COLUMNS": "400", "LINES": "50", "TERM": "xterm-256color"}


def on_terminal(ws: Path, *args: str) -> tuple[int, str]:
    """Run `courier --workspace ws ARGS` with stdout and stderr on a pseudo-terminal; what it wrote."""
    master, slave = pty.openpty()
    attrs = termios.tcgetattr(slave)
    attrs[1] &= ~termios.OPOST  # no \n -> \r\n translation: the bytes read are the bytes written
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    proc = subprocess.Popen([COURIER_BIN, "--workspace", str(ws), *args], stdin=subprocess.DEVNULL,
                            stdout=slave, stderr=slave, env=_env())
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + 120  # a guard against a hung child, not a wait
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 1.0)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed its side of the terminal
                break
            if not data:
                break
            chunks.append(data)
        code = proc.wait(timeout=120)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    return code, b"".join(chunks).decode("utf-8", "surrogateescape")


def piped(ws: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI with stdout and stderr as pipes (as cron, CI and `| less` see it)."""
    return subprocess.run([COURIER_BIN, "--workspace", str(ws), *args], capture_output=True, timeout=120,
                          env=_env(), text=True, encoding="utf-8", errors="surrogateescape")


def assert_no_raw_controls(text: str, what: str) -> None:
    found = sorted({f"U+{ord(c):04X}" for c in RAW.findall(text)})
    assert not found, f"{what} wrote raw control characters {found}:\n{text!r}"


def assert_absent(raw: str, text: str, what: str) -> None:
    """For output that styles itself (rich): the hostile sequence itself must not be there."""
    at = text.find(raw)
    assert at < 0, f"{what} wrote {raw!r} raw: ...{text[max(0, at - 120):at + 120]!r}..."


def land(h: Hostile) -> str:
    result = start_run(h.catalog, RunRequest(COURIER, "day", day=DAY))
    assert result.status == "succeeded", result.error
    return result.id


def test_printable_escapes_every_control_and_keeps_ordinary_text() -> None:
    assert printable("v1/date=2026-11-01/part-0000.parquet") == "v1/date=2026-11-01/part-0000.parquet"
    assert printable("é ü 日本 [x]") == "é ü 日本 [x]"
    assert printable("a\x1b[2Jb\rc\nd\te\x7f\x9b") == "a\\x1b[2Jb\\x0dc\\x0ad\\x09e\\x7f\\x9b"
    assert printable("ab\u202ecd\u2066\u2028") == "ab\\u202ecd\\u2066\\u2028"
    assert printable("line one\nline two\r", newlines=True) == "line one\nline two\\x0d"
    assert printable("\udcff") == "\\udcff"  # an undecodable byte of a file name
    assert printable(KEY) == SHOWN_KEY


def test_files_remote_and_landed_show_hostile_keys_escaped_on_a_terminal(hostile: Hostile) -> None:
    code, out = on_terminal(hostile.ws, "files", COURIER, "--remote", "--day", DAY.isoformat())
    assert code == 0, out
    assert_no_raw_controls(out, "files --remote")
    assert SHOWN_KEY in out
    assert SHOWN_PARTITION in out  # the decoded partition value, escaped too

    land(hostile)
    code, out = on_terminal(hostile.ws, "files", COURIER)
    assert code == 0, out
    assert_no_raw_controls(out, "files")
    assert SHOWN_KEY in out

    # --json is for programs: JSON escapes controls itself and keeps the real key
    listed = json.loads(piped(hostile.ws, "files", COURIER, "--json").stdout)
    assert [f["key"] for f in listed] == [KEY]


def test_run_events_and_run_history_show_hostile_keys_escaped(hostile: Hostile) -> None:
    out = piped(hostile.ws, "run", COURIER, "--day", DAY.isoformat())
    assert out.returncode == 0, out.stderr
    assert_no_raw_controls(out.stdout + out.stderr, "run")
    assert f"landed {SHOWN_KEY}" in out.stderr
    run_id = list_runs(hostile.catalog)[0].id

    for args in (("runs", "show", run_id), ("runs", "watch", run_id)):
        code, text = on_terminal(hostile.ws, *args)
        assert code == 0, text
        assert_no_raw_controls(text, " ".join(args))
        assert SHOWN_KEY in text
    code, text = on_terminal(hostile.ws, "runs")
    assert code == 0, text
    assert_no_raw_controls(text, "runs")


def test_s3_error_texts_naming_a_hostile_key_are_escaped(hostile: Hostile) -> None:
    with FaultProxy(hostile.s3.endpoint_url) as proxy:
        proxy.kms_denied.add(KEY)  # S3's 403 for kms:Decrypt, naming the key
        edit_courier(hostile.catalog, COURIER, endpoint_url=proxy.endpoint_url)

        # a run on a terminal: rich draws the progress (its own styling), the key stays inert
        code, out = on_terminal(hostile.ws, "run", COURIER, "--day", DAY.isoformat())
        assert code == 1, out
        for raw in HOSTILE_RAW:
            assert_absent(raw, out, "run")
        assert "denied" in out and SHOWN_KEY in out

        code, out = on_terminal(hostile.ws, "couriers", "validate", COURIER, "--day", DAY.isoformat())
        assert code == 1, out
        assert_no_raw_controls(out, "couriers validate")
        assert "denied" in out and SHOWN_KEY in out

        code, out = on_terminal(hostile.ws, "credentials", "test", "opt", "--bucket", BUCKET, "--prefix", "x/",
                                "--endpoint-url", proxy.endpoint_url)
        assert code == 1, out
        assert_no_raw_controls(out, "credentials test")
        assert "denied" in out and SHOWN_KEY in out


def test_error_lines_of_the_cli_escape_what_they_quote(hostile: Hostile) -> None:
    """`error:` lines quote user and bucket text (here a sample key that is not landed)."""
    code, out = on_terminal(hostile.ws, "feeds", "add", "--source", "S", "--name", "N", "--sample", KEY)
    assert code == 2, out
    assert out.startswith("error: ")
    assert_no_raw_controls(out, "feeds add")
    assert "Traceback" not in out


def test_query_results_and_feed_details_show_file_values_escaped(hostile: Hostile) -> None:
    from courier.core.feeds.model import activate_feed, add_feed

    values = f"x/{DAY.isoformat()}/k/values.parquet"  # a plain key; its values are the file author's
    buf = io.BytesIO()
    pq.write_table(pa.table({"uuid": ["u1", "u2"], "note": [VALUE, "[bold]plain"]}), buf)
    hostile.s3.client("s3").put_object(Bucket=BUCKET, Key=values, Body=buf.getvalue())
    land(hostile)
    feed = add_feed(hostile.catalog, source="Hostile", name="Notes", sample=values, primary_key=["uuid"])
    activate_feed(hostile.catalog, hostile.workspace, feed.id, load_sample=True)

    # rich draws the result table with its own styling; the values stay inert and literal
    code, out = on_terminal(hostile.ws, "query", 'SELECT uuid, note FROM "Hostile:Notes" ORDER BY uuid')
    assert code == 0, out
    for raw in ("\x1b[2J", "\r", "\u202e"):
        assert_absent(raw, out, "query")
    assert "v\\x1b[2J\\x0d\\u202eend" in out and "[bold]plain" in out

    code, out = on_terminal(hostile.ws, "feeds", "show", feed.id)
    assert code == 0, out
    assert_no_raw_controls(out, "feeds show")
    assert "v\\x1b[2J\\x0d\\u202eend" in out


def test_scheduler_log_escapes_what_it_quotes(hostile: Hostile) -> None:
    from courier.core.schedule.scheduler import scheduler_logger

    log = scheduler_logger(hostile.catalog)
    try:
        log.warning("courier group nightly failed: cannot read %s", KEY)
    finally:
        for handler in list(log.handlers):
            handler.close()
            log.removeHandler(handler)
    text = (hostile.workspace.logs_dir / "scheduler.log").read_text(encoding="utf-8")
    assert_no_raw_controls(text, "the scheduler log")
    assert f"cannot read {SHOWN_KEY}" in text


# the TUI -------------------------------------------------------------------------------------


def screen_text(app) -> str:  # type: ignore[no-untyped-def]
    """Every line the compositor would draw for the current screen, as plain text."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def test_files_screen_shows_hostile_keys_columns_and_values_literally(hostile: Hostile) -> None:
    from courier.tui.screens.files import FilesScreen
    from courier.tui.widgets.arrow_table import ArrowTable

    from tests.tui.test_run_progress import Host, wait_for

    short = f"x/{DAY.isoformat()}/k/[b]\r\x1b[2J.parquet"  # short enough for the key column's 40 cells
    hostile.s3.client("s3").put_object(Bucket=BUCKET, Key=short, Body=hostile_parquet())
    land(hostile)
    app = Host(lambda: FilesScreen(hostile.workspace, hostile.catalog, COURIER))
    async with app.run_test(size=(200, 40)) as pilot:
        screen = app.screen
        files = screen.query_one("#files", ArrowTable)
        preview = screen.query_one("#preview-rows", ArrowTable)
        await wait_for(pilot, lambda: files.row_count == 2 and preview.row_count == 2, "the list and a preview")
        await pilot.pause()
        text = screen_text(app)
        assert_no_raw_controls(text, "the files screen")
        assert f"x/{DAY.isoformat()}/k/[b]\\x0d\\x1b[2J.parquet" in text  # markup as text, controls escaped
        assert SHOWN_KEY[:39] in text  # the long key, escaped, up to where the column cuts it
        assert "event=\\x1b[2J[reverse]" in text  # the decoded partition value
        assert "[bold]hot\\x1b[7m  VARCHAR" in text  # a column name in the schema
        assert "uuid  [bold]hot\\x1b[7m" in text  # ... and as a header of the preview
        assert "v\\x1b[2J\\x0d\\u202eend" in text  # a value of the file
        assert screen.selected_file()["key"] in (KEY, short)  # what the screen acts on is the real key


async def test_feed_editor_and_tag_picker_show_hostile_column_names_literally(hostile: Hostile) -> None:
    from courier.tui.screens.feed_editor import FeedEditorScreen
    from courier.tui.widgets.tag_picker import TagPicker
    from textual.widgets import DataTable

    from tests.tui.test_run_progress import Host, wait_for

    land(hostile)
    app = Host(lambda: FeedEditorScreen(hostile.workspace, hostile.catalog, sample=KEY))
    async with app.run_test(size=(200, 40)) as pilot:
        screen = app.screen
        table = screen.query_one("#columns", DataTable)
        await wait_for(pilot, lambda: table.row_count == 2, "the sample's columns")
        await pilot.pause()
        text = screen_text(app)
        assert_no_raw_controls(text, "the feed editor")
        assert "[bold]hot\\x1b[7m" in text
        assert "sample " + SHOWN_KEY[:60] in text
        await pilot.press("down", "t")
        await wait_for(pilot, lambda: isinstance(app.screen, TagPicker), "the tag picker")
        await pilot.pause()
        text = screen_text(app)
        assert_no_raw_controls(text, "the tag picker")
        assert "Semantic tag for [bold]hot\\x1b[7m" in text


async def test_live_run_view_shows_hostile_keys_literally(hostile: Hostile) -> None:
    from courier.tui.screens.run_progress import RunProgressScreen

    from tests.tui.test_run_progress import Host, wait_for

    run_id = land(hostile)
    app = Host(lambda: RunProgressScreen(hostile.workspace, hostile.catalog, run_id=run_id))
    async with app.run_test(size=(250, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, RunProgressScreen)
        await wait_for(pilot, lambda: screen.state.finished and screen._ended and screen.log_at_end,
                       "the run's end, its log at its end")
        await pilot.pause()
        text = screen_text(app)
        assert_no_raw_controls(text, "the live run view")
        assert f"landed {SHOWN_KEY}" in text
