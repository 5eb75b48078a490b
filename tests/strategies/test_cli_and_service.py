"""Strategy management headless: the CLI prints the webhook id alone on its last line, lists
strategies, and every bad field is refused naming the field and what is allowed."""
from __future__ import annotations

import pytest

from services import strategies
from utils.errors import ClientError
from tests.api.conftest import make_account


@pytest.fixture
def cli_app(make_app):
    app = make_app(STRATEGY_WORKER=False)
    make_account(app, "alice")
    return app


def test_create_prints_the_webhook_id_last_and_list_shows_it(cli_app):
    runner = cli_app.test_cli_runner()
    made = runner.invoke(args=["strategy", "create", "--username", "alice", "--name", "Trend 1", "--mode", "BOTH",
                               "--map", "NSE:SBIN:10:MIS", "--map", "NSE:INFY:5:CNC"])
    assert made.exit_code == 0, made.output
    webhook_id = made.stdout.strip().splitlines()[-1]
    assert len(webhook_id) >= 40 and " " not in webhook_id
    listed = runner.invoke(args=["strategy", "list", "--username", "alice"])
    assert "Trend 1" in listed.output and webhook_id in listed.output and "NSE:INFY  qty 5  CNC" in listed.output


@pytest.mark.parametrize("args, message", [
    (["--map", "NSE:SBIN:ten:MIS"], "quantity must be a whole number greater than 0"),
    (["--map", "NSE:SBIN:10"], "EXCHANGE:SYMBOL:QUANTITY:PRODUCT"),
    (["--map", "XYZ:SBIN:10:MIS"], "exchange must be one of NSE"),
    (["--map", "NSE:SBIN:10:BTST"], "product must be one of CNC, NRML, MIS"),
    (["--map", "NSE:NOSUCHSYMBOL:1:MIS"], "Symbol 'NOSUCHSYMBOL' not found"),
    (["--start-time", "9.15"], "start_time must be a time of day in IST as HH:MM"),
    (["--end-time", "16:00", "--squareoff-time", "15:15"], "squareoff_time (15:15) must not be before end_time"),
])
def test_create_refuses_bad_fields(cli_app, args, message):
    result = cli_app.test_cli_runner().invoke(
        args=["strategy", "create", "--username", "alice", "--name", "x", *args])
    assert result.exit_code != 0 and message in result.output


def test_names_are_unique_per_user_and_csv_import(cli_app):
    with cli_app.app_context():
        from database.users import find_by_username
        user_id = find_by_username("alice").id
        made = strategies.create(user_id, name="csv")
        with pytest.raises(ClientError, match="already have a strategy named 'csv'"):
            strategies.create(user_id, name="csv")
        rows = strategies.parse_csv("symbol,exchange,quantity,product\nSBIN,NSE,10,MIS\nINFY,NSE,2,CNC\n")
        assert strategies.add_mappings(user_id, made.id, rows) == 2
        with pytest.raises(ClientError, match="CSV row 1: quantity"):
            strategies.parse_csv("TCS,NSE,0,MIS")
        with pytest.raises(ClientError, match="already mapped"):
            strategies.add_mappings(user_id, made.id, strategies.parse_csv("SBIN,NSE,1,MIS"))
        assert [m.symbol for m in strategies.get(user_id, made.id).mappings] == ["SBIN", "INFY"]
        old = strategies.webhook_id_of(made)
        new = strategies.rotate_webhook(user_id, made.id)
        assert new != old and strategies.webhook_id_of(strategies.get(user_id, made.id)) == new
