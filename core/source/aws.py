"""The one place that turns a stored credential into boto3 sessions and clients, and AWS errors into one line.

Everything that talks to S3/STS goes through `make_session`/`s3_client`, so keys, profiles, the
default chain, cross-account roles (refreshed before expiry) and Optimizely tokens behave the same
in the TUI, the CLI and the scheduler. `translate_error` turns botocore's exceptions into a
CourierError whose message says exactly what is wrong, with no secret values in it.
"""

from __future__ import annotations

import re
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.credentials import CredentialProvider, CredentialResolver, RefreshableCredentials
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    CredentialRetrievalError,
    EndpointConnectionError,
    HTTPClientError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
)
from courier.core.catalog.catalog import Catalog
from courier.core.config.credentials import Credential, get_credential, load_secret, require_profile
from courier.core.config.secrets import redact, remember
from courier.core.errors import AccessError, ConfigError, CourierError, Fix, FixKind
from courier.core.source.token import token_credentials
from courier.core.types import CredentialKind

ROLE_SESSION_SECONDS = 3600

# what an action needs in IAM terms, for hints
_PERMISSION = {
    "list": "s3:ListBucket", "read": "s3:GetObject", "download": "s3:GetObject", "get": "s3:GetObject",
    "head": "s3:GetObject", "get the caller identity": "sts:GetCallerIdentity", "assume role": "sts:AssumeRole",
}
# callers may name the S3 operation instead of the verb; messages use the verb
_VERB = {"GetObject": "read", "HeadObject": "read", "download": "read", "get": "read",
         "ListObjectsV2": "list", "ListObjects": "list", "HeadBucket": "list",
         "GetCallerIdentity": "get the caller identity", "AssumeRole": "assume role"}
_WRONG_REGION = {"PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException",
                 "301", "TemporaryRedirect", "InvalidRegion"}
_EXPIRED = {"ExpiredToken", "ExpiredTokenException", "TokenRefreshRequired"}
_UNKNOWN_KEY = {"InvalidAccessKeyId", "InvalidClientTokenId", "UnrecognizedClientException"}
_DENIED = {"AccessDenied", "AccessDeniedException", "403", "AllAccessDisabled"}


def make_session(catalog: Catalog, credential_name: str, *, region: str, endpoint_url: str | None) -> boto3.Session:
    """A boto3 session for a stored credential (with its role assumed, if it has one)."""
    cred = get_credential(catalog, credential_name)
    try:
        session = _base_session(catalog, cred, region=region, endpoint_url=endpoint_url)
        if cred.role_arn:
            session = _role_session(session, cred, region=region, endpoint_url=endpoint_url)
    except CourierError:
        raise
    except (BotoCoreError, ClientError) as exc:
        raise translate_error(exc, action="open a session for credential " + cred.name) from None
    return session


def s3_client(catalog: Catalog, credential_name: str, *, region: str, endpoint_url: str | None,
              max_pool_connections: int = 16, max_attempts: int = 5) -> Any:
    session = make_session(catalog, credential_name, region=region, endpoint_url=endpoint_url)
    return client_for_session(session, "s3", region=region, endpoint_url=endpoint_url,
                              max_pool_connections=max_pool_connections, max_attempts=max_attempts)


def client_for_session(session: boto3.Session, service: str, *, region: str, endpoint_url: str | None,
                       max_pool_connections: int = 16, max_attempts: int = 5) -> Any:
    """A client with the settings every courier call shares (SigV4 for S3, standard retries, timeouts)."""
    options: dict[str, Any] = {
        "retries": {"mode": "standard", "max_attempts": max_attempts},
        "connect_timeout": 5, "read_timeout": 60, "max_pool_connections": max_pool_connections,
    }
    if service == "s3":
        options["signature_version"] = "s3v4"  # SSE-KMS objects require SigV4
    return session.client(service, region_name=region, endpoint_url=endpoint_url or None, config=Config(**options))


def session_with_credentials(credentials: Any, *, region: str) -> boto3.Session:
    """A boto3 session whose only credential source is `credentials` (e.g. refreshable ones)."""
    core_session = botocore.session.get_session()
    core_session.register_component("credential_provider", CredentialResolver(providers=[_Fixed(credentials)]))
    return boto3.Session(botocore_session=core_session, region_name=region)


class _Fixed(CredentialProvider):
    METHOD = "courier"
    CANONICAL_NAME = "courier"

    def __init__(self, credentials: Any) -> None:
        super().__init__()
        self._credentials = credentials

    def load(self) -> Any:
        return self._credentials


