"""Market data and funds on Kite Connect v3: quotes (single and batch), 5-level depth, history, margins.

`GET /quote?i=EXCHANGE:SYMBOL&i=...` answers up to 500 instruments per call, keyed by the `i` value
(instruments Kite does not know are simply absent), so batch quotes are one call per 500. History is
`GET /instruments/historical/:token/:interval`, split into windows Kite accepts (history.py). Funds come
from `GET /user/margins`, summed over the enabled segments (equity, commodity); margins for a basket from `POST /margins/basket`.
"""
from __future__ import annotations

from typing import Any, Sequence

from broker.contract import (BrokerSession, Candle, CandleSeries, DataAdapter, Depth, Funds,
                             FundsAdapter, HistoryRequest, Instrument, Margin, MarginLeg, Quote)
from broker.candles import stitch
from broker.errors import NotSupported, UnknownSymbol
from broker.quote_rows import depth_from_row, quote_from_row
from broker.zerodha.client import KiteClient
from broker.zerodha.history import KITE_INTERVALS, candle_values, windows
from broker.zerodha.mapping import instrument_key, parse_kite_time

MAX_QUOTES_PER_CALL = 500
_DERIVATIVE_TYPES = ("FUT", "CE", "PE")


class ZerodhaData(DataAdapter):
    def __init__(self, client: KiteClient):
        self.client = client

    def _full_quotes(self, session: BrokerSession, instruments: Sequence[Instrument]) -> dict[str, dict[str, Any]]:
        answers: dict[str, dict[str, Any]] = {}
        keys = [instrument_key(i.brexchange, i.brsymbol) for i in instruments]
        for start in range(0, len(keys), MAX_QUOTES_PER_CALL):
            batch = keys[start:start + MAX_QUOTES_PER_CALL]
            answers.update(self.client.call("GET", "/quote", session, bucket="quotes", params={"i": batch}) or {})
        return answers

    def _one(self, session: BrokerSession, instrument: Instrument) -> dict[str, Any]:
        row = self._full_quotes(session, [instrument]).get(instrument_key(instrument.brexchange, instrument.brsymbol))
        if row is None:
            raise UnknownSymbol(f"Zerodha has no quote for {instrument.symbol} on {instrument.exchange}",
                                broker="zerodha")
        return row

    def quote(self, session: BrokerSession, instrument: Instrument) -> Quote:
        return self.to_quote(instrument, self._one(session, instrument))

    def quotes(self, session: BrokerSession, instruments: Sequence[Instrument]) -> list[Quote]:
        answers = self._full_quotes(session, instruments)
        result = []
        for instrument in instruments:
            row = answers.get(instrument_key(instrument.brexchange, instrument.brsymbol))
            if row is None:
                raise UnknownSymbol(f"Zerodha has no quote for {instrument.symbol} on {instrument.exchange}",
                                    broker="zerodha")
            result.append(self.to_quote(instrument, row))
        return result

    def depth(self, session: BrokerSession, instrument: Instrument) -> Depth:
        row = self._one(session, instrument)
        return depth_from_row(instrument, row, parse_kite_time(row.get("timestamp")))

    @staticmethod
    def to_quote(instrument: Instrument, row: dict[str, Any]) -> Quote:
        return quote_from_row(instrument, row, parse_kite_time(row.get("timestamp")))

    def history(self, session: BrokerSession, request: HistoryRequest) -> CandleSeries:
        kite_interval = KITE_INTERVALS.get(request.interval)
        if kite_interval is None:
            raise NotSupported(f"Unsupported timeframe: {request.interval}", broker="zerodha")
        instrument = request.instrument
        params = {"oi": 1} if instrument.instrumenttype in _DERIVATIVE_TYPES else {}
        daily = kite_interval == "day"
        parts = []
        for start, end in windows(request.interval, request.start, request.end):
            data = self.client.call("GET", f"/instruments/historical/{instrument.token}/{kite_interval}", session,
                                    bucket="history", params={"from": start, "to": end, **params}) or {}
            parts.append([candle_values(row, daily) for row in data.get("candles", [])])
        candles = tuple(Candle(*values) for values in stitch(parts))
        return CandleSeries(symbol=instrument.symbol, exchange=instrument.exchange, interval=request.interval,
                            candles=candles, raw={"windows": len(parts)})


class ZerodhaFunds(FundsAdapter):
    def __init__(self, client: KiteClient):
        self.client = client

    def margin(self, session: BrokerSession, legs: Sequence[MarginLeg]) -> Margin:
        """`POST /margins/basket?consider_positions=true` (JSON list of orders): the `final` block is
        the margin for the whole basket after hedge benefits and the open positions."""
        orders = [{"exchange": leg.instrument.brexchange, "tradingsymbol": leg.instrument.brsymbol,
                   "transaction_type": leg.action, "variety": "regular", "product": leg.product,
                   "order_type": leg.pricetype, "quantity": int(leg.quantity), "price": leg.price,
                   "trigger_price": leg.trigger_price} for leg in legs]
        data = self.client.call("POST", "/margins/basket", session, params={"consider_positions": "true"},
                                json=orders) or {}
        final = data.get("final") or {}
        return Margin(total_margin_required=round(float(final.get("total") or 0), 2),
                      span_margin=round(float(final.get("span") or 0), 2),
                      exposure_margin=round(float(final.get("exposure") or 0), 2), raw=data)

    def funds(self, session: BrokerSession) -> Funds:
        data = self.client.call("GET", "/user/margins", session) or {}
        segments = [s for s in data.values() if isinstance(s, dict) and s.get("enabled", True)]

        def total(part: str, name: str) -> float:
            return round(sum(float((s.get(part) or {}).get(name) or 0) for s in segments), 2)

        return Funds(available_cash=round(sum(float(s.get("net") or 0) for s in segments), 2),
                     collateral=total("available", "collateral"),
                     m2m_realized=total("utilised", "m2m_realised"),
                     m2m_unrealized=total("utilised", "m2m_unrealised"),
                     utilised_debits=total("utilised", "debits"), raw=data)
