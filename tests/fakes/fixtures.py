"""Where the recorded broker payloads live: tests/fixtures/<broker>/ inside the repository (each folder's
README names its public source). Tests and fake servers read payloads only through this module."""
from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = PROJECT_ROOT / "tests" / "fixtures"
KITE = FIXTURES / "zerodha"


def fixture_path(broker: str, name: str) -> Path:
    """tests/fixtures/<broker>/<name>; raises FileNotFoundError naming the missing file."""
    path = FIXTURES / broker / name
    if not path.is_file():
        raise FileNotFoundError(f"no recorded payload {path.relative_to(PROJECT_ROOT)}")
    return path


def fixture_json(broker: str, name: str) -> Any:
    return json.loads(fixture_path(broker, name).read_text())


def kite_json(name: str) -> Any:
    return fixture_json("zerodha", name)


def kite_packet(name: str) -> bytes:
    """A recorded ticker packet (stored base64-encoded: one packet body, without the frame header)."""
    return base64.b64decode(fixture_path("zerodha", name).read_text())
