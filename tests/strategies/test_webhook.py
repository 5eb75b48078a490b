"""The strategy webhook in process (API_CONTRACT.md §12): what each mode turns an alert into, and the
errors a caller sees. Orders land on the paper broker."""
from __future__ import annotations

from datetime import datetime

import pytest

from services import strategies
from utils.errors import InvalidInput
from utils.market_calendar import IST


def test_long_buy_enters_with_the_mapped_quantity_and_sell_exits(trader):
    _, hook = trader.strategy("LONG", "NSE:SBIN:10:MIS")
    answer = trader.webhook(hook, symbol="SBIN", action="BUY")
    assert answer.status_code == 200
    assert answer.get_json()["message"] == "Order queued successfully for SBIN"
    assert trader.drain() == 1
    assert trader.position() == 10
    book = trader.orders()
    assert book[0]["strategy"] == "s-long" if "strategy" in book[0] else True
    assert trader.webhook(hook, symbol="SBIN", action="SELL").status_code == 200
    trader.drain()
    assert trader.position() == 0
    assert trader.webhook(hook, symbol="SBIN", action="SELL").status_code == 200  # nothing left to exit
    trader.drain()
    assert trader.position() == 0 and len(trader.orders()) == 2


def test_long_buy_with_position_size_uses_it_as_the_quantity(trader):
    _, hook = trader.strategy("LONG", "NSE:SBIN:10:MIS")
    trader.webhook(hook, symbol="SBIN", action="buy", position_size="3")
    trader.drain()
    assert trader.position() == 3


def test_short_mode_is_mirrored(trader):
    _, hook = trader.strategy("SHORT", "NSE:SBIN:4:MIS")
    trader.webhook(hook, symbol="SBIN", action="SELL")
    trader.drain()
    assert trader.position() == -4
    trader.webhook(hook, symbol="SBIN", action="BUY")
    trader.drain()
    assert trader.position() == 0


def test_both_mode_position_size_is_the_target(trader):
    _, hook = trader.strategy("BOTH", "NSE:SBIN:5:MIS")
    trader.webhook(hook, symbol="SBIN", action="BUY", position_size="5")
    trader.drain()
    assert trader.position() == 5
    trader.webhook(hook, symbol="SBIN", action="SELL", position_size="-5")
    trader.drain()
    assert trader.position() == -5
    trader.webhook(hook, symbol="SBIN", action="BUY", position_size="0")
    trader.drain()
    assert trader.position() == 0


@pytest.mark.parametrize("body, status, message", [
    ({}, 400, "No data received"),
    ({"symbol": "SBIN"}, 400, "Missing required fields: action"),
    ({"symbol": "SBIN", "action": "HOLD"}, 400, "Invalid action"),
    ({"symbol": "INFY", "action": "BUY"}, 400, "No mapping found for symbol INFY"),
])
def test_bad_alerts_get_clear_json_errors(trader, body, status, message):
    _, hook = trader.strategy("LONG")
    answer = trader.client.post(f"/strategy/webhook/{hook}", json=body)
    assert answer.status_code == status
    payload = answer.get_json()
    assert message in payload["error"] and payload["message"] == payload["error"]
    assert hook not in answer.get_data(as_text=True)
    assert trader.drain() == 0


def test_both_mode_errors(trader):
    _, hook = trader.strategy("BOTH")
    missing = trader.webhook(hook, symbol="SBIN", action="BUY")
    assert missing.status_code == 400 and missing.get_json()["error"] == "Missing required fields: position_size"
    wrong = trader.webhook(hook, symbol="SBIN", action="BUY", position_size="-5")
    assert wrong.status_code == 400 and "position_size must be >= 0" in wrong.get_json()["error"]


def test_unknown_and_inactive_strategies(trader):
    assert trader.webhook("not-a-real-id", symbol="SBIN", action="BUY").status_code == 404
    strategy_id, hook = trader.strategy("LONG")
    with trader.app.app_context():
        from services import strategies
        strategies.update(trader.user_id, strategy_id, active=False)
    answer = trader.webhook(hook, symbol="SBIN", action="BUY")
    assert answer.status_code == 400 and answer.get_json()["error"] == "Strategy is inactive"


def test_rotated_webhook_id_stops_the_old_url(trader):
    strategy_id, hook = trader.strategy("LONG")
    with trader.app.app_context():
        from services import strategies
        new_hook = strategies.rotate_webhook(trader.user_id, strategy_id)
    assert trader.webhook(hook, symbol="SBIN", action="BUY").status_code == 404
    assert trader.webhook(new_hook, symbol="SBIN", action="BUY").status_code == 200


def test_entry_window_in_ist(trader):
    _, hook = trader.strategy("LONG", start_time="09:20", end_time="14:00", squareoff_time="15:10")
    moments = {"before": datetime(2026, 11, 24, 9, 10, tzinfo=IST), "inside": datetime(2026, 11, 24, 10, 0, tzinfo=IST),
               "after_end": datetime(2026, 11, 24, 14, 30, tzinfo=IST),
               "after_squareoff": datetime(2026, 11, 24, 15, 11, tzinfo=IST)}
    now = {"at": moments["before"]}
    trader.app.config["OPENALGO_CLOCK"] = lambda: now["at"]
    early = trader.webhook(hook, symbol="SBIN", action="BUY")
    assert early.status_code == 400 and "before start time (09:20 IST)" in early.get_json()["error"]
    now["at"] = moments["after_end"]
    late = trader.webhook(hook, symbol="SBIN", action="BUY")
    assert late.status_code == 400 and "Entry orders not allowed after end time" in late.get_json()["error"]
    assert trader.webhook(hook, symbol="SBIN", action="SELL").status_code == 200  # exits until square-off
    now["at"] = moments["after_squareoff"]
    assert trader.webhook(hook, symbol="SBIN", action="SELL").status_code == 400
    now["at"] = moments["inside"]
    assert trader.webhook(hook, symbol="SBIN", action="BUY").status_code == 200


