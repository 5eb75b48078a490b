"""`telegram/notify` (API_CONTRACT.md §11.1) while this server has no Telegram bot.

No bot can be configured yet (a later issue may add one), so no user can have linked Telegram and no
notification can be delivered. The answer follows the contract's error table in its order: 400 when
username or message is missing, 404 `User not found or not linked to Telegram` when the username is not
a user of this server, otherwise 409 `Telegram bot is stopped...` (the user exists; the bot is what is
missing, and the message tells the caller what to do).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from database import db
from database.users import User
from utils.errors import Conflict, InvalidInput, NotFound

BOT_STOPPED = "Telegram bot is stopped. Start the bot to send notifications."
NOT_LINKED = "User not found or not linked to Telegram"
MISSING_FIELDS = "Username and message are required"
MAX_MESSAGE = 4096


def notify(username: Any, message: Any) -> dict[str, Any]:
    if not isinstance(username, str) or not username.strip() or not isinstance(message, str) or not message.strip():
        raise InvalidInput(MISSING_FIELDS, field="username" if not username else "message")
    if len(message) > MAX_MESSAGE:
        raise InvalidInput(f"message must be at most {MAX_MESSAGE} characters", field="message")
    exists = db.session.scalar(select(User.id).where(User.username == username.strip()))
    if exists is None:
        raise NotFound(NOT_LINKED, field="username")
    raise Conflict(BOT_STOPPED)
