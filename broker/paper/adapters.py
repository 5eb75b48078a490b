"""The paper broker's contract adapters: thin translations between contract objects and the engine.

Auth needs nothing (auth type "none"): connecting returns a fixed token. Orders, books and funds go to
`PaperEngine` with the session's user id; quotes, depth and history come from the price process; the
master contract is the built-in instrument list of today.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable, Iterator, Mapping, Sequence

from broker.contract import (AuthAdapter, AuthResult, BrokerSession, CandleSeries, DataAdapter, Depth,
                             DepthLevel, Funds, FundsAdapter, Holding, HistoryRequest, Instrument, Margin,
                             MarginLeg, MasterContractLoader, ModifyRequest, Order, OrderAck, OrderAdapter,
                             OrderRequest, Position, Quote, Trade, Gtt, GttAck, GttAdapter, GttLeg, GttRequest)
from broker.paper import gtt, market
from broker.paper.calendar import ist_stamp as _stamp
from broker.paper.engine import PaperEngine
from broker.paper.instruments import PaperInstrument
from broker.paper.margins import position_margin
from broker.paper.matcher import BackgroundMatcher
from database.paper import aware
from utils.symbols import parse_master_expiry



def to_instrument(inst: PaperInstrument) -> Instrument:
    return Instrument(symbol=inst.symbol, brsymbol=inst.brsymbol, name=inst.name, exchange=inst.exchange,
                      brexchange=inst.brexchange, token=inst.token, expiry=parse_master_expiry(inst.expiry),
                      strike=inst.strike, lotsize=inst.lotsize, tick_size=inst.tick_size,
                      instrumenttype=inst.instrumenttype, raw=inst)


def to_order(row) -> Order:  # noqa: ANN001 (a database.paper.PaperOrder)
    return Order(order_id=row.orderid, symbol=row.symbol, exchange=row.exchange, action=row.action,
                 quantity=row.quantity, product=row.product, pricetype=row.pricetype, status=row.status,
                 price=round(row.price, 2), trigger_price=round(row.trigger_price, 2),
                 filled_quantity=row.filled_quantity, average_price=round(row.average_price, 2),
                 rejection_reason=row.rejection_reason, timestamp=_stamp(row.created_at),
                 raw={"strategy": row.strategy, "tag": row.tag, "margin_blocked": row.margin_blocked,
                      "updated_at": _stamp(row.updated_at)})


def _acknowledged(row) -> dict:  # noqa: ANN001 (the engine's stored order)
    """What a broker's acknowledgement body carries (the full order is one orderstatus call away;
    building it here cost a measurable share of every order)."""
    return {"orderid": row.orderid, "status": row.status}


class PaperAuth(AuthAdapter):
    def authenticate(self, credentials: Mapping[str, str]) -> AuthResult:
        return AuthResult(auth_token="paper", broker_user_id="PAPER")


class PaperOrders(OrderAdapter):
    def __init__(self, engine: PaperEngine, matcher: BackgroundMatcher):
        self.engine = engine
        self.matcher = matcher

    def place_order(self, session: BrokerSession, request: OrderRequest) -> OrderAck:
        row = self.engine.place(session.user_id, symbol=request.instrument.symbol,
                                exchange=request.instrument.exchange, action=request.action,
                                quantity=int(request.quantity), product=request.product,
                                pricetype=request.pricetype, price=request.price,
                                trigger_price=request.trigger_price, strategy=request.strategy,
                                tag=request.tag)
        if row.status in ("open", "trigger pending") or (row.product == "MIS" and row.status == "complete"):
            self.matcher.ensure_started()   # resting orders fill, MIS positions are squared off, on time
        return OrderAck(order_id=row.orderid, message=f"Order {row.status}", raw=_acknowledged(row))

    def modify_order(self, session: BrokerSession, request: ModifyRequest) -> OrderAck:
        row = self.engine.modify(session.user_id, request.order_id, quantity=int(request.quantity),
                                 pricetype=request.pricetype, price=request.price,
                                 trigger_price=request.trigger_price)
        return OrderAck(order_id=row.orderid, message="Order modified successfully", raw=_acknowledged(row))

    def cancel_order(self, session: BrokerSession, order_id: str) -> OrderAck:
        row = self.engine.cancel(session.user_id, order_id)
        return OrderAck(order_id=row.orderid, message="Order cancelled successfully", raw=_acknowledged(row))

    def cancel_all_orders(self, session: BrokerSession) -> list[OrderAck]:
        return [OrderAck(order_id=row.orderid, message="Order cancelled successfully", raw=_acknowledged(row))
                for row in self.engine.cancel_all(session.user_id)]

    def order_book(self, session: BrokerSession) -> list[Order]:
        orders = [to_order(row) for row in self.engine.orders(session.user_id)]
        if any(order.status in ("open", "trigger pending") for order in orders):
            self.matcher.ensure_started()   # e.g. after a restart, resting orders get watched again
        return orders

    def trade_book(self, session: BrokerSession) -> list[Trade]:
        """`raw.multiplier`: the fill's contract multiplier (money = quantity x multiplier x price, as the
        engine booked it: a USDINR contract is USD 1,000), from its instrument at the time of the fill;
        `raw.price`: the fill's price as booked (the book shows 2 decimals; a USDINR tick is 0.0025)."""
        rows = self.engine.trades(session.user_id)
        multipliers = {(row.symbol, row.exchange): self._multiplier(row.symbol, row.exchange, aware(row.created_at))
                       for row in rows}
        return [Trade(order_id=row.orderid, symbol=row.symbol, exchange=row.exchange, action=row.action,
                      quantity=row.quantity, average_price=round(row.price, 2), product=row.product,
                      trade_id=row.tradeid, timestamp=_stamp(row.created_at),
                      raw={"strategy": row.strategy, "charges": round(row.charges or 0.0, 2),
                           "multiplier": multipliers[(row.symbol, row.exchange)], "price": round(row.price, 4)})
                for row in rows]

    def _multiplier(self, symbol: str, exchange: str, at: datetime) -> float:
        inst = self.engine.lookup(symbol, exchange, at)
        return float(inst.multiplier) if inst is not None else 1.0

    def positions(self, session: BrokerSession) -> list[Position]:
        positions = self.engine.snapshot(session.user_id).positions
        if any(p.product == "MIS" and p.quantity for p in positions):
            self.matcher.ensure_started()   # e.g. after a restart, the square-off gets watched again
        return positions

    def holdings(self, session: BrokerSession) -> list[Holding]:
        return self.engine.snapshot(session.user_id).holdings

    def day_holdings(self, session: BrokerSession) -> list[Holding]:
        """The holdings book plus the holdings sold out today (quantity 0), each with its day P&L in
        `raw` (the sandbox's day P&L report counts them)."""
        snapshot = self.engine.snapshot(session.user_id)
        return snapshot.holdings + snapshot.sold_holdings

    def close_all_positions(self, session: BrokerSession, resolve: Callable[[str, str], Instrument]) -> list[OrderAck]:
        return [OrderAck(order_id=row.orderid, message="Position squared off", raw=_acknowledged(row))
                for row in self.engine.close_all(session.user_id)]


