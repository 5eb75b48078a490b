"""Issue 23: which users' sandbox runs on the live market is stored (sandbox_markets), so a restart, the
simulated market's matcher and the proxy's tick path all know it: a live-market order is never filled at
the simulated market's prices, after a restart or when the live broker session ends."""
from __future__ import annotations

from sqlalchemy import select

from database import db, sandbox_markets
from database.paper import PaperOrder
from services import broker_session
from services.brokers import registry
from tests.fakes.kite_server import KiteServer
from tests.sandbox.support import kite_only_equity, order_calls
from tests.strategies.conftest import Trader

BOTH_MARKETS = "ADANIPORTS"   # listed by the recorded Kite contract and by the simulated market
FAR_ABOVE = 100_000.0        # a Kite price no simulated price comes near: a LIMIT under it would fill there


def live_markets(trader: Trader) -> dict[int, str]:
    with trader.app.app_context():
        return sandbox_markets.live_market_users()


def rest_a_buy_far_above_the_simulated_price(trader: Trader, kite: KiteServer) -> str:
    kite.set_quote(f"NSE:{BOTH_MARKETS}", last_price=FAR_ABOVE, bid=FAR_ABOVE - 0.05, ask=FAR_ABOVE + 0.05)
    placed = trader.post("placeorder", strategy="t", symbol=BOTH_MARKETS, exchange="NSE", action="BUY",
                         pricetype="LIMIT", price=str(FAR_ABOVE * 0.95), product="CNC", quantity="1")
    assert placed.status_code == 200 and placed.json["mode"] == "analyze", placed.json
    assert trader.post("orderstatus", orderid=placed.json["orderid"], strategy="t").json["data"]["order_status"] == "open"
    return placed.json["orderid"]


def status_in(app, orderid: str) -> str:  # noqa: ANN001
    with app.app_context():
        return db.session.scalar(select(PaperOrder.status).where(PaperOrder.orderid == orderid))


def test_the_first_analyzer_request_records_the_live_market_and_a_toggle_changes_it(trader: Trader, kite: KiteServer):
    row = kite_only_equity(trader)
    kite.set_quote(f"NSE:{row.brsymbol}", last_price=100.0, bid=99.95, ask=100.05)
    assert trader.post("funds").status_code == 200
    assert live_markets(trader) == {trader.user_id: "zerodha"}
    assert trader.post("analyzer/toggle", mode=True, market="simulated").status_code == 200
    assert trader.post("funds").status_code == 200
    assert live_markets(trader) == {}
    trader.post("analyzer/toggle", mode=True, market="live")
    assert trader.post("funds").status_code == 200
    assert live_markets(trader) == {trader.user_id: "zerodha"}


def test_after_a_restart_the_simulated_matcher_leaves_live_market_orders_alone(trader: Trader, kite: KiteServer,
                                                                              make_app, database_url: str):
    orderid = rest_a_buy_far_above_the_simulated_price(trader, kite)
    restarted = make_app(DATABASE_URL=database_url, LOGS_DATABASE_URL=database_url, VALID_BROKERS="zerodha,paper")
    with restarted.app_context():
        assert sandbox_markets.live_market_users() == {trader.user_id: "zerodha"}
        matcher = registry().get("paper").orders.matcher
        worker = matcher.engine.on_market(matcher.engine.market, bind=db.engine)
        assert matcher.run_once(worker, db.engine) == 0      # nobody of the simulated market waits
    assert status_in(restarted, orderid) == "open"
    assert order_calls(kite) == []


def test_an_ended_broker_session_stops_the_sandbox_instead_of_moving_it_to_simulated_prices(trader: Trader,
                                                                                              kite: KiteServer):
    orderid = rest_a_buy_far_above_the_simulated_price(trader, kite)
    with trader.app.app_context():
        broker_session.mark_expired(trader.user_id)
    answer = trader.post("orderbook")
    assert answer.status_code == 403, answer.json
    assert "zerodha market" in answer.json["message"] and "market=simulated" in answer.json["message"]
    assert status_in(trader.app, orderid) == "open"
    assert live_markets(trader) == {trader.user_id: "zerodha"}
    assert order_calls(kite) == []
