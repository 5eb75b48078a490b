"""Market data and funds on a Noren OMS: quotes, 5-level depth, history, limits (DataAdapter, FundsAdapter).

GetQuotes takes one `exch` + `token` and answers the touchline and five levels (`bp1..5`, `bq1..5`,
`bo1..5`, `sp/sq/so1..5`), `lp`, `o/h/l/c`, `v`, `oi`, `ltt`. There is no batch quote call, so a batch is
one call per instrument. TPSeries takes `st` / `et` (epoch seconds) and `intrv` in minutes (1, 3, 5, 10,
15, 30, 60, 120, 240) and answers candles newest first with `ssboe` (epoch) and `time`
(`DD-MM-YYYY HH:MM:SS`, IST); daily bars come from EODChartData (`sym` = `EXCH:TSYM`, `from` / `to`),
a list of JSON strings. Windows are chunked and stitched with broker/candles.py. Limits answers the
account's cash, collateral (`brkcollamt`), `marginused` and the day's P&L.

Margin (Noren "Basket Margin" and "Span Calculator"): `GetBasketMargin` takes the first order's fields
(`exch`, `tsym`, `qty`, `prc`, `trgprc`, `prd`, `trantype`, `prctyp`) at the top level and the others in
`basketlists`, and answers the basket's `marginused` (hedges counted); for a basket of futures and
options only, `SpanCalc` (`pos`: `exch`, `instname`, `symname`, `exd` DD-MMM-YYYY, `optt`, `strprc`,
`buyqty`, `sellqty`, `netqty`) also gives its `span` and exposure (`expo`).
"""
from __future__ import annotations

import json
from datetime import date, datetime, time, timezone
from typing import Any, Iterable, Sequence
from urllib.parse import quote_plus

from broker.candles import day_windows, stitch
from broker.contract import (BrokerSession, Candle, CandleSeries, DataAdapter, Depth, DepthLevel, Funds, FundsAdapter,
                             HistoryRequest, Instrument, Margin, MarginLeg, Quote)
from broker.errors import NotSupported, UnknownSymbol
from broker.noren.client import HISTORY, READS, NorenClient
from broker.noren import mapping
from broker.noren.mapping import EXCHANGES, IST, number, whole

MAX_QUOTES_PER_CALL = 1      # GetQuotes answers one instrument
INTERVALS: dict[str, int | None] = {"1m": 1, "3m": 3, "5m": 5, "10m": 10, "15m": 15, "30m": 30, "1h": 60,
                                    "2h": 120, "4h": 240, "D": None}
INTRADAY_WINDOW_DAYS = 30    # TPSeries serves long ranges slowly; ask a month per call
DAILY_WINDOW_DAYS = 365


def _exchange(instrument: Instrument) -> str:
    return instrument.brexchange or EXCHANGES.get(instrument.exchange, instrument.exchange)


def _levels(row: dict[str, Any], side: str) -> tuple[DepthLevel, ...]:
    price, qty, orders = {"bid": ("bp", "bq", "bo"), "ask": ("sp", "sq", "so")}[side]
    return Depth.pad([DepthLevel(number(row, f"{price}{n}"), whole(row, f"{qty}{n}"), whole(row, f"{orders}{n}"))
                      for n in range(1, 6)])


def to_quote(instrument: Instrument, row: dict[str, Any]) -> Quote:
    return Quote(symbol=instrument.symbol, exchange=instrument.exchange, ltp=number(row, "lp"),
                 open=number(row, "o"), high=number(row, "h"), low=number(row, "l"), prev_close=number(row, "c"),
                 volume=whole(row, "v"), bid=number(row, "bp1"), ask=number(row, "sp1"), bid_qty=whole(row, "bq1"),
                 ask_qty=whole(row, "sq1"), oi=whole(row, "oi"), raw=row)


def to_depth(instrument: Instrument, row: dict[str, Any]) -> Depth:
    bids, asks = _levels(row, "bid"), _levels(row, "ask")
    return Depth(symbol=instrument.symbol, exchange=instrument.exchange, ltp=number(row, "lp"), bids=bids, asks=asks,
                 ltq=whole(row, "ltq"), open=number(row, "o"), high=number(row, "h"), low=number(row, "l"),
                 prev_close=number(row, "c"), volume=whole(row, "v"), oi=whole(row, "oi"),
                 total_buy_qty=whole(row, "tbq") or sum(level.quantity for level in bids),
                 total_sell_qty=whole(row, "tsq") or sum(level.quantity for level in asks), raw=row)


def _epoch(row: dict[str, Any]) -> int:
    if row.get("ssboe"):
        return int(float(row["ssboe"]))
    return int(datetime.strptime(str(row["time"]), "%d-%m-%Y %H:%M:%S").replace(tzinfo=IST).timestamp())


def intraday_candles(rows: Iterable[dict[str, Any]]) -> list[tuple]:
    return [(_epoch(r), number(r, "into"), number(r, "inth"), number(r, "intl"), number(r, "intc"), whole(r, "intv"),
             whole(r, "intoi")) for r in rows if isinstance(r, dict)]


def daily_candles(rows: Iterable[Any]) -> list[tuple]:
    """EODChartData's JSON strings → candles stamped 00:00 UTC of their trading day (API_CONTRACT §6.4)."""
    out = []
    for item in rows:
        r = json.loads(item) if isinstance(item, str) else item
        day = datetime.fromtimestamp(int(float(r["ssboe"])), IST).date()
        stamp = int(datetime.combine(day, time.min, tzinfo=timezone.utc).timestamp())
        out.append((stamp, number(r, "into"), number(r, "inth"), number(r, "intl"), number(r, "intc"),
                    whole(r, "intv"), 0))
    return out


