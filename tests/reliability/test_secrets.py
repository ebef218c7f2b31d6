"""Issue 7 item 5: a secret typed once is stored encrypted and shows up nowhere else.

One module-wide workflow through the real `courier` console script: a credential whose 40-character
random secret arrives on stdin, a courier, a run, a feed, a loaded run, a failed run, a failed
access check, a scheduled group run, every `--json` view and a CSV export. Then we search every
byte the workflow left behind (workspace, logs, config folder, exports, outputs, run events) for
the secret and its base64 forms, read the child's /proc/PID/cmdline while it waits for the secret,
check that no CLI option takes a secret value, and render the credentials screen with the secret
typed into its masked input.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import sqlite3
import stat
import string
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import click
import pytest
from courier.core.devtools.s3server import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY, LocalS3, free_port

from tests.reliability.bad_inputs import COURIER_BIN, Outcome, cli_env, run_cli

ACCOUNT = "1234567890"
BUCKET = "optimizely-events-data"
START = date(2026, 11, 1)
SECRET_WORDS = ("secret", "token", "password", "passwd", "private")


def forms(secret: str) -> list[bytes]:
    """The secret as bytes, and as the base64 a careless encoder would write."""
    raw = secret.encode()
    return [raw, base64.b64encode(raw), base64.urlsafe_b64encode(raw), base64.b64encode(raw).rstrip(b"=")]


@dataclass
class Workflow:
    secret: str
    root: Path
    ws: Path
    home: Path
    env: dict[str, str]
    outputs: dict[str, Outcome] = field(default_factory=dict)
    argv_seen: list[str] = field(default_factory=list)

    def cli(self, name: str, *args: str, stdin: str = "", code: int = 0) -> Outcome:
        out = run_cli(["--workspace", str(self.ws), *args], self.env, stdin=stdin)
        assert out.code == code, f"{name}: exit {out.code}\n{out.out}\n{out.err}"
        self.outputs[name] = out
        return out


def add_credential_watching_argv(flow: Workflow) -> None:
    """Start `credentials add` with stdin open, read every process's argv while it waits, then send the secret."""
    args = [str(COURIER_BIN), "--workspace", str(flow.ws), "credentials", "add", "opt", "--kind", "iam-credential",
            "--access-key-id", LOCAL_ACCESS_KEY, "--secret-access-key-stdin"]
    proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=flow.env, text=True)
    try:
        time.sleep(0.3)  # the child is importing and will block on stdin; its argv is fixed since exec
        for pid in [proc.pid, *_children(proc.pid)]:
            flow.argv_seen.append(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode())
        out, err = proc.communicate(flow.secret + "\n", timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    flow.outputs["credentials add"] = Outcome(proc.returncode, out, err)


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def run_workflow(flow: Workflow, endpoint: str) -> None:
    d1, d2 = START.isoformat(), (START + timedelta(days=1)).isoformat()
    add_credential_watching_argv(flow)
    flow.cli("credentials test", "credentials", "test", "opt", "--bucket", BUCKET, "--endpoint-url", endpoint, "--json")
    flow.cli("couriers add", "couriers", "add", "optimizely", "--credential", "opt", "--bucket", BUCKET,
             "--endpoint-url", endpoint, "--optimizely-account", ACCOUNT, "--load-operations", "-", stdin="{}")
    flow.cli("run land", "run", "optimizely", "--day", d1)
    landed = json.loads(flow.cli("files", "files", "optimizely", "--json").out)
    key = next(f["key"] for f in landed if f["tag"] == "decisions")
    feed_id = flow.cli("feeds add", "feeds", "add", "--source", "Optimizely", "--name", "Decisions", "--sample", key,
                       "--primary-key", "uuid", "--generate-updated", "--activate").out.strip().splitlines()[-1]
    ops = json.dumps({feed_id: [{"type": "load", "file": "decisions"}]})
    flow.cli("couriers edit", "couriers", "edit", "optimizely", "--load-operations", "-", stdin=ops)
    loaded = json.loads(flow.cli("run load", "run", "optimizely", "--day", d1, "--json").out)
    assert loaded["status"] == "succeeded"
    flow.cli("run not ready", "run", "optimizely", "--day", d2, code=1)
    flow.cli("credentials test closed", "credentials", "test", "opt", "--bucket", BUCKET, "--endpoint-url",
             f"http://127.0.0.1:{free_port()}", "--json", code=1)
    flow.cli("groups add", "groups", "add", "daily", "--cron", "0 6 * * *", "--courier", "optimizely")
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date()  # the group fires after its creation: no data then
    flow.cli("scheduler", "scheduler", "--once", "--now", f"{tomorrow}T06:05:00", code=1)
    runs = json.loads(flow.cli("runs --json", "runs", "--json").out)
    assert {r["status"] for r in runs} == {"succeeded", "failed"}
    for run in runs:
        flow.cli(f"runs show {run['id']}", "runs", "show", run["id"], "--json")
    flow.cli("credentials list", "credentials", "list", "--json")
    flow.cli("couriers show", "couriers", "show", "optimizely", "--json")
    flow.cli("couriers list", "couriers", "list", "--json")
    flow.cli("feeds show", "feeds", "show", feed_id, "--json")
    flow.cli("groups show", "groups", "show", "daily", "--json")
    export = flow.cli("query csv", "query", 'SELECT * FROM "Optimizely:Decisions"', "--csv")
    (flow.root / "export.csv").write_text(export.out)
    flow.cli("query json", "query", 'SELECT * FROM "Optimizely:Decisions" LIMIT 5', "--json")


@pytest.fixture(scope="module")
def flow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workflow]:
    root = tmp_path_factory.mktemp("secrets")
    secret = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(40))
    env = cli_env(root / "home")
    del env["COURIER_SECRET_KEY"]  # the key file is created under the config dir, so its mode can be checked
    workflow = Workflow(secret, root, root / "ws", root / "home", env)
    with LocalS3() as server:
        from courier.core.devtools.synth import ExportSpec, upload_export

        spec = ExportSpec(account_id=ACCOUNT, start=START, days=2, decisions_per_day=80, conversions_per_day=40, seed=5)
        upload_export(spec, server.client("s3"), BUCKET)
        run_workflow(workflow, server.endpoint_url)
        yield workflow


