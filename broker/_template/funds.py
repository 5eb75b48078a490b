"""Funds and the margin calculator (FundsAdapter): the five numbers of API_CONTRACT.md §5.1, and the
margin a basket of legs needs."""
from __future__ import annotations

from typing import Sequence

from broker._template import mapping
from broker._template.client import READS, TemplateClient
from broker.contract import BrokerSession, Funds, FundsAdapter, Margin, MarginLeg


class TemplateFunds(FundsAdapter):
    def __init__(self, client: TemplateClient):
        self.client = client

    def funds(self, session: BrokerSession) -> Funds:
        row = self.client.call("GET", "/funds", session, bucket=READS)
        return Funds(available_cash=float(row["available"]), collateral=float(row.get("collateral") or 0),
                     m2m_realized=float(row.get("realised") or 0), m2m_unrealized=float(row.get("unrealised") or 0),
                     utilised_debits=float(row.get("used") or 0), raw=row)

    def margin(self, session: BrokerSession, legs: Sequence[MarginLeg]) -> Margin:
        body = [mapping.order_body(leg.instrument.token, leg.instrument.exchange, leg.action, leg.quantity,
                                   leg.product, leg.pricetype, leg.price, leg.trigger_price) for leg in legs]
        row = self.client.call("POST", "/margin", session, bucket=READS, json={"legs": body})
        return Margin(total_margin_required=float(row["total"]), span_margin=row.get("span"),
                      exposure_margin=row.get("exposure"), raw=row)
