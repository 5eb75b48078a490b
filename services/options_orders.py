"""optionsorder and optionsmultiorder (API_CONTRACT.md §8.2, §8.3): resolve the option like optionsymbol
(services/options.py), then place it through the order services (services/orders.py, services/split.py),
so journaling, analyzer mode and the broker error mapping are those of every other order.

Resolution errors (no expiry, offset out of range, unknown strike) answer before anything is placed. In
a multi-leg request the underlying LTP is fetched once, BUY legs are placed before SELL legs, a failing leg
does not stop the others, and `results` lists legs in request order.

In analyzer mode the orders go to the paper engine, so the option is resolved there too: the underlying's
LTP (for ATM) and the listed strikes come from the paper broker, and the live broker is never called.
"""
from __future__ import annotations

from typing import Any, Mapping

from services import broker_session, master_contract, options, order_flow, order_target, orders, split
from services.broker_session import LiveBroker
from services.latency import LatencyTimer
from utils.errors import DomainError, InvalidInput
from utils.responses import error_body

ORDER_FIELDS = ("action", "quantity", "pricetype", "product", "price", "trigger_price", "disclosed_quantity")


def _place(user_id: int, symbol: str, exchange: str, leg: Mapping[str, Any], strategy: str, action: str,
           timer: LatencyTimer | None = None) -> dict[str, Any]:
    order = {**{name: leg[name] for name in ORDER_FIELDS if name in leg}, "symbol": symbol, "exchange": exchange,
             "strategy": strategy}
    if leg.get("splitsize"):
        return split.split_order(user_id, {**order, "splitsize": leg["splitsize"]}, timer)
    return orders.place_order(user_id, order, timer, action=action)


def pricing_broker(user_id: int) -> LiveBroker:
    """Where the option is resolved: the live broker, or in analyzer mode the paper engine the order will
    reach (its instrument list is loaded first when today's is missing: strikes are read from it)."""
    target = order_target.resolve(user_id)
    if target.analyze and not master_contract.downloaded_today(target.broker):
        master_contract.download(target.broker, target.plugin)
    return LiveBroker(target.plugin, target.session)


def options_order(user_id: int, data: Mapping[str, Any], timer: LatencyTimer | None = None) -> dict[str, Any]:
    live = pricing_broker(user_id)
    u = options.underlying(data["underlying"], data["exchange"], data.get("expiry_date"))
    options.parse_offset(data["offset"])
    with broker_session.expire_on_token_error(user_id):
        _, _, quote = options.underlying_quote(live, u)
    option = options.resolve_option(live, u, quote.ltp, data["offset"], data["option_type"], data.get("strike_int"))
    body = _place(user_id, option.symbol, option.exchange, data, data.get("strategy", ""), "optionsorder", timer)
    return {**body, "symbol": option.symbol, "exchange": option.exchange, "underlying": data["underlying"],
            "underlying_ltp": quote.ltp, "offset": data["offset"].upper(), "option_type": data["option_type"]}


def _leg_result(user_id: int, number: int, leg: Mapping[str, Any], live: Any, base: Any, ltp: float,
                data: Mapping[str, Any], strike_int: Any) -> dict[str, Any]:
    head = {"leg": number, "offset": leg["offset"].upper(), "option_type": leg["option_type"], "action": leg["action"],
            "product": leg.get("product", "MIS")}
    try:
        u = base if not leg.get("expiry_date") else options.underlying(data["underlying"], data["exchange"],
                                                                        leg["expiry_date"])
        option = options.resolve_option(live, u, ltp, leg["offset"], leg["option_type"], strike_int)
    except DomainError as exc:
        return {**head, "status": "error", "message": exc.message}
    try:
        body = _place(user_id, option.symbol, option.exchange, leg, data.get("strategy", ""), "optionsmultiorder")
    except DomainError as exc:   # a failed leg is reported in its place; the others still go
        body = error_body(exc)
    mode = body.pop("mode", None) or "live"
    if "results" in body:   # a split leg
        body["split_results"] = body.pop("results")
    return {**head, "symbol": option.symbol, "exchange": option.exchange, **body, "mode": mode}


def options_multi_order(user_id: int, data: Mapping[str, Any], timer: LatencyTimer | None = None) -> dict[str, Any]:
    live = pricing_broker(user_id)
    base = options.underlying(data["underlying"], data["exchange"], data.get("expiry_date"))
    legs = list(enumerate(data["legs"], start=1))
    if base.expiry is None and any(not leg.get("expiry_date") for _, leg in legs):
        raise InvalidInput(options.EXPIRY_REQUIRED, field="expiry_date")
    with broker_session.expire_on_token_error(user_id):
        _, _, quote = options.underlying_quote(live, base)
    ordered = [pair for pair in legs if pair[1]["action"] == "BUY"] + [pair for pair in legs if pair[1]["action"] != "BUY"]
    with order_flow.serialized(user_id):   # no other order path of the user runs between the legs
        results = [_leg_result(user_id, number, leg, live, base, quote.ltp, data, data.get("strike_int"))
                   for number, leg in ordered]
    body: dict[str, Any] = {"status": "success", "underlying": data["underlying"], "underlying_ltp": quote.ltp,
                            "results": sorted(results, key=lambda r: r["leg"])}
    if order_target.mode_of(user_id) == order_target.MODE_ANALYZE:
        body["mode"] = "analyze"
    return body
