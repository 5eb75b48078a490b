"""`flask --app app config check`: validate the configuration and show the effective settings, the app's
own and then each installed broker's (secrets masked)."""
from __future__ import annotations

import sys

import click
from flask import current_app

from services.brokers import registry


@click.group("config", help="Configuration commands.")
def group() -> None:
    pass


@group.command("check", help="Validate every setting, the app's and each broker's (secrets masked), and report problems.")
def check() -> None:
    # Loading the app already validated the app's settings and those of enabled brokers: an invalid one
    # exits before this runs, with the full list of problems. Brokers not enabled are checked here.
    settings = current_app.extensions["openalgo.settings"]
    rows = settings.describe()
    entries = registry().list()
    width = max(len(name) for name, _ in rows + [(spec.name, "") for e in entries for spec in e.specs])
    for name, shown in rows:
        click.echo(f"{name.ljust(width)}  {shown}")
    problems = []
    for entry in entries:
        if not entry.specs:
            continue
        enabled = "enabled" if entry.allowed else "not in VALID_BROKERS"
        click.echo(f"\n# broker {entry.name} ({enabled})")
        for name, shown, note in entry.settings_table():
            missing = "  <- required, empty" if name in entry.missing_settings else ""
            click.echo(f"{name.ljust(width)}  {shown}{missing}    # {note}")
        problems += [f"{entry.name}: {problem}" for problem in entry.setting_problems]
    if problems:
        click.secho("Invalid broker settings:\n" + "\n".join(f"  - {p}" for p in problems), fg="red", err=True)
        sys.exit(2)
    click.secho("Configuration OK", fg="green")
