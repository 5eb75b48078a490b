"""`flask --app app db ...`: schema migrations."""
from __future__ import annotations

import click
from flask import current_app

from database import db
from database import migrate


@click.group("db", help="Database schema commands.")
def group() -> None:
    pass


@group.command("upgrade", help="Apply all pending migrations (also done automatically at start).")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
def upgrade(revision: str) -> None:
    migrate.upgrade(db.engine, revision)
    with db.engine.connect() as connection:
        click.echo(f"Database at revision {migrate.current_revision(connection)} ({db.engine.dialect.name}).")


@group.command("current", help="Show the applied and the latest revision.")
def current() -> None:
    with db.engine.connect() as connection:
        applied = migrate.current_revision(connection)
    click.echo(f"applied: {applied or '(none)'}\nlatest:  {migrate.head_revision()}")
    if applied != migrate.head_revision():
        current_app.logger.warning("Database schema is behind; run: flask --app app db upgrade")
