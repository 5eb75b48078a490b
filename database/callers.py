"""The one read an API request starts with: the key's owner plus what every order needs of that user.

`caller_by_digest` joins the key (unique digest index) to its user, the user's analyzer setting and
broker-session columns (both unique per user, outer joins): one round trip where an order request used
to make three.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import and_, bindparam, select

from database import driver_sql
from database.api_keys import ApiKey
from database.broker_sessions import LIVE_COLUMNS, BrokerConnection
from database.core import db
from database.user_settings import UserSetting
from database.users import User

# Built once: this runs on every API request (building a statement costs as much as running it).
_CALLER_BY_DIGEST = (
    select(ApiKey.user_id, User.username, UserSetting.value.label("setting_value"),
           BrokerConnection.id.label("session_id"), *LIVE_COLUMNS)
    .join(User, User.id == ApiKey.user_id)
    .outerjoin(UserSetting, and_(UserSetting.user_id == ApiKey.user_id, UserSetting.name == bindparam("setting")))
    .outerjoin(BrokerConnection, BrokerConnection.user_id == ApiKey.user_id)
    .where(ApiKey.key_digest == bindparam("digest")))


def caller_by_digest(digest: str, setting: str) -> Any:
    """user_id, username, `setting_value` (the JSON text of the user's setting `setting`, or None),
    `session_id` (None without a broker-session row) and the broker-session columns of
    `broker_sessions.live_columns`; None when no key has this digest."""
    # on the request session's connection: the request's later reads share its one pool checkout (a
    # connection of its own cost PostgreSQL a pre-ping and a rollback round trip more per request)
    connection = db.session.connection()
    return driver_sql.compiled(_CALLER_BY_DIGEST, connection.dialect).first(
        connection.connection, {"digest": digest, "setting": setting})
