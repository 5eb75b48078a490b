"""The contract-suite hook (tests/contract/conftest.py looks for tests/brokers/<folder>/harness.py): the
settings that point the plugin at one fake server for the test process, and what "logging in" sends."""
from __future__ import annotations

from tests.brokers._template.fake import REQUEST_TOKEN, TemplateServer

_SERVER = TemplateServer().__enter__()   # lives as long as the test process

SETTINGS = _SERVER.settings()


def credentials() -> dict[str, str]:
    return {"request_token": REQUEST_TOKEN, "state": "contract"}
