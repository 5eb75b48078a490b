"""Market-data, symbol and instrument requests (API_CONTRACT.md §6, §7)."""
from __future__ import annotations

from marshmallow import fields, validate

from broker.contract.manifest import INTERVALS
from restx_api.schemas.common import RequestSchema, _one_of, apikey, exchange, symbol
from utils.constants import EXCHANGES


class SymbolRequestSchema(RequestSchema):
    """quotes, depth, symbol."""

    apikey = apikey()
    symbol = symbol()
    exchange = exchange()


class SymbolItemSchema(RequestSchema):
    symbol = symbol()
    exchange = exchange()


class MultiQuotesSchema(RequestSchema):
    apikey = apikey()
    symbols = fields.List(fields.Nested(SymbolItemSchema), required=True,
                          validate=validate.Length(min=1, max=500, error="Give between 1 and 500 symbols."))


class HistorySchema(RequestSchema):
    apikey = apikey()
    symbol = symbol()
    exchange = exchange()
    interval = fields.String(required=True, validate=_one_of(INTERVALS))
    start_date = fields.Date(required=True, format="%Y-%m-%d", metadata={"description": "YYYY-MM-DD, inclusive"})
    end_date = fields.Date(required=True, format="%Y-%m-%d", metadata={"description": "YYYY-MM-DD, inclusive"})
    source = fields.String(load_default="api", validate=_one_of(("api", "db")),
                           metadata={"description": "api (the broker) or db (local candles: this server stores "
                                                    "none yet, so db answers 404)"})


class SearchSchema(RequestSchema):
    apikey = apikey()
    query = fields.String(required=True, validate=validate.Length(max=200))
    exchange = fields.String(load_default=None, allow_none=True)


class ExpirySchema(RequestSchema):
    apikey = apikey()
    symbol = symbol()
    exchange = fields.String(required=True)
    instrumenttype = fields.String(required=True, metadata={"description": "futures or options"})


class InstrumentsQuerySchema(RequestSchema):
    apikey = apikey()
    exchange = fields.String(load_default=None, validate=_one_of(EXCHANGES))
    format = fields.String(load_default="json", validate=validate.OneOf(
        ("json", "csv", "JSON", "CSV", "Json", "Csv"), error="Must be one of: json, csv."))


class TickerQuerySchema(RequestSchema):
    apikey = apikey()
    interval = fields.String(load_default="D", validate=_one_of(INTERVALS))
    start = fields.Date(required=True, format="%Y-%m-%d", data_key="from", metadata={"description": "YYYY-MM-DD"})
    end = fields.Date(required=True, format="%Y-%m-%d", data_key="to", metadata={"description": "YYYY-MM-DD"})
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "txt"), error="Must be one of: json, txt."))
