"""Records every order-changing request and its result in the journal before the response goes out.

`record` blocks until the row is committed (group commit, see database/group_commit.py), so an order
acknowledged to a client is in the journal even if the process is killed right after. The API key and
other credentials in the request are dropped before anything is stored.
"""
from __future__ import annotations

import json
import uuid
from typing import Any, Mapping

from flask import Flask, current_app

from database import db
from database.group_commit import GroupCommitWriter, JournalWriteError
from database.journal import JournalEntry
from services import events
from services.latency import LatencyTimer
from utils.logging import get_logger

log = get_logger(__name__)

_CREDENTIAL_FIELDS = frozenset({"apikey", "api_key", "password", "token", "access_token"})
_EXTENSION = "openalgo.journal_writer"


def init_app(app: Flask) -> None:
    with app.app_context():
        writer = GroupCommitWriter(db.engine, JournalEntry.__table__)
    app.extensions[_EXTENSION] = writer


def _writer() -> GroupCommitWriter:
    return current_app.extensions[_EXTENSION]


def _without_credentials(payload: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k.lower() not in _CREDENTIAL_FIELDS}


def record(*, user_id: int, action: str, request: Mapping[str, Any], response: Mapping[str, Any],
           http_status: int, mode: str, broker: str | None, timer: LatencyTimer) -> None:
    """Write one journal row and wait until it is durable.

    A failed write is logged as an error and not raised: the broker has already acted on the order, and
    reporting a failure would invite the client to place it again.
    """
    row = {
        "request_id": str(uuid.uuid4()),
        "user_id": user_id,
        "action": action,
        "mode": mode,
        "broker": broker,
        "strategy": str(request.get("strategy"))[:255] if request.get("strategy") is not None else None,
        "request_json": json.dumps(_without_credentials(request), default=str),
        "response_json": json.dumps(dict(response), default=str),
        "status": str(response.get("status", "error")),
        "http_status": http_status,
        "orderid": str(response["orderid"]) if response.get("orderid") else None,
        "message": str(response["message"]) if response.get("message") is not None else None,
        "validation_ms": timer.stages.get("validation"),
        "broker_ms": timer.stages.get("broker"),
        "total_ms": round(timer.elapsed_ms(), 3),
    }
    with timer.stage("journal"):
        try:
            _writer().write(row)
        except JournalWriteError as exc:
            log.error("Order journal entry for user %s (%s, order %s) not written: %s",
                      user_id, action, row["orderid"], exc)
    events.wake(user_id)  # open dashboards of this user re-read the journal now
