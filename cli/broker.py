"""`flask --app app broker ...`: list the plugins, connect or disconnect a user's broker."""
from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from broker.errors import BrokerError
from broker.registry import UnknownBroker
from database.users import find_by_username
from services import broker_session, master_contract
from services.brokers import registry


@click.group("broker", cls=AppGroup, help="Broker plugins and broker sessions.")
def group() -> None:
    pass


@group.command("list", help="Every plugin found under broker/, its status and capabilities.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_plugins(as_json: bool) -> None:
    entries = [entry.describe() for entry in registry().list()]
    if as_json:
        click.echo(json.dumps(entries, indent=2))
        return
    if not entries:
        click.echo("No broker plugins found under broker/.")
    for info in entries:
        color = "green" if info["status"] == "available" else "red"
        flags = [] if info["allowed"] else ["not in VALID_BROKERS"]
        flags += [f"needs {', '.join(info['missing_settings'])}"] if info.get("missing_settings") else []
        click.echo(f"{info['name']:<14}" + click.style(f"{info['status']:<12}", fg=color)
                   + f"{info.get('display_name', '')}" + (f"  ({'; '.join(flags)})" if flags else ""))
        if info.get("reason"):
            click.echo(f"    reason: {info['reason']}")
        caps = info.get("capabilities")
        if caps:
            click.echo(f"    auth: {info['auth_type']}")
            for key in ("operations", "order_types", "products", "exchanges", "intervals", "streaming_modes",
                        "depth_levels"):
                click.echo(f"    {key}: {', '.join(str(v) for v in caps[key]) or '-'}")
            click.echo(f"    batch quotes: {caps['max_batch_quotes'] or 'no'}; symbols per stream connection: "
                       f"{caps['symbols_per_connection'] or 'unlimited'}; margin calculator: "
                       f"{'yes' if caps['margin_calculator'] else 'no'}")


def _user_id(username: str) -> int:
    user = find_by_username(username)
    if user is None:
        raise click.ClickException(f"No user named {username!r}")
    return user.id


@group.command("connect", help="Connect a user's broker that needs no interactive login (auth type none).")
@click.option("--username", required=True, help="The user to connect.")
@click.option("--broker", "broker_name", required=True, help="Broker id, e.g. paper.")
def connect(username: str, broker_name: str) -> None:
    user_id = _user_id(username)
    try:
        plugin = registry().get_connectable(broker_name)
        if plugin.manifest.auth_type != "none":
            raise click.ClickException(f"{plugin.manifest.display_name} needs an interactive login "
                                       f"({plugin.manifest.auth_type}); connect it from the dashboard")
        info = broker_session.connect(user_id, broker_name)
    except (UnknownBroker, BrokerError) as exc:
        raise click.ClickException(str(exc)) from None
    until = info["connected_until"].isoformat() if info["connected_until"] else "disconnected"
    click.secho(f"{username} is connected to {broker_name} (until {until})", fg="green")
    if plugin.capabilities.supports("master_contract"):  # orders need today's instrument list
        result = master_contract.download(broker_name, plugin,
                                          session=broker_session.live_session(user_id).session)
        click.echo(f"master contract: {result.message or f'{result.rows} instruments loaded'}")


@group.command("disconnect", help="End a user's broker session.")
@click.option("--username", required=True)
def disconnect(username: str) -> None:
    ended = broker_session.disconnect(_user_id(username), reason="disconnected from the command line")
    click.echo(f"{username}: " + ("broker session ended" if ended else "no broker session to end"))


@group.command("status", help="A user's broker session: connected, expired or disconnected.")
@click.option("--username", required=True)
def status(username: str) -> None:
    info = broker_session.state(_user_id(username))
    click.echo(json.dumps(info, default=str, indent=2))
