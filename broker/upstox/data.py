"""Market data and funds on the Upstox API: quotes (single and batch), 5-level depth, history, funds, margin.

`GET /v2/market-quote/quotes?instrument_key=k1,k2,...` answers up to 500 instruments per call (docs,
"Full Market Quotes"), keyed `SEGMENT:TRADING_SYMBOL` with the instrument key inside each answer (which
is what we match on; unknown keys are simply absent). The quote's `ohlc.close` is the last price; the
previous close is `last_price - net_change`. History uses the v3 candle API (history.py); funds
`GET /v2/user/get-funds-and-margin`; basket margin `POST /v2/charges/margin`.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Callable, Sequence

from broker.contract import (BrokerSession, CandleSeries, DataAdapter, Depth, DepthLevel, Funds, FundsAdapter,
                             HistoryRequest, Instrument, Margin, MarginLeg, Quote)
from broker.errors import UnknownSymbol
from broker.upstox.client import UpstoxClient
from broker.upstox.history import fetch_candles
from broker.upstox.mapping import BROKER, IST, to_upstox_product

MAX_QUOTES_PER_CALL = 500


def _levels(rows: list[dict[str, Any]]) -> tuple[DepthLevel, ...]:
    return Depth.pad([DepthLevel(float(r.get("price") or 0), int(r.get("quantity") or 0), int(r.get("orders") or 0))
                      for r in rows])


def _timestamp(row: dict[str, Any]) -> datetime | None:
    try:
        return datetime.fromisoformat(str(row.get("timestamp")))
    except ValueError:
        return None


def _prev_close(row: dict[str, Any]) -> float:
    last, change = float(row.get("last_price") or 0), row.get("net_change")
    return round(last - float(change), 2) if change is not None else float((row.get("ohlc") or {}).get("close") or 0)


class UpstoxData(DataAdapter):
    def __init__(self, client: UpstoxClient, today: Callable[[], date] | None = None):
        self.client = client
        self.today = today or (lambda: datetime.now(IST).date())     # the trading day, in IST

    def _full_quotes(self, session: BrokerSession, instruments: Sequence[Instrument]) -> dict[str, dict[str, Any]]:
        """Instrument key → full quote, in batches of 500."""
        answers: dict[str, dict[str, Any]] = {}
        keys = list(dict.fromkeys(i.token for i in instruments))
        for start in range(0, len(keys), MAX_QUOTES_PER_CALL):
            batch = ",".join(keys[start:start + MAX_QUOTES_PER_CALL])
            data = self.client.call("GET", "/v2/market-quote/quotes", session, params={"instrument_key": batch}) or {}
            answers.update({row.get("instrument_token"): row for row in data.values() if isinstance(row, dict)})
        return answers

    def _row(self, answers: dict[str, dict[str, Any]], instrument: Instrument) -> dict[str, Any]:
        row = answers.get(instrument.token)
        if row is None:
            raise UnknownSymbol(f"Upstox has no quote for {instrument.symbol} on {instrument.exchange}", broker=BROKER)
        return row

    def quote(self, session: BrokerSession, instrument: Instrument) -> Quote:
        return self.to_quote(instrument, self._row(self._full_quotes(session, [instrument]), instrument))

    def quotes(self, session: BrokerSession, instruments: Sequence[Instrument]) -> list[Quote]:
        answers = self._full_quotes(session, instruments)
        return [self.to_quote(instrument, self._row(answers, instrument)) for instrument in instruments]

    def depth(self, session: BrokerSession, instrument: Instrument) -> Depth:
        row = self._row(self._full_quotes(session, [instrument]), instrument)
        ohlc, book = row.get("ohlc") or {}, row.get("depth") or {}
        return Depth(symbol=instrument.symbol, exchange=instrument.exchange, ltp=float(row.get("last_price") or 0),
                     bids=_levels(book.get("buy") or []), asks=_levels(book.get("sell") or []),
                     open=float(ohlc.get("open") or 0), high=float(ohlc.get("high") or 0),
                     low=float(ohlc.get("low") or 0), prev_close=_prev_close(row), volume=int(row.get("volume") or 0),
                     oi=int(row.get("oi") or 0), total_buy_qty=int(row.get("total_buy_quantity") or 0),
                     total_sell_qty=int(row.get("total_sell_quantity") or 0), timestamp=_timestamp(row), raw=row)

    @staticmethod
    def to_quote(instrument: Instrument, row: dict[str, Any]) -> Quote:
        ohlc, book = row.get("ohlc") or {}, row.get("depth") or {}
        bid, ask = (book.get("buy") or [{}])[0], (book.get("sell") or [{}])[0]
        return Quote(symbol=instrument.symbol, exchange=instrument.exchange, ltp=float(row.get("last_price") or 0),
                     open=float(ohlc.get("open") or 0), high=float(ohlc.get("high") or 0),
                     low=float(ohlc.get("low") or 0), prev_close=_prev_close(row), volume=int(row.get("volume") or 0),
                     bid=float(bid.get("price") or 0), ask=float(ask.get("price") or 0),
                     bid_qty=int(bid.get("quantity") or 0), ask_qty=int(ask.get("quantity") or 0),
                     oi=int(row.get("oi") or 0), timestamp=_timestamp(row), raw=row)

    def history(self, session: BrokerSession, request: HistoryRequest) -> CandleSeries:
        candles, requests_made = fetch_candles(self.client, session, request, self.today)
        instrument = request.instrument
        return CandleSeries(symbol=instrument.symbol, exchange=instrument.exchange, interval=request.interval,
                            candles=candles, raw={"requests": requests_made})


class UpstoxFunds(FundsAdapter):
    def __init__(self, client: UpstoxClient):
        self.client = client

    def funds(self, session: BrokerSession) -> Funds:
        """Available and used margin summed over the equity and commodity segments; the day's realised
        and unrealised P&L from the positions (the funds answer does not carry them)."""
        data = self.client.call("GET", "/v2/user/get-funds-and-margin", session) or {}
        segments = [s for s in data.values() if isinstance(s, dict)]
        positions = self.client.call("GET", "/v2/portfolio/short-term-positions", session) or []

        def total(rows: list[dict[str, Any]], name: str) -> float:
            return round(sum(float(r.get(name) or 0) for r in rows), 2)

        return Funds(available_cash=total(segments, "available_margin"), collateral=0.0,
                     m2m_realized=total(positions, "realised"), m2m_unrealized=total(positions, "unrealised"),
                     utilised_debits=total(segments, "used_margin"), raw=data)

    def margin(self, session: BrokerSession, legs: Sequence[MarginLeg]) -> Margin:
        """`POST /v2/charges/margin`: the margin for the basket after hedge benefits (`final_margin`)."""
        instruments = [{"instrument_key": leg.instrument.token, "quantity": int(leg.quantity),
                        "transaction_type": leg.action, "product": to_upstox_product(leg.product),
                        "price": float(leg.price or 0)} for leg in legs]
        data = self.client.call("POST", "/v2/charges/margin", session, json={"instruments": instruments}) or {}
        margins = data.get("margins") or []
        return Margin(total_margin_required=round(float(data.get("final_margin") or data.get("required_margin") or 0), 2),
                      span_margin=round(sum(float(m.get("span_margin") or 0) for m in margins), 2),
                      exposure_margin=round(sum(float(m.get("exposure_margin") or 0) for m in margins), 2), raw=data)
