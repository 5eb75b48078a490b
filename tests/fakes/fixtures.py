"""Where the recorded broker payloads live: ../shared/fixtures next to the project (never copied in)."""
from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = PROJECT_ROOT.parent / "shared" / "fixtures"
KITE = FIXTURES / "kite"


def kite_json(name: str) -> Any:
    return json.loads((KITE / name).read_text())


def kite_packet(name: str) -> bytes:
    """A recorded ticker packet (stored base64-encoded: one packet body, without the frame header)."""
    return base64.b64decode((KITE / name).read_text())
