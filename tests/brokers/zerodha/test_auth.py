"""Login URL, checksum and the daily 06:00 IST cut-off."""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone

from broker.zerodha.auth import login_url, session_checksum, session_expiry
from broker.zerodha.mapping import IST


def test_login_url_carries_version_and_api_key():
    assert login_url("abc123") == "https://kite.zerodha.com/connect/login?v=3&api_key=abc123"


def test_checksum_is_sha256_of_key_token_secret():
    assert session_checksum("k", "rt", "s") == hashlib.sha256(b"krts").hexdigest()
    assert len(session_checksum("k", "rt", "s")) == 64


def test_a_token_made_during_the_day_dies_at_six_next_morning():
    assert session_expiry(datetime(2025, 12, 30, 9, 5, tzinfo=IST)) == datetime(2025, 12, 31, 6, 0, tzinfo=IST)
    # 02:00 IST is before the cut-off: that same morning's 06:00
    assert session_expiry(datetime(2025, 12, 30, 20, 30, tzinfo=timezone.utc)) == datetime(2025, 12, 31, 6, 0, tzinfo=IST)
    assert session_expiry(datetime(2025, 12, 31, 6, 0, tzinfo=IST)) == datetime(2026, 1, 1, 6, 0, tzinfo=IST)
