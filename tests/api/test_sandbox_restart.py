"""Kill and restart during sandbox trading (issue 23): a real server (`python app.py`) is killed with
SIGKILL in the middle of analyzer-mode trading and started again; the sandbox account — its chosen
capital, funds, charges, positions, resting orders and GTTs, and analyzer mode itself — is as it was."""
from __future__ import annotations

import os
import re
import signal

import pytest
import requests

from broker.paper.instruments import catalog
from tests.api.server import Server, flask_cli, prepared_server, USERNAME
from tests.api.test_gtt import _oco
from tests.support.prices import resting_buy
from utils.market_calendar import now_ist

pytestmark = pytest.mark.dates   # the simulated market's instruments and prices follow the date


def _post(server: Server, endpoint: str, **body) -> dict:
    reply = requests.post(f"{server.host}/api/v1/{endpoint}", json={"apikey": server.key, **body}, timeout=60)
    assert reply.status_code == 200, reply.text
    return reply.json()


def _state(server: Server) -> dict:
    positions = sorted((p["symbol"], p["product"], int(p["quantity"]), float(p["average_price"]))
                       for p in _post(server, "positionbook")["data"])
    orders = sorted((o["orderid"], o["order_status"]) for o in _post(server, "orderbook")["data"]["orders"])
    gtts = sorted((g["trigger_id"], g["status"]) for g in _post(server, "gttorderbook")["data"])
    funds = _post(server, "funds")["data"]
    account = flask_cli(server.env_file, "paper", "funds", "--username", USERNAME)
    return {"positions": positions, "orders": orders, "gtts": gtts,
            "funds": (funds["availablecash"], funds["utiliseddebits"], funds["m2mrealized"]),
            "capital_and_charges": re.findall(r"capital ([\d,]+\.\d\d)|charges ([\d,]+\.\d\d)", account),
            "analyzer": _post(server, "analyzer")["data"]["mode"]}


def _kill(server: Server) -> None:
    os.killpg(server.process.pid, signal.SIGKILL)   # no shutdown code runs
    server.process.communicate(timeout=30)


def test_kill_and_restart_during_sandbox_trading_loses_nothing(tmp_path):
    server = prepared_server(tmp_path, PAPER_CHARGES="'true'")
    flask_cli(server.env_file, "paper", "reset", "--username", USERNAME, "--capital", "2500000", "--yes")
    server.start()
    try:
        assert _post(server, "analyzer/toggle", mode=True)["data"]["mode"] == "analyze"
        future = min((r for r in catalog(now_ist().date(), 0).rows
                      if r.symbol.startswith("NIFTY") and r.kind == "future"), key=lambda r: r.expiry_epoch)
        _post(server, "placeorder", strategy="restart", symbol=future.symbol, exchange="NFO", action="BUY",
              pricetype="MARKET", product="NRML", quantity=future.lotsize)
        _post(server, "placeorder", strategy="restart", symbol="INFY", exchange="NSE", action="BUY",
              pricetype="MARKET", product="CNC", quantity=5)
        ltp = _post(server, "quotes", symbol="SBIN", exchange="NSE")["data"]["ltp"]
        _post(server, "placeorder", strategy="restart", symbol="SBIN", exchange="NSE", action="BUY",
              pricetype="LIMIT", price=resting_buy(ltp, below=0.9), product="CNC", quantity=3)
        _post(server, "placegttorder", **_oco(ltp))
        before = _state(server)
        assert len(before["positions"]) == 2 and len(before["gtts"]) == 1
        assert ("open" in {status for _, status in before["orders"]}) and before["analyzer"] == "analyze"
        assert before["capital_and_charges"][0][0] == "2,500,000.00" and float(before["capital_and_charges"][1][1].replace(",", "")) > 0

        _kill(server)
        server.start()
        assert _state(server) == before
    finally:
        server.stop()
