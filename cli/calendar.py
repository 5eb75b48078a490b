"""`flask --app app calendar ...`: show the market calendar and update it from a CSV file."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from services.market_calendar import calendar_for
from utils.calendar_file import CalendarDataError, merge, read_rows, write_rows
from utils.market_calendar import IST


@click.group("calendar", cls=AppGroup, help="Market calendar (holidays, special sessions) commands.")
def group() -> None:
    pass


@group.command("import", help="Merge holidays from a CSV file (same columns as the shipped file) into the "
                              "calendar. Rows replace stored rows of the same date and exchange; a file "
                              "with any error changes nothing.")
@click.option("--file", "source", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="CSV with columns date,exchange,holiday_type,description,open_windows")
def import_file(source: Path) -> None:
    calendar = calendar_for(current_app)
    try:
        incoming = read_rows(source)
    except CalendarDataError as exc:
        raise click.ClickException(f"{source}: nothing was changed.\n{exc}") from None
    except UnicodeDecodeError:
        raise click.ClickException(f"{source}: not a UTF-8 text file; nothing was changed.") from None
    try:
        stored = read_rows(calendar.path)
    except CalendarDataError as exc:
        raise click.ClickException(f"The stored calendar {calendar.path} is invalid; fix it first.\n{exc}") from None
    rows, added, replaced = merge(stored, incoming)
    write_rows(calendar.path, rows)
    click.echo(f"Imported {len(incoming)} rows from {source}: {added} added, {replaced} replaced; "
               f"{len(rows)} rows in {calendar.path}.")


@group.command("show", help="List the holidays and special sessions of a year (times in IST).")
@click.option("--year", type=click.IntRange(2020, 2050), required=True, help="Calendar year, 2020-2050.")
def show(year: int) -> None:
    records = calendar_for(current_app).holidays(year)
    if not records:
        click.echo(f"No holidays or special sessions stored for {year}; every weekday is a regular day.")
        return
    for record in records:
        click.echo(f"{record['date']}  {record['holiday_type']:<18}  {record['description']}")
        if record["closed_exchanges"]:
            click.echo(f"    closed: {' '.join(record['closed_exchanges'])}")
        for window in record["open_exchanges"]:
            click.echo(f"    open:   {window['exchange']:<4} {_hhmm(window['start_time'])}-{_hhmm(window['end_time'])}")


def _hhmm(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, IST).strftime("%H:%M")
