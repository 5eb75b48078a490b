"""`flask --app app broker ...` and `contract ...` as an operator uses them."""
from __future__ import annotations

import json

from services import broker_session, master_contract
from services.brokers import registry
from tests.broker.conftest import add_user


def test_broker_list_shows_every_plugin_with_status_and_capabilities(make_app):
    app = make_app(BROKER_PLUGIN_PACKAGES=("tests.broker.sample_plugins", "tests.contract.plugins"),
                   VALID_BROKERS="fakebroker")
    result = app.test_cli_runner().invoke(args=["broker", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.startswith("fakebroker") and "available" in line and "Fake Broker" in line for line in lines)
    assert any(line.startswith("broken_import") and "unavailable" in line for line in lines)
    assert "reason: failed to load: ModuleNotFoundError" in result.output
    assert "operations: place_order, modify_order" in result.output and "intervals: 1m, 5m, D" in result.output
    assert "not in VALID_BROKERS" in next(line for line in lines if line.startswith("needs_settings"))
    listed = json.loads(app.test_cli_runner().invoke(args=["broker", "list", "--json"]).output)
    assert {entry["name"]: entry["status"] for entry in listed}["breaks_contract"] == "unavailable"


def test_broker_connect_status_and_disconnect(fake_app):
    runner = fake_app.test_cli_runner()
    with fake_app.app_context():
        user_id = add_user("alice")
    result = runner.invoke(args=["broker", "connect", "--username", "alice", "--broker", "fakebroker"])
    assert result.exit_code == 0 and "alice is connected to fakebroker" in result.output
    assert "master contract: 9 instruments loaded" in result.output
    with fake_app.app_context():
        assert broker_session.live_session(user_id).name == "fakebroker"
    assert '"state": "connected"' in runner.invoke(args=["broker", "status", "--username", "alice"]).output
    result = runner.invoke(args=["broker", "disconnect", "--username", "alice"])
    assert "broker session ended" in result.output
    with fake_app.app_context():
        assert broker_session.state(user_id)["state"] == "disconnected"


def test_broker_connect_explains_what_is_wrong(fake_app):
    runner = fake_app.test_cli_runner()
    result = runner.invoke(args=["broker", "connect", "--username", "nobody", "--broker", "fakebroker"])
    assert result.exit_code != 0 and "No user named 'nobody'" in result.output
    with fake_app.app_context():
        add_user("bob")
    result = runner.invoke(args=["broker", "connect", "--username", "bob", "--broker", "zzz"])
    assert result.exit_code != 0 and "not installed" in result.output


def test_contract_download_and_status(fake_app):
    runner = fake_app.test_cli_runner()
    result = runner.invoke(args=["contract", "download", "--broker", "fakebroker"])
    assert result.exit_code == 0 and "instruments loaded" in result.output
    again = runner.invoke(args=["contract", "download"])
    assert "already downloaded today" in again.output
    forced = runner.invoke(args=["contract", "download", "--force"])
    assert "fakebroker:" in forced.output and "instruments loaded" in forced.output
    status = runner.invoke(args=["contract", "status"])
    assert status.output.startswith("fakebroker") and "success" in status.output


def test_failed_contract_download_exits_non_zero_and_keeps_the_contract(fake_app):
    runner = fake_app.test_cli_runner()
    runner.invoke(args=["contract", "download", "--broker", "fakebroker"])
    plugin = registry(fake_app).get("fakebroker")

    def failing():  # noqa: ANN202
        raise ConnectionError("broker closed the connection")
        yield

    plugin.master_contract.rows = failing
    result = runner.invoke(args=["contract", "download", "--force", "--broker", "fakebroker"])
    assert result.exit_code == 1 and "previous contract kept" in result.output
    assert "broker closed the connection" in result.output
    with fake_app.app_context():
        assert master_contract.status("fakebroker")["rows"] > 0
