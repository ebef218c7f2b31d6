"""Named credentials: what a courier uses to reach S3, stored in the catalog with secrets encrypted.

Kinds: `iam-credential` (access key id + secret access key), `aws-profile` (a profile from the AWS
config files), `default-chain` (environment, instance role, ...) and `optimizely-token` (a personal
access token traded for temporary keys). Any kind may add a cross-account role (role ARN +
optional external ID). Non-secret fields live in `settings`; the secret ones only as ciphertext.
`Credential` objects never carry secrets; only courier.core.source.aws calls `load_secret`.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

import botocore.session
from courier.core.catalog.catalog import Catalog, dumps, loads, now
from courier.core.config.secrets import decrypt, encrypt
from courier.core.errors import ConfigError, Fix, FixKind, did_you_mean, not_found
from courier.core.text import iso_utc
from courier.core.types import CredentialKind

KINDS: tuple[CredentialKind, ...] = tuple(CredentialKind)
DEFAULT_OPTIMIZELY_API = "https://api.optimizely.com"

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_ROLE_ARN = re.compile(r"^arn:aws(?:-[a-z]+)*:iam::\d{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$")
_EXTERNAL_ID = re.compile(r"^[A-Za-z0-9_+=,.@:/-]{2,1224}$")
_ACCESS_KEY_ID = re.compile(r"^[A-Za-z0-9_]{3,128}$")  # AWS: AKIA... (20); S3-compatible stores differ

# which non-secret / secret fields each kind takes (role_arn and external_id are open to all)
_SETTINGS: dict[CredentialKind, tuple[str, ...]] = {
    CredentialKind.IAM_CREDENTIAL: ("access_key_id",),
    CredentialKind.AWS_PROFILE: ("profile",),
    CredentialKind.DEFAULT_CHAIN: (),
    CredentialKind.OPTIMIZELY_TOKEN: ("api_url",),
}
_SECRETS: dict[CredentialKind, tuple[str, ...]] = {
    CredentialKind.IAM_CREDENTIAL: ("secret_access_key",),
    CredentialKind.AWS_PROFILE: (),
    CredentialKind.DEFAULT_CHAIN: (),
    CredentialKind.OPTIMIZELY_TOKEN: ("token",),
}
_WORDS = {"access_key_id": "an access key id", "secret_access_key": "a secret access key", "profile": "a profile",
          "api_url": "an API URL", "token": "a token", "role_arn": "a role ARN", "external_id": "an external ID"}


@dataclass(frozen=True)
class Credential:
    """A credential's public face: everything but its secret values."""

    name: str
    kind: CredentialKind
    access_key_id: str | None = None
    profile: str | None = None
    role_arn: str | None = None
    external_id: str | None = None
    api_url: str | None = None
    created_at: float = 0.0
    updated_at: float = 0.0


def add_credential(
    catalog: Catalog, name: str, kind: CredentialKind | str, *,
    access_key_id: str | None = None, secret_access_key: str | None = None,
    profile: str | None = None, role_arn: str | None = None, external_id: str | None = None,
    token: str | None = None, api_url: str | None = None, replace: bool = False,
) -> Credential:
    """Validate and store a credential; secrets are encrypted before they reach the catalog."""
    _check_name(name)
    kind = _check_kind(kind)
    given = {"access_key_id": access_key_id, "secret_access_key": secret_access_key, "profile": profile,
             "role_arn": role_arn, "external_id": external_id, "token": token, "api_url": api_url}
    given = _checked(kind, given, secrets_required=True)
    if catalog.one("SELECT 1 FROM credentials WHERE name = ?", (name,)) and not replace:
        raise ConfigError(f"credential {name!r} already exists",
                          hint="choose another name", fix=Fix(FixKind.TURN_ON, "replace", why="to overwrite it"))
    secrets = {k: str(given[k]) for k in _SECRETS[kind] if given[k] is not None}
    return _store(catalog, name, kind, given, encrypt(secrets) if secrets else None)