def _base_session(catalog: Catalog, cred: Credential, *, region: str, endpoint_url: str | None) -> boto3.Session:
    if cred.kind is CredentialKind.IAM_CREDENTIAL:
        secret = load_secret(catalog, cred.name)
        return boto3.Session(aws_access_key_id=cred.access_key_id,
                             aws_secret_access_key=secret["secret_access_key"], region_name=region)
    if cred.kind is CredentialKind.AWS_PROFILE:
        require_profile(str(cred.profile))
        return boto3.Session(profile_name=cred.profile, region_name=region)
    if cred.kind is CredentialKind.DEFAULT_CHAIN:
        session = boto3.Session(region_name=region)
        if session.get_credentials() is None:
            raise ConfigError("no AWS credentials found in the default chain (environment, AWS config files, instance role)",
                              hint="set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or AWS_PROFILE, or run where a role is attached")
        return session
    if cred.kind is CredentialKind.OPTIMIZELY_TOKEN:
        token = load_secret(catalog, cred.name)["token"]
        return session_with_credentials(token_credentials(str(cred.api_url), token), region=region)
    raise ConfigError(f"credential {cred.name!r} has an unknown kind {cred.kind!r}",
                      hint="remove it and add it again with `courier credentials add`")


def _role_session(base: boto3.Session, cred: Credential, *, region: str, endpoint_url: str | None) -> boto3.Session:
    """Assume the credential's role now (so a refused role fails here) and refresh it before expiry."""
    sts = client_for_session(base, "sts", region=region, endpoint_url=endpoint_url)
    role_arn = str(cred.role_arn)

    def fetch() -> dict[str, str]:
        params: dict[str, Any] = {"RoleArn": role_arn, "RoleSessionName": f"courier-{cred.name}"[:64],
                                  "DurationSeconds": ROLE_SESSION_SECONDS}
        if cred.external_id:
            params["ExternalId"] = cred.external_id
        try:
            answer = sts.assume_role(**params)["Credentials"]
        except (BotoCoreError, ClientError) as exc:
            raise translate_error(exc, action="assume role", key=role_arn) from None
        remember([answer["SecretAccessKey"], answer["SessionToken"]])
        return {"access_key": answer["AccessKeyId"], "secret_key": answer["SecretAccessKey"],
                "token": answer["SessionToken"], "expiry_time": answer["Expiration"].isoformat()}

    credentials = RefreshableCredentials.create_from_metadata(fetch(), refresh_using=fetch, method="assume-role")
    return session_with_credentials(credentials, region=region)


def translate_error(exc: BaseException, *, action: str, bucket: str | None = None,
                    key: str | None = None) -> CourierError:
    """One specific line for an AWS failure: what went wrong, on what, and what to do about it."""
    if isinstance(exc, CourierError):
        return exc
    action = _VERB.get(action, action)
    target = f"s3://{bucket}/{key or ''}" if bucket else (key or "")
    where = f" {target}" if target else ""
    if isinstance(exc, ClientError):
        error = _translate_client_error(exc, action=action, bucket=bucket, key=key, where=where)
    elif isinstance(exc, (EndpointConnectionError, ConnectTimeoutError)):
        url = _endpoint(exc)
        error = AccessError(f"endpoint unreachable: cannot connect to {url} to {action}{where}",
                            hint="check the endpoint URL, the network, a proxy or firewall between here and S3")
    elif isinstance(exc, ReadTimeoutError):
        error = AccessError(f"timed out waiting for {_endpoint(exc)} to {action}{where}",
                            hint="the endpoint accepted the connection but did not answer; try again or check the network")
    elif isinstance(exc, HTTPClientError):
        error = AccessError(f"connection to {_endpoint(exc)} failed while trying to {action}{where}: {_first_line(exc)}",
                            hint="check the network, proxy and TLS settings")
    elif isinstance(exc, (NoCredentialsError, PartialCredentialsError, CredentialRetrievalError)):
        error = ConfigError(f"no usable AWS credentials to {action}{where}: {_first_line(exc)}",
                            hint="check the credential with `courier credentials test NAME --bucket B`")
    elif isinstance(exc, ProfileNotFound):
        error = ConfigError(_first_line(exc), hint="check the profile name with `aws configure list-profiles`")
    elif isinstance(exc, NoRegionError):
        error = ConfigError(f"no AWS region set to {action}{where}", fix=Fix(FixKind.GIVE, "region", "us-east-1"))
    elif isinstance(exc, RuntimeError) and "still expired" in str(exc):
        error = AccessError(f"expired token: refreshed temporary keys were already expired while trying to {action}{where}",
                            hint="check this machine's clock (temporary keys are checked against it)")
    else:
        error = AccessError(f"cannot {action}{where}: {type(exc).__name__}: {_first_line(exc)}")
    error.message = redact(error.message)
    error.hint = redact(error.hint) if error.hint else error.hint
    error.args = (error.message,)
    return error


