"""Fields shared by request schemas, with the contract's input tolerance (API_CONTRACT.md §1.6):
numbers as JSON numbers or numeric strings, `action` in any case, unknown fields accepted and ignored."""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, post_load, validate

from utils.constants import ACTIONS, EXCHANGES, PRICE_TYPES, PRODUCTS


class RequestSchema(Schema):
    class Meta:
        unknown = EXCLUDE  # §14 D1: the SDK forwards extra kwargs; accept and ignore them


def _one_of(values: tuple[str, ...] | list[str]) -> validate.OneOf:
    return validate.OneOf(values, error="Must be one of: {choices}.")


def apikey() -> fields.String:
    return fields.String(required=True, validate=validate.Length(min=1, max=256),
                         metadata={"description": "your OpenAlgo API key"})


def strategy(required: bool = True) -> fields.String:
    return fields.String(required=required, validate=validate.Length(max=255),
                         metadata={"description": "free-text tag of the originating strategy"})


def symbol() -> fields.String:
    return fields.String(required=True, validate=validate.Length(min=1, max=64),
                         metadata={"description": "OpenAlgo symbol, e.g. SBIN or NIFTY30DEC25FUT"})


def exchange() -> fields.String:
    return fields.String(required=True, validate=_one_of(EXCHANGES))


def action() -> fields.String:
    return fields.String(required=True, validate=_one_of(list(ACTIONS) + [a.lower() for a in ACTIONS]))


def quantity(*, allow_zero: bool = False) -> fields.Float:
    bound = validate.Range(min=0, min_inclusive=allow_zero,
                           error="Must be greater than or equal to 0." if allow_zero else "Must be greater than 0.")
    return fields.Float(required=True, validate=bound, allow_nan=False,
                        metadata={"description": "number or numeric string; whole unless CRYPTO"})


def price_field(name: str) -> fields.Float:
    return fields.Float(load_default=0.0, validate=validate.Range(min=0, error="Must be greater than or equal to 0."),
                        allow_nan=False, metadata={"description": f"{name}; number or numeric string"})


def non_negative_int(default: int = 0) -> fields.Integer:
    return fields.Integer(load_default=default, strict=False,
                          validate=validate.Range(min=0, error="Must be greater than or equal to 0."))


class UppercaseAction(RequestSchema):
    """`action` arrives as BUY/SELL/buy/sell and leaves uppercase."""

    @post_load
    def normalize(self, data: dict, **_: object) -> dict:
        if "action" in data:
            data["action"] = data["action"].upper()
        return data


class OrderFields(UppercaseAction):
    """The order fields of §3.1 (without apikey/strategy, which basket legs do not carry)."""

    symbol = symbol()
    exchange = exchange()
    action = action()
    quantity = quantity()
    pricetype = fields.String(load_default="MARKET", validate=_one_of(PRICE_TYPES))
    product = fields.String(load_default="MIS", validate=_one_of(PRODUCTS))
    price = price_field("limit price")
    trigger_price = price_field("trigger price")
    disclosed_quantity = non_negative_int()
