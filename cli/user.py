"""`flask --app app user ...`: create users and set passwords on a headless server."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from services import accounts
from utils.errors import DomainError


# AppGroup: every command runs inside the app context (also under test_cli_runner).
group = AppGroup("user", help="User accounts.")


@group.command("create", help="Create the admin user (refuses a second admin unless --force).")
@click.option("--username", required=True)
@click.option("--email", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Prompted for (hidden) when not given.")
@click.option("--force", is_flag=True, help="Create another admin even though one exists.")
def create(username: str, email: str, password: str, force: bool) -> None:
    try:
        user = accounts.create_user(username, email, password, admin=True, force=force)
    except DomainError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created admin user {user.username!r}.")


@group.command("set-password", help="Set a user's password (signs out their browsers).")
@click.option("--username", required=True)
@click.option("--password", prompt="New password", hide_input=True, confirmation_prompt=True,
              help="Prompted for (hidden) when not given.")
def set_password(username: str, password: str) -> None:
    try:
        accounts.set_password(username, password)
    except DomainError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Password of {username!r} changed.")
