"""`flask --app app contract ...`: download master contracts and show their status."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from broker.registry import UnknownBroker
from services import broker_session, master_contract
from services.brokers import registry


@click.group("contract", cls=AppGroup, help="Master contracts (instrument lists) of the brokers.")
def group() -> None:
    pass


def _brokers(name: str | None) -> list[str]:
    if name:
        return [name]
    return [n for n in registry().connectable() if registry().get(n).capabilities.supports("master_contract")]


@group.command("download", help="Download master contracts (once a day unless --force).")
@click.option("--broker", "broker_name", default=None, help="Only this broker (default: every enabled one).")
@click.option("--force", is_flag=True, help="Download even if today's contract is already loaded.")
def download(broker_name: str | None, force: bool) -> None:
    failed = False
    for name in _brokers(broker_name):
        try:
            plugin = registry().get(name)
        except UnknownBroker as exc:
            raise click.ClickException(str(exc)) from None
        result = master_contract.download(name, plugin, force=force,
                                          session=broker_session.any_live_session(name))
        if result.state == "success":
            click.secho(f"{name}: {result.rows} instruments loaded in {result.seconds:.1f}s", fg="green")
        elif result.state == "error":
            failed = True
            click.secho(f"{name}: download failed, previous contract kept: {result.message}", fg="red")
        else:
            click.echo(f"{name}: {result.message}")
    if failed:
        raise SystemExit(1)


@group.command("status", help="Download status per broker.")
def status() -> None:
    for name in _brokers(None) or sorted(e.name for e in registry().list()):
        info = master_contract.status(name)
        line = f"{name:<14}{info['state']:<12}rows={info['rows']}"
        if info["last_success_at"]:
            line += f"  loaded={info['last_success_at']:%Y-%m-%d %H:%M:%S} UTC in {info['duration_seconds']}s"
        if info["progress"]:
            line += f"  progress: {info['progress']}"
        if info["error"]:
            line += f"  error: {info['error']}"
        click.echo(line)