def _translate_client_error(exc: ClientError, *, action: str, bucket: str | None, key: str | None,
                            where: str) -> CourierError:
    err = exc.response.get("Error", {}) or {}
    meta = exc.response.get("ResponseMetadata", {}) or {}
    code = str(err.get("Code") or meta.get("HTTPStatusCode") or "Unknown")
    message = _first_line(err.get("Message") or "")
    if code in _UNKNOWN_KEY:
        return AccessError(f"unknown access key: AWS does not recognise the access key id (while trying to {action}{where})",
                           hint="check the access key id; it may have been deleted or deactivated in IAM")
    if code == "SignatureDoesNotMatch":
        return AccessError(f"wrong secret access key: the request signature does not match (while trying to {action}{where})",
                           hint="store the right secret with `courier credentials add NAME ... --secret-access-key-stdin --replace`")
    if code in _EXPIRED:
        return AccessError(f"expired token: the temporary security token is no longer valid (while trying to {action}{where})",
                           hint="refresh the credentials (for a role or an Optimizely token, run again; for a profile, log in again)")
    if code == "InvalidToken":
        return AccessError(f"invalid session token: AWS did not accept the temporary security token (while trying to {action}{where})",
                           hint="the token is malformed or belongs to other keys; refresh the credentials")
    if code == "RequestTimeTooSkewed" or code == "RequestExpired":
        return AccessError(f"this machine's clock is too far from AWS's time to {action}{where}",
                           hint="synchronise the clock (NTP) and try again")
    if code.startswith("KMS.") or (code in _DENIED and "kms" in message.lower()):
        thing = f"s3://{bucket}/{key}" if bucket and key else (key or "the object")
        kms_key = re.search(r"arn:aws[\w-]*:kms:[^\s]+", message)
        on_key = f" on {kms_key.group(0).rstrip('.,')}" if kms_key else ""
        return AccessError(f"cannot decrypt {thing}: KMS access denied (kms:Decrypt{on_key}; {code})",
                           hint="the objects are SSE-KMS encrypted: ask the bucket owner to grant this identity kms:Decrypt on the bucket's key")
    if code in _DENIED:
        permission = _PERMISSION.get(action, "the needed permission")
        detail = f": {message}" if message and message != "Access Denied" else ""
        if action == "assume role":
            hint = ("the role's trust policy must allow this identity (and require exactly this external ID, if one "
                    "is set), and this identity needs sts:AssumeRole on the role")
        else:
            hint = f"grant {permission} on {_resource(action, bucket, key)} to this identity"
        return AccessError(f"access denied: cannot {action}{where} ({permission}){detail}", hint=hint)
    if code == "NoSuchBucket":
        return ConfigError(f"no such bucket: s3://{bucket or err.get('BucketName', '?')}",
                           hint="check the bucket name (and the endpoint URL for S3-compatible stores)")
    if code in ("NoSuchKey", "404"):
        return ConfigError(f"no such object:{where}", hint="it may have been deleted or never written")
    if code in _WRONG_REGION:
        region = _bucket_region(err, meta, message)
        found = f": the bucket is in {region}" if region else ""
        return ConfigError(f"wrong region for{where or ' the bucket'}{found}",
                           fix=Fix(FixKind.GIVE, "region", region or None, why="" if region else "(the bucket's region)"))
    if code == "InvalidBucketName":
        return ConfigError(f"invalid bucket name{where}", hint="bucket names are 3-63 lower-case letters, digits, '.' and '-'")
    detail = f": {message}" if message else ""
    return AccessError(f"cannot {action}{where}: {code}{detail}")


def _bucket_region(err: dict[str, Any], meta: dict[str, Any], message: str) -> str | None:
    headers = meta.get("HTTPHeaders", {}) or {}
    if err.get("Region"):
        return str(err["Region"])
    if headers.get("x-amz-bucket-region"):
        return str(headers["x-amz-bucket-region"])
    match = re.search(r"expecting '([a-z0-9-]+)'", message)
    if match:
        return match.group(1)
    match = re.search(r"s3[.-]([a-z]{2}(?:-gov)?-[a-z]+-\d)\.", str(err.get("Endpoint", "")))
    return match.group(1) if match else None


def _resource(action: str, bucket: str | None, key: str | None) -> str:
    if action == "list" and bucket:
        return f"arn:aws:s3:::{bucket}" + (f" (prefix {key})" if key else "")
    if bucket:
        return f"arn:aws:s3:::{bucket}/{key or '*'}"
    return key or "the resource"


def _endpoint(exc: BaseException) -> str:
    kwargs = getattr(exc, "kwargs", {}) or {}
    return str(kwargs.get("endpoint_url") or kwargs.get("proxy_url") or "the endpoint")


def _first_line(value: object) -> str:
    text = " ".join(str(value).split())
    return text[:300]
