"""Property tests (Hypothesis, issue 17.5) of the order request parser: for any JSON object — right,
wrong or hostile values in every field (huge, tiny, fractional, negative, non-finite-looking strings,
lone surrogates, nested structures) — parsing either gives an order inside every documented limit or
refuses it with a 400 whose `errors` name only fields of the request, and the strict JSON reader never
lets a lone surrogate or an over-deep document through."""
from __future__ import annotations

import json

import pytest
from hypothesis import given, settings, strategies as st

from restx_api.parsing import parse
from restx_api.schemas.orders import BasketSchema, PlaceOrderSchema, SmartOrderSchema, SplitOrderSchema
from utils import json_body
from utils.constants import ACTIONS, EXCHANGES, MAX_ORDER_QUANTITY, MAX_PRICE, PRICE_TYPES, PRODUCTS
from utils.errors import InvalidInput

numbers = st.one_of(st.integers(min_value=-(10 ** 30), max_value=10 ** 30),
                    st.floats(allow_nan=False, allow_infinity=False), st.decimals(allow_nan=False, allow_infinity=False,
                                                                                 places=3).map(str))
texts = st.text(max_size=20) | st.sampled_from(["\ud800", "1e19", "-0", "0.5", "nan", "inf", "BUY", "sell", "NSE"])
leaves = st.none() | st.booleans() | numbers | texts
values = st.recursive(leaves, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                            max_size=3), max_leaves=8)
FIELDS = ("apikey", "strategy", "symbol", "exchange", "action", "quantity", "pricetype", "product", "price",
          "trigger_price", "disclosed_quantity", "position_size", "splitsize")
plausible = {"apikey": st.just("k"), "strategy": st.just("s"), "symbol": st.just("SBIN"),
             "exchange": st.sampled_from(EXCHANGES), "action": st.sampled_from(ACTIONS),
             "pricetype": st.sampled_from(PRICE_TYPES), "product": st.sampled_from(PRODUCTS)}
bodies = st.fixed_dictionaries({}, optional={name: (plausible[name] | values) if name in plausible else values
                                             for name in FIELDS})
SCHEMAS = [PlaceOrderSchema(), SmartOrderSchema(), SplitOrderSchema()]


def _within_limits(order: dict) -> None:
    assert order["action"] in ACTIONS and order["exchange"] in EXCHANGES
    assert order["pricetype"] in PRICE_TYPES and order["product"] in PRODUCTS
    assert 0 <= order["quantity"] <= MAX_ORDER_QUANTITY
    assert 0 <= order["price"] <= MAX_PRICE and 0 <= order["trigger_price"] <= MAX_PRICE
    assert 0 <= order["disclosed_quantity"] <= MAX_ORDER_QUANTITY
    if "position_size" in order:
        assert -MAX_ORDER_QUANTITY <= order["position_size"] <= MAX_ORDER_QUANTITY
    if "splitsize" in order:
        assert 1 <= order["splitsize"] <= MAX_ORDER_QUANTITY


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda s: type(s).__name__)
@settings(max_examples=150, deadline=None, database=None)
@given(body=bodies)
def test_parsed_orders_are_inside_the_limits_or_refused_naming_fields(schema, body):
    try:
        order = parse(schema, body)
    except InvalidInput as exc:
        assert set(exc.extra["errors"]) <= set(FIELDS)
        return
    _within_limits(order)


@settings(max_examples=80, deadline=None, database=None)
@given(legs=st.lists(bodies, min_size=0, max_size=4))
def test_basket_legs_are_each_inside_the_limits_or_the_basket_is_refused(legs):
    try:
        basket = parse(BasketSchema(), {"apikey": "k", "strategy": "s", "orders": legs})
    except InvalidInput as exc:
        assert set(exc.extra["errors"]) <= {"orders"}
        return
    for leg in basket["orders"]:
        _within_limits(leg)


@settings(max_examples=150, deadline=None, database=None)
@given(document=values, depth=st.integers(min_value=0, max_value=60))
def test_strict_json_reader_refuses_surrogates_and_depth_and_keeps_everything_else(document, depth):
    text = "[" * depth + json.dumps(document) + "]" * depth
    try:
        parsed = json_body.loads(text)
    except json_body.JSONBodyError:
        has_surrogate = any(0xD800 <= ord(c) <= 0xDFFF for c in json.dumps(document, ensure_ascii=False))
        assert depth + _depth(document) > json_body.MAX_JSON_DEPTH or has_surrogate
        return
    inner = parsed
    for _ in range(depth):
        [inner] = inner
    assert inner == json.loads(json.dumps(document))
    json.dumps(parsed, ensure_ascii=False).encode("utf-8")   # whatever was accepted can be stored


def _depth(value) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0
