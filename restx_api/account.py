"""Order information and account endpoints (API_CONTRACT.md §4, §5 without margin): orderstatus,
openposition, funds, orderbook, tradebook, positionbook, holdings. Read-only: not journaled."""
from __future__ import annotations

from flask_restx import Namespace

from restx_api.endpoint import post_endpoint
from restx_api.schemas.account import ApiKeyOnlySchema
from restx_api.schemas.orders import OpenPositionSchema, OrderIdSchema
from services import books, orders, positions

_ENDPOINTS = [
    ("orderstatus", OrderIdSchema(), lambda user, data, timer: orders.order_status(user, data),
     "One order of the order book, with its average price"),
    ("openposition", OpenPositionSchema(), lambda user, data, timer: positions.open_position(user, data),
     "Signed net quantity of one (symbol, exchange, product)"),
    ("funds", ApiKeyOnlySchema(), lambda user, data, timer: books.funds(user), "Funds and margins"),
    ("orderbook", ApiKeyOnlySchema(), lambda user, data, timer: books.orderbook(user), "Today's orders"),
    ("tradebook", ApiKeyOnlySchema(), lambda user, data, timer: books.tradebook(user), "Today's fills"),
    ("positionbook", ApiKeyOnlySchema(), lambda user, data, timer: books.positionbook(user), "Net positions"),
    ("holdings", ApiKeyOnlySchema(), lambda user, data, timer: books.holdings(user), "Holdings"),
]

namespaces: list[Namespace] = []
for _name, _schema, _service, _summary in _ENDPOINTS:
    _ns = Namespace(_name, description=_summary)
    post_endpoint(_ns, "", _schema, _service, summary=_summary)
    namespaces.append(_ns)
