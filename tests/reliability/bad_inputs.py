"""The bad-input corpus as data, and the few helpers that run and judge a case.

Each CLI case is one malformed command an operator could type: it must end with one specific
`error:` line (plus at most a `hint:` line, or click's own `Usage:`/`Error:` pair), exit 2 (1 for a
failed run), never print a traceback, and leave the catalog, the warehouse and the landing folder
exactly as they were. Placeholders in arguments: {ws} the workspace, {file} the case's file
(written from `file_text`), {endpoint} the local S3, {closed} a closed port's URL, {decisions}
/ {conversions} the feed ids, {landed} a landed decisions key, {not_ready} a day without
_SUCCESS, {blocker} a regular file (a workspace "under" it cannot exist).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

COURIER_BIN = Path(sys.executable).parent / "courier"
SECRET_ENV_KEY = "qjNR3u0pJ3Kx8CqzN1k1mZ4S3o4m0b2Yd8nQ7c6Zl1U="  # tests/conftest.py's TEST_SECRET_KEY
OTHER_VALID_KEY = "x5ybxQm0dW3bB2s8YzA4n1G4oVJmVZ0mXl9iQfN3u0Q="  # a different, valid Fernet key

ENTITY = ('{"object/type": "file", "object/file-pattern": "\'x/\'yyyy-MM-dd\'/*.parquet\'", '
          '"object/land-as": {"file/tag": "t", "file/content-type": "application/x-parquet"}}')


def entities(**replace: str) -> str:
    """One valid entity with some of its text swapped for a mistake (keys are the text to replace)."""
    text = ENTITY
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    return f"[{text}]"


@dataclass(frozen=True)
class Case:
    """One malformed CLI input and what a good answer looks like."""

    id: str
    args: tuple[str, ...]
    expect: str  # a specific fragment of the message (case-insensitive)
    code: int = 2
    stdin: str = ""
    file_text: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    failed_run: bool = False  # exit 1 with a failed run recorded in the run history
    breaks: str | None = None  # "catalog" / "warehouse": corrupt that file in the copy first
    stream: str = "stderr"  # where `expect` must appear
    file_name: str = "input.json"


def c(id: str, *args: str, expect: str, **kw: object) -> Case:  # noqa: A002 - `id` reads best in the table
    return Case(id, tuple(args), expect, **kw)  # type: ignore[arg-type]


D1, D2 = "2026-11-01", "2026-11-02"
PATTERN = "'x/'yyyy-MM-dd'/*.parquet'"

CASES: list[Case] = [
    # -- invalid JSON and wrong shapes: entities list --------------------------------------------
    c("entities-trailing-comma", "couriers", "add", "c2", "--credential", "opt", "--bucket", "my-bucket", "--entities", "{file}",
      file_text='[{"object/type": "file",}]', expect="line 1, column"),
    c("entities-not-json", "couriers", "add", "c2", "--credential", "opt", "--bucket", "my-bucket", "--entities", "{file}",
      file_text="object/type: file", expect="entities list"),
    c("entities-object-not-array", "couriers", "add", "c2", "--credential", "opt", "--bucket", "my-bucket", "--entities",
      "{file}", file_text=ENTITY, expect="expected a JSON array of entities, got an object"),
    c("entities-empty-array", "couriers", "add", "c2", "--credential", "opt", "--bucket", "my-bucket", "--entities", "{file}",
      file_text="[]", expect="at least one entity"),
    c("entities-misspelt-key", "couriers", "add", "c2", "--credential", "opt", "--bucket", "my-bucket", "--entities", "{file}",
      file_text=entities(**{"object/file-pattern": "object/file_pattern"}), expect="object/file_pattern"),
    c("entities-optional-not-bool", "couriers", "add", "c2", "--credential", "opt", "--bucket", "my-bucket", "--entities",
      "{file}", file_text=entities(**{'"object/type": "file"': '"object/type": "file", "object/optional": "yes"'}),
      expect="/0/object/optional"),
    c("entities-type-archive-typo", "couriers", "add", "c2", "--credential", "opt", "--bucket", "my-bucket", "--entities",
      "{file}", file_text=entities(**{'"object/type": "file"': '"object/type": "fiel"'}), expect="/0/object/type"),
    c("entities-content-type-typo", "couriers", "add", "c2", "--credential", "opt", "--bucket", "my-bucket", "--entities",
      "{file}", file_text=entities(**{"application/x-parquet": "application/parquet"}), expect="file/content-type"),
    c("entities-missing-tag", "couriers", "add", "c2", "--credential", "opt", "--bucket", "my-bucket", "--entities", "{file}",
      file_text=entities(**{'"file/tag": "t", ': ""}), expect="file/tag"),
    c("entities-header-rows-2", "couriers", "add", "c2", "--credential", "opt", "--bucket", "my-bucket", "--entities", "{file}",
      file_text=entities(**{'"file/tag": "t"': '"file/tag": "t", "file/header-rows": 2'}), expect="file/header-rows"),
    c("entities-file-missing", "couriers", "add", "c2", "--credential", "opt", "--bucket", "my-bucket", "--entities",
      "/nonexistent/entities.json", expect="no such file"),
    c("entities-file-is-folder", "couriers", "add", "c2", "--credential", "opt", "--bucket", "my-bucket", "--entities", "{ws}",
      expect="is a folder"),
    # -- bad patterns ------------------------------------------------------------------------------
    c("pattern-unknown-letter", "couriers", "add", "c2", "--credential", "opt", "--bucket", "my-bucket", "--entities",
      "{file}", file_text=entities(**{PATTERN: "'x/'yyyy-MM-ddQ'/*.parquet'"}), expect="Q"),
    c("pattern-unterminated-quote", "couriers", "add", "c2", "--credential", "opt", "--bucket", "my-bucket", "--entities",
      "{file}", file_text=entities(**{PATTERN: "'x/'yyyy-MM-dd'/*.parquet"}), expect="never closed"),
    c("pattern-empty", "couriers", "add", "c2", "--credential", "opt", "--bucket", "my-bucket", "--entities", "{file}",
      file_text=entities(**{PATTERN: ""}), expect="object/file-pattern"),
    c("prefix-with-star", "couriers", "add", "c2", "--credential", "opt", "--bucket", "my-bucket", "--prefix", "a/*",
      "--optimizely-account", "1234567890", expect="contains '*'"),
    # -- invalid JSON and wrong shapes: load operations ---------------------------------------------
    c("ops-invalid-json", "couriers", "edit", "optimizely", "--load-operations", "{file}",
      file_text='{"df-xxxxxx": [}', expect="line 1, column"),
    c("ops-array", "couriers", "edit", "optimizely", "--load-operations", "{file}",
      file_text='[{"type": "load"}]', expect="got an array"),
    c("ops-type-typo", "couriers", "edit", "optimizely", "--load-operations", "{file}",
      file_text='{"df-xxxxxx": [{"type": "lod", "file": "decisions"}]}', expect="did you mean 'load'"),
    c("ops-unknown-tag", "couriers", "edit", "optimizely", "--load-operations", "{file}",
      file_text='{"df-xxxxxx": [{"type": "load", "file": "decisons"}]}', expect="is not a file/tag"),
    c("ops-empty-list", "couriers", "edit", "optimizely", "--load-operations", "{file}",
      file_text='{"df-xxxxxx": []}', expect="at least one operation"),
    c("ops-file-not-string", "couriers", "edit", "optimizely", "--load-operations", "{file}",
      file_text='{"df-xxxxxx": [{"type": "load", "file": 7}]}', expect="expected a file tag"),
    c("ops-both-stdin", "couriers", "edit", "optimizely", "--load-operations", "-", "--entities", "-",
      expect="cannot both read stdin"),
    # -- wrong keys and types in courier settings ---------------------------------------------------
    c("courier-duplicate", "couriers", "add", "optimizely", "--credential", "opt", "--bucket", "my-bucket",
      "--optimizely-account", "1234567890", expect="already exists"),
    c("courier-bad-name", "couriers", "add", "bad name!", "--credential", "opt", "--bucket", "my-bucket",
      "--optimizely-account", "1234567890", expect="is not valid"),
    c("courier-bucket-url", "couriers", "add", "c2", "--credential", "opt", "--bucket", "s3://b/x",
      "--optimizely-account", "1234567890", expect="not a bucket name"),
    c("courier-bad-region", "couriers", "add", "c2", "--credential", "opt", "--bucket", "my-bucket", "--region", "mars-1",
      "--optimizely-account", "1234567890", expect="not an AWS region"),
    c("courier-bad-endpoint", "couriers", "add", "c2", "--credential", "opt", "--bucket", "my-bucket", "--endpoint-url",
      "ftp://x", "--optimizely-account", "1234567890", expect="not an http(s) URL"),
    c("courier-bad-account", "couriers", "add", "c2", "--credential", "opt", "--bucket", "my-bucket",
      "--optimizely-account", "12ab", expect="12ab"),
    c("courier-no-entities", "couriers", "add", "c2", "--credential", "opt", "--bucket", "my-bucket",
      expect="needs an entities list"),
    # -- unknown couriers, feeds, credentials, groups, runs -----------------------------------------
    c("courier-unknown-credential", "couriers", "add", "c2", "--credential", "nope", "--bucket", "my-bucket",
      "--optimizely-account", "1234567890", expect="no credential named 'nope'"),
    c("courier-show-unknown", "couriers", "show", "optimizly", expect="did you mean 'optimizely'"),
    c("courier-edit-unknown", "couriers", "edit", "nope", "--bucket", "b", expect="no courier named 'nope'"),
    c("courier-remove-unknown", "couriers", "remove", "nope", expect="no courier named 'nope'"),
    c("run-unknown-courier", "run", "nope", "--day", D1, expect="no courier named 'nope'"),
    c("files-unknown-courier", "files", "nope", expect="no courier named 'nope'"),
    c("feed-show-unknown", "feeds", "show", "df-nope00", expect='"df-nope00" does not exist'),
    c("feed-activate-unknown", "feeds", "activate", "df-nope00", expect='"df-nope00" does not exist'),
    c("feed-remove-unknown", "feeds", "remove", "df-nope00", expect='"df-nope00" does not exist'),
    c("credential-remove-unknown", "credentials", "remove", "nope", expect="nope"),
    c("credential-test-unknown", "credentials", "test", "nope", "--bucket", "b", expect="nope"),
    c("group-show-unknown", "groups", "show", "nope", expect="nope"),
    c("group-run-unknown", "groups", "run", "nope", "--day", D1, expect="nope"),
    c("group-unknown-courier", "groups", "add", "g", "--courier", "optimizly", expect="did you mean 'optimizely'"),
    c("group-after-unknown", "groups", "add", "g", "--courier", "optimizely", "--after", "nope", expect="nope"),
    c("run-show-unknown", "runs", "show", "wf-nope", expect="no run 'wf-nope'"),
    c("run-watch-unknown", "runs", "watch", "wf-nope", expect="no run 'wf-nope'"),
    # -- feeds: unknown tags, columns, samples -------------------------------------------------------
    c("tag-unknown", "feeds", "update", "{decisions}", "--tag", "visitor_id=emial", expect='unknown semantic tag "emial"'),
    c("tag-not-pair", "feeds", "update", "{decisions}", "--tag", "visitor_id", expect="is not COLUMN=TAG"),
    c("tag-unknown-column", "feeds", "update", "{decisions}", "--tag", "nocol=email", expect='no column "nocol"'),
    c("pk-unknown-column", "feeds", "add", "--source", "S", "--name", "N", "--sample", "{landed}",
      "--primary-key", "nocol", expect='no column "nocol"'),
    c("pk-empty", "feeds", "update", "{decisions}", "--primary-key", ",", expect="--primary-key is empty"),
    c("last-updated-unknown", "feeds", "update", "{conversions}", "--last-updated", "nocol", expect='no column "nocol"'),
    c("feed-duplicate", "feeds", "add", "--source", "Optimizely", "--name", "Decisions", "--sample", "{landed}",
      expect="already exists"),
    c("feed-sample-missing", "feeds", "add", "--source", "S", "--name", "N", "--sample", "no/such/key.parquet",
      expect="neither a landed key nor a file"),
    c("feed-sample-garbage", "feeds", "add", "--source", "S", "--name", "N", "--sample", "{file}",
      file_text="this is not parquet", file_name="sample.parquet", expect="sample.parquet"),
    # -- bad dates and ranges ------------------------------------------------------------------------
    c("run-to-before-from", "run", "optimizely", "--from", D2, "--to", D1, expect=f"to {D1} is not after from {D2}"),
    c("run-month-13", "run", "optimizely", "--day", "2026-13-01", expect="'2026-13-01' is not a date"),
    c("run-no-dates", "run", "optimizely", expect="choose exactly one of"),
    c("run-day-and-all", "run", "optimizely", "--day", D1, "--all", expect="choose exactly one of"),
    c("run-from-only", "run", "optimizely", "--from", D1, expect="needs both a from day and a to day"),
    c("validate-bad-day", "couriers", "validate", "optimizely", "--day", "2026-02-30", expect="is not a date"),
    c("files-remote-no-day", "files", "optimizely", "--remote", expect="--remote needs --day"),
    c("files-remote-reversed", "files", "optimizely", "--remote", "--from", D2, "--to", D1, expect="is not after"),
    c("runs-limit-zero", "runs", "--limit", "0", expect="--limit"),
    c("group-run-reversed", "groups", "run", "daily", "--from", D2, "--to", D1, expect="is not after from"),
    # -- invalid cron and time zones -----------------------------------------------------------------
    c("cron-dow-8", "cron", "0 0 * * 8", expect="day-of-week: 8 is out of range"),
    c("cron-four-fields", "cron", "0 0 * *", expect="field"),
    c("cron-minute-61", "cron", "61 * * * *", expect="minute"),
    c("cron-feb-30", "cron", "0 0 30 2 *", expect="never"),
    c("cron-bad-zone", "cron", "0 9 * * 1", "--timezone", "America/New_Yrok", expect="America/New_York"),
    c("cron-bad-now", "cron", "0 9 * * 1", "--now", "yesterday-ish", expect="is not an ISO time"),
    c("group-bad-cron", "groups", "add", "g", "--cron", "0 25 * * *", "--courier", "optimizely", expect="hour"),
    c("group-bad-zone", "groups", "add", "g", "--cron", "0 6 * * *", "--timezone", "Mars/Olympus",
      "--courier", "optimizely", expect="unknown time zone 'Mars/Olympus'"),
    c("group-bad-wait", "groups", "add", "g", "--courier", "optimizely", "--wait", "2x", expect="unknown unit 'x'"),
    c("group-duplicate", "groups", "add", "daily", "--courier", "optimizely", expect="already exists"),
    c("group-edit-nothing", "groups", "edit", "daily", expect="nothing to change"),
    c("group-lookback-zero", "groups", "add", "g", "--courier", "optimizely", "--lookback", "0h", expect="lookback"),
    c("group-bad-name", "groups", "add", "weekly/*", "--courier", "optimizely", expect="is not allowed"),
    c("group-courier-twice", "groups", "add", "g", "--courier", "optimizely", "--courier", "optimizely",
      expect="listed twice"),
    c("group-after-itself", "groups", "edit", "daily", "--after", "daily", expect="cannot wait for itself"),
    c("group-edit-bad-zone", "groups", "edit", "daily", "--timezone", "Europe/Lodnon", expect="Europe/London"),
    c("cron-empty", "cron", "", expect="field"),
    # -- more wrong shapes and combinations -----------------------------------------------------------
    c("entities-stdin-invalid", "couriers", "add", "c2", "--credential", "opt", "--bucket", "my-bucket",
      "--entities", "-", stdin="[{", expect="line 1, column"),
    c("entities-and-preset", "couriers", "add", "c2", "--credential", "opt", "--bucket", "my-bucket",
      "--optimizely-account", "1234567890", "--entities", "{file}", file_text=entities(), expect="only one of"),
    c("entities-drop-used-tag", "couriers", "edit", "optimizely", "--entities", "{file}", file_text=entities(),
      expect="decisions"),
    c("last-updated-not-time", "feeds", "add", "--source", "S", "--name", "N", "--sample", "{landed}",
      "--primary-key", "uuid", "--last-updated", "visitor_id", expect="visitor_id"),
    c("pk-change-on-active", "feeds", "update", "{decisions}", "--primary-key", "visitor_id", expect="is active"),
    c("profile-missing", "credentials", "add", "x", "--kind", "aws-profile", expect="profile"),
    c("token-api-url-bad", "credentials", "add", "x", "--kind", "optimizely-token", "--token-stdin", "--api-url",
      "not a url", stdin="tok-123456", expect="not a url"),
    # -- credentials: secrets never in argv, wrong kinds, wrong credentials ---------------------------
    c("secret-in-argv", "credentials", "add", "x", "--kind", "iam-credential", "--access-key-id", "AKIAX",
      "--secret-access-key", "s3cr3t-value", expect="no such option"),
    c("token-in-argv", "credentials", "add", "x", "--kind", "optimizely-token", "--token", "s3cr3t-token",
      expect="no such option"),
    c("password-in-argv", "credentials", "add", "x", "--kind", "iam-credential", "--password", "pw",
      expect="no such option"),
    c("credential-kind-typo", "credentials", "add", "x", "--kind", "iam-credentail", expect="iam-credentail"),
    c("secret-stdin-empty", "credentials", "add", "x", "--kind", "iam-credential", "--access-key-id", "AKIAX",
      "--secret-access-key-stdin", expect="no secret access key on standard input"),
    c("secret-flag-wrong-kind", "credentials", "add", "x", "--kind", "default-chain", "--secret-access-key-stdin",
      expect="does not apply to a default-chain credential"),
    c("credential-duplicate", "credentials", "add", "opt", "--kind", "default-chain", expect="already exists"),
    c("credential-bad-role-arn", "credentials", "add", "x", "--kind", "default-chain", "--role-arn", "arn:aws:iam::1:r",
      expect="arn:aws:iam::1:r"),
    c("credential-in-use", "credentials", "remove", "opt", expect="optimizely"),
    c("credential-closed-port", "credentials", "test", "opt", "--bucket", "b", "--endpoint-url", "{closed}",
      code=1, stream="stdout", expect="127.0.0.1"),
    c("run-closed-port", "run", "offline", "--day", D1, code=1, failed_run=True, expect="127.0.0.1"),
    c("run-not-ready-day", "run", "optimizely", "--day", "{not_ready}", code=1, failed_run=True, expect="not ready"),
    # -- queries -------------------------------------------------------------------------------------
    c("query-syntax", "query", "SELEC 1", expect="query failed"),
    c("query-unknown-table", "query", 'SELECT * FROM "Optimizely:Nope"', expect="Optimizely:Nope"),
    c("query-delete", "query", 'DELETE FROM "Optimizely:Decisions"', expect="read-only"),
    # -- unreadable workspace and keys ---------------------------------------------------------------
    c("workspace-is-file", "--workspace", "{blocker}", "couriers", "list", expect="is a file, not a folder"),
    c("workspace-under-file", "--workspace", "{blocker}/ws", "couriers", "list", expect="is not a folder"),
    c("workspace-empty-string", "--workspace", "", "couriers", "list", expect="workspace"),
    c("catalog-not-sqlite", "couriers", "list", breaks="catalog", expect="catalog"),
    c("warehouse-not-duckdb", "query", "SELECT 1", breaks="warehouse", expect="cannot open the warehouse"),
    c("secret-key-invalid", "credentials", "test", "opt", "--bucket", "b", env={"COURIER_SECRET_KEY": "short"},
      code=1, stream="stdout", expect="not a valid Fernet key"),
    c("secret-key-changed", "credentials", "test", "opt", "--bucket", "b", env={"COURIER_SECRET_KEY": OTHER_VALID_KEY},
      code=1, stream="stdout", expect="the secret key changed"),
    c("secret-key-changed-run", "run", "optimizely", "--day", D1, env={"COURIER_SECRET_KEY": OTHER_VALID_KEY},
      code=1, failed_run=True, expect="the secret key changed"),
    c("unknown-command", "frobnicate", expect="no such command"),
    c("missing-argument", "run", expect="missing argument"),
]


# -- running a case and taking the workspace's fingerprint -------------------------------------------

@dataclass
class Outcome:
    code: int
    out: str
    err: str


def cli_env(home: Path, **extra: str) -> dict[str, str]:
    """An environment with no developer AWS config and the tests' secret key."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "COURIER_", "TEXTUAL_")) and k not in ("NO_COLOR", "FORCE_COLOR")}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".local/share"),
               AWS_CONFIG_FILE=str(home / ".aws/config"), AWS_SHARED_CREDENTIALS_FILE=str(home / ".aws/credentials"),
               AWS_EC2_METADATA_DISABLED="true", COURIER_SECRET_KEY=SECRET_ENV_KEY, COLUMNS="200")
    env.update(extra)
    return env


