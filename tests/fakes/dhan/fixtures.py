"""The recorded Dhan payloads (tests/fixtures/dhan, sources named in its README)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "dhan"


def dhan_json(name: str) -> Any:
    """A fresh copy of one recorded JSON payload (callers may change it)."""
    return json.loads((FIXTURES / name).read_text())
