"""Secrets at rest and in text: Fernet encryption with a key kept outside the workspace, and redaction.

The key comes from `COURIER_SECRET_KEY`, else from `secret.key` in the user config dir (created
0600 in a 0700 folder on first use), so a copied or backed-up workspace holds only ciphertext.
Every secret value this process decrypts or receives is remembered by a process-wide Redactor,
so logs, events and error text can be scrubbed with `redact(text)` without knowing the secrets.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable
from pathlib import Path

import platformdirs
from courier.core.errors import ConfigError
from cryptography.fernet import Fernet, InvalidToken

KEY_ENV = "COURIER_SECRET_KEY"
MASK = "****"
_MIN_SECRET_LENGTH = 4  # shorter values would turn ordinary text into asterisks


def key_path() -> Path:
    """Where the secret key lives when `COURIER_SECRET_KEY` is not set."""
    return Path(platformdirs.user_config_dir("courier", appauthor=False)) / "secret.key"


def _load_key() -> bytes:
    env = os.environ.get(KEY_ENV, "").strip()
    if env:
        _check_key(env.encode(), f"${KEY_ENV}")
        return env.encode()
    path = key_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(path.parent, 0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            key = path.read_bytes().strip()
        else:
            key = Fernet.generate_key()
            with os.fdopen(fd, "wb") as fh:
                fh.write(key + b"\n")
        os.chmod(path, 0o600)
    except PermissionError:
        raise ConfigError(f"cannot read or create the secret key {path}",
                          hint=f"fix the permissions of {path.parent}, or set {KEY_ENV}") from None
    _check_key(key, str(path))
    return key


def _check_key(key: bytes, where: str) -> None:
    try:
        Fernet(key)
    except (ValueError, TypeError):
        raise ConfigError(f"the secret key in {where} is not a valid Fernet key",
                          hint="it must be 32 url-safe base64-encoded bytes, e.g. from "
                               "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`") from None


def _fernet() -> Fernet:
    return Fernet(_load_key())


def encrypt(values: dict[str, str]) -> bytes:
    """Ciphertext of the secret fields (a JSON object)."""
    remember(values.values())
    return _fernet().encrypt(json.dumps(values, sort_keys=True).encode())


def decrypt(ciphertext: bytes) -> dict[str, str]:
    """The secret fields back; a changed key is a configuration problem, not a crash."""
    try:
        plain = _fernet().decrypt(bytes(ciphertext))
    except InvalidToken:
        raise ConfigError("cannot decrypt stored secrets: the secret key changed",
                          hint=f"restore the old key ({key_path()} or ${KEY_ENV}), or add the "
                               "credentials again with `courier credentials add NAME ... --replace`") from None
    values = json.loads(plain)
    remember(values.values())
    return values


class Redactor:
    """Replaces every known secret value in a text with `****`; thread-safe."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        self.add(*secrets)

    def add(self, *values: str | None) -> None:
        with self._lock:
            for value in values:
                if value and len(value) >= _MIN_SECRET_LENGTH:
                    self._secrets.add(value)

    def redact(self, text: str) -> str:
        with self._lock:
            ordered = sorted(self._secrets, key=len, reverse=True)  # longest first: no partial leftovers
        for secret in ordered:
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def __len__(self) -> int:
        return len(self._secrets)


_KNOWN = Redactor()


def remember(values: Iterable[str | None]) -> None:
    """Record secret values seen by this process so `redact` hides them later."""
    _KNOWN.add(*values)


def redact(text: str, secrets: Iterable[str] | None = None) -> str:
    """Hide secrets in text: the given ones, plus every secret this process has handled."""
    if secrets is not None:
        text = Redactor(secrets).redact(text)
    return _KNOWN.redact(text)
