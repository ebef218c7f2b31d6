"""`courier credentials` run as a real subprocess: secrets arrive on stdin, never in argv or output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from courier.core.devtools.s3server import LocalS3

from tests.token_server import TokenServer

COURIER = str(Path(sys.executable).parent / "courier")


def _allow(*actions: str) -> str:
    return json.dumps({"Version": "2012-10-17",
                       "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}]})


@pytest.fixture
def keys(auth_s3: LocalS3) -> dict[str, dict[str, str]]:
    iam, s3 = auth_s3.client("iam"), auth_s3.client("s3")
    s3.create_bucket(Bucket="exports")
    s3.put_object(Bucket="exports", Key="v1/part-0.parquet", Body=b"PAR1")
    s3.put_object(Bucket="exports", Key="v1/account_id=77/type=events/part-0.parquet", Body=b"PAR1")
    out: dict[str, dict[str, str]] = {}
    for user, actions in {"full": ("s3:ListBucket", "s3:GetObject"), "lister": ("s3:ListBucket",),
                          "broker": ("sts:AssumeRole",)}.items():
        iam.create_user(UserName=user)
        iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=_allow(*actions))
        key = iam.create_access_key(UserName=user)["AccessKey"]
        out[user] = {"id": key["AccessKeyId"], "secret": key["SecretAccessKey"]}
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"AWS": "arn:aws:iam::123456789012:user/broker"}}]}
    iam.create_role(RoleName="export-reader", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName="export-reader", PolicyName="r", PolicyDocument=_allow("s3:ListBucket", "s3:GetObject"))
    auth_s3.enable_auth()
    return out


class Runner:
    def __init__(self, workspace: Path) -> None:
        self.workspace = workspace
        self.argvs: list[list[str]] = []

    def __call__(self, *args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        argv = [COURIER, "--workspace", str(self.workspace), *args]
        self.argvs.append(argv)
        return subprocess.run(argv, input=stdin if stdin is not None else "", capture_output=True, text=True,
                              env={**os.environ, **(env or {})}, timeout=60)


@pytest.fixture
def courier(workspace_dir: Path) -> Runner:
    return Runner(workspace_dir)


def _add_iam(courier: Runner, name: str, key: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return courier("credentials", "add", name, "--kind", "iam-credential", "--access-key-id", key["id"],
                   "--secret-access-key-stdin", stdin=key["secret"] + "\n")


def test_add_list_test_remove_with_secret_on_stdin(courier, auth_s3, keys) -> None:  # type: ignore[no-untyped-def]
    secret = keys["full"]["secret"]
    added = _add_iam(courier, "prod", keys["full"])
    assert added.returncode == 0, added.stderr
    assert "added credential prod" in added.stdout
    listed = courier("credentials", "list", "--json")
    assert listed.returncode == 0
    data = json.loads(listed.stdout)
    assert [(c["name"], c["kind"], c["access_key_id"]) for c in data] == [("prod", "iam-credential", keys["full"]["id"])]
    plain = courier("credentials", "list")
    tested = courier("credentials", "test", "prod", "--bucket", "exports", "--prefix", "v1/",
                     "--endpoint-url", auth_s3.endpoint_url)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "✓ identity" in tested.stdout and "✓ read" in tested.stdout
    assert tested.stdout.rstrip().endswith("Connection successful")
    removed = courier("credentials", "remove", "prod")
    assert removed.returncode == 0 and json.loads(courier("credentials", "list", "--json").stdout) == []
    for result in (added, listed, plain, tested, removed):
        assert secret not in result.stdout + result.stderr
    assert all(secret not in arg for argv in courier.argvs for arg in argv)
    catalog_bytes = b"".join(p.read_bytes() for p in courier.workspace.glob("catalog.sqlite*"))
    assert secret.encode() not in catalog_bytes


def test_update_keeps_the_stored_secret_unless_a_new_one_is_piped_in(courier, auth_s3, keys) -> None:  # type: ignore[no-untyped-def]
    added = courier("credentials", "add", "prod", "--kind", "iam-credential", "--access-key-id", keys["full"]["id"],
                    "--role-arn", "arn:aws:iam::123456789012:role/export-reader", "--secret-access-key-stdin",
                    stdin=keys["full"]["secret"] + "\n")
    assert added.returncode == 0, added.stderr
    updated = courier("credentials", "update", "prod", "--role-arn", "")
    assert updated.returncode == 0, updated.stderr
    assert "updated credential prod" in updated.stdout and "stored secret kept" in updated.stdout
    tested = courier("credentials", "test", "prod", "--bucket", "exports", "--endpoint-url", auth_s3.endpoint_url)
    assert tested.returncode == 0 and "✓ read" in tested.stdout, tested.stdout  # the kept secret still signs
    rotated = courier("credentials", "update", "prod", "--access-key-id", keys["lister"]["id"],
                      "--secret-access-key-stdin", stdin=keys["lister"]["secret"] + "\n")
    assert rotated.returncode == 0 and "stored secret kept" not in rotated.stdout, rotated.stderr
    tested = courier("credentials", "test", "prod", "--bucket", "exports", "--endpoint-url", auth_s3.endpoint_url)
    assert tested.returncode == 1 and "✓ list" in tested.stdout and "✗ read" in tested.stdout  # the lister's key now
    for result in (added, updated, rotated):
        assert keys["full"]["secret"] not in result.stdout + result.stderr
    assert "does not apply" in courier("credentials", "update", "prod", "--profile", "x").stderr


def test_failing_check_exits_1_without_success_line(courier, auth_s3, keys) -> None:  # type: ignore[no-untyped-def]
    assert _add_iam(courier, "lister", keys["lister"]).returncode == 0
    result = courier("credentials", "test", "lister", "--bucket", "exports", "--endpoint-url", auth_s3.endpoint_url)
    assert result.returncode == 1
    assert "✓ list" in result.stdout and "✗ read" in result.stdout
    assert "access denied: cannot read s3://exports/v1/" in result.stdout
    assert "Connection successful" not in result.stdout
    as_json = courier("credentials", "test", "lister", "--bucket", "exports", "--endpoint-url",
                      auth_s3.endpoint_url, "--json")
    assert as_json.returncode == 1 and json.loads(as_json.stdout)["ok"] is False


def test_nothing_under_the_prefix_is_a_warning_not_connection_successful(courier, auth_s3, keys) -> None:  # type: ignore[no-untyped-def]
    assert _add_iam(courier, "prod", keys["full"]).returncode == 0
    result = courier("credentials", "test", "prod", "--bucket", "exports", "--prefix", "v1/account_id=1234567890/",
                     "--endpoint-url", auth_s3.endpoint_url)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("✓ identity") and lines[1].startswith("✓ list")
    assert lines[2].startswith("- read") and "not run: no object under s3://exports/v1/account_id=1234567890/" in lines[2]
    assert "✓ read" not in result.stdout and "Connection successful" not in result.stdout
    assert lines[-1] == "Connection not confirmed: the read check was not run"
    assert result.stderr.splitlines() == [
        "warning: nothing under s3://exports/v1/account_id=1234567890/: is the account id '1234567890' in the "
        "prefix right? Optimizely exports each account under v1/account_id=<id>/; the bucket has v1/account_id=77/"]
    as_json = json.loads(courier("credentials", "test", "prod", "--bucket", "exports", "--prefix",
                                 "v1/account_id=1234567890/", "--endpoint-url", auth_s3.endpoint_url, "--json").stdout)
    assert as_json["ok"] is False and "account id '1234567890'" in as_json["warnings"][0]
    assert as_json["checks"][2] == {"name": "read", "ok": False, "ran": False, "state": "not-run", "hint": None,
                                    "detail": "not run: no object under s3://exports/v1/account_id=1234567890/ to read"}


def test_secret_from_environment(courier, auth_s3, keys) -> None:  # type: ignore[no-untyped-def]
    result = courier("credentials", "add", "envkey", "--kind", "iam-credential", "--access-key-id", keys["full"]["id"],
                     env={"AWS_SECRET_ACCESS_KEY": keys["full"]["secret"]})
    assert result.returncode == 0, result.stderr
    tested = courier("credentials", "test", "envkey", "--bucket", "exports", "--endpoint-url", auth_s3.endpoint_url)
    assert tested.returncode == 0, tested.stdout


def test_no_option_takes_a_secret_in_argv(courier) -> None:  # type: ignore[no-untyped-def]
    for option in ("--secret-access-key", "--token", "--secret"):
        result = courier("credentials", "add", "x", "--kind", "iam-credential", "--access-key-id",
                         "AKIAIOSFODNN7EXAMPLE", option, "s3cr3t-in-argv")
        assert result.returncode == 2 and "No such option" in result.stderr
    help_text = courier("credentials", "add", "--help").stdout
    assert "--secret-access-key-stdin" in help_text and "--token-stdin" in help_text


def test_missing_secret_and_bad_input_are_one_line_errors(courier) -> None:  # type: ignore[no-untyped-def]
    missing = courier("credentials", "add", "x", "--kind", "iam-credential", "--access-key-id", "AKIAIOSFODNN7EXAMPLE")
    assert missing.returncode == 2
    assert missing.stderr.splitlines()[0] == "error: no secret access key given"
    assert missing.stderr.splitlines()[1].startswith("hint: ")
    empty = courier("credentials", "add", "x", "--kind", "iam-credential", "--access-key-id", "AKIAIOSFODNN7EXAMPLE",
                    "--secret-access-key-stdin", stdin="\n")
    assert empty.returncode == 2 and "no secret access key on standard input" in empty.stderr
    arn = courier("credentials", "add", "x", "--kind", "default-chain", "--role-arn", "arn:aws:iam::1:role/r")
    assert arn.returncode == 2 and "is not an IAM role ARN" in arn.stderr and "Traceback" not in arn.stderr
    unknown = courier("credentials", "remove", "nope")
    assert unknown.returncode == 2 and "no credential named 'nope'" in unknown.stderr


@pytest.fixture
def token_api(auth_s3: LocalS3, keys: dict[str, dict[str, str]]) -> Iterator[TokenServer]:
    sts = auth_s3.client("sts", aws_access_key_id=keys["broker"]["id"], aws_secret_access_key=keys["broker"]["secret"])

    def mint() -> dict[str, Any]:
        return sts.assume_role(RoleArn="arn:aws:iam::123456789012:role/export-reader", RoleSessionName="opt",
                               DurationSeconds=900)["Credentials"]

    with TokenServer(mint=mint, token="2:cli-token-secret-value", bucket="exports", account_id="77") as server:
        yield server


def test_optimizely_token_credential(courier, auth_s3, token_api) -> None:  # type: ignore[no-untyped-def]
    added = courier("credentials", "add", "opt", "--kind", "optimizely-token", "--token-stdin",
                    "--api-url", token_api.url, stdin="2:cli-token-secret-value\n")
    assert added.returncode == 0, added.stderr
    listed = courier("credentials", "list", "--json")
    assert "cli-token-secret-value" not in listed.stdout
    assert json.loads(listed.stdout)[0]["api_url"] == token_api.url
    tested = courier("credentials", "test", "opt", "--endpoint-url", auth_s3.endpoint_url)
    assert "✓ token" in tested.stdout and "s3://exports/v1/account_id=77/" in tested.stdout
    assert "✓ list" in tested.stdout and "✓ read" in tested.stdout
    assert tested.returncode == 0 and tested.stdout.rstrip().endswith("Connection successful"), tested.stdout
    token_api.mode = "403"
    denied = courier("credentials", "test", "opt", "--endpoint-url", auth_s3.endpoint_url)
    assert denied.returncode == 1 and "✗ token" in denied.stdout and "403 Forbidden" in denied.stdout
    for result in (added, listed, tested, denied):
        assert "cli-token-secret-value" not in result.stdout + result.stderr
