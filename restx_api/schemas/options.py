"""Option analytics and margin requests (API_CONTRACT.md §8.1, §8.4-§8.6, §5.6)."""
from __future__ import annotations

from marshmallow import fields, post_load, validate

from restx_api.schemas.common import (RequestSchema, UppercaseAction, _one_of, action, apikey, bounded, exchange,
                                      non_negative_int, order_count, price_field, strategy, symbol)
from utils.constants import EXCHANGES, FNO_EXCHANGES, MAX_ORDER_QUANTITY, MAX_PRICE, OPTION_TYPES, PRICE_TYPES, PRODUCTS


def underlying() -> fields.String:
    return fields.String(required=True, validate=validate.Length(min=1, max=64),
                         metadata={"description": "e.g. NIFTY, RELIANCE or NIFTY30DEC25FUT"})


def expiry_date(required: bool = False) -> fields.String:
    optional = {} if required else {"load_default": None, "allow_none": True}
    return fields.String(required=required, **optional,
                         validate=validate.Regexp(r"^\d{2}[A-Za-z]{3}\d{2}$", error="Use DDMMMYY, e.g. 30DEC25"),
                         metadata={"description": "DDMMMYY"})


def expiry_time() -> fields.String:
    return fields.String(load_default=None, allow_none=True,
                         validate=validate.Regexp(r"^([01]?\d|2[0-3]):[0-5]\d$", error="Use HH:MM (IST)."))


def rate() -> fields.Float:
    return fields.Float(load_default=0.0, allow_none=True, allow_nan=False, validate=validate.Range(
        min=0, max=100, error="Must be between 0 and 100."), metadata={"description": "annual %, 0-100"})


class _OptionTypeUpper(RequestSchema):
    @post_load
    def normalize(self, data: dict, **_: object) -> dict:
        if data.get("option_type"):
            data["option_type"] = data["option_type"].upper()
        return data


class OptionSymbolSchema(_OptionTypeUpper):
    apikey = apikey()
    underlying = underlying()
    exchange = exchange()
    expiry_date = expiry_date()
    offset = fields.String(required=True, validate=validate.Regexp(
        r"^(?i:ATM|ITM([1-9]|[1-4]\d|50)|OTM([1-9]|[1-4]\d|50))$",
        error="Offset must be ATM, ITM1-ITM50, or OTM1-OTM50"))
    option_type = fields.String(required=True, validate=_one_of(list(OPTION_TYPES) + ["ce", "pe"]))
    strike_int = fields.Integer(load_default=None, allow_none=True, strict=False,
                                validate=bounded(1, MAX_PRICE))
    strategy = fields.String(load_default=None, allow_none=True)


class OptionChainSchema(RequestSchema):
    apikey = apikey()
    underlying = underlying()
    exchange = exchange()
    expiry_date = expiry_date()
    strike_count = fields.Integer(load_default=None, allow_none=True, strict=False,
                                  validate=validate.Range(min=1, max=100, error="Must be between 1 and 100."))
    with_greeks = fields.Boolean(load_default=False)
    interest_rate = rate()


class OptionGreeksSchema(RequestSchema):
    apikey = apikey()
    symbol = symbol()
    exchange = fields.String(required=True, validate=_one_of(FNO_EXCHANGES))
    interest_rate = rate()
    forward_price = fields.Float(load_default=None, allow_none=True, allow_nan=False,
                                 validate=bounded(0, MAX_PRICE, low_inclusive=False))
    underlying_symbol = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    underlying_exchange = fields.String(load_default=None, allow_none=True, validate=_one_of(EXCHANGES))
    expiry_time = expiry_time()


class GreeksItemSchema(RequestSchema):
    symbol = symbol()
    exchange = fields.String(required=True, validate=_one_of(FNO_EXCHANGES))
    underlying_symbol = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    underlying_exchange = fields.String(load_default=None, allow_none=True, validate=_one_of(EXCHANGES))


MAX_GREEKS_SYMBOLS = 50


class MultiOptionGreeksSchema(RequestSchema):
    """Greeks of 1-50 options in one request; `interest_rate` and `expiry_time` apply to every item."""
    apikey = apikey()
    symbols = fields.List(fields.Nested(GreeksItemSchema), required=True, validate=validate.Length(
        min=1, max=MAX_GREEKS_SYMBOLS, error=f"Must contain between 1 and {MAX_GREEKS_SYMBOLS} options."))
    interest_rate = rate()
    expiry_time = expiry_time()


