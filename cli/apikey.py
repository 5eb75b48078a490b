"""`flask --app app apikey ...`: create (rotate) and show API keys. Keys alone go to stdout."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from database import users
from services import api_keys


# AppGroup: every command runs inside the app context (also under test_cli_runner).
group = AppGroup("apikey", help="API keys.")


def _user_id(username: str) -> int:
    user = users.find_by_username(username)
    if user is None:
        raise click.ClickException(f"No user named {username!r}.")
    return user.id


@group.command("create", help="Create the user's API key, revoking the current one at once. Prints the key.")
@click.option("--username", required=True)
def create(username: str) -> None:
    click.echo(api_keys.issue(_user_id(username), source="cli"))


@group.command("show", help="Print the user's current API key.")
@click.option("--username", required=True)
def show(username: str) -> None:
    key = api_keys.reveal(_user_id(username))
    if key is None:
        raise click.ClickException(f"{username!r} has no API key yet; run: flask --app app apikey create --username {username}")
    click.echo(key)