def test_the_secret_is_in_no_file_except_as_ciphertext(flow: Workflow) -> None:
    scanned = 0
    for base in (flow.ws, flow.home, flow.root):
        for path in base.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                scanned += 1
                for form in forms(flow.secret):
                    assert form not in data, f"the secret ({form[:6]!r}...) is in {path}"
    assert scanned > 10
    assert (flow.ws / "logs" / "scheduler.log").exists()
    db = sqlite3.connect(f"file:{flow.ws / 'catalog.sqlite'}?mode=ro", uri=True)
    try:
        (cipher,) = db.execute("SELECT secret FROM credentials WHERE name = 'opt'").fetchone()
    finally:
        db.close()
    assert cipher and bytes(cipher).startswith(b"gAAAA")  # Fernet ciphertext, not the value


def test_the_secret_is_in_no_event(flow: Workflow) -> None:
    db = sqlite3.connect(f"file:{flow.ws / 'catalog.sqlite'}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT type, data FROM run_events").fetchall()
        runs = db.execute("SELECT coalesce(error, '') || coalesce(notification, '') || stats FROM runs").fetchall()
    finally:
        db.close()
    assert len(rows) > 10 and {t for t, _ in rows} >= {"run_started", "file_landed", "run_finished", "error"}
    text = "\n".join(d for _, d in rows) + "\n".join(r[0] for r in runs)
    for form in forms(flow.secret):
        assert form.decode() not in text


def test_the_secret_is_in_no_output(flow: Workflow) -> None:
    assert len(flow.outputs) >= 20
    for name, out in flow.outputs.items():
        for form in forms(flow.secret):
            assert form.decode() not in out.out + out.err, f"the secret is in the output of `{name}`"
    creds = json.loads(flow.outputs["credentials list"].out)
    assert creds[0]["name"] == "opt" and not any("secret" in k and isinstance(v, str) for k, v in creds[0].items()), creds


def test_the_secret_is_never_in_argv(flow: Workflow) -> None:
    assert flow.argv_seen and "credentials add opt" in flow.argv_seen[0]
    for argv in flow.argv_seen:
        assert flow.secret not in argv


def _options(command: click.Command, path: str = "courier") -> Iterator[tuple[str, click.Parameter]]:
    for param in command.params:
        yield path, param
    if isinstance(command, click.Group):  # list_commands/get_command: the top group loads its commands lazily
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None, f"{path} lists {name} but has no such command"
            yield from _options(sub, f"{path} {name}")


def test_no_cli_option_takes_a_secret_value() -> None:
    from courier.tui.cli.main import cli

    secretish = []
    for path, param in _options(cli):
        names = " ".join(getattr(param, "opts", []))
        if isinstance(param, click.Option) and any(w in names.lower() for w in SECRET_WORDS):
            secretish.append(f"{path} {names}")
            assert param.is_flag, f"`{path} {names}` takes a value: a secret would sit in argv"
    assert {"courier credentials add --secret-access-key-stdin", "courier credentials add --token-stdin"} <= set(secretish)