def run_cli(args: list[str], env: dict[str, str], stdin: str = "", timeout: float = 120) -> Outcome:
    """The real `courier` console script in a child process."""
    proc = subprocess.run([str(COURIER_BIN), *args], input=stdin, capture_output=True, text=True, env=env,
                          timeout=timeout)
    return Outcome(proc.returncode, proc.stdout, proc.stderr)


def catalog_dump(path: Path, skip: tuple[str, ...] = ()) -> str:
    """A logical dump of the catalog (WAL included), or the file's hash when it is not SQLite."""
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            lines = [line for line in db.iterdump()
                     if not any(line.startswith(f'INSERT INTO "{t}"') for t in skip)]
        finally:
            db.close()
        return "\n".join(lines)
    except sqlite3.DatabaseError:
        return "sha256:" + file_hash(path)


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "absent"


def tree_listing(root: Path) -> list[tuple[str, int]]:
    return sorted((str(p.relative_to(root)), p.stat().st_size) for p in root.rglob("*") if p.is_file())


def fingerprint(ws: Path, *, history: bool = True) -> dict[str, object]:
    """What a rejected input must not change; `history=False` ignores the run history tables."""
    skip = () if history else ("runs", "run_events")
    return {"catalog": catalog_dump(ws / "catalog.sqlite", skip), "warehouse": file_hash(ws / "warehouse.duckdb"),
            "landing": tree_listing(ws / "landing")}
