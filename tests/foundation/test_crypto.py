"""Secrets at rest and keyed digests derived from the pepper."""
from __future__ import annotations

import pytest

from utils.crypto import DecryptionError, SecretBox, keyed_digest

PEPPER = "pepper-0123456789abcdef0123456789abcdef"


def test_encrypted_secret_round_trips_and_hides_the_plaintext():
    box = SecretBox(PEPPER)
    token = box.encrypt("kite-access-token-XYZ")
    assert "kite-access-token" not in token
    assert box.decrypt(token) == "kite-access-token-XYZ"
    assert box.encrypt("same") != box.encrypt("same")  # randomized: equal secrets are not linkable


def test_another_pepper_cannot_decrypt():
    token = SecretBox(PEPPER).encrypt("secret")
    with pytest.raises(DecryptionError, match="API_KEY_PEPPER"):
        SecretBox(PEPPER + "x").decrypt(token)


def test_keyed_digest_is_stable_and_depends_on_the_pepper():
    assert keyed_digest(PEPPER, "key") == keyed_digest(PEPPER, "key")
    assert keyed_digest(PEPPER, "key") != keyed_digest(PEPPER + "x", "key")
    assert len(keyed_digest(PEPPER, "key")) == 64
