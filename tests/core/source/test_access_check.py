"""The validation test ("Test connection") against a moto server with IAM auth switched on.

Each failure an operator can hit is produced for real where moto can produce it: unknown key,
wrong secret, list denied, read denied, no such bucket, unreachable endpoint, a role assumed with
the right and a wrong external ID.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from courier.core.config.credentials import add_credential
from courier.core.devtools.s3server import LocalS3, free_port
from courier.core.errors import ConfigError, NotFound
from courier.core.source.access import NOT_RUN, run_access_check
from courier.core.types import Check, CheckState

ACCOUNT = "123456789012"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/courier-reader"
EXTERNAL_ID = "courier-ext-7f3a"


def _allow(*actions: str) -> str:
    return json.dumps({"Version": "2012-10-17",
                       "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}]})


@pytest.fixture
def users(auth_s3: LocalS3) -> dict[str, dict[str, str]]:
    """Bucket `exports` with two objects; users with different rights; a role that needs an external ID."""
    iam, s3 = auth_s3.client("iam"), auth_s3.client("s3")
    s3.create_bucket(Bucket="exports")
    s3.put_object(Bucket="exports", Key="v1/day=1/part-0.parquet", Body=b"PAR1data")
    s3.put_object(Bucket="exports", Key="v1/day=1/_SUCCESS", Body=b"")
    rights = {"full": ("s3:ListBucket", "s3:GetObject"), "lister": ("s3:ListBucket",),
              "getter": ("s3:GetObject",), "assumer": ("sts:AssumeRole",)}
    keys: dict[str, dict[str, str]] = {}
    for user, actions in rights.items():
        iam.create_user(UserName=user)
        iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=_allow(*actions))
        key = iam.create_access_key(UserName=user)["AccessKey"]
        keys[user] = {"id": key["AccessKeyId"], "secret": key["SecretAccessKey"]}
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/assumer"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}}}]}
    iam.create_role(RoleName="courier-reader", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName="courier-reader", PolicyName="r", PolicyDocument=_allow("s3:ListBucket", "s3:GetObject"))
    auth_s3.enable_auth()
    return keys


def _check(catalog: Any, auth_s3: LocalS3, name: str, **kwargs: Any):  # type: ignore[no-untyped-def]
    params: dict[str, Any] = {"bucket": "exports", "prefix": "v1/", "endpoint_url": auth_s3.endpoint_url}
    params.update(kwargs)
    return run_access_check(catalog, name, **params)


def _add(catalog: Any, name: str, key: dict[str, str], **kwargs: Any) -> None:
    add_credential(catalog, name, "iam-credential", access_key_id=key["id"], secret_access_key=key["secret"], **kwargs)


def test_all_checks_pass(catalog, auth_s3, users) -> None:  # type: ignore[no-untyped-def]
    _add(catalog, "full", users["full"])
    report = _check(catalog, auth_s3, "full")
    assert [c.name for c in report.checks] == ["identity", "list", "read"]
    assert report.ok and report.summary == "Connection successful"
    assert "arn:aws:iam::123456789012:user/full" in report.checks[0].detail
    assert "2 object(s)" in report.checks[1].detail
    assert report.checks[2].detail == "read s3://exports/v1/day=1/part-0.parquet"  # the non-empty one


def test_unknown_key_fails_identity_and_skips_the_rest(catalog, auth_s3, users) -> None:  # type: ignore[no-untyped-def]
    _add(catalog, "ghost", {"id": "AKIAGHOSTGHOSTGHOST1", "secret": "g" * 40})
    report = _check(catalog, auth_s3, "ghost")
    identity, listing, read = report.checks
    assert not report.ok and identity.ran and not identity.ok
    assert identity.detail.startswith("unknown access key")
    assert (listing.ran, listing.detail, read.ran) == (False, NOT_RUN, False)
    assert [c.state for c in report.checks] == [CheckState.FAILED, CheckState.NOT_RUN, CheckState.NOT_RUN]
    assert all(type(c) is Check for c in report.checks)
    assert report.to_json()["checks"][1] == {**listing.to_json(), "state": "not-run"}
    assert "Connection successful" not in report.summary


def test_wrong_secret_is_a_signature_mismatch(catalog, auth_s3, users) -> None:  # type: ignore[no-untyped-def]
    _add(catalog, "typo", {"id": users["full"]["id"], "secret": "T" * 40})
    report = _check(catalog, auth_s3, "typo")
    assert report.checks[0].detail.startswith("wrong secret access key")
    assert "T" * 40 not in json.dumps(report.to_json())


def test_list_allowed_but_read_denied(catalog, auth_s3, users) -> None:  # type: ignore[no-untyped-def]
    _add(catalog, "lister", users["lister"])
    report = _check(catalog, auth_s3, "lister")
    identity, listing, read = report.checks
    assert identity.ok and listing.ok and not read.ok
    assert read.detail.startswith("access denied: cannot read s3://exports/v1/day=1/part-0.parquet (s3:GetObject)")
    assert report.summary == "Connection failed at the read check"


def test_list_denied(catalog, auth_s3, users) -> None:  # type: ignore[no-untyped-def]
    _add(catalog, "getter", users["getter"])
    report = _check(catalog, auth_s3, "getter")
    assert report.checks[1].detail.startswith("access denied: cannot list s3://exports/v1/ (s3:ListBucket)")
    assert report.checks[2].detail == NOT_RUN


def test_no_such_bucket(catalog, auth_s3, users) -> None:  # type: ignore[no-untyped-def]
    _add(catalog, "full", users["full"])
    report = _check(catalog, auth_s3, "full", bucket="exprots")
    assert report.checks[1].detail.startswith("no such bucket: s3://exprots")


def test_endpoint_unreachable(catalog, users) -> None:  # type: ignore[no-untyped-def]
    _add(catalog, "full", users["full"])
    url = f"http://127.0.0.1:{free_port()}"
    report = run_access_check(catalog, "full", bucket="exports", endpoint_url=url)
    assert report.checks[0].detail.startswith(f"endpoint unreachable: cannot connect to {url}")
    assert not report.ok


def test_empty_prefix_is_not_a_success_and_the_read_is_not_a_pass(catalog, auth_s3, users) -> None:  # type: ignore[no-untyped-def]
    _add(catalog, "full", users["full"])
    report = _check(catalog, auth_s3, "full", prefix="v2/")
    identity, listing, read = report.checks
    assert identity.ok and listing.ok and "0 object(s)" in listing.detail
    assert (read.ok, read.ran) == (False, False)
    assert read.detail == "not run: no object under s3://exports/v2/ to read"
    assert not report.ok and "Connection successful" not in report.summary
    assert report.summary == "Connection not confirmed: the read check was not run"
    assert report.warnings == ["nothing under s3://exports/v2/: check the prefix (Optimizely exports under "
                               "v1/account_id=<your account id>/)"]
    assert report.to_json()["warnings"] == report.warnings and report.to_json()["ok"] is False


def test_nothing_under_an_account_prefix_names_the_account_id(catalog, auth_s3, users) -> None:  # type: ignore[no-untyped-def]
    _add(catalog, "full", users["full"])
    report = _check(catalog, auth_s3, "full", prefix="v1/account_id=999/")
    assert not report.ok and not report.checks[2].ran
    assert report.warnings == ["nothing under s3://exports/v1/account_id=999/: is the account id '999' in the "
                               "prefix right? Optimizely exports each account under v1/account_id=<id>/"]


def test_only_empty_objects_under_the_prefix_is_not_a_read(catalog, auth_s3, users) -> None:  # type: ignore[no-untyped-def]
    _add(catalog, "full", users["full"])
    report = _check(catalog, auth_s3, "full", prefix="v1/day=1/_")  # only the _SUCCESS marker
    assert not report.ok and report.checks[2].detail.startswith("not run: only empty objects")
    assert report.warnings[0].startswith("only empty objects under s3://exports/v1/day=1/_")


def test_assume_role_with_external_id(catalog, auth_s3, users) -> None:  # type: ignore[no-untyped-def]
    _add(catalog, "cross", users["assumer"], role_arn=ROLE_ARN, external_id=EXTERNAL_ID)
    report = _check(catalog, auth_s3, "cross")
    assert report.ok, report.summary
    assert "assumed-role/courier-reader/courier-cross" in report.checks[0].detail


def test_assume_role_with_wrong_external_id_is_denied(catalog, auth_s3, users) -> None:  # type: ignore[no-untyped-def]
    # moto evaluates the trust policy's sts:ExternalId condition when an external ID is sent
    _add(catalog, "cross", users["assumer"], role_arn=ROLE_ARN, external_id="not-the-one")
    report = _check(catalog, auth_s3, "cross")
    assert report.checks[0].detail.startswith(f"access denied: cannot assume role {ROLE_ARN} (sts:AssumeRole)")
    assert [c.ran for c in report.checks] == [True, False, False]
    assert "trust policy" in str(report.checks[0].hint)


def test_assumed_role_without_list_right_on_user_keys_still_lists(catalog, auth_s3, users) -> None:  # type: ignore[no-untyped-def]
    # the assumer user itself may not list; only the role may: proves S3 calls use the role's keys
    _add(catalog, "bare", users["assumer"])
    assert not _check(catalog, auth_s3, "bare").checks[1].ok
    _add(catalog, "cross", users["assumer"], role_arn=ROLE_ARN, external_id=EXTERNAL_ID)
    assert _check(catalog, auth_s3, "cross").checks[1].ok


def test_bucket_is_required_and_credential_must_exist(catalog) -> None:  # type: ignore[no-untyped-def]
    add_credential(catalog, "chain", "default-chain")
    with pytest.raises(ConfigError, match="needs a bucket"):
        run_access_check(catalog, "chain", bucket=None)
    with pytest.raises(NotFound):
        run_access_check(catalog, "chian", bucket="b")
