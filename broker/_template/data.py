"""Market data: quotes (one call for many instruments), depth and history (DataAdapter).

Quotes are asked by the broker's instrument token (from the master contract); an instrument the broker
does not know raises UnknownSymbol (400). History asks one window per call within the broker's
documented range limit and returns candles oldest first, epoch seconds (API_CONTRACT.md §6.4).
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from broker._template import mapping
from broker._template.client import HISTORY, READS, TemplateClient
from broker.contract import (BrokerSession, Candle, CandleSeries, DataAdapter, Depth, DepthLevel, HistoryRequest,
                             Instrument, Quote)
from broker.errors import UnknownSymbol

MAX_QUOTES_PER_CALL = 50


def to_quote(instrument: Instrument, row: Mapping[str, Any]) -> Quote:
    return Quote(symbol=instrument.symbol, exchange=instrument.exchange, ltp=float(row["ltp"]),
                 open=float(row.get("open") or 0), high=float(row.get("high") or 0), low=float(row.get("low") or 0),
                 prev_close=float(row.get("close") or 0), volume=int(row.get("volume") or 0),
                 bid=float(row.get("bid") or 0), ask=float(row.get("ask") or 0), oi=int(row.get("oi") or 0),
                 raw=dict(row))


def to_depth(instrument: Instrument, row: Mapping[str, Any]) -> Depth:
    def levels(side: list) -> tuple[DepthLevel, ...]:  # noqa: ANN001
        return Depth.pad([DepthLevel(float(p), int(q), int(o)) for p, q, o in side])

    return Depth(symbol=instrument.symbol, exchange=instrument.exchange, ltp=float(row["ltp"]),
                 bids=levels(row["bids"]), asks=levels(row["asks"]), volume=int(row.get("volume") or 0),
                 total_buy_qty=sum(q for _, q, _ in row["bids"]), total_sell_qty=sum(q for _, q, _ in row["asks"]),
                 raw=dict(row))


class TemplateData(DataAdapter):
    def __init__(self, client: TemplateClient):
        self.client = client

    def quotes(self, session: BrokerSession, instruments: Sequence[Instrument]) -> list[Quote]:
        quotes = []
        for start in range(0, len(instruments), MAX_QUOTES_PER_CALL):
            chunk = instruments[start:start + MAX_QUOTES_PER_CALL]
            rows = self.client.call("GET", "/quotes", session, bucket=READS,
                                    params={"tokens": ",".join(i.token for i in chunk)})
            for instrument in chunk:
                if instrument.token not in rows:
                    raise UnknownSymbol(f"{instrument.symbol} is not known on {instrument.exchange}", broker="template")
                quotes.append(to_quote(instrument, rows[instrument.token]))
        return quotes

    def quote(self, session: BrokerSession, instrument: Instrument) -> Quote:
        return self.quotes(session, [instrument])[0]

    def depth(self, session: BrokerSession, instrument: Instrument) -> Depth:
        row = self.client.call("GET", "/depth", session, bucket=READS, params={"token": instrument.token})
        return to_depth(instrument, row)

    def history(self, session: BrokerSession, request: HistoryRequest) -> CandleSeries:
        rows = self.client.call("GET", "/history", session, bucket=HISTORY, params={
            "token": request.instrument.token, "interval": mapping.INTERVALS[request.interval],
            "from": request.start.isoformat(), "to": request.end.isoformat()})
        candles = tuple(Candle(int(t), float(o), float(h), float(low), float(c), int(v)) for t, o, h, low, c, v in rows)
        return CandleSeries(symbol=request.instrument.symbol, exchange=request.instrument.exchange,
                            interval=request.interval, candles=candles, raw=None)
