"""The account books in the contract's shapes (API_CONTRACT.md §5.1-5.5): orderbook with statistics,
tradebook, positionbook, holdings with statistics, funds (2-decimal strings live, numbers in analyze)."""
from __future__ import annotations

from typing import Any, Callable

from broker.contract import Order
from services import order_flow, order_target
from services.latency import LatencyTimer
from services.order_target import Target


def _read(user_id: int, action: str, operation: str, shape: Callable[[Target, Any], Any]) -> dict[str, Any]:
    def work(target: Target, timer: LatencyTimer) -> dict[str, Any]:
        target.plugin.require(operation)
        adapter = target.plugin.funds if operation == "funds" else target.plugin.orders
        with timer.stage("broker"):
            result = getattr(adapter, operation)(target.session)
        return {"status": "success", "data": shape(target, result)}
    return order_flow.run(user_id, action, {}, work, journal=False)


def _qty(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def order_row(order: Order, analyze: bool) -> dict[str, Any]:
    row = {"orderid": str(order.order_id), "symbol": order.symbol, "exchange": order.exchange,
           "action": order.action, "quantity": _qty(order.quantity),
           "price": 0.0 if order.pricetype == "MARKET" else round(order.price, 2),
           "trigger_price": round(order.trigger_price, 2), "pricetype": order.pricetype, "product": order.product,
           "order_status": order.status, "timestamp": order.timestamp}
    if analyze:
        raw = order.raw if isinstance(order.raw, dict) else {}
        row.update(average_price=round(order.average_price, 2), filled_quantity=_qty(order.filled_quantity),
                   pending_quantity=_qty(order.pending_quantity), rejection_reason=order.rejection_reason,
                   strategy=raw.get("strategy", ""))
    return row


def _orderbook(target: Target, orders: list[Order]) -> dict[str, Any]:
    rows = [order_row(o, target.analyze) for o in orders]
    count = lambda key, value: sum(1 for r in rows if r[key] == value)  # noqa: E731
    stats = {"total_buy_orders": count("action", "BUY"), "total_sell_orders": count("action", "SELL"),
             "total_completed_orders": count("order_status", "complete"),
             "total_open_orders": count("order_status", "open"),
             "total_rejected_orders": count("order_status", "rejected")}
    if target.analyze:
        stats["total_trigger_pending_orders"] = count("order_status", "trigger pending")
    return {"orders": rows, "statistics": stats}


def _tradebook(target: Target, trades: list) -> list[dict[str, Any]]:
    return [{"orderid": str(t.order_id), "symbol": t.symbol, "exchange": t.exchange, "product": t.product,
             "action": t.action, "quantity": _qty(t.quantity), "average_price": round(t.average_price, 2),
             "trade_value": round(t.trade_value, 2), "timestamp": t.timestamp} for t in trades]


def _positionbook(target: Target, positions: list) -> list[dict[str, Any]]:
    return [{"symbol": p.symbol, "exchange": p.exchange, "product": p.product, "quantity": _qty(p.quantity),
             "average_price": f"{p.average_price:.2f}", "ltp": round(p.ltp, 2), "pnl": round(p.pnl, 2)}
            for p in positions]


def _holdings(target: Target, holdings: list) -> dict[str, Any]:
    rows = [{"symbol": h.symbol, "exchange": h.exchange, "product": h.product, "quantity": _qty(h.quantity),
             "average_price": round(h.average_price, 2), "pnl": round(h.pnl, 2), "pnlpercent": h.pnl_percent}
            for h in holdings]
    value = sum(h.quantity * h.ltp for h in holdings)
    invested = sum(h.quantity * h.average_price for h in holdings)
    pnl = sum(h.pnl for h in holdings)
    stats = {"totalholdingvalue": round(value, 2), "totalinvvalue": round(invested, 2),
             "totalprofitandloss": round(pnl, 2),
             "totalpnlpercentage": round(pnl / invested * 100, 2) if invested else 0.0}
    return {"holdings": rows, "statistics": stats}


def _funds(target: Target, funds: Any) -> dict[str, Any]:
    values = {"availablecash": funds.available_cash, "collateral": funds.collateral,
              "m2mrealized": funds.m2m_realized, "m2munrealized": funds.m2m_unrealized,
              "utiliseddebits": funds.utilised_debits}
    if target.analyze:
        return {key: round(value, 2) for key, value in values.items()}
    return {key: f"{value:.2f}" for key, value in values.items()}


def orderbook(user_id: int) -> dict[str, Any]:
    return _read(user_id, "orderbook", "order_book", _orderbook)


def tradebook(user_id: int) -> dict[str, Any]:
    return _read(user_id, "tradebook", "trade_book", _tradebook)


def trade_fills(user_id: int) -> dict[str, Any]:
    """The trade book's rows, each with its contract `multiplier` (units of the underlying per unit of
    quantity, so money is quantity x multiplier x price: a USDINR contract counted as 1 is USD 1,000)
    and its exact `price` where the plugin has one finer than the book's 2 decimals. The paper broker
    reports each fill's multiplier (as its engine booked it); a live broker's books carry none, so it
    comes from the symbol's row in that broker's master contract (order_target.contract_multipliers).
    For the P&L curve, not an API shape."""
    return _read(user_id, "tradebook", "trade_book", _fills)


def _fills(target: Target, trades: list) -> list[dict[str, Any]]:
    # The paper broker books each fill's multiplier and exact price in raw; a live broker's raw may hold
    # a field of that name meaning something else (Angel One's trade book: "multiplier": "-1").
    paper = target.broker == "paper"
    multipliers = order_target.contract_multipliers(target, {(t.symbol, t.exchange) for t in trades})
    rows = []
    for row, trade in zip(_tradebook(target, trades), trades):
        raw = trade.raw if paper and isinstance(trade.raw, dict) else {}
        multiplier = raw.get("multiplier") or multipliers.get((trade.symbol, trade.exchange), 1.0)
        rows.append({**row, "multiplier": float(multiplier), "price": float(raw.get("price") or trade.average_price)})
    return rows


def positionbook(user_id: int) -> dict[str, Any]:
    return _read(user_id, "positionbook", "positions", _positionbook)


def holdings(user_id: int) -> dict[str, Any]:
    return _read(user_id, "holdings", "holdings", _holdings)


def funds(user_id: int) -> dict[str, Any]:
    return _read(user_id, "funds", "funds", _funds)
