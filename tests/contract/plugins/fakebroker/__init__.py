"""A fake broker for the contract tests: an in-memory exchange behind a real plugin's interfaces.

It stands where a broker's servers would be (the network boundary), so the contract suite, discovery,
sessions and master-contract tests run before any real plugin exists. Deliberately partial: margin
and streaming are not offered, so the "unsupported raises NotSupported" checks have something to
bite on. Errors go through an ErrorTable exactly as a real plugin's would.
"""
from __future__ import annotations

import itertools
import threading
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Callable, Iterator, Mapping

from broker.contract import (AuthAdapter, AuthResult, BrokerPlugin, BrokerSession, Candle, CandleSeries,
                             CapabilityMap, DataAdapter, Depth, DepthLevel, Funds, FundsAdapter, HistoryRequest,
                             Holding, Instrument, Manifest, MasterContractLoader, ModifyRequest, Order, OrderAck,
                             OrderAdapter, OrderRequest, PluginConfig, Position, Quote, Trade)
from broker.errors import AuthError, ErrorTable, InsufficientFunds, InvalidOrder, OrderNotFound, UnknownSymbol
from utils.symbols import future_symbol, option_symbol

MANIFEST = Manifest(name="fakebroker", display_name="Fake Broker", auth_type="none",
                    description="in-memory broker used by the test suite")
CAPABILITIES = CapabilityMap(
    operations=frozenset({"place_order", "modify_order", "cancel_order", "cancel_all_orders", "order_book",
                          "order_status", "trade_book", "positions", "holdings", "open_position",
                          "close_all_positions", "quote", "quotes", "depth", "history", "funds",
                          "master_contract"}),
    exchanges=frozenset({"NSE", "NFO", "NSE_INDEX"}),
    intervals=("1m", "5m", "D"),
    rate_limits={"orders": "50/second"},
)
# the fake's error codes, the way a broker's documentation would list them
ERROR_TABLE = ErrorTable("fakebroker", codes={"E_AUTH": AuthError, "E_FUNDS": InsufficientFunds,
                                              "E_ORDER": OrderNotFound, "E_SYMBOL": UnknownSymbol},
                         messages=[(r"lot size|tick size", InvalidOrder)])
CAPITAL = 1_000_000.0
EXPIRY = date(2030, 1, 31)


def instruments() -> list[Instrument]:
    rows = [Instrument(symbol=s, brsymbol=f"{s}-EQ", name=s, exchange="NSE", brexchange="NSE", token=str(t),
                       lotsize=1, tick_size=0.05, instrumenttype="EQ", strike=-1.0)
            for t, s in enumerate(("SBIN", "INFY", "TCS"), start=100)]
    rows.append(Instrument(symbol="NIFTY", brsymbol="NIFTY 50", name="NIFTY 50", exchange="NSE_INDEX",
                           brexchange="NSE", token="1", instrumenttype="INDEX"))
    rows.append(Instrument(symbol=future_symbol("NIFTY", EXPIRY), brsymbol="NIFTY30JANFUT", name="NIFTY",
                           exchange="NFO", brexchange="NFO", token="500", expiry=EXPIRY, lotsize=75,
                           instrumenttype="FUTIDX", strike=-1.0))
    rows += [Instrument(symbol=option_symbol("NIFTY", EXPIRY, strike, kind), brsymbol=f"NIFTY30JAN{strike}{kind}",
                        name="NIFTY", exchange="NFO", brexchange="NFO", token=str(600 + i), expiry=EXPIRY,
                        strike=float(strike), lotsize=75, instrumenttype=kind)
             for i, (strike, kind) in enumerate((s, k) for s in (25000, 25050) for k in ("CE", "PE"))]
    return rows


def price_of(instrument: Instrument) -> float:
    return 100.0 + int(instrument.token) % 97


class _Book:
    """The fake exchange's state for one account."""

    def __init__(self) -> None:
        self.orders: dict[str, Order] = {}
        self.trades: list[Trade] = []
        self.instruments: dict[str, Instrument] = {}


class FakeAuth(AuthAdapter):
    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.clock = clock   # the app's (PluginConfig.clock): the session lasts 8 hours of the app's day

    def authenticate(self, credentials: Mapping[str, str]) -> AuthResult:
        if credentials.get("password") == "wrong":
            raise ERROR_TABLE.error(code="E_AUTH", message="invalid credentials")
        return AuthResult(auth_token=f"fake-token-{next(_tokens)}", broker_user_id="FAKE01",
                          expires_at=self.clock() + timedelta(hours=8))


_tokens = itertools.count(1)


