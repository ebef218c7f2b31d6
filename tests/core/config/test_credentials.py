"""Credentials: validation, encryption at rest, redaction, the session factory and error translation.

AWS calls go over real HTTP to a moto server with IAM auth switched on; error shapes moto cannot
produce (KMS denial, expired tokens, wrong region) are built as real botocore ClientError objects.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from courier.core.config import secrets
from courier.core.config.credentials import (
    add_credential,
    all_secret_values,
    credential_to_json,
    get_credential,
    list_credentials,
    load_secret,
    remove_credential,
    update_credential,
)
from courier.core.devtools.s3server import LocalS3, free_port
from courier.core.errors import AccessError, ConfigError, Fix, FixKind, NotFound
from courier.core.source.aws import make_session, s3_client, translate_error
from cryptography.fernet import Fernet

POLICY = {"Version": "2012-10-17",
          "Statement": [{"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetObject"], "Resource": "*"}]}


@pytest.fixture
def reader(auth_s3: LocalS3) -> dict[str, str]:
    """An IAM user allowed to list and read, on a server with auth enforced."""
    iam, s3 = auth_s3.client("iam"), auth_s3.client("s3")
    s3.create_bucket(Bucket="exports")
    s3.put_object(Bucket="exports", Key="v1/a.txt", Body=b"hello")
    iam.create_user(UserName="reader")
    iam.put_user_policy(UserName="reader", PolicyName="read", PolicyDocument=json.dumps(POLICY))
    key = iam.create_access_key(UserName="reader")["AccessKey"]
    auth_s3.enable_auth()
    return {"id": key["AccessKeyId"], "secret": key["SecretAccessKey"]}


def _client_error(code: str, message: str, operation: str = "GetObject", status: int = 403,
                  headers: dict[str, str] | None = None, **extra: str) -> ClientError:
    response = {"Error": {"Code": code, "Message": message, **extra},
                "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": headers or {}}}
    return ClientError(response, operation)  # type: ignore[arg-type]


# --- secrets ---------------------------------------------------------------------------------

def test_key_file_is_created_private_on_first_use() -> None:
    path = secrets.key_path()
    assert not path.exists()
    blob = secrets.encrypt({"token": "abc-secret-123"})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert secrets.decrypt(blob) == {"token": "abc-secret-123"}
    assert b"abc-secret-123" not in blob


def test_env_key_is_used_instead_of_a_file(monkeypatch: pytest.MonkeyPatch) -> None:
    key = Fernet.generate_key()
    monkeypatch.setenv("COURIER_SECRET_KEY", key.decode())
    blob = secrets.encrypt({"token": "value-1234"})
    assert Fernet(key).decrypt(blob)  # encrypted with the env key
    assert not secrets.key_path().exists()


def test_changed_key_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COURIER_SECRET_KEY", Fernet.generate_key().decode())
    blob = secrets.encrypt({"token": "value-1234"})
    monkeypatch.setenv("COURIER_SECRET_KEY", Fernet.generate_key().decode())
    with pytest.raises(ConfigError, match="cannot decrypt stored secrets: the secret key changed") as info:
        secrets.decrypt(blob)
    assert info.value.hint


def test_invalid_env_key_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COURIER_SECRET_KEY", "not-a-key")
    with pytest.raises(ConfigError, match="not a valid Fernet key"):
        secrets.encrypt({"x": "y"})


def test_redactor_hides_given_and_remembered_secrets() -> None:
    assert secrets.Redactor(["s3cr3t-value"]).redact("key=s3cr3t-value;") == "key=****;"
    assert secrets.redact("a wJalrXUtnFEMI b", ["wJalrXUtnFEMI"]) == "a **** b"
    secrets.encrypt({"token": "remembered-token-42"})
    assert secrets.redact("Bearer remembered-token-42") == "Bearer ****"
    assert secrets.Redactor(["ab"]).redact("abc") == "abc"  # too short to redact safely


# --- the credential store ------------------------------------------------------------------------

def test_add_list_get_and_json_never_show_the_secret(catalog) -> None:  # type: ignore[no-untyped-def]
    cred = add_credential(catalog, "prod", "iam-credential", access_key_id="AKIAIOSFODNN7EXAMPLE",
                          secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                          role_arn="arn:aws:iam::123456789012:role/prod/courier", external_id="ext-42")
    assert cred.access_key_id == "AKIAIOSFODNN7EXAMPLE" and cred.role_arn.endswith("role/prod/courier")
    assert [c.name for c in list_credentials(catalog)] == ["prod"]
    text = json.dumps([credential_to_json(c) for c in list_credentials(catalog)])
    assert "wJalrXUtnFEMI" not in text and "AKIAIOSFODNN7EXAMPLE" in text
    assert load_secret(catalog, "prod") == {"secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
    assert not hasattr(get_credential(catalog, "prod"), "secret_access_key")


def test_secret_is_encrypted_at_rest(catalog, workspace) -> None:  # type: ignore[no-untyped-def]
    add_credential(catalog, "opt", "optimizely-token", token="2:plain-token-value-XYZ")
    add_credential(catalog, "aws", "iam-credential", access_key_id="AKIAIOSFODNN7EXAMPLE",
                   secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    catalog.execute("PRAGMA wal_checkpoint(FULL)")
    files = [p for p in workspace.root.iterdir() if p.name.startswith("catalog.sqlite")]
    data = b"".join(p.read_bytes() for p in files)
    assert b"opt" in data  # the row is there ...
    assert b"plain-token-value-XYZ" not in data and b"wJalrXUtnFEMI" not in data  # ... its secret is not
    assert stat.S_IMODE(secrets.key_path().stat().st_mode) == 0o600
    assert not str(secrets.key_path()).startswith(str(workspace.root))


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"kind": "iam-key"}, "unknown credential kind 'iam-key'"),
    ({"kind": "iam-credential", "access_key_id": "AKIAIOSFODNN7EXAMPLE"}, "needs a secret access key"),
    ({"kind": "iam-credential", "secret_access_key": "x" * 40}, "needs an access key id"),
    ({"kind": "default-chain", "profile": "dev"}, "a profile does not apply to a default-chain"),
    ({"kind": "default-chain", "role_arn": "arn:aws:iam::12345:role/x"}, "is not an IAM role ARN"),
    ({"kind": "default-chain", "role_arn": "arn:aws:s3:::bucket"}, "is not an IAM role ARN"),
    ({"kind": "default-chain", "external_id": "abc"}, "an external ID needs a role ARN"),
    ({"kind": "default-chain", "role_arn": "arn:aws:iam::123456789012:role/r", "external_id": "has space"},
     "external ID is not valid"),
    ({"kind": "default-chain", "role_arn": "arn:aws:iam::123456789012:role/r", "external_id": "x"},
     "external ID is not valid"),
    ({"kind": "iam-credential", "access_key_id": "not a key", "secret_access_key": "x" * 40},
     "does not look like an AWS access key id"),
    ({"kind": "optimizely-token", "token": "t0ken-value", "api_url": "ftp://x"}, "is not an http"),
    ({"kind": "optimizely-token"}, "needs a token"),
])
def test_invalid_credentials_are_refused_with_one_line(catalog, kwargs, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match=message) as info:
        add_credential(catalog, "c1", **kwargs)
    assert "\n" not in str(info.value) and info.value.hint
    assert list_credentials(catalog) == []


def test_unknown_kind_suggests_the_closest(catalog) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError) as info:
        add_credential(catalog, "c1", "aws-profil", profile="dev")
    assert "aws-profile" in str(info.value.hint)


def test_duplicate_name_needs_replace(catalog) -> None:  # type: ignore[no-untyped-def]
    add_credential(catalog, "c1", "default-chain")
    with pytest.raises(ConfigError, match="already exists"):
        add_credential(catalog, "c1", "default-chain")
    replaced = add_credential(catalog, "c1", "optimizely-token", token="new-token-value", replace=True)
    assert replaced.kind == "optimizely-token" and replaced.api_url == "https://api.optimizely.com"
    assert load_secret(catalog, "c1") == {"token": "new-token-value"}


def test_bad_name_is_refused(catalog) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match="credential name"):
        add_credential(catalog, "bad name", "default-chain")


def test_get_unknown_suggests_closest_name(catalog) -> None:  # type: ignore[no-untyped-def]
    add_credential(catalog, "production", "default-chain")
    with pytest.raises(NotFound, match="no credential named 'prodution'") as info:
        get_credential(catalog, "prodution")
    assert "production" in str(info.value.hint)


def test_remove_refuses_while_a_courier_uses_it(catalog) -> None:  # type: ignore[no-untyped-def]
    add_credential(catalog, "shared", "default-chain")
    catalog.execute("INSERT INTO couriers (name, credential, bucket, entities, created_at, updated_at)"
                    " VALUES ('optimizely', 'shared', 'b', '[]', 0, 0)")
    with pytest.raises(ConfigError, match="used by courier optimizely"):
        remove_credential(catalog, "shared")
    catalog.execute("DELETE FROM couriers")
    remove_credential(catalog, "shared")
    assert list_credentials(catalog) == []
    with pytest.raises(NotFound):
        remove_credential(catalog, "shared")


# --- the session factory against moto with auth on ------------------------------------------------

def test_iam_credential_session_lists_the_bucket(catalog, auth_s3, reader) -> None:  # type: ignore[no-untyped-def]
    add_credential(catalog, "aws", "iam-credential", access_key_id=reader["id"], secret_access_key=reader["secret"])
    s3 = s3_client(catalog, "aws", region="us-east-1", endpoint_url=auth_s3.endpoint_url)
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="exports")["Contents"]] == ["v1/a.txt"]


def test_wrong_secret_and_unknown_key_are_told_apart(catalog, auth_s3, reader) -> None:  # type: ignore[no-untyped-def]
    add_credential(catalog, "wrong", "iam-credential", access_key_id=reader["id"], secret_access_key="W" * 40)
    add_credential(catalog, "unknown", "iam-credential", access_key_id="AKIAAAAAAAAAAAAAAAAA", secret_access_key="W" * 40)
    for name, expected in (("wrong", "wrong secret access key"), ("unknown", "unknown access key")):
        s3 = s3_client(catalog, name, region="us-east-1", endpoint_url=auth_s3.endpoint_url, max_attempts=1)
        with pytest.raises(ClientError) as info:
            s3.list_objects_v2(Bucket="exports")
        error = translate_error(info.value, action="list", bucket="exports", key="v1/")
        assert isinstance(error, AccessError)
        assert str(error).startswith(expected) and "s3://exports/v1/" in str(error)
        assert "W" * 40 not in str(error) + str(error.hint)


def test_aws_profile_session_uses_the_profile(catalog, auth_s3, reader) -> None:  # type: ignore[no-untyped-def]
    creds = Path(os.environ["AWS_SHARED_CREDENTIALS_FILE"])
    creds.parent.mkdir(parents=True, exist_ok=True)
    creds.write_text(f"[dev]\naws_access_key_id = {reader['id']}\naws_secret_access_key = {reader['secret']}\n")
    add_credential(catalog, "dev", "aws-profile", profile="dev")
    s3 = s3_client(catalog, "dev", region="us-east-1", endpoint_url=auth_s3.endpoint_url)
    assert s3.list_objects_v2(Bucket="exports")["KeyCount"] == 1


def test_missing_profile_lists_the_available_ones(catalog) -> None:  # type: ignore[no-untyped-def]
    config = Path(os.environ["AWS_CONFIG_FILE"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("[profile staging]\nregion = us-east-1\n[profile prod]\nregion = us-east-1\n")
    with pytest.raises(ConfigError, match=r"AWS profile 'stagin' not found .*available: prod, staging"):
        add_credential(catalog, "p", "aws-profile", profile="stagin")
    add_credential(catalog, "p", "aws-profile", profile="staging")
    config.write_text("[profile prod]\nregion = us-east-1\n")  # the profile disappears later
    with pytest.raises(ConfigError, match="'staging' not found.*available: prod"):
        make_session(catalog, "p", region="us-east-1", endpoint_url=None)


def test_default_chain_uses_the_environment(catalog, auth_s3, reader, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    add_credential(catalog, "chain", "default-chain")
    with pytest.raises(ConfigError, match="no AWS credentials found in the default chain"):
        make_session(catalog, "chain", region="us-east-1", endpoint_url=auth_s3.endpoint_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", reader["id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", reader["secret"])
    s3 = s3_client(catalog, "chain", region="us-east-1", endpoint_url=auth_s3.endpoint_url)
    assert s3.list_objects_v2(Bucket="exports")["KeyCount"] == 1


def test_unreachable_endpoint_names_the_url(catalog) -> None:  # type: ignore[no-untyped-def]
    add_credential(catalog, "aws", "iam-credential", access_key_id="AKIAIOSFODNN7EXAMPLE", secret_access_key="x" * 40)
    url = f"http://127.0.0.1:{free_port()}"
    s3 = s3_client(catalog, "aws", region="us-east-1", endpoint_url=url, max_attempts=1)
    with pytest.raises(Exception) as info:
        s3.list_objects_v2(Bucket="exports")
    error = translate_error(info.value, action="list", bucket="exports")
    assert str(error).startswith("endpoint unreachable") and url in str(error)


# --- error translation for shapes moto cannot produce ----------------------------------------------

def test_kms_denial_says_cannot_decrypt() -> None:
    exc = _client_error("AccessDenied", "User: arn:aws:sts::123456789012:assumed-role/r/s is not authorized to "
                        "perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:123456789012:key/1234abcd because no "
                        "identity-based policy allows the kms:Decrypt action")
    error = translate_error(exc, action="read", bucket="optimizely-events-data", key="v1/x/part-0.parquet")
    assert str(error).startswith("cannot decrypt s3://optimizely-events-data/v1/x/part-0.parquet: KMS access denied")
    assert "arn:aws:kms:us-east-1:123456789012:key/1234abcd" in str(error) and "kms:Decrypt" in str(error.hint)
    kms_code = translate_error(_client_error("KMS.DisabledException", "key is disabled", status=400),
                               action="read", bucket="b", key="k")
    assert str(kms_code).startswith("cannot decrypt s3://b/k: KMS access denied")


def test_all_secret_values_feed_the_redactor(catalog) -> None:  # type: ignore[no-untyped-def]
    add_credential(catalog, "a", "optimizely-token", token="tok-value-1111")
    add_credential(catalog, "b", "iam-credential", access_key_id="AKIAIOSFODNN7EXAMPLE", secret_access_key="s" * 40)
    add_credential(catalog, "c", "default-chain")
    values = all_secret_values(catalog)
    assert sorted(values) == sorted(["tok-value-1111", "s" * 40])
    assert secrets.redact(f"event tok-value-1111 {'s' * 40}", values) == "event **** ****"


def test_operation_names_read_as_verbs() -> None:
    error = translate_error(_client_error("AccessDenied", "Access Denied"), action="GetObject", bucket="b", key="k")
    assert str(error) == "access denied: cannot read s3://b/k (s3:GetObject)"


def test_plain_access_denied_names_action_and_target() -> None:
    listing = translate_error(_client_error("AccessDenied", "Access Denied", "ListObjectsV2"),
                              action="list", bucket="b", key="v1/")
    reading = translate_error(_client_error("AccessDenied", "Access Denied"), action="read", bucket="b", key="v1/k")
    assert str(listing) == "access denied: cannot list s3://b/v1/ (s3:ListBucket)"
    assert str(reading) == "access denied: cannot read s3://b/v1/k (s3:GetObject)"


@pytest.mark.parametrize("code", ["ExpiredToken", "ExpiredTokenException"])
def test_expired_token(code: str) -> None:
    error = translate_error(_client_error(code, "The provided token has expired.", status=400),
                            action="list", bucket="b", key="")
    assert str(error).startswith("expired token:") and isinstance(error, AccessError)


def test_wrong_region_names_the_right_one() -> None:
    malformed = _client_error("AuthorizationHeaderMalformed", "The authorization header is malformed; the region "
                              "'us-east-1' is wrong; expecting 'eu-west-1'", status=400, Region="eu-west-1")
    redirect = _client_error("PermanentRedirect", "The bucket you are attempting to access must be addressed using "
                             "the specified endpoint.", status=301, headers={"x-amz-bucket-region": "ap-south-1"},
                             Endpoint="b.s3.ap-south-1.amazonaws.com")
    head = _client_error("301", "Moved Permanently", "HeadObject", status=301)
    assert str(translate_error(malformed, action="list", bucket="b")) == "wrong region for s3://b/: the bucket is in eu-west-1"
    assert translate_error(redirect, action="list", bucket="b").fix == Fix(FixKind.GIVE, "region", "ap-south-1")
    assert str(translate_error(head, action="read", bucket="b", key="k")) == "wrong region for s3://b/k"


def test_no_such_bucket_and_other_codes_are_one_line() -> None:
    assert str(translate_error(_client_error("NoSuchBucket", "The specified bucket does not exist", status=404),
                               action="list", bucket="nope")) == "no such bucket: s3://nope"
    other = translate_error(_client_error("SlowDown", "Please reduce\nyour request rate", status=503),
                            action="list", bucket="b", key="p/")
    assert str(other) == "cannot list s3://b/p/: SlowDown: Please reduce your request rate"


def test_error_text_never_carries_a_known_secret() -> None:
    secrets.remember(["leaky-secret-value-99"])
    error = translate_error(_client_error("Weird", "echoing leaky-secret-value-99 back"), action="list", bucket="b")
    assert "leaky-secret-value-99" not in error.one_line() and "****" in str(error)


def _ciphertext(catalog, name: str) -> bytes | None:  # type: ignore[no-untyped-def]
    return catalog.one("SELECT secret FROM credentials WHERE name = ?", (name,))["secret"]


def test_update_keeps_the_stored_secret_it_is_not_given(catalog) -> None:  # type: ignore[no-untyped-def]
    add_credential(catalog, "opt", "iam-credential", access_key_id="AKIAIOSFODNN7EXAMPLE", secret_access_key="s" * 40)
    before = _ciphertext(catalog, "opt")
    role = "arn:aws:iam::123456789012:role/export-reader"
    cred = update_credential(catalog, "opt", role_arn=role, external_id="ext-1", secret_access_key="")
    assert (cred.access_key_id, cred.role_arn, cred.external_id) == ("AKIAIOSFODNN7EXAMPLE", role, "ext-1")
    assert _ciphertext(catalog, "opt") == before  # kept as stored, not decrypted and re-encrypted
    assert load_secret(catalog, "opt") == {"secret_access_key": "s" * 40}
    cleared = update_credential(catalog, "opt", role_arn="", external_id="")
    assert cleared.role_arn is None and cleared.external_id is None
    update_credential(catalog, "opt", secret_access_key="t" * 40)
    assert load_secret(catalog, "opt") == {"secret_access_key": "t" * 40}


def test_update_to_another_kind_needs_that_kinds_secret_and_drops_the_old_fields(catalog) -> None:  # type: ignore[no-untyped-def]
    add_credential(catalog, "chain", "default-chain")
    with pytest.raises(ConfigError, match="needs a secret access key"):
        update_credential(catalog, "chain", kind="iam-credential", access_key_id="AKIAIOSFODNN7EXAMPLE")
    assert get_credential(catalog, "chain").kind == "default-chain"
    add_credential(catalog, "opt", "iam-credential", access_key_id="AKIAIOSFODNN7EXAMPLE", secret_access_key="s" * 40)
    cred = update_credential(catalog, "opt", kind="default-chain")
    assert cred.kind == "default-chain" and cred.access_key_id is None
    assert _ciphertext(catalog, "opt") is None and load_secret(catalog, "opt") == {}
    with pytest.raises(NotFound):
        update_credential(catalog, "nope", role_arn="")


def test_credentials_carry_their_kind_as_a_credential_kind(catalog) -> None:  # type: ignore[no-untyped-def]
    from courier.core.config.credentials import get_credential
    from courier.core.types import CredentialKind

    added = add_credential(catalog, "c1", "default-chain")
    assert added.kind is CredentialKind.DEFAULT_CHAIN
    assert get_credential(catalog, "c1").kind is CredentialKind.DEFAULT_CHAIN
    assert [c.kind for c in list_credentials(catalog)] == [CredentialKind.DEFAULT_CHAIN]