def test_webhook_rate_limit_is_json_429(make_app):
    from tests.api.conftest import make_account
    app = make_app(WEBHOOK_RATE_LIMIT="2 per minute", STRATEGY_WORKER=False)
    account = make_account(app)
    with app.app_context():
        from services import strategies
        hook = strategies.webhook_id_of(strategies.create(
            account.user_id, name="rl", intraday=False, mappings=[strategies.parse_map_spec("NSE:SBIN:1:MIS")]))
    codes = [account.client.post(f"/strategy/webhook/{hook}", json={"symbol": "SBIN", "action": "BUY"}).status_code
             for _ in range(3)]
    assert codes == [200, 200, 429]
    last = account.client.post(f"/strategy/webhook/{hook}", json={"symbol": "SBIN", "action": "BUY"})
    assert last.get_json()["error"].startswith("Rate limit exceeded") and last.headers["Retry-After"]


def test_chartink_scan_name_decides_the_action(trader):
    _, hook = trader.strategy("LONG", "NSE:SBIN:7:MIS", name="ck")
    answer = trader.webhook(hook, path="chartink", stocks="SBIN,INFY", trigger_prices="800.5,1500",
                            scan_name="Morning BUY breakout")
    assert answer.status_code == 200, answer.get_json()
    assert trader.drain() == 2
    assert trader.position("SBIN") == 7 and trader.position("INFY") == 1  # INFY: the strategy default
    trader.webhook(hook, path="chartink", stocks="SBIN,INFY", trigger_prices="801,1501", scan_name="exit SELL")
    trader.drain()
    assert trader.position("SBIN") == 0 and trader.position("INFY") == 0
    short = trader.webhook(hook, path="chartink", stocks="SBIN", trigger_prices="1", scan_name="SHORT scan")
    assert short.status_code == 400 and "not allowed in LONG mode" in short.get_json()["error"]
    vague = trader.webhook(hook, path="chartink", stocks="SBIN", trigger_prices="1", scan_name="breakout")
    assert vague.status_code == 400 and "BUY, SELL, SHORT or COVER" in vague.get_json()["error"]


def test_tradingview_text_plain_body_and_garbage(trader):
    _, hook = trader.strategy("LONG", "NSE:SBIN:2:MIS")
    plain = trader.client.post(f"/strategy/webhook/{hook}", data='{"symbol": "SBIN", "action": "BUY"}',
                               content_type="text/plain")
    assert plain.status_code == 200   # TradingView sends its alert message as text/plain
    garbage = trader.client.post(f"/strategy/webhook/{hook}", data="buy sbin now", content_type="text/plain")
    assert garbage.status_code == 400 and garbage.get_json()["error"].startswith("No data received")
    trader.drain()
    assert trader.position() == 2


def test_chartink_short_and_cover_in_short_mode(trader):
    _, hook = trader.strategy("SHORT", "NSE:SBIN:3:MIS", name="ck-short")
    assert trader.webhook(hook, path="chartink", stocks="SBIN", trigger_prices="800", scan_name="short sell scan"
                          ).status_code == 400   # "short" and "sell": two action words
    assert trader.webhook(hook, path="chartink", stocks="SBIN", trigger_prices="800", scan_name="SHORT weak"
                          ).status_code == 200
    trader.drain()
    assert trader.position() == -3
    assert trader.webhook(hook, path="chartink", stocks="SBIN", trigger_prices="790", scan_name="cover"
                          ).status_code == 200
    trader.drain()
    assert trader.position() == 0


def test_the_webhook_id_is_stored_only_as_a_digest_and_ciphertext(trader):
    """Like API keys: a copy of the database does not hand out webhook URLs that place orders."""
    from database import db
    from database.strategies import Strategy
    _, hook = trader.strategy("LONG")
    with trader.app.app_context():
        row = db.session.query(Strategy).one()
        stored = " ".join(str(getattr(row, column.key)) for column in Strategy.__table__.columns)
        assert hook not in stored and row.webhook_digest and row.webhook_enc
    assert trader.webhook(hook, symbol="SBIN", action="BUY").status_code == 200


def test_numbers_beyond_the_order_limit_are_refused_up_front(trader):
    """Issue 17.3: a position size or mapped quantity no order can carry is a 400 naming it, not a queued alert
    that fails inside the database."""
    _, hook = trader.strategy("BOTH")
    huge = trader.webhook(hook, symbol="SBIN", action="BUY", position_size="1e19")
    assert huge.status_code == 400 and "position_size must be between" in huge.get_json()["error"]
    assert trader.drain() == 0
    with trader.app.app_context(), pytest.raises(InvalidInput, match="at most 1000000000") as refused:
        strategies.parse_map_spec("NSE:SBIN:10000000000000000000:MIS")
    assert refused.value.field == "quantity"