def _span(first: date, last: date) -> tuple[str, str]:
    start = datetime.combine(first, time.min, tzinfo=IST).timestamp()
    end = datetime.combine(last, time(23, 59, 59), tzinfo=IST).timestamp()
    return str(int(start)), str(int(end))


class NorenData(DataAdapter):
    def __init__(self, client: NorenClient):
        self.client = client

    def _row(self, session: BrokerSession, instrument: Instrument) -> dict[str, Any]:
        if not instrument.token:
            raise UnknownSymbol(f"{instrument.symbol} has no {self.client.broker} token", broker=self.client.broker)
        try:
            return self.client.call("GetQuotes", {"exch": _exchange(instrument), "token": str(instrument.token)},
                                    session, bucket=READS)
        except UnknownSymbol:
            raise UnknownSymbol(f"{self.client.broker} has no quote for {instrument.symbol} on "
                                f"{instrument.exchange}", broker=self.client.broker) from None

    def quote(self, session: BrokerSession, instrument: Instrument) -> Quote:
        return to_quote(instrument, self._row(session, instrument))

    def quotes(self, session: BrokerSession, instruments: Sequence[Instrument]) -> list[Quote]:
        return [self.quote(session, instrument) for instrument in instruments]

    def depth(self, session: BrokerSession, instrument: Instrument) -> Depth:
        return to_depth(instrument, self._row(session, instrument))

    def history(self, session: BrokerSession, request: HistoryRequest) -> CandleSeries:
        if request.interval not in INTERVALS:
            raise NotSupported(f"Unsupported timeframe: {request.interval}", broker=self.client.broker)
        minutes, instrument = INTERVALS[request.interval], request.instrument
        parts = []
        if minutes is None:
            for first, last in day_windows(request.start, request.end, DAILY_WINDOW_DAYS):
                start, end = _span(first, last)
                rows = self.client.call("EODChartData", {"sym": f"{_exchange(instrument)}:{instrument.brsymbol}",
                                                         "from": start, "to": end}, session, bucket=HISTORY,
                                        listing=True)
                parts.append(daily_candles(rows))
        else:
            for first, last in day_windows(request.start, request.end, INTRADAY_WINDOW_DAYS):
                start, end = _span(first, last)
                rows = self.client.call("TPSeries", {"ordersource": "API", "exch": _exchange(instrument),
                                                     "token": str(instrument.token), "st": start, "et": end,
                                                     "intrv": str(minutes)}, session, bucket=HISTORY, listing=True)
                parts.append(intraday_candles(rows))
        candles = tuple(Candle(*values) for values in stitch(parts))
        return CandleSeries(symbol=instrument.symbol, exchange=instrument.exchange, interval=request.interval,
                            candles=candles, raw={"windows": len(parts)})


class NorenFunds(FundsAdapter):
    def __init__(self, client: NorenClient):
        self.client = client

    def funds(self, session: BrokerSession) -> Funds:
        row = self.client.call("Limits", {"actid": session.broker_user_id}, session)
        cash = number(row, "cash") + number(row, "payin") - number(row, "payout")
        used = number(row, "marginused")
        return Funds(available_cash=round(cash - used, 2), collateral=number(row, "brkcollamt"),
                     m2m_realized=number(row, "rpnl"), m2m_unrealized=number(row, "urmtom"),
                     utilised_debits=used, raw=row)

    def margin(self, session: BrokerSession, legs: Sequence[MarginLeg]) -> Margin:
        orders = [_margin_order(leg) for leg in legs]
        basket = self.client.call("GetBasketMargin", {**orders[0], "actid": session.broker_user_id,
                                                      **({"basketlists": orders[1:]} if orders[1:] else {})},
                                  session)
        span = exposure = None
        if all(leg.instrument.expiry for leg in legs):
            spans = self.client.call("SpanCalc", {"actid": session.broker_user_id,
                                                  "pos": [_span_position(leg) for leg in legs]}, session)
            span, exposure = number(spans, "span"), number(spans, "expo")
        return Margin(total_margin_required=number(basket, "marginused"), span_margin=span, exposure_margin=exposure,
                      raw=basket)


def _margin_order(leg: MarginLeg) -> dict[str, str]:
    i = leg.instrument
    return mapping.order_fields(quote_plus(i.brsymbol), i.exchange, leg.action, leg.quantity, leg.product,
                                leg.pricetype, leg.price, leg.trigger_price)


def _span_position(leg: MarginLeg) -> dict[str, str]:
    """A derivative leg as SpanCalc's open position (the quantity on its side, signed in `netqty`); a
    future's option type is `XX` and its strike `-1`, as in the SDK's SpanCalc example."""
    i = leg.instrument
    option = i.symbol[-2:] if i.symbol[-2:] in ("CE", "PE") else ""
    quantity = int(leg.quantity)
    buy = leg.action == "BUY"
    return {"prd": mapping.PRODUCTS[leg.product], "exch": _exchange(i), "instname": i.instrumenttype,
            "symname": i.name, "exd": i.expiry.strftime("%d-%b-%Y").upper() if i.expiry else "",
            "optt": option or "XX", "strprc": f"{float(i.strike):.2f}" if option else "-1",
            "buyqty": str(quantity if buy else 0), "sellqty": str(0 if buy else quantity),
            "netqty": str(quantity if buy else -quantity)}
