"""Market data and funds on SmartAPI: quotes (batched), 5-level depth, candles (chunked), funds, margin.

`POST market/v1/quote` with `{"mode": "LTP"|"OHLC"|"FULL", "exchangeTokens": {"NSE": [tokens]}}` answers up
to 50 tokens per call in `fetched` (unknown ones listed in `unfetched`); FULL carries OHLC, volume, open
interest and the best five bids and asks. Candles come from `POST historical/v1/getCandleData`, whose
per-request span is capped per interval (docs, "Historical": ONE_MINUTE 30 days, THREE_MINUTE 60,
FIVE_MINUTE and TEN_MINUTE 100, FIFTEEN_MINUTE and THIRTY_MINUTE 200, ONE_HOUR 400, ONE_DAY 2000): longer
ranges are fetched window by window and stitched. Funds come from `GET user/v1/getRMS`, basket margins
from `POST margin/v1/batch` (the margin calculator).
"""
from __future__ import annotations

from datetime import date, datetime, time, timezone
from typing import Any, Sequence

from broker.angel.client import SECURE, SmartApiClient
from broker.angel.mapping import CANDLE_REQUEST_FORMAT, PRODUCTS, parse_angel_time, to_angel_exchange
from broker.candles import day_windows, stitch
from broker.contract import (BrokerSession, Candle, CandleSeries, DataAdapter, Depth, Funds,
                             FundsAdapter, HistoryRequest, Instrument, Margin, MarginLeg, Quote)
from broker.errors import NotSupported, UnknownSymbol
from broker.quote_rows import depth_levels

MAX_QUOTES_PER_CALL = 50
ANGEL_INTERVALS = {"1m": "ONE_MINUTE", "3m": "THREE_MINUTE", "5m": "FIVE_MINUTE", "10m": "TEN_MINUTE",
                   "15m": "FIFTEEN_MINUTE", "30m": "THIRTY_MINUTE", "1h": "ONE_HOUR", "D": "ONE_DAY"}
RANGE_LIMIT_DAYS = {"ONE_MINUTE": 30, "THREE_MINUTE": 60, "FIVE_MINUTE": 100, "TEN_MINUTE": 100,
                    "FIFTEEN_MINUTE": 200, "THIRTY_MINUTE": 200, "ONE_HOUR": 400, "ONE_DAY": 2000}
CandleValues = tuple[int, float, float, float, float, int, int]


def windows(interval: str, start: date, end: date) -> list[tuple[str, str]]:
    """`fromdate` / `todate` (IST, `yyyy-MM-dd HH:mm`) covering [start, end] in spans Angel accepts."""
    return [(datetime.combine(first, time(0, 0)).strftime(CANDLE_REQUEST_FORMAT),
             datetime.combine(last, time(23, 59)).strftime(CANDLE_REQUEST_FORMAT))
            for first, last in day_windows(start, end, RANGE_LIMIT_DAYS[ANGEL_INTERVALS[interval]])]


def candle_values(row: list[Any], daily: bool) -> CandleValues:
    """`[time, open, high, low, close, volume]` → (epoch, o, h, l, c, volume, oi): intraday bars at their
    instant, daily bars at 00:00 UTC of the trading date (API_CONTRACT.md §6.4)."""
    moment = parse_angel_time(row[0])
    if moment is None:
        raise ValueError(f"unreadable candle time {row[0]!r}")
    epoch = (int(datetime.combine(moment.date(), time.min, tzinfo=timezone.utc).timestamp()) if daily
             else int(moment.timestamp()))
    return epoch, float(row[1]), float(row[2]), float(row[3]), float(row[4]), int(row[5]), 0


def _key(exchange: str, token: str) -> tuple[str, str]:
    return to_angel_exchange(exchange), str(token)


