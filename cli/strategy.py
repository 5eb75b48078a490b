"""`flask --app app strategy ...`: create and list webhook strategies headless, run the square-off scheduler.

`strategy create` prints the new webhook id alone on its last line, so scripts can capture it:
`WEBHOOK=$(flask --app app strategy create ... | tail -n1)`.
"""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from cli.broker import _user_id  # the one "username → id or a clear error" of the CLI
from services import strategies
from utils.errors import DomainError

group = AppGroup("strategy", help="Webhook strategies (TradingView, Amibroker, ChartInk, Python).")


@group.command("create", help="Create a strategy; prints its webhook id alone on the last line.")
@click.option("--username", required=True)
@click.option("--name", required=True)
@click.option("--platform", default="tradingview", show_default=True, type=click.Choice(strategies.PLATFORMS))
@click.option("--mode", default="LONG", show_default=True, type=click.Choice(strategies.MODES, case_sensitive=False))
@click.option("--intraday/--positional", default=True, show_default=True,
              help="intraday strategies keep the entry window and are squared off daily")
@click.option("--start-time", default="09:15", show_default=True, help="IST HH:MM: entries from")
@click.option("--end-time", default="15:00", show_default=True, help="IST HH:MM: entries until")
@click.option("--squareoff-time", default="15:15", show_default=True, help="IST HH:MM: exits until / square-off")
@click.option("--map", "maps", multiple=True, metavar="EXCHANGE:SYMBOL:QTY:PRODUCT",
              help="symbol mapping, e.g. NSE:SBIN:10:MIS (repeatable)")
def create(username: str, name: str, platform: str, mode: str, intraday: bool, start_time: str, end_time: str,
           squareoff_time: str, maps: tuple[str, ...]) -> None:
    try:
        strategy = strategies.create(
            _user_id(username), name=name, platform=platform, mode=mode, intraday=intraday, start_time=start_time,
            end_time=end_time, squareoff_time=squareoff_time,
            mappings=[strategies.parse_map_spec(spec) for spec in maps])
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    base = current_app.extensions["openalgo.settings"].HOST_SERVER
    click.echo(f"Strategy {strategy.name!r} created ({strategy.trading_mode}, {len(strategy.mappings)} symbols); "
               f"webhook URL: {base}/strategy/webhook/<id below>", err=True)
    click.echo(strategies.webhook_id_of(strategy))


@group.command("list", help="A user's strategies with their symbols and webhook ids.")
@click.option("--username", required=True)
def list_strategies(username: str) -> None:
    rows = strategies.list_for_user(_user_id(username))
    if not rows:
        click.echo(f"{username} has no strategies yet.")
    for strategy in rows:
        state = "active" if strategy.is_active else "inactive"
        timing = (f"intraday {strategy.start_time}-{strategy.end_time}, square-off {strategy.squareoff_time}"
                  if strategy.is_intraday else "positional")
        click.echo(f"{strategy.id:>4}  {strategy.name}  [{strategy.platform}, {strategy.trading_mode}, {state}, "
                   f"{timing}]  webhook id: {strategies.webhook_id_of(strategy)}")
        for mapping in strategy.mappings:
            click.echo(f"        {mapping.exchange}:{mapping.symbol}  qty {mapping.quantity}  {mapping.product}")


@group.command("scheduler", help="Run the square-off scheduler in the foreground (when the web app runs under "
                                 "gunicorn; `python app.py` runs it itself).")
def scheduler() -> None:
    from services import strategy_squareoff

    strategy_squareoff.run_forever(current_app._get_current_object())