class FakeOrders(OrderAdapter):
    def __init__(self) -> None:
        self._books: dict[str, _Book] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def _book(self, session: BrokerSession) -> _Book:
        with self._lock:
            return self._books.setdefault(session.auth_token, _Book())

    def place_order(self, session: BrokerSession, request: OrderRequest) -> OrderAck:
        instrument = request.instrument
        if request.quantity % instrument.lotsize:
            raise ERROR_TABLE.error(message=f"quantity must be a multiple of the lot size {instrument.lotsize}")
        if request.quantity * price_of(instrument) > CAPITAL:
            raise ERROR_TABLE.error(code="E_FUNDS", message="insufficient funds")
        order_id = f"F{next(self._ids):08d}"
        filled = request.pricetype == "MARKET"
        order = Order(order_id=order_id, symbol=instrument.symbol, exchange=instrument.exchange,
                      action=request.action, quantity=request.quantity, product=request.product,
                      pricetype=request.pricetype, price=request.price, trigger_price=request.trigger_price,
                      status="complete" if filled else "open", filled_quantity=request.quantity if filled else 0,
                      average_price=price_of(instrument) if filled else 0.0, raw={"id": order_id})
        book = self._book(session)
        book.orders[order_id] = order
        book.instruments[instrument.symbol] = instrument
        if filled:
            book.trades.append(Trade(order_id=order_id, trade_id=f"T{order_id}", symbol=order.symbol,
                                     exchange=order.exchange, action=order.action, quantity=order.quantity,
                                     average_price=order.average_price, product=order.product))
        return OrderAck(order_id=order_id, raw={"status": "success", "order_id": order_id})

    def _open_order(self, session: BrokerSession, order_id: str) -> Order:
        order = self._book(session).orders.get(order_id)
        if order is None or order.status != "open":
            raise ERROR_TABLE.error(code="E_ORDER", message=f"Order {order_id} not found")
        return order

    def modify_order(self, session: BrokerSession, request: ModifyRequest) -> OrderAck:
        order = self._open_order(session, request.order_id)
        self._book(session).orders[order.order_id] = replace(order, quantity=request.quantity, price=request.price,
                                                             trigger_price=request.trigger_price)
        return OrderAck(order_id=order.order_id)

    def cancel_order(self, session: BrokerSession, order_id: str) -> OrderAck:
        order = self._open_order(session, order_id)
        self._book(session).orders[order_id] = replace(order, status="cancelled")
        return OrderAck(order_id=order_id)

    def order_book(self, session: BrokerSession) -> list[Order]:
        return list(self._book(session).orders.values())

    def trade_book(self, session: BrokerSession) -> list[Trade]:
        return list(self._book(session).trades)

    def positions(self, session: BrokerSession) -> list[Position]:
        net: dict[tuple[str, str, str], int] = {}
        for trade in self._book(session).trades:
            key = (trade.symbol, trade.exchange, trade.product)
            net[key] = net.get(key, 0) + (trade.quantity if trade.action == "BUY" else -trade.quantity)
        return [Position(symbol=s, exchange=e, product=p, quantity=q) for (s, e, p), q in net.items()]

    def holdings(self, session: BrokerSession) -> list[Holding]:
        return []


class FakeData(DataAdapter):
    def _known(self, instrument: Instrument) -> None:
        if instrument.token not in {i.token for i in instruments()}:
            raise ERROR_TABLE.error(code="E_SYMBOL", message=f"unknown instrument {instrument.symbol}")

    def quote(self, session: BrokerSession, instrument: Instrument) -> Quote:
        self._known(instrument)
        ltp = price_of(instrument)
        return Quote(symbol=instrument.symbol, exchange=instrument.exchange, ltp=ltp, open=ltp, high=ltp + 1,
                     low=ltp - 1, prev_close=ltp - 0.5, bid=ltp - 0.05, ask=ltp, volume=1000)

    def depth(self, session: BrokerSession, instrument: Instrument) -> Depth:
        ltp = self.quote(session, instrument).ltp
        bids = [DepthLevel(round(ltp - 0.05 * (i + 1), 2), 10 * (i + 1), 1) for i in range(5)]
        asks = [DepthLevel(round(ltp + 0.05 * i, 2), 10 * (i + 1), 1) for i in range(5)]
        return Depth(symbol=instrument.symbol, exchange=instrument.exchange, ltp=ltp, bids=Depth.pad(bids),
                     asks=Depth.pad(asks))

    def history(self, session: BrokerSession, request: HistoryRequest) -> CandleSeries:
        self._known(request.instrument)
        ltp = price_of(request.instrument)
        days = [request.start + timedelta(days=n) for n in range((request.end - request.start).days + 1)]
        candles = tuple(Candle(int(datetime.combine(d, time(0), timezone.utc).timestamp()), ltp, ltp + 1, ltp - 1,
                               ltp, 100) for d in days if d.weekday() < 5)
        return CandleSeries(symbol=request.instrument.symbol, exchange=request.instrument.exchange,
                            interval=request.interval, candles=candles)


class FakeFunds(FundsAdapter):
    def funds(self, session: BrokerSession) -> Funds:
        return Funds(available_cash=CAPITAL)


class FakeMasterContract(MasterContractLoader):
    """`rows` replaces the list (tests simulate other downloads, including ones that fail midway)."""

    def __init__(self) -> None:
        self.rows: Callable[[], Iterator[Instrument]] | None = None

    def download(self, session: BrokerSession | None, progress: Callable[[str], None]) -> Iterator[Instrument]:
        progress("fetching the fake instrument list")
        yield from (self.rows() if self.rows else instruments())


def create_plugin(config: PluginConfig) -> BrokerPlugin:
    return BrokerPlugin(manifest=MANIFEST, capabilities=CAPABILITIES, auth=FakeAuth(config.clock), orders=FakeOrders(),
                        data=FakeData(), funds=FakeFunds(), master_contract=FakeMasterContract(),
                        error_table=ERROR_TABLE)