class SyntheticFutureSchema(RequestSchema):
    apikey = apikey()
    underlying = underlying()
    exchange = exchange()
    expiry_date = expiry_date(required=True)


class MarginPositionSchema(UppercaseAction):
    symbol = fields.String(required=True, validate=validate.Length(min=1, max=50))
    exchange = exchange()
    action = action()
    quantity = fields.Integer(required=True, strict=False, validate=bounded(
        1, MAX_ORDER_QUANTITY, low_error="Quantity must be a positive number"))
    product = fields.String(required=True, validate=_one_of(PRODUCTS))
    pricetype = fields.String(required=True, validate=_one_of(PRICE_TYPES))
    price = price_field("limit price")
    trigger_price = price_field("trigger price")


class MarginSchema(RequestSchema):
    apikey = apikey()
    positions = fields.List(fields.Nested(MarginPositionSchema), required=True, validate=validate.Length(
        min=1, max=50, error="Between 1 and 50 positions (Maximum 50 positions allowed per request)."))


class HolidaysSchema(RequestSchema):
    """`year` and `date` are checked by services.market_calendar, with the contract's messages."""
    apikey = apikey()
    year = fields.Raw(load_default=None, metadata={"description": "2020-2050, default the current year"})


class TimingsSchema(RequestSchema):
    apikey = apikey()
    date = fields.Raw(load_default=None, metadata={"description": "YYYY-MM-DD"})


class TelegramNotifySchema(RequestSchema):
    """Checked by services.telegram (the contract's `Username and message are required`)."""
    apikey = apikey()
    username = fields.Raw(load_default=None, metadata={"description": "OpenAlgo login username"})
    message = fields.Raw(load_default=None, metadata={"description": "up to 4096 characters"})
    priority = fields.Raw(load_default=None, metadata={"description": "1-10, default 5; other values become 5"})


_PHONE = validate.Regexp(r"^\d{8,15}$", error="Use the number's digits with the country code, e.g. 919876543210.")


class WhatsAppNotifySchema(RequestSchema):
    """Exactly one recipient form and at least one of message, image_path, document_path (checked by
    services.whatsapp, which names the rule)."""
    apikey = apikey()
    self_ = fields.Boolean(data_key="self", attribute="self", load_default=False)
    username = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=64))
    phone = fields.String(load_default=None, allow_none=True, validate=_PHONE)
    phones = fields.List(fields.String(validate=_PHONE), load_default=None, allow_none=True,
                         validate=validate.Length(min=1, max=5, error="Must contain between 1 and 5 numbers."))
    message = fields.String(load_default=None, allow_none=True,
                            validate=validate.Length(max=4096, error="Message must not exceed 4096 characters"))
    image_path = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1024))
    document_path = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1024))
    caption = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1024))
    filename = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=255))
    wait_for_delivery = fields.Boolean(load_default=False)


def _options_product() -> fields.String:
    return fields.String(load_default="MIS", validate=validate.OneOf(
        ("MIS", "NRML"), error="Must be one of: MIS, NRML (options orders cannot be CNC)."))


class _OptionLegFields(_OptionTypeUpper, UppercaseAction):
    offset = OptionSymbolSchema._declared_fields["offset"]
    option_type = OptionSymbolSchema._declared_fields["option_type"]
    expiry_date = expiry_date()
    action = action()
    pricetype = fields.String(load_default="MARKET", validate=_one_of(PRICE_TYPES))
    product = _options_product()
    price = price_field("limit price")
    trigger_price = price_field("trigger price")
    disclosed_quantity = non_negative_int()
    splitsize = non_negative_int()


class OptionsOrderSchema(_OptionLegFields):
    apikey = apikey()
    strategy = strategy()
    underlying = underlying()
    exchange = exchange()
    strike_int = OptionSymbolSchema._declared_fields["strike_int"]
    quantity = order_count()


class OptionLegSchema(_OptionLegFields):
    quantity = order_count()


class OptionsMultiOrderSchema(RequestSchema):
    apikey = apikey()
    strategy = strategy()
    underlying = underlying()
    exchange = exchange()
    expiry_date = expiry_date()
    strike_int = OptionSymbolSchema._declared_fields["strike_int"]
    legs = fields.List(fields.Nested(OptionLegSchema), required=True,
                       validate=validate.Length(min=1, max=20, error="Give between 1 and 20 legs."))