class AngelData(DataAdapter):
    def __init__(self, client: SmartApiClient):
        self.client = client

    def _full(self, session: BrokerSession, instruments: Sequence[Instrument]) -> dict[tuple[str, str], dict[str, Any]]:
        keys = list(dict.fromkeys(_key(i.brexchange, i.token) for i in instruments))
        answers: dict[tuple[str, str], dict[str, Any]] = {}
        for start in range(0, len(keys), MAX_QUOTES_PER_CALL):
            wanted: dict[str, list[str]] = {}
            for exchange, token in keys[start:start + MAX_QUOTES_PER_CALL]:
                wanted.setdefault(exchange, []).append(token)
            data = self.client.call("POST", f"{SECURE}/market/v1/quote", session, bucket="quotes",
                                    body={"mode": "FULL", "exchangeTokens": wanted}) or {}
            for row in data.get("fetched") or []:
                answers[(row.get("exchange"), str(row.get("symbolToken")))] = row
        return answers

    def _row(self, answers: dict[tuple[str, str], dict[str, Any]], instrument: Instrument) -> dict[str, Any]:
        row = answers.get(_key(instrument.brexchange, instrument.token))
        if row is None:
            raise UnknownSymbol(f"Angel One has no quote for {instrument.symbol} on {instrument.exchange}",
                                broker="angel")
        return row

    def quote(self, session: BrokerSession, instrument: Instrument) -> Quote:
        return self.to_quote(instrument, self._row(self._full(session, [instrument]), instrument))

    def quotes(self, session: BrokerSession, instruments: Sequence[Instrument]) -> list[Quote]:
        answers = self._full(session, instruments)
        return [self.to_quote(instrument, self._row(answers, instrument)) for instrument in instruments]

    def depth(self, session: BrokerSession, instrument: Instrument) -> Depth:
        row = self._row(self._full(session, [instrument]), instrument)
        book = row.get("depth") or {}
        return Depth(symbol=instrument.symbol, exchange=instrument.exchange, ltp=float(row.get("ltp") or 0),
                     bids=depth_levels(book.get("buy") or []), asks=depth_levels(book.get("sell") or []),
                     ltq=int(row.get("lastTradeQty") or 0), open=float(row.get("open") or 0),
                     high=float(row.get("high") or 0), low=float(row.get("low") or 0),
                     prev_close=float(row.get("close") or 0), volume=int(row.get("tradeVolume") or 0),
                     oi=int(row.get("opnInterest") or 0), total_buy_qty=int(row.get("totBuyQuan") or 0),
                     total_sell_qty=int(row.get("totSellQuan") or 0),
                     timestamp=parse_angel_time(row.get("exchFeedTime")), raw=row)

    @staticmethod
    def to_quote(instrument: Instrument, row: dict[str, Any]) -> Quote:
        book = row.get("depth") or {}
        bid = (book.get("buy") or [{}])[0]
        ask = (book.get("sell") or [{}])[0]
        return Quote(symbol=instrument.symbol, exchange=instrument.exchange, ltp=float(row.get("ltp") or 0),
                     open=float(row.get("open") or 0), high=float(row.get("high") or 0),
                     low=float(row.get("low") or 0), prev_close=float(row.get("close") or 0),
                     volume=int(row.get("tradeVolume") or 0), bid=float(bid.get("price") or 0),
                     ask=float(ask.get("price") or 0), bid_qty=int(bid.get("quantity") or 0),
                     ask_qty=int(ask.get("quantity") or 0), oi=int(row.get("opnInterest") or 0),
                     timestamp=parse_angel_time(row.get("exchFeedTime")), raw=row)

    def history(self, session: BrokerSession, request: HistoryRequest) -> CandleSeries:
        angel_interval = ANGEL_INTERVALS.get(request.interval)
        if angel_interval is None:
            raise NotSupported(f"Unsupported timeframe: {request.interval}", broker="angel")
        instrument = request.instrument
        daily = angel_interval == "ONE_DAY"
        parts = []
        for start, end in windows(request.interval, request.start, request.end):
            body = {"exchange": to_angel_exchange(instrument.brexchange), "symboltoken": str(instrument.token),
                    "interval": angel_interval, "fromdate": start, "todate": end}
            rows = self.client.call("POST", f"{SECURE}/historical/v1/getCandleData", session, bucket="history",
                                    body=body)
            parts.append([candle_values(row, daily) for row in rows or []])
        return CandleSeries(symbol=instrument.symbol, exchange=instrument.exchange, interval=request.interval,
                            candles=tuple(Candle(*values) for values in stitch(parts)), raw={"windows": len(parts)})


class AngelFunds(FundsAdapter):
    def __init__(self, client: SmartApiClient):
        self.client = client

    def funds(self, session: BrokerSession) -> Funds:
        data = self.client.call("GET", f"{SECURE}/user/v1/getRMS", session) or {}

        def number(name: str) -> float:
            try:
                return round(float(data.get(name) or 0), 2)
            except (TypeError, ValueError):
                return 0.0

        return Funds(available_cash=number("availablecash"), collateral=number("collateral"),
                     m2m_realized=number("m2mrealized"), m2m_unrealized=number("m2munrealized"),
                     utilised_debits=number("utiliseddebits"), raw=data)

    def margin(self, session: BrokerSession, legs: Sequence[MarginLeg]) -> Margin:
        """The margin calculator for the whole basket (hedge benefits included)."""
        positions = [{"exchange": to_angel_exchange(leg.instrument.brexchange), "qty": int(leg.quantity),
                      "price": leg.price if leg.pricetype in ("LIMIT", "SL") else 0,
                      "productType": PRODUCTS[leg.product], "token": str(leg.instrument.token),
                      "tradeType": leg.action, "orderType": "LIMIT" if leg.pricetype in ("LIMIT", "SL") else "MARKET"}
                     for leg in legs]
        data = self.client.call("POST", f"{SECURE}/margin/v1/batch", session, bucket="quotes",
                                body={"positions": positions}) or {}
        components = data.get("marginComponents") or {}
        return Margin(total_margin_required=round(float(data.get("totalMarginRequired") or 0), 2),
                      span_margin=round(float(components.get("spanMargin") or 0), 2), raw=data)
