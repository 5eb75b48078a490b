"""Secrets at rest and keyed digests, both derived from API_KEY_PEPPER.

- `SecretBox` encrypts broker tokens, credentials, TOTP secrets and API keys for display (Fernet; the key
  comes from the pepper through HKDF-SHA256 with a fixed context string).
- `keyed_digest` is HMAC-SHA256 under another key derived from the pepper: an indexed, constant-cost
  lookup value for API keys and webhook ids (never a slow hash per request).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_ENCRYPTION_CONTEXT = b"openalgo/secrets-at-rest/v1"
_DIGEST_CONTEXT = b"openalgo/keyed-digest/v1"


class DecryptionError(Exception):
    """A stored secret could not be decrypted (tampered with, or API_KEY_PEPPER changed)."""


def derive_key(pepper: str, context: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=context).derive(pepper.encode())


class SecretBox:
    def __init__(self, pepper: str):
        self._fernet = Fernet(base64.urlsafe_b64encode(derive_key(pepper, _ENCRYPTION_CONTEXT)))

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise DecryptionError("stored secret cannot be decrypted; was API_KEY_PEPPER changed?") from None


@lru_cache(maxsize=8)
def secret_box(pepper: str) -> SecretBox:
    return SecretBox(pepper)


@lru_cache(maxsize=8)
def _digest_key(pepper: str) -> bytes:
    return derive_key(pepper, _DIGEST_CONTEXT)


def keyed_digest(pepper: str, value: str) -> str:
    """Hex HMAC-SHA256 of `value`; equal inputs give equal digests, so it can be indexed and looked up."""
    return hmac.new(_digest_key(pepper), value.encode(), hashlib.sha256).hexdigest()
