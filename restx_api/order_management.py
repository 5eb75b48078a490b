"""Order management endpoints (API_CONTRACT.md §3): place, smart, basket, split, modify, cancel,
cancel all, close position. Each is parse → one service → respond; all are journaled."""
from __future__ import annotations

from flask_restx import Namespace

from restx_api.endpoint import post_endpoint
from restx_api.schemas.orders import (BasketSchema, ModifyOrderSchema, OrderIdSchema, PlaceOrderSchema,
                                      SmartOrderSchema, SplitOrderSchema, StrategyOnlySchema)
from services import basket, orders, positions, smart_order, split

_ENDPOINTS = [
    ("placeorder", PlaceOrderSchema(), orders.place_order, "Place an order"),
    ("placesmartorder", SmartOrderSchema(), smart_order.place_smart_order,
     "Place the order that brings the net position to position_size"),
    ("basketorder", BasketSchema(), basket.basket_order, "Place several orders (BUY legs first)"),
    ("splitorder", SplitOrderSchema(), split.split_order, "Place one order as children of splitsize (at most 100)"),
    ("modifyorder", ModifyOrderSchema(), orders.modify_order, "Modify an open order"),
    ("cancelorder", OrderIdSchema(), orders.cancel_order, "Cancel an open order"),
    ("cancelallorder", StrategyOnlySchema(), orders.cancel_all_orders, "Cancel every open order"),
    ("closeposition", StrategyOnlySchema(), positions.close_position, "Square off every open position"),
]

namespaces: list[Namespace] = []
for _name, _schema, _service, _summary in _ENDPOINTS:
    _ns = Namespace(_name, description=_summary)
    post_endpoint(_ns, "", _schema, _service, summary=_summary, journaled=True)
    namespaces.append(_ns)
