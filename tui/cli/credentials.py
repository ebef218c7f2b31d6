"""`courier credentials`: add, list, remove and test credentials.

Secret values never come from argv: the secret access key is read from stdin
(`--secret-access-key-stdin`) or AWS_SECRET_ACCESS_KEY, the Optimizely token from stdin
(`--token-stdin`) or OPTIMIZELY_API_TOKEN.
"""

from __future__ import annotations

import os
import sys

import click
from courier.core.config.credentials import (
    KINDS,
    add_credential,
    credential_to_json,
    describe,
    list_credentials,
    remove_credential,
    update_credential,
)
from courier.core.errors import ConfigError
from courier.core.source.access import run_access_check
from courier.core.text import printable
from courier.core.types import CheckState
from courier.tui.cli.context import CliContext, pass_ctx, print_json, read_secret_stdin, warn


@click.group(name="credentials")
def group() -> None:
    """Manage credentials (secrets are stored encrypted, never taken from the command line)."""


@group.command("add")
@click.argument("name")
@click.option("--kind", type=click.Choice([k.value for k in KINDS]), required=True, help="What kind of credential.")
@click.option("--access-key-id", metavar="ID", help="iam-credential: the access key id (AKIA...).")
@click.option("--secret-access-key-stdin", is_flag=True,
              help="iam-credential: read the secret access key from stdin (else $AWS_SECRET_ACCESS_KEY).")
@click.option("--profile", metavar="P", help="aws-profile: the profile name in the AWS config files.")
@click.option("--token-stdin", is_flag=True,
              help="optimizely-token: read the personal access token from stdin (else $OPTIMIZELY_API_TOKEN).")
@click.option("--api-url", metavar="URL", help="optimizely-token: the API base URL (default https://api.optimizely.com).")
@click.option("--role-arn", metavar="ARN", help="Assume this cross-account role (refreshed before expiry).")
@click.option("--external-id", metavar="X", help="The external ID the role's trust policy requires.")
@click.option("--replace", is_flag=True, help="Overwrite a credential of the same name.")
@pass_ctx
def add_command(ctx: CliContext, name: str, kind: str, access_key_id: str | None, secret_access_key_stdin: bool,
                profile: str | None, token_stdin: bool, api_url: str | None, role_arn: str | None,
                external_id: str | None, replace: bool) -> None:
    """Add a credential NAME."""
    secret_access_key = token = None
    if kind == "iam-credential":
        secret_access_key = _secret(secret_access_key_stdin, "secret access key", "AWS_SECRET_ACCESS_KEY",
                                    "--secret-access-key-stdin")
    elif secret_access_key_stdin:
        raise ConfigError(f"--secret-access-key-stdin does not apply to a {kind} credential",
                          hint="only iam-credential credentials take a secret access key")
    if kind == "optimizely-token":
        token = _secret(token_stdin, "Optimizely API token", "OPTIMIZELY_API_TOKEN", "--token-stdin")
    elif token_stdin:
        raise ConfigError(f"--token-stdin does not apply to a {kind} credential",
                          hint="only optimizely-token credentials take a token")
    cred = add_credential(ctx.catalog, name, kind, access_key_id=access_key_id, secret_access_key=secret_access_key,
                          profile=profile, role_arn=role_arn, external_id=external_id, token=token,
                          api_url=api_url, replace=replace)
    click.echo(f"added credential {cred.name} ({cred.kind}: {printable(describe(cred))})")
    click.echo(f"next: courier credentials test {cred.name}" + ("" if kind == "optimizely-token" else " --bucket BUCKET"))


@group.command("update")
@click.argument("name")
@click.option("--kind", type=click.Choice(KINDS), help="Change the kind (its own fields and secret are then needed).")
@click.option("--access-key-id", metavar="ID", help="iam-credential: a new access key id.")
@click.option("--secret-access-key-stdin", is_flag=True,
              help="iam-credential: read a new secret access key from stdin (else the stored one stays).")
@click.option("--profile", metavar="P", help="aws-profile: another profile name.")
@click.option("--token-stdin", is_flag=True,
              help="optimizely-token: read a new personal access token from stdin (else the stored one stays).")
