"""Optimizely token credentials: trade a personal access token for short-lived S3 keys, and keep them fresh.

Optimizely's Authentication API (`GET {api}/v2/export/credentials?duration=1h`, Bearer token)
answers with STS-style temporary keys and the account's `s3Path`. The keys are wrapped in
botocore's RefreshableCredentials, so a long run or the scheduler exchanges the token again only
when the keys are close to expiry. Every failure is one line: token rejected, no entitlement,
API unreachable, malformed answer, refresh failing.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.credentials import RefreshableCredentials
from courier.core.catalog.catalog import Catalog
from courier.core.config.credentials import get_credential, load_secret
from courier.core.config.secrets import remember
from courier.core.errors import AccessError, ConfigError, CourierError
from courier.core.types import CredentialKind

OPTIMIZELY_REGION = "us-east-1"
EXCHANGE_PATH = "/v2/export/credentials"
EXCHANGE_TIMEOUT = 15.0
_S3_PATH = re.compile(r"^s3://(?P<bucket>[a-z0-9][a-z0-9.-]{1,62})/(?P<prefix>.*?/?account_id=(?P<account>\d+))/?$")


@dataclass(frozen=True)
class ExportGrant:
    """One answer of the exchange: temporary keys and where the account's export lives."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str = field(repr=False)
    expiration: datetime
    s3_path: str
    bucket: str
    prefix: str
    account_id: str

    def metadata(self) -> dict[str, str]:
        """The shape botocore's RefreshableCredentials expects from a refresh."""
        return {"access_key": self.access_key_id, "secret_key": self.secret_access_key,
                "token": self.session_token, "expiry_time": self.expiration.isoformat()}


def exchange(api_url: str, token: str, *, duration: str = "1h", timeout: float = EXCHANGE_TIMEOUT) -> ExportGrant:
    """Call the Authentication API once; raise a one-line CourierError on any failure."""
    url = f"{api_url.rstrip('/')}{EXCHANGE_PATH}?{urllib.parse.urlencode({'duration': duration})}"
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}", "Accept": "application/json",
                                                   "User-Agent": "courier"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read(1_000_000)
    except urllib.error.HTTPError as exc:
        raise _http_error(exc.code, api_url) from None
    except TimeoutError:
        raise AccessError(f"Optimizely's API at {api_url} did not answer within {timeout:g} s",
                          hint="check the network or proxy to the API, then try again") from None
    except (urllib.error.URLError, ConnectionError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError):
            raise AccessError(f"Optimizely's API at {api_url} did not answer within {timeout:g} s",
                              hint="check the network or proxy to the API, then try again") from None
        raise AccessError(f"Optimizely's API at {api_url} is unreachable: {reason}",
                          hint="check the API URL, the network, DNS or proxy settings") from None
    return parse_answer(body, api_url)


def parse_answer(body: bytes, api_url: str = "the API") -> ExportGrant:
    """Read the exchange answer; never echo the body (it holds secrets)."""
    def malformed(what: str) -> AccessError:
        return AccessError(f"Optimizely's API at {api_url} gave a malformed answer: {what}",
                           hint="check the API URL points at Optimizely's API (or a faithful proxy)")

    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise malformed("not JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("credentials"), dict):
        raise malformed("no 'credentials' object")
    creds: dict[str, Any] = data["credentials"]
    for name in ("accessKeyId", "secretAccessKey", "sessionToken", "expiration"):
        if not creds.get(name):
            raise malformed(f"missing credentials.{name}")
    remember([creds["secretAccessKey"], creds["sessionToken"]])
    try:
        expiration = datetime.fromtimestamp(float(creds["expiration"]) / 1000.0, UTC)
    except (TypeError, ValueError, OverflowError):
        raise malformed("credentials.expiration is not epoch milliseconds") from None
    s3_path = str(data.get("s3Path") or "")
    match = _S3_PATH.match(s3_path)
    if not match:
        raise malformed("s3Path is not s3://<bucket>/.../account_id=<id>" if s3_path else "missing s3Path")
    return ExportGrant(
        access_key_id=str(creds["accessKeyId"]), secret_access_key=str(creds["secretAccessKey"]),
        session_token=str(creds["sessionToken"]), expiration=expiration,
        s3_path=f"s3://{match['bucket']}/{match['prefix']}/", bucket=match["bucket"],
        prefix=match["prefix"].strip("/"), account_id=match["account"],
    )


class TokenCredentials(RefreshableCredentials):
    """Refreshable credentials that exchange the token again near expiry; keeps the latest grant."""

    grant: ExportGrant
    exchanges: int


def token_credentials(api_url: str, token: str, *, timeout: float = EXCHANGE_TIMEOUT) -> TokenCredentials:
    """Exchange now (a bad token fails here, in one line) and refresh through botocore later."""
    lock = threading.Lock()
    first = exchange(api_url, token, timeout=timeout)
    holder: dict[str, TokenCredentials] = {}

    def refresh() -> dict[str, str]:
        try:
            grant = exchange(api_url, token, timeout=timeout)
        except CourierError as exc:
            raise AccessError(f"the temporary S3 keys are expiring and refreshing them failed: {exc.message}",
                              hint=exc.hint) from None
        with lock:
            creds = holder["creds"]
            creds.grant = grant
            creds.exchanges += 1
        return grant.metadata()

    creds = TokenCredentials.create_from_metadata(first.metadata(), refresh_using=refresh, method="optimizely-token")
    creds.grant = first
    creds.exchanges = 1
    holder["creds"] = creds
    return creds


def courier_settings_from_token(catalog: Catalog, credential_name: str) -> dict[str, str]:
    """Bucket, prefix (no trailing slash), account id and region for `couriers add --optimizely-from-token`."""
    cred = get_credential(catalog, credential_name)
    if cred.kind is not CredentialKind.OPTIMIZELY_TOKEN:
        raise ConfigError(f"credential {credential_name!r} is a {cred.kind} credential, not an optimizely-token one",
                          hint="add one with `courier credentials add NAME --kind optimizely-token --token-stdin`")
    grant = exchange(str(cred.api_url), load_secret(catalog, credential_name)["token"])
    return {"bucket": grant.bucket, "prefix": grant.prefix, "account_id": grant.account_id,
            "region": OPTIMIZELY_REGION}


def token_courier_settings(catalog: Catalog, credential_name: str, *, bucket: str | None = None,
                           region: str | None = None) -> dict[str, str]:
    """The courier settings `--optimizely-from-token` fills in (the token is resolved here, above config):
    the preset's account id, and the bucket and region Optimizely grants unless the operator gave them."""
    found = courier_settings_from_token(catalog, credential_name)
    return {"optimizely_account": found["account_id"], "bucket": bucket or found["bucket"],
            "region": region or found["region"]}


def _http_error(status: int, api_url: str) -> AccessError:
    if status == 401:
        return AccessError(f"Optimizely rejected the API token (401 Unauthorized from {api_url})",
                           hint="create a new personal access token in Optimizely and store it with "
                                "`courier credentials add NAME --kind optimizely-token --token-stdin --replace`")
    if status == 403:
        return AccessError("this Optimizely account has no access to the event export (403 Forbidden)",
                           hint="Enriched Event Export must be enabled for the account: ask your Optimizely contact")
    return AccessError(f"Optimizely's API at {api_url} answered HTTP {status}",
                       hint="try again later; if it persists, check Optimizely's status page")