def update_credential(
    catalog: Catalog, name: str, *, kind: str | None = None,
    access_key_id: str | None = None, secret_access_key: str | None = None,
    profile: str | None = None, role_arn: str | None = None, external_id: str | None = None,
    token: str | None = None, api_url: str | None = None,
) -> Credential:
    """Change some fields of a stored credential; what is not given keeps its stored value.

    A field given as None stays as stored; "" clears an optional one (role ARN, external ID). A
    secret not given (None or "") keeps the stored ciphertext as it is, never decrypted, so a form
    or command can change a role ARN without the secret being typed again. A new kind needs the
    new kind's own fields and secret.
    """
    current = get_credential(catalog, name)
    kind = _check_kind(kind or current.kind)
    row = catalog.one("SELECT settings, secret FROM credentials WHERE name = ?", (name,))
    assert row is not None  # get_credential found it
    allowed = set(_SETTINGS[kind]) | {"role_arn", "external_id"}
    given: dict[str, str | None] = {k: v for k, v in loads(row["settings"], {}).items() if k in allowed}
    changes = {"access_key_id": access_key_id, "profile": profile, "role_arn": role_arn,
               "external_id": external_id, "api_url": api_url}
    given.update({k: v for k, v in changes.items() if v is not None})
    given.update({k: v for k, v in (("secret_access_key", secret_access_key), ("token", token)) if v})
    keep_secret = (kind == current.kind and row["secret"] is not None
                   and not any(given.get(k) for k in _SECRETS[kind]))
    given = _checked(kind, given, secrets_required=not keep_secret)
    secrets = {k: str(given[k]) for k in _SECRETS[kind] if given[k] is not None}
    blob = row["secret"] if keep_secret else (encrypt(secrets) if secrets else None)
    return _store(catalog, name, kind, given, blob)


def _check_kind(kind: str) -> CredentialKind:
    if kind not in KINDS:
        raise ConfigError(f"unknown credential kind {kind!r}",
                          hint=did_you_mean(kind, KINDS) or f"use one of: {', '.join(KINDS)}")
    return CredentialKind(kind)


def _checked(kind: str, fields: dict[str, str | None], *, secrets_required: bool) -> dict[str, str | None]:
    """The fields stripped and validated for `kind` (every field present; the API URL defaulted)."""
    kind = CredentialKind(kind)
    given = {k: fields.get(k) for k in _WORDS}
    given = {k: v.strip() if isinstance(v, str) else v for k, v in given.items()}
    if kind is CredentialKind.OPTIMIZELY_TOKEN and not given["api_url"]:
        given["api_url"] = DEFAULT_OPTIMIZELY_API
    allowed = set(_SETTINGS[kind]) | set(_SECRETS[kind]) | {"role_arn", "external_id"}
    for field, value in given.items():
        if value and field not in allowed:
            raise ConfigError(f"{_words(field)} does not apply to a {kind} credential",
                              hint=f"a {kind} credential takes: {_options(kind)}")
    for field in _SETTINGS[kind] + (_SECRETS[kind] if secrets_required else ()):
        if not given[field]:
            article = "an" if kind[0] in "aeio" else "a"
            required = ", ".join(_words(f) for f in _SETTINGS[kind] + _SECRETS[kind])
            raise ConfigError(f"{article} {kind} credential needs {_words(field)}",
                              hint=f"required: {required}; optional: a role ARN, an external ID",
                              fix=Fix(FixKind.GIVE, field))
    _validate(kind, given)
    return given


def _store(catalog: Catalog, name: str, kind: CredentialKind, given: dict[str, str | None], secret: bytes | None) -> Credential:
    settings = {k: given[k] for k in (*_SETTINGS[kind], "role_arn", "external_id") if given[k]}
    stamp = now()
    catalog.execute(
        "INSERT INTO credentials (name, kind, settings, secret, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET kind = excluded.kind,"
        " settings = excluded.settings, secret = excluded.secret, updated_at = excluded.updated_at",
        (name, kind, dumps(settings), secret, stamp, stamp),
    )
    return get_credential(catalog, name)


def list_credentials(catalog: Catalog) -> list[Credential]:
    return [_from_row(row) for row in catalog.all("SELECT * FROM credentials ORDER BY name")]


def get_credential(catalog: Catalog, name: str) -> Credential:
    row = catalog.one("SELECT * FROM credentials WHERE name = ?", (name,))
    if row is None:
        names = [r["name"] for r in catalog.all("SELECT name FROM credentials")]
        raise not_found(f"no credential named {name!r}", name, names,
                        otherwise="see `courier credentials list`" if names else "add one with `courier credentials add`")
    return _from_row(row)


def remove_credential(catalog: Catalog, name: str) -> None:
    """Delete a credential no courier uses (a courier without its credential cannot run)."""
    get_credential(catalog, name)
    users = [r["name"] for r in catalog.all("SELECT name FROM couriers WHERE credential = ? ORDER BY name", (name,))]
    if users:
        raise ConfigError(f"credential {name!r} is used by courier{'s' if len(users) > 1 else ''} {', '.join(users)}",
                          hint="point those couriers at another credential (`courier couriers edit`) or remove them first")
    catalog.execute("DELETE FROM credentials WHERE name = ?", (name,))


def load_secret(catalog: Catalog, name: str) -> dict[str, str]:
    """The decrypted secret fields of a credential. Only courier.core.source.aws (and the token exchange) call this."""
    get_credential(catalog, name)
    row = catalog.one("SELECT secret FROM credentials WHERE name = ?", (name,))
    return decrypt(row["secret"]) if row and row["secret"] is not None else {}


