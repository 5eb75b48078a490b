"""The sample Upstox payloads of tests/fixtures/upstox (see its README for their public source)."""
from __future__ import annotations

from typing import Any

from tests.fakes.fixtures import FIXTURES, fixture_json

UPSTOX = FIXTURES / "upstox"


def upstox_json(name: str) -> Any:
    return fixture_json("upstox", name)
