"""Order management and order information requests (API_CONTRACT.md §3, §4)."""
from __future__ import annotations

from marshmallow import fields, validate

from restx_api.schemas.common import (OrderFields, RequestSchema, UppercaseAction, _one_of, action, apikey, bounded,
                                      exchange, non_negative_int, order_count, price_field, quantity, strategy, symbol)
from utils.constants import MAX_ORDER_QUANTITY, PRICE_TYPES, PRODUCTS


class PlaceOrderSchema(OrderFields):
    apikey = apikey()
    strategy = strategy()


class SmartOrderSchema(PlaceOrderSchema):
    quantity = quantity(allow_zero=True)
    position_size = fields.Float(required=True, allow_nan=False, validate=bounded(-MAX_ORDER_QUANTITY, MAX_ORDER_QUANTITY),
                                 metadata={"description": "target net position after execution (signed)"})


class BasketSchema(RequestSchema):
    apikey = apikey()
    strategy = strategy()
    orders = fields.List(fields.Nested(OrderFields), required=True,
                         validate=validate.Length(min=1, max=100, error="Must contain between 1 and 100 orders."))


class SplitOrderSchema(PlaceOrderSchema):
    splitsize = order_count()


class ModifyOrderSchema(UppercaseAction):
    """Every field is required (§3.5)."""

    apikey = apikey()
    strategy = strategy()
    orderid = fields.String(required=True, validate=validate.Length(min=1, max=64))
    symbol = symbol()
    exchange = exchange()
    action = action()
    product = fields.String(required=True, validate=_one_of(PRODUCTS))
    pricetype = fields.String(required=True, validate=_one_of(PRICE_TYPES))
    price = price_field("limit price", required=True)
    quantity = quantity()
    disclosed_quantity = non_negative_int()
    trigger_price = price_field("trigger price")


class OrderIdSchema(RequestSchema):
    """cancelorder, orderstatus."""

    apikey = apikey()
    strategy = strategy(required=False)
    orderid = fields.String(required=True, validate=validate.Length(min=1, max=64, error="Order ID is missing"))


class StrategyOnlySchema(RequestSchema):
    """cancelallorder, closeposition."""

    apikey = apikey()
    strategy = strategy(required=False)


class OpenPositionSchema(RequestSchema):
    apikey = apikey()
    strategy = strategy(required=False)
    symbol = symbol()
    exchange = exchange()
    product = fields.String(required=True, validate=_one_of(PRODUCTS))
