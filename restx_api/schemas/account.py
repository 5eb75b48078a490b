"""Account, analyzer and utility requests (API_CONTRACT.md §5, §9, §10.1)."""
from __future__ import annotations

from marshmallow import fields

from restx_api.schemas.common import RequestSchema, _one_of, apikey
from services.order_target import ANALYZER_MARKETS


class ApiKeyOnlySchema(RequestSchema):
    """funds, orderbook, tradebook, positionbook, holdings, analyzer, ping."""

    apikey = apikey()


class AnalyzerToggleSchema(RequestSchema):
    apikey = apikey()
    mode = fields.Boolean(required=True, metadata={"description": "true = analyze (sandbox), false = live"})
    market = fields.String(load_default=None, validate=_one_of(ANALYZER_MARKETS), metadata={
        "description": "the sandbox's market: live = the connected broker's prices and instruments (the "
                       "default), simulated = the built-in simulated market"})