def to_gtt(row) -> Gtt:  # noqa: ANN001 (a paper_gtt row)
    legs = tuple(GttLeg(trigger_price=leg["trigger_price"], price=leg["price"], pricetype=leg["pricetype"],
                        role=leg["role"], order_id=leg["order_id"]) for leg in gtt.legs_of(row))
    return Gtt(trigger_id=row.trigger_id, symbol=row.symbol, exchange=row.exchange, trigger_type=row.trigger_type,
               status=row.status, action=row.action, quantity=row.quantity, product=row.product, legs=legs,
               last_price=round(row.last_price, 2), created_at=aware(row.created_at),
               updated_at=aware(row.updated_at), expires_at=aware(row.expires_at), strategy=row.strategy,
               rejection_reason=row.rejection_reason)


class PaperGtt(GttAdapter):
    """GTT triggers kept by the engine (broker/paper/gtt.py); the background matcher watches them."""

    def __init__(self, engine: PaperEngine, matcher: BackgroundMatcher):
        self.engine = engine
        self.matcher = matcher

    @staticmethod
    def _legs(request: GttRequest) -> list[dict]:
        return [{"role": leg.role, "trigger_price": leg.trigger_price, "price": leg.price, "pricetype": leg.pricetype}
                for leg in request.legs]

    def place_gtt(self, session: BrokerSession, request: GttRequest) -> GttAck:
        row = self.engine.place_gtt(session.user_id, symbol=request.instrument.symbol,
                                    exchange=request.instrument.exchange, trigger_type=request.trigger_type,
                                    action=request.action, quantity=int(request.quantity), product=request.product,
                                    legs=self._legs(request), strategy=request.strategy, expires_at=request.expires_at)
        self.matcher.ensure_started()
        return GttAck(trigger_id=row.trigger_id, message="GTT placed")

    def modify_gtt(self, session: BrokerSession, trigger_id: str, request: GttRequest) -> GttAck:
        row = self.engine.modify_gtt(session.user_id, trigger_id, quantity=int(request.quantity),
                                     product=request.product, legs=self._legs(request), strategy=request.strategy,
                                     expires_at=request.expires_at)
        self.matcher.ensure_started()
        return GttAck(trigger_id=row.trigger_id, message="GTT modified")

    def cancel_gtt(self, session: BrokerSession, trigger_id: str) -> GttAck:
        return GttAck(trigger_id=self.engine.cancel_gtt(session.user_id, trigger_id).trigger_id,
                      message="GTT cancelled")

    def gtt_book(self, session: BrokerSession) -> list[Gtt]:
        rows = self.engine.gtts(session.user_id)
        if any(row.status == "active" for row in rows):
            self.matcher.ensure_started()   # e.g. after a restart
        return [to_gtt(row) for row in rows]


