"""Market data and funds on DhanHQ v2: quotes (batch), 5-level depth, history, fund limits, margins.

`POST /marketfeed/quote` takes `{"NSE_EQ": [1333, ...], "NSE_FNO": [...]}` — up to 1000 instruments per
request, one request a second (docs, "Market Quote") — and answers `{"data": {segment: {security id:
{...}}}, "status": "success"}`; instruments Dhan does not know are simply absent. History is chunked
and stitched by history.py. Funds come from `GET /fundlimit` (Dhan spells `availabelBalance`) with the
day's M2M from `GET /positions`; margins from `POST /margincalculator`, one leg per call (summed: Dhan's
single-order calculator gives no hedge benefit across legs).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Sequence

from broker.contract import (BrokerSession, Candle, CandleSeries, DataAdapter, Depth, Funds,
                             FundsAdapter, HistoryRequest, Instrument, Margin, MarginLeg, Quote)
from broker.dhan.client import DhanClient
from broker.candles import stitch
from broker.dhan.history import DHAN_INTERVALS, candles_from_columns, daily_range, intraday_windows
from broker.dhan.mapping import IST, SEGMENT_CODES, SEGMENTS, to_dhan_product
from broker.errors import NotSupported, UnknownSymbol
from broker.quote_rows import depth_from_row, quote_from_row

MAX_QUOTES_PER_CALL = 1000
_DERIVATIVES = frozenset({"FUTIDX", "FUTSTK", "FUTCOM", "FUTCUR", "OPTIDX", "OPTSTK", "OPTFUT", "OPTCUR"})


def chart_instrument(instrument: Instrument) -> str:
    """The charts' `instrument` (Annexure, "Instrument"): the scrip master's name, EQUITY for equities."""
    kind = instrument.instrumenttype.upper()
    if instrument.exchange in ("NSE_INDEX", "BSE_INDEX"):
        return "INDEX"
    return "EQUITY" if kind in ("", "EQ", "EQUITY") else kind


def _quote_time(text: str | None) -> datetime | None:
    """`11/09/2024 10:14:22` (IST); Dhan sends `01/01/1980 00:00:00` when nothing traded yet."""
    try:
        moment = datetime.strptime((text or "").strip(), "%d/%m/%Y %H:%M:%S").replace(tzinfo=IST)
    except ValueError:
        return None
    return moment if moment.year > 1980 else None


def quote_key(instrument: Instrument) -> tuple[str, str]:
    """(exchange segment, security id) as the quote endpoints take them; an instrument that has none (not
    from Dhan's scrip master) is unknown to Dhan."""
    segment = instrument.brexchange if instrument.brexchange in SEGMENT_CODES else SEGMENTS.get(instrument.exchange)
    if segment is None or not str(instrument.token).isdigit():
        raise _unknown(instrument)
    return segment, str(instrument.token)


def _unknown(instrument: Instrument) -> UnknownSymbol:
    return UnknownSymbol(f"Dhan has no quote for {instrument.symbol} on {instrument.exchange}", broker="dhan")


class DhanData(DataAdapter):
    def __init__(self, client: DhanClient):
        self.client = client

    def _full_quotes(self, session: BrokerSession, instruments: Sequence[Instrument]) -> dict[tuple[str, str], Any]:
        answers: dict[tuple[str, str], Any] = {}
        for start in range(0, len(instruments), MAX_QUOTES_PER_CALL):
            body: dict[str, list[int]] = {}
            for instrument in instruments[start:start + MAX_QUOTES_PER_CALL]:
                segment, security_id = quote_key(instrument)
                body.setdefault(segment, []).append(int(security_id))
            answer = self.client.call("POST", "/marketfeed/quote", session, bucket="quotes", json=body) or {}
            for segment, rows in (answer.get("data") or {}).items():
                for security_id, row in (rows or {}).items():
                    answers[(segment, str(security_id))] = row
        return answers

    def _one(self, session: BrokerSession, instrument: Instrument) -> dict[str, Any]:
        row = self._full_quotes(session, [instrument]).get(quote_key(instrument))
        if row is None:
            raise _unknown(instrument)
        return row

    def quote(self, session: BrokerSession, instrument: Instrument) -> Quote:
        return self.to_quote(instrument, self._one(session, instrument))

    def quotes(self, session: BrokerSession, instruments: Sequence[Instrument]) -> list[Quote]:
        answers = self._full_quotes(session, instruments)
        keys = [quote_key(instrument) for instrument in instruments]
        for instrument, key in zip(instruments, keys):
            if key not in answers:
                raise _unknown(instrument)
        return [self.to_quote(instrument, answers[key]) for instrument, key in zip(instruments, keys)]

    def depth(self, session: BrokerSession, instrument: Instrument) -> Depth:
        row = self._one(session, instrument)
        return depth_from_row(instrument, row, _quote_time(row.get("last_trade_time")))

    @staticmethod
    def to_quote(instrument: Instrument, row: dict[str, Any]) -> Quote:
        return quote_from_row(instrument, row, _quote_time(row.get("last_trade_time")))

    def history(self, session: BrokerSession, request: HistoryRequest) -> CandleSeries:
        if request.interval not in DHAN_INTERVALS:
            raise NotSupported(f"Unsupported timeframe: {request.interval}", broker="dhan")
        minutes = DHAN_INTERVALS[request.interval]
        instrument = request.instrument
        base = {"securityId": str(instrument.token), "exchangeSegment": instrument.brexchange,
                "instrument": chart_instrument(instrument), "oi": instrument.instrumenttype in _DERIVATIVES}
        parts = []
        if minutes is None:
            start, end = daily_range(request.start, request.end)
            answer = self.client.call("POST", "/charts/historical", session, bucket="history",
                                      json={**base, "expiryCode": 0, "fromDate": start, "toDate": end})
            parts.append(candles_from_columns(answer, daily=True))
        else:
            for start, end in intraday_windows(request.start, request.end):
                answer = self.client.call("POST", "/charts/intraday", session, bucket="history",
                                          json={**base, "interval": minutes, "fromDate": start, "toDate": end})
                parts.append(candles_from_columns(answer, daily=False))
        candles = tuple(Candle(*values) for values in stitch(parts))
        return CandleSeries(symbol=instrument.symbol, exchange=instrument.exchange, interval=request.interval,
                            candles=candles, raw={"windows": len(parts)})


class DhanFunds(FundsAdapter):
    def __init__(self, client: DhanClient):
        self.client = client

    def funds(self, session: BrokerSession) -> Funds:
        limits = self.client.call("GET", "/fundlimit", session) or {}
        positions = self.client.call("GET", "/positions", session) or []
        realized = round(sum(float(p.get("realizedProfit") or 0) for p in positions), 2)
        unrealized = round(sum(float(p.get("unrealizedProfit") or 0) for p in positions), 2)
        available = limits.get("availabelBalance", limits.get("availableBalance"))
        return Funds(available_cash=round(float(available or 0), 2),
                     collateral=round(float(limits.get("collateralAmount") or 0), 2),
                     m2m_realized=realized, m2m_unrealized=unrealized,
                     utilised_debits=round(float(limits.get("utilizedAmount") or 0), 2), raw=limits)

    def margin(self, session: BrokerSession, legs: Sequence[MarginLeg]) -> Margin:
        totals = {"totalMargin": 0.0, "spanMargin": 0.0, "exposureMargin": 0.0}
        answers = []
        for leg in legs:
            price = leg.price if leg.pricetype in ("LIMIT", "SL") else 0.0
            answer = self.client.call("POST", "/margincalculator", session, json={
                "dhanClientId": session.broker_user_id, "exchangeSegment": leg.instrument.brexchange,
                "transactionType": leg.action, "quantity": int(leg.quantity),
                "productType": to_dhan_product(leg.product), "securityId": str(leg.instrument.token),
                "price": float(price), "triggerPrice": float(leg.trigger_price)}) or {}
            answers.append(answer)
            for name in totals:
                totals[name] += float(answer.get(name) or 0)
        return Margin(total_margin_required=round(totals["totalMargin"], 2),
                      span_margin=round(totals["spanMargin"], 2), exposure_margin=round(totals["exposureMargin"], 2),
                      raw={"legs": answers})
