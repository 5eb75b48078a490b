"""Storage layer: the SQLAlchemy handle, model base, engine set-up and migrations.

Models live in modules of this package and are imported by `database.models` so that Alembic and the
app see one complete metadata. Nothing outside `database/` writes SQL.
"""
from database.core import Base, db, init_app, ping

__all__ = ["Base", "db", "init_app", "ping"]
