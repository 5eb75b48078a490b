"""Request parsing follows the contract's input tolerance (API_CONTRACT.md §1.6) and names bad fields."""
from __future__ import annotations

import pytest
from flask import Flask

from restx_api.parsing import parse
from restx_api.schemas.account import AnalyzerToggleSchema
from restx_api.schemas.orders import BasketSchema, PlaceOrderSchema, SmartOrderSchema, SplitOrderSchema
from utils.errors import InvalidInput

ORDER = {"apikey": "k", "strategy": "Python", "symbol": "SBIN", "exchange": "NSE", "action": "buy", "quantity": "10"}


def test_numbers_as_strings_lowercase_action_and_extra_fields_are_accepted():
    data = parse(PlaceOrderSchema(), {**ORDER, "price": "101.5", "target": "5", "stoploss": 3})
    assert data["action"] == "BUY" and data["quantity"] == 10 and data["price"] == 101.5
    assert data["pricetype"] == "MARKET" and data["product"] == "MIS" and "target" not in data


@pytest.mark.parametrize("change, field, message", [
    ({"quantity": None}, "quantity", "Field may not be null."),
    ({"quantity": "-5"}, "quantity", "Must be greater than 0."),
    ({"quantity": "ten"}, "quantity", "Not a valid number."),
    ({"exchange": "nse"}, "exchange", "Must be one of: NSE, BSE"),
    ({"action": "HOLD"}, "action", "Must be one of: BUY, SELL, buy, sell."),
    ({"pricetype": "market"}, "pricetype", "Must be one of: MARKET, LIMIT, SL, SL-M."),
    ({"price": "NaN"}, "price", "not permitted"),
])
def test_bad_fields_are_named_with_what_is_allowed(change: dict, field: str, message: str):
    with pytest.raises(InvalidInput) as caught:
        parse(PlaceOrderSchema(), {**ORDER, **change})
        assert message in " ".join(caught.value.extra["errors"][field])
    assert field in caught.value.message


def test_missing_fields_are_all_listed():
    with pytest.raises(InvalidInput) as caught:
        parse(PlaceOrderSchema(), {"apikey": "k"})
    assert set(caught.value.extra["errors"]) == {"strategy", "symbol", "exchange", "action", "quantity"}


def test_non_object_bodies_are_refused():
    app = Flask(__name__)
    for body in ("[1, 2]", "not json", "", "null"):
        with app.test_request_context(data=body, content_type="application/json"):
            with pytest.raises(InvalidInput, match="JSON object"):
                parse(PlaceOrderSchema())


def test_smart_split_basket_and_toggle_specifics():
    assert parse(SmartOrderSchema(), {**ORDER, "quantity": "0", "position_size": "-10"})["position_size"] == -10
    with pytest.raises(InvalidInput, match="splitsize"):
        parse(SplitOrderSchema(), {**ORDER, "splitsize": "0"})
    basket = parse(BasketSchema(), {"apikey": "k", "strategy": "s", "orders": [
        {"symbol": "INFY", "exchange": "NSE", "action": "sell", "quantity": 1}]})
    assert basket["orders"][0]["action"] == "SELL"
    with pytest.raises(InvalidInput, match="orders"):
        parse(BasketSchema(), {"apikey": "k", "strategy": "s", "orders": []})
    assert parse(AnalyzerToggleSchema(), {"apikey": "k", "mode": "true"})["mode"] is True
    with pytest.raises(InvalidInput, match="mode"):
        parse(AnalyzerToggleSchema(), {"apikey": "k", "mode": "sometimes"})
