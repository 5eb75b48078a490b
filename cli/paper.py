"""`flask --app app paper ...`: the paper broker's account (reset to start over, show funds)."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from database.users import find_by_username
from services import paper_account


@click.group("paper", help="The built-in paper broker (simulated market).")
def group() -> None:
    pass


def _user_id(username: str) -> int:
    user = find_by_username(username)
    if user is None:
        raise click.ClickException(f"No user named {username!r}")
    return user.id


def _show(funds) -> str:  # noqa: ANN001 (broker.contract.Funds)
    return (f"available {funds.available_cash:,.2f} INR, used margin {funds.utilised_debits:,.2f}, "
            f"realized today {funds.m2m_realized:,.2f}, unrealized {funds.m2m_unrealized:,.2f}")


@group.command("reset", help="Start over: delete the user's paper orders, trades, positions and holdings "
                             "and restore PAPER_CAPITAL.")
@click.option("--username", required=True, help="Whose paper account to reset.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def reset(username: str, yes: bool) -> None:
    user_id = _user_id(username)
    if not yes:
        click.confirm(f"Delete every paper order, trade, position and holding of {username}?", abort=True)
    funds = paper_account.reset(user_id)
    click.secho(f"{username}: paper account reset; {_show(funds)}", fg="green")


@group.command("funds", help="The user's paper funds.")
@click.option("--username", required=True)
@with_appcontext
def show_funds(username: str) -> None:
    click.echo(f"{username}: {_show(paper_account.funds(_user_id(username)))}")
