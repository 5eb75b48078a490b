"""`flask --app app config check`: validate the configuration and show the effective settings."""
from __future__ import annotations

import click
from flask import current_app


@click.group("config", help="Configuration commands.")
def group() -> None:
    pass


@group.command("check", help="Validate every setting (secrets masked) and report problems.")
def check() -> None:
    # Loading the app already validated everything: an invalid configuration exits before this runs,
    # with the full list of problems.
    settings = current_app.extensions["openalgo.settings"]
    width = max(len(name) for name, _ in settings.describe())
    for name, shown in settings.describe():
        click.echo(f"{name.ljust(width)}  {shown}")
    click.secho("Configuration OK", fg="green")