class PaperData(DataAdapter):
    def __init__(self, engine: PaperEngine):
        self.engine = engine

    def _inst(self, instrument: Instrument) -> PaperInstrument:
        return self.engine.instrument(instrument.symbol, instrument.exchange)

    def quote(self, session: BrokerSession, instrument: Instrument) -> Quote:
        data = self.engine.quote(self._inst(instrument))
        return Quote(symbol=instrument.symbol, exchange=instrument.exchange, ltp=data["ltp"], open=data["open"],
                     high=data["high"], low=data["low"], prev_close=data["prev_close"], volume=data["volume"],
                     bid=data["bid"], ask=data["ask"], bid_qty=data["bid_qty"], ask_qty=data["ask_qty"],
                     oi=data["oi"], timestamp=datetime.fromtimestamp(data["timestamp"] / 1000, tz=timezone.utc),
                     raw=data)

    def depth(self, session: BrokerSession, instrument: Instrument) -> Depth:
        data = market.depth(self._inst(instrument), self.engine.now(), self.engine.settings.seed)
        levels = lambda side: tuple(DepthLevel(l["price"], l["quantity"], l["orders"]) for l in side)  # noqa: E731
        return Depth(symbol=instrument.symbol, exchange=instrument.exchange, ltp=data["ltp"],
                     bids=levels(data["bids"]), asks=levels(data["asks"]), ltq=data["ltq"], open=data["open"],
                     high=data["high"], low=data["low"], prev_close=data["prev_close"], volume=data["volume"],
                     oi=data["oi"], total_buy_qty=data["totalbuyqty"], total_sell_qty=data["totalsellqty"],
                     timestamp=datetime.fromtimestamp(data["timestamp"] / 1000, tz=timezone.utc), raw=data)

    def history(self, session: BrokerSession, request: HistoryRequest) -> CandleSeries:
        bars = market.candle_columns(self._inst(request.instrument), request.interval, request.start, request.end,
                                     self.engine.now(), self.engine.settings.seed)
        return CandleSeries(symbol=request.instrument.symbol, exchange=request.instrument.exchange,
                            interval=request.interval, candles=bars)


class PaperFunds(FundsAdapter):
    def __init__(self, engine: PaperEngine):
        self.engine = engine

    def funds(self, session: BrokerSession) -> Funds:
        return self.engine.snapshot(session.user_id).funds

    def margin(self, session: BrokerSession, legs: Sequence[MarginLeg]) -> Margin:
        """Sum of each leg's margin from flat (no hedge benefit), with the engine's approximations."""
        total = 0.0
        for leg in legs:
            inst = self.engine.instrument(leg.instrument.symbol, leg.instrument.exchange)
            quote = self.engine.quote(inst)
            price = leg.price or leg.trigger_price or (quote["ask"] if leg.action == "BUY" else quote["bid"])
            signed = int(leg.quantity) if leg.action == "BUY" else -int(leg.quantity)
            total += position_margin(inst, leg.product, signed, price, self.engine.settings.margins)
        return Margin(total_margin_required=round(total, 2), raw={"method": "paper approximation"})


class PaperMasterContract(MasterContractLoader):
    def __init__(self, engine: PaperEngine):
        self.engine = engine

    def download(self, session: BrokerSession | None, progress: Callable[[str], None]) -> Iterator[Instrument]:
        rows = self.engine.catalog().rows
        progress(f"{len(rows)} built-in paper instruments")
        for row in rows:
            yield to_instrument(row)

    def lookup(self, symbol: str, exchange: str) -> Instrument | None:
        """Today's instrument without a downloaded contract (analyzer mode needs none for paper)."""
        row = self.engine.lookup(symbol, exchange)
        return to_instrument(row) if row is not None else None
