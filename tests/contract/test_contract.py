"""The contract every broker plugin keeps, run once per plugin (new plugins join automatically).

Declared capabilities are exercised end to end through the plugin's adapters; every operation the
capability map leaves out must raise NotSupported, never something else.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Callable

import pytest

from broker.contract import (OPERATIONS, BrokerPlugin, CandleSeries, Depth, Funds, GttLeg, GttRequest, Holding,
                             HistoryRequest, Instrument,
                             Margin, MarginLeg, ModifyRequest, Order, OrderAck, OrderRequest, Position, Quote, Trade,
                             validate_plugin)
from broker.contract.interfaces import OPERATION_ADAPTERS
from broker.errors import DOCUMENTED_HTTP_STATUS, ERROR_TYPES, ErrorTable, NotSupported, OrderNotFound, UnknownSymbol
from broker.streaming import FeedAdapter
from services.brokers import registry
from tests.contract.conftest import Connected
from tests.support.prices import on_tick, resting_buy
from utils.constants import EXCHANGES, ORDER_STATUSES
from utils.symbols import DERIVATIVE_PATTERN, parse_derivative
from utils.market_calendar import now_ist

KNOWN_EXTRA_STATUSES = ("expired",)


def _far_limit(connected: Connected, instrument: Instrument) -> OrderRequest:
    """A BUY LIMIT well below the market, so it stays open, yet inside any price band (the paper broker's
    is ±10 % for futures, ±20 % for equities around the previous close and the last price)."""
    ltp = connected.plugin.data.quote(connected.session, instrument).ltp
    return OrderRequest(instrument=instrument, action="BUY", quantity=instrument.lotsize, product="MIS",
                        pricetype="LIMIT", price=resting_buy(ltp, instrument.tick_size, below=0.93))


def _needs(connected: Connected, *operations: str) -> None:
    missing = [op for op in operations if not connected.plugin.capabilities.supports(op)]
    if missing:
        pytest.skip(f"{connected.plugin.name} does not declare {', '.join(missing)}")


def _status_of(connected: Connected, order_id: str) -> Order:
    return connected.plugin.orders.order_status(connected.session, order_id)


# ------------------------------------------------------------------------------ manifest, interfaces
def test_plugin_keeps_the_contract(plugin: BrokerPlugin, plugin_name: str):
    assert validate_plugin(plugin, expected_name=plugin_name) == []
    assert plugin.manifest.display_name and plugin.capabilities.operations <= set(OPERATIONS)
    assert plugin.capabilities.exchanges and plugin.capabilities.exchanges <= set(EXCHANGES)
    for spec in plugin.manifest.settings:
        assert spec.name.isupper() and spec.label, f"setting {spec.name} needs an UPPER_CASE name and a label"


def test_every_interface_method_is_present(plugin: BrokerPlugin):
    for operation, attribute in OPERATION_ADAPTERS.items():
        assert callable(getattr(getattr(plugin, attribute), operation))
    for method in ("login_url", "authenticate", "logout"):
        assert callable(getattr(plugin.auth, method))
    assert callable(plugin.master_contract.download)


def test_a_live_broker_has_an_error_table_mapping_to_the_documented_unified_errors(plugin: BrokerPlugin):
    table = plugin.error_table
    if not plugin.manifest.live:
        assert table is None or isinstance(table, ErrorTable)   # a simulator raises unified errors itself
        return
    assert isinstance(table, ErrorTable) and table.broker == plugin.name
    assert table.codes or table.messages, f"{plugin.name}: the error table translates nothing"
    for source, key, kind in table.entries():
        assert kind in ERROR_TYPES, f"{source} {key!r} maps to {kind!r}, not a broker.errors type"
        # the HTTP status the unified error is documented to answer with (broker/errors.py)
        assert kind.http_status == DOCUMENTED_HTTP_STATUS[kind], f"{source} {key!r}: {kind.__name__}"
    for code, kind in table.codes.items():
        error = table.error(code=code, message="from the broker", raw={"code": code})
        assert type(error) is kind and error.raw == {"code": code} and error.broker == plugin.name
        assert error.message == "from the broker"


# ------------------------------------------------------------------------------ declared capabilities
def test_master_contract_rows_are_in_the_unified_format(connected: Connected):
    _needs(connected, "master_contract")
    assert connected.instruments
    for instrument in connected.instruments:
        assert instrument.exchange in EXCHANGES and instrument.symbol == instrument.symbol.upper()
        assert " " not in instrument.symbol and instrument.lotsize >= 1 and instrument.token
        if instrument.expiry is not None:  # futures and options follow §2.4 exactly
            parsed = parse_derivative(instrument.symbol)
            assert parsed is not None and DERIVATIVE_PATTERN.match(instrument.symbol), instrument.symbol
            assert parsed.expiry == instrument.expiry and str(parsed) == instrument.symbol


def test_quotes_and_depth(connected: Connected):
    _needs(connected, "quote")
    plugin, session, instrument = connected.plugin, connected.session, connected.instrument()
    quote = plugin.data.quote(session, instrument)
    assert isinstance(quote, Quote) and quote.ltp > 0 and quote.symbol == instrument.symbol
    if plugin.capabilities.supports("quotes"):
        many = plugin.data.quotes(session, [instrument, instrument])
        assert [q.symbol for q in many] == [instrument.symbol] * 2
    if plugin.capabilities.supports("depth"):
        depth = plugin.data.depth(session, instrument)
        assert isinstance(depth, Depth) and len(depth.bids) == len(depth.asks) == plugin.capabilities.depth_levels[0]
        bids = [level.price for level in depth.bids if level.price]
        asks = [level.price for level in depth.asks if level.price]
        assert bids == sorted(bids, reverse=True) and asks == sorted(asks)


def test_history_for_every_declared_interval(connected: Connected):
    _needs(connected, "history")
    instrument = connected.instrument()
    end = now_ist().date()
    for interval in connected.plugin.capabilities.intervals:
        series = connected.plugin.data.history(connected.session, HistoryRequest(
            instrument=instrument, interval=interval, start=end - timedelta(days=6), end=end))
        assert isinstance(series, CandleSeries) and series.interval == interval
        stamps = [candle.timestamp for candle in series.candles]
        assert all(isinstance(t, int) for t in stamps) and stamps == sorted(set(stamps))


def test_market_order_is_acknowledged_and_booked(connected: Connected):
    _needs(connected, "place_order", "order_book")
    plugin, session, instrument = connected.plugin, connected.session, connected.instrument()
    ack = plugin.orders.place_order(session, OrderRequest(instrument=instrument, action="BUY",
                                                          quantity=instrument.lotsize, product="MIS"))
    assert isinstance(ack, OrderAck) and ack.order_id
    booked = {order.order_id: order for order in plugin.orders.order_book(session)}
    assert isinstance(booked[ack.order_id], Order)
    status = _status_of(connected, ack.order_id)
    assert status.symbol == instrument.symbol and status.status in ORDER_STATUSES + KNOWN_EXTRA_STATUSES
    if plugin.capabilities.supports("trade_book") and status.status == "complete":
        trades = [t for t in plugin.orders.trade_book(session) if t.order_id == ack.order_id]
        assert trades and all(isinstance(t, Trade) for t in trades)
        assert sum(t.quantity for t in trades) == instrument.lotsize


def test_limit_order_modify_and_cancel(connected: Connected):
    _needs(connected, "place_order", "modify_order", "cancel_order")
    plugin, session, instrument = connected.plugin, connected.session, connected.instrument()
    request = _far_limit(connected, instrument)
    ack = plugin.orders.place_order(session, request)
    assert _status_of(connected, ack.order_id).status == "open"
    new_price = on_tick(request.price * 0.99, instrument.tick_size)
    plugin.orders.modify_order(session, ModifyRequest(
        order_id=ack.order_id, instrument=instrument, action="BUY", quantity=request.quantity, product="MIS",
        pricetype="LIMIT", price=new_price))
    assert _status_of(connected, ack.order_id).price == pytest.approx(new_price)
    plugin.orders.cancel_order(session, ack.order_id)
    assert _status_of(connected, ack.order_id).status == "cancelled"


def test_cancel_all_orders_leaves_nothing_open(connected: Connected):
    _needs(connected, "place_order", "cancel_all_orders", "order_book")
    plugin, session, instrument = connected.plugin, connected.session, connected.instrument()
    placed = {plugin.orders.place_order(session, _far_limit(connected, instrument)).order_id for _ in range(2)}
    acks = plugin.orders.cancel_all_orders(session)
    assert placed <= {ack.order_id for ack in acks}
    assert not [o for o in plugin.orders.order_book(session) if o.status in ("open", "trigger pending")]


def test_positions_holdings_and_funds(connected: Connected):
    plugin, session, instrument = connected.plugin, connected.session, connected.instrument()
    if plugin.capabilities.supports("positions"):
        assert all(isinstance(p, Position) for p in plugin.orders.positions(session))
    if plugin.capabilities.supports("open_position"):
        quantity = plugin.orders.open_position(session, instrument.symbol, instrument.exchange, "MIS")
        assert isinstance(quantity, (int, float))
    if plugin.capabilities.supports("holdings"):
        assert all(isinstance(h, Holding) for h in plugin.orders.holdings(session))
    if plugin.capabilities.supports("funds"):
        funds = plugin.funds.funds(session)
        assert isinstance(funds, Funds) and funds.available_cash >= 0
    if plugin.capabilities.supports("margin"):
        margin = plugin.funds.margin(session, [MarginLeg(instrument=instrument, action="BUY",
                                                         quantity=instrument.lotsize, product="MIS",
                                                         pricetype="MARKET")])
        assert isinstance(margin, Margin) and margin.total_margin_required >= 0


def test_close_all_positions_flattens_the_book(connected: Connected):
    _needs(connected, "place_order", "positions", "close_all_positions")
    plugin, session, instrument = connected.plugin, connected.session, connected.instrument()
    plugin.orders.place_order(session, OrderRequest(instrument=instrument, action="BUY",
                                                    quantity=instrument.lotsize, product="MIS"))
    by_symbol = {(i.symbol, i.exchange): i for i in connected.instruments}
    acks = plugin.orders.close_all_positions(session, lambda symbol, exchange: by_symbol[(symbol, exchange)])
    assert all(isinstance(ack, OrderAck) for ack in acks)
    assert plugin.orders.open_position(session, instrument.symbol, instrument.exchange, "MIS") == 0


def test_the_feed_builds_a_feed_adapter_for_the_session(connected: Connected):
    _needs(connected, "streaming")

    class Publisher:   # the proxy's ZeroMQ publisher, as far as building an adapter goes (no I/O yet)
        def publish(self, topic: str, payload: bytes) -> None:
            raise AssertionError("a feed must not publish before anything is subscribed")

    adapter = connected.plugin.feed(connected.session, Publisher())
    assert isinstance(adapter, FeedAdapter) and adapter.state == "idle"
    assert set(connected.plugin.capabilities.streaming_modes) <= set(adapter.supported_modes)


# ------------------------------------------------------------------------------ errors
def test_unknown_order_raises_order_not_found(connected: Connected):
    _needs(connected, "order_book")
    with pytest.raises(OrderNotFound) as raised:
        _status_of(connected, "999999999999999")
    assert raised.value.message and raised.value.http_status == 404
    if connected.plugin.capabilities.supports("cancel_order"):
        with pytest.raises(OrderNotFound):
            connected.plugin.orders.cancel_order(connected.session, "999999999999999")


def test_unknown_instrument_raises_unknown_symbol(connected: Connected):
    _needs(connected, "quote")
    ghost = Instrument(symbol="NOSUCHSYMBOL", brsymbol="NOSUCHSYMBOL-EQ", name="", exchange="NSE",
                       brexchange="NSE", token="987654321")
    with pytest.raises(UnknownSymbol):
        connected.plugin.data.quote(connected.session, ghost)


def _calls(connected: Connected) -> dict[str, Callable[[], Any]]:
    """One call per operation, with plausible arguments (only undeclared ones are made)."""
    plugin, session = connected.plugin, connected.session
    instrument = connected.instrument() if connected.instruments else Instrument(
        symbol="SBIN", brsymbol="SBIN-EQ", name="SBIN", exchange="NSE", brexchange="NSE", token="1")
    order = OrderRequest(instrument=instrument, action="BUY", quantity=1)
    leg = MarginLeg(instrument=instrument, action="BUY", quantity=1, product="MIS", pricetype="MARKET")
    gtt = GttRequest(instrument=instrument, trigger_type="SINGLE", action="BUY", quantity=1, product="CNC",
                     legs=(GttLeg(trigger_price=1.0, price=1.0),), last_price=2.0)
    orders, data = plugin.orders, plugin.data
    return {
        "place_order": lambda: orders.place_order(session, order),
        "modify_order": lambda: orders.modify_order(session, ModifyRequest(
            order_id="1", instrument=instrument, action="BUY", quantity=1, product="MIS", pricetype="LIMIT", price=1)),
        "cancel_order": lambda: orders.cancel_order(session, "1"),
        "cancel_all_orders": lambda: orders.cancel_all_orders(session),
        "order_book": lambda: orders.order_book(session),
        "order_status": lambda: orders.order_status(session, "1"),
        "trade_book": lambda: orders.trade_book(session),
        "positions": lambda: orders.positions(session),
        "holdings": lambda: orders.holdings(session),
        "open_position": lambda: orders.open_position(session, instrument.symbol, instrument.exchange, "MIS"),
        "close_all_positions": lambda: orders.close_all_positions(session, lambda s, e: instrument),
        "quote": lambda: data.quote(session, instrument),
        "quotes": lambda: data.quotes(session, [instrument]),
        "depth": lambda: data.depth(session, instrument),
        "history": lambda: data.history(session, HistoryRequest(instrument=instrument, interval="D",
                                                                start=now_ist().date(), end=now_ist().date())),
        "funds": lambda: plugin.funds.funds(session),
        "margin": lambda: plugin.funds.margin(session, [leg]),
        "place_gtt": lambda: plugin.gtt.place_gtt(session, gtt),
        "modify_gtt": lambda: plugin.gtt.modify_gtt(session, "1", gtt),
        "cancel_gtt": lambda: plugin.gtt.cancel_gtt(session, "1"),
        "gtt_book": lambda: plugin.gtt.gtt_book(session),
        "master_contract": lambda: list(plugin.master_contract.download(session, lambda message: None)),
        "streaming": lambda: plugin.require("streaming"),
    }


def test_every_undeclared_operation_raises_not_supported(connected: Connected):
    calls = _calls(connected)
    assert set(calls) == set(OPERATIONS)
    undeclared = [op for op in OPERATIONS if not connected.plugin.capabilities.supports(op)]
    for operation in undeclared:
        with pytest.raises(NotSupported):
            calls[operation]()
        with pytest.raises(NotSupported, match=connected.plugin.manifest.display_name):
            connected.plugin.require(operation)
