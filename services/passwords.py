"""Password hashing and the password policy.

Hashes are Argon2id (argon2-cffi, its RFC 9106 defaults). The pepper: before hashing, the password is
HMAC-SHA256'd under a key derived from API_KEY_PEPPER (HKDF, context "openalgo/password-pepper/v1"), so a
stolen database alone cannot be brute-forced offline without the pepper from the server's .env. When the
Argon2 parameters change, `verify` reports it and the caller stores a fresh hash at the next login.
"""
from __future__ import annotations

import hashlib
import hmac
import re
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

from utils.crypto import derive_key
from utils.errors import InvalidInput

_PEPPER_CONTEXT = b"openalgo/password-pepper/v1"
MIN_LENGTH = 8
MAX_LENGTH = 256
_DEFAULT_HASHER = PasswordHasher()


def check_policy(password: str, username: str) -> None:
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"Password must be at least {MIN_LENGTH} characters long.", field="password")
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"Password must be at most {MAX_LENGTH} characters long.", field="password")
    if not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        raise InvalidInput("Password must contain both letters and digits.", field="password")
    if password.strip().lower() == username.strip().lower():
        raise InvalidInput("Password must not be the same as the username.", field="password")


def _hasher() -> PasswordHasher:
    # Tests may pass cheaper (or different) parameters through the Flask config.
    return current_app.config.get("PASSWORD_HASHER") or _DEFAULT_HASHER


def _pepper() -> str:
    return current_app.extensions["openalgo.settings"].API_KEY_PEPPER


@lru_cache(maxsize=8)
def _pepper_key(pepper: str) -> bytes:
    return derive_key(pepper, _PEPPER_CONTEXT)


def _peppered(password: str) -> str:
    return hmac.new(_pepper_key(_pepper()), password.encode(), hashlib.sha256).hexdigest()


def hash_password(password: str) -> str:
    return _hasher().hash(_peppered(password))


def verify(stored_hash: str, password: str) -> tuple[bool, bool]:
    """(matches, needs_rehash)."""
    hasher = _hasher()
    try:
        hasher.verify(stored_hash, _peppered(password))
    except (VerificationError, InvalidHashError):
        return False, False
    return True, hasher.check_needs_rehash(stored_hash)


@lru_cache(maxsize=4)
def _dummy_hash(hasher: PasswordHasher) -> str:
    return hasher.hash("not-a-real-password-0")


def burn_verify_time() -> None:
    """Spend the time of one verification, so an unknown username answers as slowly as a known one."""
    hasher = _hasher()
    try:
        hasher.verify(_dummy_hash(hasher), "wrong")
    except VerificationError:
        pass
