"""TOTP (RFC 6238) for password reset: enrollment with a locally rendered QR code, and verification.

The seed is stored encrypted (`secret_box(pepper)`). During enrollment the candidate seed travels in the
browser session only in encrypted form, and becomes the user's seed once they prove it with a code.
"""
from __future__ import annotations

import base64
import io

import pyotp
import qrcode
import qrcode.image.svg
from flask import current_app

from database import db
from database import users as store
from database.users import User
from services import audit
from utils.crypto import DecryptionError, secret_box

ISSUER = "OpenAlgo"


def _box():
    return secret_box(current_app.extensions["openalgo.settings"].API_KEY_PEPPER)


def new_candidate() -> tuple[str, str]:
    """(plain seed to show for manual entry, encrypted seed to keep in the session)."""
    seed = pyotp.random_base32()
    return seed, _box().encrypt(seed)


def decrypt_candidate(sealed: str) -> str | None:
    try:
        return _box().decrypt(sealed)
    except DecryptionError:
        return None


def qr_data_uri(seed: str, username: str) -> str:
    """An SVG data: URI of the otpauth:// URI, rendered here (no third-party QR service)."""
    uri = pyotp.TOTP(seed).provisioning_uri(name=username, issuer_name=ISSUER)
    buffer = io.BytesIO()
    qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8).save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def enroll(user_id: int, seed: str, code: str) -> bool:
    """Store `seed` for the user if `code` proves they hold it."""
    if not pyotp.TOTP(seed).verify(code.strip(), valid_window=1):
        return False
    user = store.get(user_id)
    user.totp_secret = _box().encrypt(seed)
    audit.record(user_id, "totp_enrolled", commit=False)
    db.session.commit()
    return True


def verify(user: User, code: str) -> bool:
    if not user.totp_secret or not code:
        return False
    return pyotp.TOTP(_box().decrypt(user.totp_secret)).verify(code.strip(), valid_window=1)
