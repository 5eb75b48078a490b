"""Per-user settings (analyzer mode and other per-user switches land here): JSON values by name.

Always scoped by the user id of the caller; there is no way to read another user's settings.
"""
from __future__ import annotations

import json
import re
from typing import Any

from database import db
from database import user_settings as store
from services import request_memo
from utils import clock

ANALYZER_SETTING = "analyzer_mode"   # services/order_target.py: orders go to the paper engine while true
_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")


def get(user_id: int, name: str, default: Any = None) -> Any:
    value = request_memo.recall(("setting", user_id, name))
    if value is request_memo.MISSING:
        value = store.value_of(user_id, name)
    return json.loads(value) if value is not None else default


def set_value(user_id: int, name: str, value: Any) -> None:
    if not _NAME.fullmatch(name):
        raise ValueError("setting name must be lowercase letters, digits and '_' (at most 64), starting with a letter")
    store.put(user_id, name, json.dumps(value), clock.now())
    db.session.commit()
    request_memo.forget(("setting", user_id, name))


def all_for_user(user_id: int) -> dict[str, Any]:
    return {row.name: json.loads(row.value) for row in store.all_for_user(user_id)}