def test_secret_files_are_private(flow: Workflow) -> None:
    key_file = flow.home / ".config" / "courier" / "secret.key"
    assert key_file.exists(), "the secret key was not created in the config folder"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) & 0o077 == 0
    assert stat.S_IMODE(flow.ws.stat().st_mode) & 0o077 == 0
    assert stat.S_IMODE((flow.ws / "catalog.sqlite").stat().st_mode) == 0o600
    for sub in ("landing", "logs", "locks"):
        assert stat.S_IMODE((flow.ws / sub).stat().st_mode) & 0o077 == 0, sub


def test_the_workspace_stays_private_under_a_loose_umask(tmp_path: Path) -> None:
    """Even when the operator's umask lets everyone read new files, the workspace folder is 0700."""
    old = os.umask(0)
    try:
        out = run_cli(["--workspace", str(tmp_path / "ws"), "credentials", "list"], cli_env(tmp_path / "home"))
    finally:
        os.umask(old)
    assert out.code == 0, out.err
    assert stat.S_IMODE((tmp_path / "ws").stat().st_mode) & 0o077 == 0
    assert stat.S_IMODE((tmp_path / "ws" / "catalog.sqlite").stat().st_mode) == 0o600


async def test_the_secret_is_in_no_screenshot(tmp_path: Path) -> None:
    pytest.importorskip("textual")
    try:
        from textual.widgets import Input

        from tests.tui.helpers import make_app, offline_workspace, wait_for
    except ImportError as exc:  # pragma: no cover - the TUI is being written in parallel
        pytest.skip(f"the TUI is not importable yet: {exc}")
    secret = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(40))
    setup = offline_workspace(tmp_path / "ws", credential=False, courier=False)
    app = make_app(setup.workspace)
    shots: list[Path] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("c", "n")
        await wait_for(pilot, lambda: app.screen.query_one("#cred-name", Input).has_focus, what="the new credential form")
        app.screen.query_one("#cred-name", Input).value = "typed"
        app.screen.query_one("#cred-access_key_id", Input).value = LOCAL_ACCESS_KEY
        field_ = app.screen.query_one("#cred-secret_access_key", Input)
        field_.focus()
        await pilot.pause()
        await pilot.press(*secret[:10])  # typed key by key, as an operator would
        field_.value = secret
        await wait_for(pilot, lambda: field_.value == secret, what="the secret in its field")
        assert field_.password and field_.value == secret
        shots.append(Path(app.save_screenshot(path=str(tmp_path), filename="typing.svg")))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: setup.catalog.execute("SELECT count(*) FROM credentials WHERE name = 'typed'")
                       .fetchone()[0] == 1, what="the credential saved")
        shots.append(Path(app.save_screenshot(path=str(tmp_path), filename="saved.svg")))
    setup.close()
    assert shots[0].read_text().count("•") >= len(secret), "the masked input is not on the screenshot"
    for shot in shots:
        text = shot.read_bytes()
        assert b"typed" in text or b"Credentials" in text, "the screenshot does not show the credentials screen"
        for form in forms(secret):
            assert form not in text, f"the secret is visible in {shot.name}"


def test_committed_screenshots_hold_no_secret() -> None:
    shots = sorted((Path(__file__).parents[2] / "screenshots").glob("*.svg"))
    if not shots:
        pytest.skip("no screenshots/ yet (`make screenshots`)")
    for shot in shots:
        data = shot.read_bytes()
        for form in forms(LOCAL_SECRET_KEY):
            assert form not in data, f"the demo secret is visible in {shot.name}"


def test_only_the_source_and_config_layers_decrypt_secrets() -> None:
    """Secrets are decrypted where S3 is reached (core/source) and where they are kept (core/config): the faces
    and every other engine package never call load_secret, decrypt or all_secret_values."""
    import ast

    root = Path(__file__).resolve().parents[2]
    allowed = {root / "core" / "source", root / "core" / "config", root / "core" / "runs"}  # runs: redaction
    calls = []
    for path in sorted([*(root / "core").rglob("*.py"), *(root / "tui").rglob("*.py")]):
        if any(path.is_relative_to(folder) for folder in allowed):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
            if name in ("load_secret", "decrypt", "all_secret_values"):
                calls.append(f"{path.relative_to(root)}:{node.lineno} uses {name}")
    assert calls == []
