"""Imports every model module so that the metadata is complete for the app and for Alembic.

Each area that adds tables adds its module here.
"""
from database import api_keys, audit, journal, user_settings, users  # noqa: F401
from database import broker_sessions  # noqa: F401
from database import symtoken  # noqa: F401
from database import paper  # noqa: F401
from database import paper_pnl  # noqa: F401
from database import strategies  # noqa: F401
from database import sandbox_markets  # noqa: F401
