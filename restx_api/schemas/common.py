"""Fields shared by request schemas, with the contract's input tolerance (API_CONTRACT.md §1.6):
numbers as JSON numbers or numeric strings, `action` in any case, unknown fields accepted and ignored."""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, post_load, validate

from utils.constants import ACTIONS, EXCHANGES, MAX_ORDER_QUANTITY, MAX_PRICE, PRICE_TYPES, PRODUCTS


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


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def bounded(low: float, high: float, *, low_inclusive: bool = True, low_error: str | None = None) -> list[validate.Range]:
    """Both ends of a number's allowed range, each with a message saying what is allowed (a number beyond
    the limit is a 400 naming its field, never an overflow further down)."""
    word = "greater than or equal to" if low_inclusive else "greater than"
    return [validate.Range(min=low, min_inclusive=low_inclusive, error=low_error or f"Must be {word} {_number(low)}."),
            validate.Range(max=high, error=f"Must be at most {_number(high)}.")]


def quantity(*, allow_zero: bool = False) -> fields.Float:
    return fields.Float(required=True, validate=bounded(0, MAX_ORDER_QUANTITY, low_inclusive=allow_zero),
                        allow_nan=False, metadata={"description": f"number or numeric string; whole unless CRYPTO; "
                                                                  f"at most {MAX_ORDER_QUANTITY}"})


def price_field(name: str, *, required: bool = False) -> fields.Float:
    options = {"required": True} if required else {"load_default": 0.0}
    return fields.Float(validate=bounded(0, MAX_PRICE), allow_nan=False, **options,
                        metadata={"description": f"{name}; number or numeric string; at most {MAX_PRICE:g}"})


def non_negative_int(default: int = 0) -> fields.Integer:
    return fields.Integer(load_default=default, strict=False, validate=bounded(0, MAX_ORDER_QUANTITY))


def order_count(low: int = 1) -> fields.Integer:
    """A whole number of units (option lots' quantity, split sizes), at most MAX_ORDER_QUANTITY."""
    return fields.Integer(required=True, strict=False, validate=bounded(low, MAX_ORDER_QUANTITY))


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
