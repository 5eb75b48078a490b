"""Account, analyzer and utility requests (API_CONTRACT.md §5, §9, §10.1)."""
from __future__ import annotations

from marshmallow import fields

from restx_api.schemas.common import RequestSchema, apikey


class ApiKeyOnlySchema(RequestSchema):
    """funds, orderbook, tradebook, positionbook, holdings, analyzer, ping."""

    apikey = apikey()


class AnalyzerToggleSchema(RequestSchema):
    apikey = apikey()
    mode = fields.Boolean(required=True, metadata={"description": "true = analyze (sandbox), false = live"})
