"""Optimizely token credentials against a local Authentication API that mints REAL keys from moto's STS.

S3 runs with moto's auth switched on, so the temporary keys, the session token and the refresh are
all exercised for real; the token server counts exchanges to prove refreshes happen when (and
only when) the keys near expiry.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from courier.core.config.credentials import add_credential
from courier.core.devtools.s3server import LocalS3, free_port
from courier.core.errors import AccessError, ConfigError
from courier.core.source.access import run_access_check
from courier.core.source.aws import s3_client
from courier.core.source.token import courier_settings_from_token, exchange, parse_answer

from tests.token_server import TokenServer

TOKEN = "2:optimizely-personal-token-abc123"
ACCOUNT = "8675309"
BUCKET = "optimizely-events-data"
PREFIX = f"v1/account_id={ACCOUNT}"


@pytest.fixture
def mint(auth_s3: LocalS3) -> Any:
    """Seed the export bucket and a role only reachable with STS keys; return a minting function."""
    iam, s3 = auth_s3.client("iam"), auth_s3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}/type=decisions/date=2020-09-14/_SUCCESS", Body=b"")
    s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}/type=decisions/date=2020-09-14/experiment=1/part-0.parquet",
                  Body=b"PAR1-not-really")
    allow = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["sts:AssumeRole"], "Resource": "*"}]}
    iam.create_user(UserName="optimizely-broker")
    iam.put_user_policy(UserName="optimizely-broker", PolicyName="p", PolicyDocument=json.dumps(allow))
    key = iam.create_access_key(UserName="optimizely-broker")["AccessKey"]
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"AWS": "arn:aws:iam::123456789012:user/optimizely-broker"}}]}
    reader = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetObject"], "Resource": "*"}]}
    iam.create_role(RoleName="export-reader", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName="export-reader", PolicyName="r", PolicyDocument=json.dumps(reader))
    auth_s3.enable_auth()
    sts = auth_s3.client("sts", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])

    def mint() -> dict[str, Any]:
        return sts.assume_role(RoleArn="arn:aws:iam::123456789012:role/export-reader",
                               RoleSessionName="optimizely-export", DurationSeconds=900)["Credentials"]

    return mint


@pytest.fixture
def api(mint: Any) -> Iterator[TokenServer]:
    with TokenServer(mint=mint, token=TOKEN, account_id=ACCOUNT) as server:
        yield server


@pytest.fixture
def fake_api() -> Iterator[TokenServer]:
    """The same endpoint without S3 behind it, for answers that never reach AWS."""
    def mint() -> dict[str, Any]:
        return {"AccessKeyId": "ASIAFAKEFAKEFAKE", "SecretAccessKey": "fake-secret", "SessionToken": "fake-token"}

    with TokenServer(mint=mint, token=TOKEN, account_id=ACCOUNT) as server:
        yield server


@pytest.fixture
def opt(catalog, api):  # type: ignore[no-untyped-def]
    add_credential(catalog, "opt", "optimizely-token", token=TOKEN, api_url=api.url)
    return "opt"


def _list(s3: Any) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=PREFIX + "/")["Contents"]]


def test_token_keys_list_the_export_under_moto_auth(catalog, auth_s3, api, opt) -> None:  # type: ignore[no-untyped-def]
    s3 = s3_client(catalog, opt, region="us-east-1", endpoint_url=auth_s3.endpoint_url)
    assert len(_list(s3)) == 2
    assert api.requests == api.exchanges == 1
    assert api.durations == ["duration=1h"]


def test_keys_are_refreshed_only_near_expiry(catalog, auth_s3, api, opt) -> None:  # type: ignore[no-untyped-def]
    s3 = s3_client(catalog, opt, region="us-east-1", endpoint_url=auth_s3.endpoint_url)
    for _ in range(3):
        _list(s3)
    assert api.exchanges == 1  # an hour left: no refresh
    api.expiry_seconds = 120  # the next keys expire within botocore's refresh window
    s3 = s3_client(catalog, opt, region="us-east-1", endpoint_url=auth_s3.endpoint_url)
    before = api.exchanges
    for _ in range(3):
        assert len(_list(s3)) == 2  # refreshed keys keep working mid-use
    assert api.exchanges - before >= 3  # first exchange + a refresh before each call


def test_refresh_failing_fails_the_call_with_the_reason(catalog, auth_s3, api, opt) -> None:  # type: ignore[no-untyped-def]
    api.expiry_seconds = 120
    s3 = s3_client(catalog, opt, region="us-east-1", endpoint_url=auth_s3.endpoint_url, max_attempts=1)
    _list(s3)
    api.mode = "401"
    with pytest.raises(AccessError) as info:
        _list(s3)
    assert str(info.value).startswith("the temporary S3 keys are expiring and refreshing them failed: "
                                      "Optimizely rejected the API token")
    assert TOKEN not in info.value.one_line()


def test_access_check_for_a_token_credential(catalog, auth_s3, api, opt) -> None:  # type: ignore[no-untyped-def]
    report = run_access_check(catalog, opt, region=None, endpoint_url=auth_s3.endpoint_url)
    assert [c.name for c in report.checks] == ["token", "identity", "list", "read"]
    assert report.ok, report.summary
    assert f"s3://{BUCKET}/{PREFIX}/" in report.checks[0].detail
    assert "assumed-role/export-reader" in report.checks[1].detail
    assert report.bucket == BUCKET and report.prefix == PREFIX + "/"


def test_access_check_reports_a_rejected_token(catalog, auth_s3, api, opt) -> None:  # type: ignore[no-untyped-def]
    api.mode = "401"
    report = run_access_check(catalog, opt, endpoint_url=auth_s3.endpoint_url)
    assert report.checks[0].name == "token" and report.checks[0].detail.startswith("Optimizely rejected the API token")
    assert [c.ran for c in report.checks] == [True, False, False, False]


@pytest.mark.parametrize("trailing_slash", [False, True])
def test_courier_settings_from_token(catalog, fake_api, trailing_slash) -> None:  # type: ignore[no-untyped-def]
    fake_api.trailing_slash = trailing_slash
    add_credential(catalog, "opt", "optimizely-token", token=TOKEN, api_url=fake_api.url)
    assert courier_settings_from_token(catalog, "opt") == {
        "bucket": BUCKET, "prefix": PREFIX, "account_id": ACCOUNT, "region": "us-east-1"}


def test_courier_settings_need_a_token_credential(catalog) -> None:  # type: ignore[no-untyped-def]
    add_credential(catalog, "chain", "default-chain")
    with pytest.raises(ConfigError, match="not an optimizely-token"):
        courier_settings_from_token(catalog, "chain")


@pytest.mark.parametrize(("mode", "message"), [
    ("401", "Optimizely rejected the API token (401 Unauthorized"),
    ("403", "this Optimizely account has no access to the event export (403 Forbidden)"),
    ("500", "answered HTTP 500"),
    ("garbage", "gave a malformed answer: not JSON"),
    ("incomplete", "gave a malformed answer: missing credentials.sessionToken"),
])
def test_exchange_errors_are_one_line(fake_api, mode, message) -> None:  # type: ignore[no-untyped-def]
    fake_api.mode = mode
    with pytest.raises(AccessError) as info:
        exchange(fake_api.url, TOKEN)
    assert message in str(info.value) and "\n" not in info.value.one_line()
    assert TOKEN not in info.value.one_line()


def test_wrong_token_is_rejected(fake_api) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(AccessError, match="rejected the API token"):
        exchange(fake_api.url, "2:some-other-token")


def test_hanging_api_times_out(fake_api) -> None:  # type: ignore[no-untyped-def]
    fake_api.mode = "hang"
    with pytest.raises(AccessError, match=r"did not answer within 0.3 s"):
        exchange(fake_api.url, TOKEN, timeout=0.3)


def test_unreachable_api() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(AccessError, match=rf"Optimizely's API at {url} is unreachable"):
        exchange(url, TOKEN, timeout=2)


@pytest.mark.parametrize(("body", "message"), [
    ({"credentials": {"accessKeyId": "A", "secretAccessKey": "S", "sessionToken": "T", "expiration": "soon"},
      "s3Path": "s3://b/v1/account_id=1"}, "expiration is not epoch milliseconds"),
    ({"credentials": {"accessKeyId": "A", "secretAccessKey": "S", "sessionToken": "T", "expiration": 1},
      "s3Path": "s3://b/somewhere"}, "s3Path is not"),
    ({"credentials": {"accessKeyId": "A", "secretAccessKey": "S", "sessionToken": "T", "expiration": 1}},
     "missing s3Path"),
    ([1, 2], "no 'credentials' object"),
])
def test_malformed_answers(body: Any, message: str) -> None:
    with pytest.raises(AccessError, match=message):
        parse_answer(json.dumps(body).encode())


def test_answer_is_parsed_and_normalised() -> None:
    body = {"credentials": {"accessKeyId": "ASIAEXAMPLE", "secretAccessKey": "sek", "sessionToken": "tok",
                            "expiration": 1600000000000},
            "s3Path": "s3://optimizely-events-data/v1/account_id=42/"}
    grant = parse_answer(json.dumps(body).encode())
    assert (grant.bucket, grant.prefix, grant.account_id) == ("optimizely-events-data", "v1/account_id=42", "42")
    assert grant.s3_path == "s3://optimizely-events-data/v1/account_id=42/"
    assert grant.expiration.timestamp() == 1600000000
    assert "sek" not in repr(grant) and "tok" not in repr(grant)
