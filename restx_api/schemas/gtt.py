"""GTT requests (API_CONTRACT.md §16): the flat body the 2.x client sends for place and modify, the
trigger id for cancel, and the status filter of the GTT book."""
from __future__ import annotations

from marshmallow import fields, post_load, validate

from restx_api.schemas.common import RequestSchema, _one_of, action, apikey, exchange, quantity, strategy, symbol

GTT_PRODUCTS = ("CNC", "NRML")   # a GTT can wait for days; MIS is squared off the same day
GTT_PRICE_TYPES = ("LIMIT", "MARKET")
MAX_VALIDITY_DAYS = 365   # a year: the longest any supported broker keeps a trigger


def _optional_price(name: str) -> fields.Float:
    return fields.Float(load_default=None, allow_none=True, allow_nan=False,
                        validate=validate.Range(min=0, error="Must be greater than or equal to 0."),
                        metadata={"description": name})


class GttSchema(RequestSchema):
    apikey = apikey()
    strategy = strategy(required=False)
    trigger_type = fields.String(load_default="SINGLE", validate=_one_of(("SINGLE", "OCO", "single", "oco")))
    symbol = symbol()
    exchange = exchange()
    action = action()
    product = fields.String(load_default="CNC", validate=validate.OneOf(
        GTT_PRODUCTS, error="Must be one of: CNC, NRML (a GTT can wait for days; MIS is squared off the same day)."))
    quantity = quantity()
    pricetype = fields.String(load_default="LIMIT", validate=_one_of(GTT_PRICE_TYPES))
    price = _optional_price("SINGLE: the order's limit price (0 with MARKET)")
    triggerprice_sl = _optional_price("SINGLE: a trigger below the last price; OCO: the stop-loss leg's trigger")
    triggerprice_tg = _optional_price("SINGLE: a trigger above the last price; OCO: the target leg's trigger")
    stoploss = _optional_price("OCO: the stop-loss leg's limit price")
    target = _optional_price("OCO: the target leg's limit price")
    # not a named parameter of the 2.x client: scripts pass it as a keyword (the client forwards extra
    # keywords in the body); absent, the broker's own validity applies (a year on Kite and on paper)
    validity_days = fields.Integer(load_default=None, allow_none=True, strict=False, validate=validate.Range(
        min=1, max=MAX_VALIDITY_DAYS, error=f"Must be a whole number of days from 1 to {MAX_VALIDITY_DAYS}."),
        metadata={"description": "days the trigger stays active before it expires (default: the broker's)"})

    @post_load
    def normalize(self, data: dict, **_: object) -> dict:
        data["action"] = data["action"].upper()
        data["trigger_type"] = data["trigger_type"].upper()
        return data


class ModifyGttSchema(GttSchema):
    trigger_id = fields.String(required=True, validate=validate.Length(min=1, max=64))


class CancelGttSchema(RequestSchema):
    apikey = apikey()
    strategy = strategy(required=False)
    trigger_id = fields.String(required=True, validate=validate.Length(min=1, max=64))


class GttBookSchema(RequestSchema):
    apikey = apikey()
    status = fields.String(load_default="active", validate=_one_of(("active", "all")))
