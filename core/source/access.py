"""The validation test ("Test connection"): can this credential see and read the courier's data?

Checks run in order and stop at the first failure (later ones are reported as not run):
token (Optimizely tokens only: the exchange works), identity (STS GetCallerIdentity), list
(ListObjectsV2 under the prefix) and read (a one-byte ranged GET of the first object found, which
is where SSE-KMS decryption fails). "Connection successful" only when every check passed: a prefix
with nothing to read leaves the read check not run and the report not ok, with a warning that names
the likely cause (usually the account id in the prefix), because a credential that lists nothing
has proved nothing about reading the export.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from courier.core.catalog.catalog import Catalog
from courier.core.config.credentials import get_credential
from courier.core.errors import ConfigError, CourierError, Fix, FixKind
from courier.core.source.aws import client_for_session, make_session, translate_error
from courier.core.source.token import OPTIMIZELY_REGION, TokenCredentials
from courier.core.types import Check, CredentialKind

IDENTITY = "get the caller identity"
NOT_RUN = "not run (an earlier check failed)"
_ATTEMPTS = 2  # an operator waiting on "Test connection" wants the answer, not five retries


@dataclass
class AccessReport:
    credential: str
    bucket: str
    prefix: str
    checks: list[Check] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    @property
    def summary(self) -> str:
        if self.ok:
            return "Connection successful"
        failed = next((c for c in self.checks if not c.ok and c.ran), None)
        if failed:
            return f"Connection failed at the {failed.name} check"
        skipped = [c.name for c in self.checks if not c.ran]
        if skipped:
            return f"Connection not confirmed: the {', '.join(skipped)} check was not run"
        return "Connection failed"

    def to_json(self) -> dict[str, Any]:
        return {"credential": self.credential, "bucket": self.bucket, "prefix": self.prefix, "ok": self.ok,
                "summary": self.summary, "warnings": list(self.warnings),
                "checks": [c.to_json() for c in self.checks]}


def run_access_check(catalog: Catalog, credential_name: str, *, bucket: str | None = None, prefix: str = "",
                     region: str | None = "us-east-1", endpoint_url: str | None = None) -> AccessReport:
    """Run the checks; never raises for an access problem, only for an unknown credential.

    For an optimizely-token credential, `bucket`/`prefix` default to the account's export path.
    """
    cred = get_credential(catalog, credential_name)
    is_token = cred.kind is CredentialKind.OPTIMIZELY_TOKEN
    region = region or (OPTIMIZELY_REGION if is_token else "us-east-1")
    if not bucket and not is_token:
        raise ConfigError("the connection test needs a bucket", hint="a prefix tests one folder of it",
                          fix=Fix(FixKind.GIVE, "bucket", "BUCKET"))
    names = (["token"] if is_token else []) + ["identity", "list", "read"]
    report = AccessReport(credential=credential_name, bucket=bucket or "", prefix=prefix)

    def fail(name: str, error: CourierError) -> AccessReport:
        report.checks.append(Check(name, False, str(error), hint=error.hint))
        report.checks.extend(Check(n, False, NOT_RUN, ran=False) for n in names[len(report.checks):])
        return report

    try:
        session = make_session(catalog, credential_name, region=region, endpoint_url=endpoint_url)
    except CourierError as exc:
        return fail(names[0], exc)
    if is_token:
        creds = session.get_credentials()
        if isinstance(creds, TokenCredentials):
            grant = creds.grant
            report.checks.append(Check("token", True, f"token accepted: temporary keys for {grant.s3_path} "
                                                      f"until {grant.expiration:%Y-%m-%d %H:%M} UTC"))
            if not bucket:
                report.bucket, report.prefix = grant.bucket, prefix or grant.prefix + "/"
        else:
            report.checks.append(Check("token", True, "token accepted"))

    try:
        sts = client_for_session(session, "sts", region=region, endpoint_url=endpoint_url, max_attempts=_ATTEMPTS)
        identity = sts.get_caller_identity()
    except (BotoCoreError, ClientError, CourierError) as exc:
        return fail("identity", translate_error(exc, action=IDENTITY))
    report.checks.append(Check("identity", True, f"{identity['Arn']} (account {identity['Account']})"))

    s3 = client_for_session(session, "s3", region=region, endpoint_url=endpoint_url, max_attempts=_ATTEMPTS)
    try:
        listing = s3.list_objects_v2(Bucket=report.bucket, Prefix=report.prefix, MaxKeys=5)
    except (BotoCoreError, ClientError, CourierError) as exc:
        return fail("list", translate_error(exc, action="list", bucket=report.bucket, key=report.prefix))
    objects = listing.get("Contents", [])
    where = f"s3://{report.bucket}/{report.prefix}"
    more = " or more" if listing.get("IsTruncated") else ""
    report.checks.append(Check("list", True, f"listed {where}: {len(objects)}{more} object(s)"))

    sample = next((o for o in objects if o.get("Size", 0) > 0), None)
    if sample is None:
        what = "no object" if not objects else "only empty objects (ready markers)"
        report.checks.append(Check("read", False, f"not run: {what} under {where} to read", ran=False))
        report.warnings.append(_nothing_to_read(s3, report.bucket, report.prefix, bool(objects)))
        return report
    try:
        s3.get_object(Bucket=report.bucket, Key=sample["Key"], Range="bytes=0-0")["Body"].read()
    except (BotoCoreError, ClientError, CourierError) as exc:
        return fail("read", translate_error(exc, action="read", bucket=report.bucket, key=sample["Key"]))
    report.checks.append(Check("read", True, f"read s3://{report.bucket}/{sample['Key']}"))
    return report


_ACCOUNT = re.compile(r"(?P<parent>(?:.*/)?)account_id=(?P<id>[^/]*)")


def _nothing_to_read(s3: Any, bucket: str, prefix: str, only_empty: bool) -> str:
    """Why a prefix holds nothing to read, most likely: a wrong account id in Optimizely's path."""
    where = f"s3://{bucket}/{prefix}"
    if only_empty:
        return (f"only empty objects under {where}: the export may not have written data there yet, "
                "or the prefix stops above the data files")
    found = _ACCOUNT.search(prefix)
    if not found:
        return (f"nothing under {where}: check the prefix (Optimizely exports under "
                "v1/account_id=<your account id>/)")
    others = _account_folders(s3, bucket, found.group("parent"))
    seen = f"; the bucket has {', '.join(others)}" if others else ""
    return (f"nothing under {where}: is the account id {found.group('id')!r} in the prefix right? "
            f"Optimizely exports each account under {found.group('parent')}account_id=<id>/{seen}")


def _account_folders(s3: Any, bucket: str, parent: str) -> list[str]:
    """The account folders beside the one tested, when the credential may list them (else none)."""
    try:
        listing = s3.list_objects_v2(Bucket=bucket, Prefix=f"{parent}account_id=", Delimiter="/", MaxKeys=5)
    except (BotoCoreError, ClientError):
        return []
    return [str(p["Prefix"]) for p in listing.get("CommonPrefixes", [])]