@click.option("--api-url", metavar="URL", help="optimizely-token: another API base URL.")
@click.option("--role-arn", metavar="ARN", help="Assume this cross-account role ('' stops assuming one).")
@click.option("--external-id", metavar="X", help="The external ID the role's trust policy requires ('' clears it).")
@pass_ctx
def update_command(ctx: CliContext, name: str, kind: str | None, access_key_id: str | None,
                   secret_access_key_stdin: bool, profile: str | None, token_stdin: bool, api_url: str | None,
                   role_arn: str | None, external_id: str | None) -> None:
    """Change some of credential NAME's fields; the others, and its stored secret, stay as they are."""
    secret_access_key = read_secret_stdin("secret access key") if secret_access_key_stdin else None
    token = read_secret_stdin("Optimizely API token") if token_stdin else None
    cred = update_credential(ctx.catalog, name, kind=kind, access_key_id=access_key_id,
                             secret_access_key=secret_access_key, profile=profile, role_arn=role_arn,
                             external_id=external_id, token=token, api_url=api_url)
    kept = " (stored secret kept)" if credential_to_json(cred)["secret_stored"] and not (secret_access_key or token) else ""
    click.echo(f"updated credential {cred.name} ({cred.kind}: {printable(describe(cred))}){kept}")


@group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (never includes secret values).")
@pass_ctx
def list_command(ctx: CliContext, as_json: bool) -> None:
    """List credentials."""
    creds = list_credentials(ctx.catalog)
    if as_json:
        print_json([credential_to_json(c) for c in creds])
        return
    if not creds:
        click.echo("no credentials yet: add one with `courier credentials add NAME --kind ...`")
        return
    width = max(len(c.name) for c in creds)
    kind_width = max(len(c.kind) for c in creds)
    for c in creds:
        click.echo(f"{printable(c.name):<{width}}  {c.kind:<{kind_width}}  {printable(describe(c))}")


@group.command("remove")
@click.argument("name")
@pass_ctx
def remove_command(ctx: CliContext, name: str) -> None:
    """Remove credential NAME (refused while a courier uses it)."""
    remove_credential(ctx.catalog, name)
    click.echo(f"removed credential {name}")


@group.command("test")
@click.argument("name")
@click.option("--bucket", metavar="B", help="Bucket to test (optional for optimizely-token: the export bucket).")
@click.option("--prefix", metavar="P", default="", help="Prefix (folder) to list and read under.")
@click.option("--region", metavar="R", default=None, help="Bucket region (default us-east-1).")
@click.option("--endpoint-url", metavar="URL", help="S3-compatible endpoint (local stores, tests).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pass_ctx
def test_command(ctx: CliContext, name: str, bucket: str | None, prefix: str, region: str | None,
                 endpoint_url: str | None, as_json: bool) -> None:
    """Test NAME: caller identity, listing the prefix, reading one object."""
    report = run_access_check(ctx.catalog, name, bucket=bucket, prefix=prefix, region=region,
                              endpoint_url=endpoint_url)
    if as_json:
        print_json(report.to_json())
    else:
        for check in report.checks:
            mark = {CheckState.PASSED: "✓", CheckState.FAILED: "✗", CheckState.NOT_RUN: "-"}[check.state]
            click.echo(f"{mark} {check.name:<8}  {printable(check.detail)}")  # S3's texts, keys of the bucket
            if check.hint and not check.ok:
                click.echo(f"{'':<12}hint: {printable(check.hint)}")
        for warning in report.warnings:  # e.g. nothing under the prefix: names the likely cause
            warn(warning)
        click.echo(printable(report.summary))
    if not report.ok:
        sys.exit(1)


def _secret(from_stdin: bool, what: str, env: str, flag: str) -> str:
    """A secret from stdin when asked, else from the environment; never from argv."""
    if from_stdin:
        return read_secret_stdin(what)
    value = os.environ.get(env, "").strip()
    if value:
        return value
    raise ConfigError(f"no {what} given", hint=f"pipe it in with {flag}, or set {env}")
