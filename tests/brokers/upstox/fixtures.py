"""The sample Upstox payloads of tests/fixtures/upstox (see its README for their public source)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

UPSTOX = Path(__file__).resolve().parents[2] / "fixtures" / "upstox"


def upstox_json(name: str) -> Any:
    return json.loads((UPSTOX / name).read_text())