def all_secret_values(catalog: Catalog) -> list[str]:
    """Every stored secret value, so run events and logs can be redacted before they are written."""
    values: list[str] = []
    for row in catalog.all("SELECT secret FROM credentials WHERE secret IS NOT NULL"):
        try:
            values.extend(v for v in decrypt(row["secret"]).values() if v)
        except ConfigError:
            continue  # a changed key: those secrets cannot be in this process's text either
    return values


def credential_to_json(c: Credential) -> dict[str, Any]:
    """A JSON-ready view for `list --json` and exports; never includes secret values."""
    data = {k: v for k, v in asdict(c).items() if v is not None}
    data["created_at"] = iso_utc(c.created_at)
    data["updated_at"] = iso_utc(c.updated_at)
    data["secret_stored"] = bool(_SECRETS[c.kind]) if c.kind in _SECRETS else False
    return data


def describe(c: Credential) -> str:
    """A short human description: 'IAM key AKIA…, role arn:…'."""
    parts = {
        CredentialKind.IAM_CREDENTIAL: f"access key {c.access_key_id}",
        CredentialKind.AWS_PROFILE: f"profile {c.profile}",
        CredentialKind.DEFAULT_CHAIN: "AWS default chain",
        CredentialKind.OPTIMIZELY_TOKEN: f"Optimizely token via {c.api_url}",
    }
    text = parts.get(c.kind, c.kind)
    if c.role_arn:
        text += f", assumes {c.role_arn}" + (" (with external ID)" if c.external_id else "")
    return text


def _validate(kind: CredentialKind, given: dict[str, str | None]) -> None:
    key_id = given["access_key_id"]
    if key_id and not _ACCESS_KEY_ID.fullmatch(key_id):
        raise ConfigError(f"access key id {key_id!r} does not look like an AWS access key id",
                          hint="it is 16-128 upper-case letters and digits, e.g. AKIAIOSFODNN7EXAMPLE")
    secret = given["secret_access_key"]
    if secret and any(ch.isspace() for ch in secret):
        raise ConfigError("the secret access key contains spaces",
                          hint="pipe exactly the secret access key on stdin (AWS's are 40 characters)")
    role, external = given["role_arn"], given["external_id"]
    if role and not _ROLE_ARN.fullmatch(role):
        raise ConfigError(f"role ARN {role!r} is not an IAM role ARN",
                          hint="it looks like arn:aws:iam::123456789012:role/path/name")
    if external and not role:
        raise ConfigError("an external ID needs a role ARN", hint="an external ID is only sent when assuming a role",
                          fix=Fix(FixKind.GIVE, "role_arn"))
    if external and not _EXTERNAL_ID.fullmatch(external):
        raise ConfigError("the external ID is not valid",
                          hint="2-1224 characters: letters, digits and + = , . @ : / - _ (no spaces)")
    if kind is CredentialKind.AWS_PROFILE:
        require_profile(str(given["profile"]))
    api = given["api_url"]
    if api and not re.match(r"^https?://[^\s/]+", api):
        raise ConfigError(f"API URL {api!r} is not an http(s) URL", hint="e.g. https://api.optimizely.com")


def available_profiles() -> list[str]:
    """The profiles in the AWS config files (reading them is configuration, not a connection)."""
    return sorted(botocore.session.Session().available_profiles)


def require_profile(profile: str) -> None:
    """A missing profile is named together with the ones that exist."""
    profiles = available_profiles()
    if profile not in profiles:
        listed = ", ".join(profiles) if profiles else "none are configured"
        raise ConfigError(f"AWS profile {profile!r} not found in the AWS config files (available: {listed})",
                          hint="run `aws configure --profile NAME`, or set AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE")


def _check_name(name: str) -> None:
    if not _NAME.fullmatch(name or ""):
        raise ConfigError(f"credential name {name!r} is not valid",
                          hint="use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")


def _options(kind: CredentialKind) -> str:
    fields = [*_SETTINGS[kind], *_SECRETS[kind], "role_arn", "external_id"]
    return ", ".join(_words(f) for f in fields)


def _words(field: str) -> str:
    """A credential field in words (each face names its own control: a flag, a form field)."""
    return _WORDS.get(field, field.replace("_", " "))


def _from_row(row: Any) -> Credential:
    settings = loads(row["settings"], {})
    return Credential(
        name=row["name"], kind=CredentialKind(row["kind"]),
        access_key_id=settings.get("access_key_id"), profile=settings.get("profile"),
        role_arn=settings.get("role_arn"), external_id=settings.get("external_id"),
        api_url=settings.get("api_url"), created_at=row["created_at"], updated_at=row["updated_at"],
    )

