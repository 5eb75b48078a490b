"""Alembic environment: runs on the connection handed over by `database.migrate`, or on DATABASE_URL."""
from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

import database.models  # noqa: F401  (complete metadata for autogenerate)
from database.core import Base, resolve_url

config = context.config
target_metadata = Base.metadata


def _run(connection) -> None:  # noqa: ANN001
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        # SQLite cannot ALTER most things in place; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:  # invoked by the plain `alembic` command (e.g. `alembic revision --autogenerate`)
    from utils.config import load_settings

    engine = create_engine(resolve_url(load_settings().DATABASE_URL))
    with engine.begin() as conn:
        _run(conn)
