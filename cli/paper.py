"""`flask --app app paper ...`: the paper broker's account (reset to start over, show funds)."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from database.users import find_by_username
from services import paper_account
from utils.errors import InvalidInput


@click.group("paper", help="The built-in paper broker (simulated market).")
def group() -> None:
    pass


def _user_id(username: str) -> int:
    user = find_by_username(username)
    if user is None:
        raise click.ClickException(f"No user named {username!r}")
    return user.id


def _show(funds) -> str:  # noqa: ANN001 (broker.contract.Funds)
    raw = funds.raw or {}
    text = (f"available {funds.available_cash:,.2f} INR of capital {float(raw.get('capital', 0)):,.2f}, "
            f"used margin {funds.utilised_debits:,.2f}, realized today {funds.m2m_realized:,.2f}, "
            f"unrealized {funds.m2m_unrealized:,.2f}")
    if raw.get("charges_total"):
        text += f", charges {float(raw['charges_total']):,.2f}"
    return text


@group.command("reset", help="Start over: delete the user's paper orders, trades, positions, holdings "
                             "and P&L history and start again with --capital INR (default PAPER_CAPITAL).")
@click.option("--username", required=True, help="Whose paper account to reset.")
@click.option("--capital", default=None, help="The new virtual capital in INR (1,000 to 1e12); default PAPER_CAPITAL.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def reset(username: str, capital: str | None, yes: bool) -> None:
    user_id = _user_id(username)
    try:
        amount = paper_account.parse_capital(capital)
    except InvalidInput as error:
        raise click.BadParameter(str(error), param_hint="--capital") from None
    if not yes:
        click.confirm(f"Delete every paper order, trade, position and holding of {username}, and the P&L "
                      "history?", abort=True)
    funds = paper_account.reset(user_id, amount)
    click.secho(f"{username}: paper account reset; {_show(funds)}", fg="green")


@group.command("funds", help="The user's paper funds.")
@click.option("--username", required=True)
@with_appcontext
def show_funds(username: str) -> None:
    click.echo(f"{username}: {_show(paper_account.funds(_user_id(username)))}")
