"""TOTP (RFC 6238) for password reset: enrollment with a locally rendered QR code, and verification.

The seed is stored encrypted (`secret_box(pepper)`). During enrollment the candidate seed travels in the
browser session only in encrypted form, and becomes the user's seed once they prove it with a code.
"""
from __future__ import annotations

import base64
import hmac
import io

import pyotp
import qrcode
import qrcode.image.svg
from flask import current_app

from database import db
from database import users as store
from database.users import User
from services import audit
from utils import clock
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


def _matching_step(seed: str, code: str) -> int | None:
    """The time step (30 s) whose code is `code`, allowing one step of clock drift either way."""
    totp = pyotp.TOTP(seed)
    now_step = totp.timecode(clock.now())
    for step in (now_step, now_step - 1, now_step + 1):
        if hmac.compare_digest(totp.generate_otp(step), code.strip()):
            return step
    return None


def enroll(user_id: int, seed: str, code: str) -> bool:
    """Store `seed` for the user if `code` proves they hold it."""
    step = _matching_step(seed, code)
    if step is None:
        return False
    user = store.get(user_id)
    user.totp_secret, user.totp_last_step = _box().encrypt(seed), step
    audit.record(user_id, "totp_enrolled", commit=False)
    db.session.commit()
    return True


def verify(user: User, code: str) -> bool:
    """True once per code: a step already used (or older) is refused, so an overheard code cannot be replayed.
    The caller commits (the used step is recorded on `user`)."""
    if not user.totp_secret or not code:
        return False
    step = _matching_step(_box().decrypt(user.totp_secret), code)
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        return False
    user.totp_last_step = step
    return True
