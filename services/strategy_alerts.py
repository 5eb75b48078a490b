"""Strategy alerts: from a webhook payload to a queued order, and from the queue to the order services.

Receipt (`accept_tradingview`, `accept_chartink`) validates the alert against the strategy (API_CONTRACT.md
§12: trading mode, symbol mapping, IST entry/exit windows), fixes the order it stands for and commits it
to `strategy_alerts` before the webhook answers. Execution (`execute`) runs one claimed alert through
the same services as the REST API (orders.place_order / smart_order.place_smart_order), which journal it
and pass the broker's rate limiter, and records the outcome.

Exactly once across crashes: every order an alert places carries the tag `wh<alert id>`. An alert left
`running` by a process that died is settled by `recover`: if the broker's order book holds an order with
its tag, the alert is done (the order went out before the crash); otherwise it goes back to the queue.

Retention (`prune`): finished alerts older than STRATEGY_ALERT_RETENTION days are deleted in batches by
the strategy scheduler, so the table does not grow forever.
"""
from __future__ import annotations

import json
import os
import re
import socket
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping

from flask import current_app

from broker.errors import BrokerError, RateLimited
from database import strategies as store
from database.strategies import ALERT_DONE, ALERT_FAILED, Strategy, StrategyAlert
from services import order_target, orders, smart_order, strategies
from utils import clock
from utils.constants import MAX_ORDER_QUANTITY
from utils.errors import DomainError, InvalidInput, NotFound
from utils.logging import get_logger
from utils.responses import error_envelope
from utils.market_calendar import IST
from utils.processes import pid_alive

log = get_logger(__name__)

STALE_AFTER = timedelta(minutes=10)   # a claim from another host older than this is abandoned
MAX_ATTEMPTS = 5
CHARTINK_ACTIONS = ("BUY", "SELL", "SHORT", "COVER")
PRUNE_BATCH = 500          # alerts deleted per transaction: each write lock stays short
PRUNE_MAX_BATCHES = 100    # per run; a larger backlog is finished by the next runs


def tag_for(alert_id: int) -> str:
    return f"wh{alert_id}"


# ----------------------------------------------------------------------------------------- receipt
def find_strategy(webhook_id: str) -> Strategy:
    strategy = store.by_webhook_digest(strategies.webhook_digest(webhook_id)) if webhook_id else None
    if strategy is None:
        raise NotFound("Invalid webhook ID")
    if not strategy.is_active:
        raise InvalidInput("Strategy is inactive")
    return strategy


def _payload(data: Any) -> Mapping[str, Any]:
    if not isinstance(data, dict) or not data:
        raise InvalidInput("No data received: send a JSON object such as "
                           '{"symbol": "SBIN", "action": "BUY", "position_size": "0"}')
    return data


def _position_size(value: Any) -> int:
    try:
        number = float(str(value).strip())
    except ValueError:
        raise InvalidInput(f"position_size must be a whole number such as 10, -10 or 0; got {value!r}") from None
    if not number.is_integer():
        raise InvalidInput(f"position_size must be a whole number; got {value!r}")
    if abs(number) > MAX_ORDER_QUANTITY:
        raise InvalidInput(f"position_size must be between -{MAX_ORDER_QUANTITY} and {MAX_ORDER_QUANTITY}; "
                           f"got {value!r}")
    return int(number)


def _order(strategy: Strategy, symbol: str, exchange: str, product: str, action: str, quantity: int,
           position_size: int | None = None) -> dict[str, Any]:
    order = {"strategy": strategy.name, "symbol": symbol, "exchange": exchange, "action": action,
             "quantity": quantity, "pricetype": "MARKET", "product": product}
    if position_size is not None:
        order["position_size"] = position_size
    return order


def plan_tradingview(strategy: Strategy, mapping: Any, action: str, position_size: int) -> tuple[str, dict, bool]:
    """(service, order, is_entry) for one alert, per the §12 table."""
    args = (strategy, mapping.symbol, mapping.exchange, mapping.product)
    mode = strategy.trading_mode
    if mode == "BOTH":
        quantity = 0 if position_size == 0 else mapping.quantity
        return "placesmartorder", _order(*args, action, quantity, position_size), position_size != 0
    entry_action = "BUY" if mode == "LONG" else "SELL"
    if action == entry_action:
        quantity = abs(position_size) or mapping.quantity
        return "placeorder", _order(*args, action, quantity), True
    return "placesmartorder", _order(*args, action, 0, 0), False


def window_problem(strategy: Strategy, is_entry: bool, now: datetime) -> str | None:
    """Why an intraday strategy may not trade at `now` (IST), or None."""
    if not strategy.is_intraday:
        return None
    moment = now.astimezone(IST).strftime("%H:%M:%S")
    kind = "Entry" if is_entry else "Exit"
    if moment < f"{strategy.start_time}:00":
        return f"{kind} orders not allowed before start time ({strategy.start_time} IST)"
    if is_entry and moment > f"{strategy.end_time}:59":
        return f"Entry orders not allowed after end time ({strategy.end_time} IST)"
    if not is_entry and moment > f"{strategy.squareoff_time}:59":
        return f"Exit orders not allowed after square-off time ({strategy.squareoff_time} IST)"
    return None


def accept_tradingview(webhook_id: str, data: Any) -> dict[str, Any]:
    """Validate and queue one strategy-webhook alert (§12); returns the 200 body."""
    strategy = find_strategy(webhook_id)
    payload = _payload(data)
    required = ["symbol", "action"] + (["position_size"] if strategy.trading_mode == "BOTH" else [])
    missing = [name for name in required if payload.get(name) in (None, "")]
    if missing:
        raise InvalidInput(f"Missing required fields: {', '.join(missing)}")
    action = str(payload["action"]).strip().upper()
    if action not in ("BUY", "SELL"):
        raise InvalidInput(f"Invalid action {payload['action']!r}; use BUY or SELL")
    size = _position_size(payload["position_size"]) if payload.get("position_size") not in (None, "") else 0
    if strategy.trading_mode == "BOTH":
        if action == "BUY" and size < 0:
            raise InvalidInput("For BUY orders in BOTH mode, position_size must be >= 0")
        if action == "SELL" and size > 0:
            raise InvalidInput("For SELL orders in BOTH mode, position_size must be <= 0")
    symbol = str(payload["symbol"]).strip()
    mapping = next((m for m in strategy.mappings if m.symbol == symbol), None)
    if mapping is None:
        raise InvalidInput(f"No mapping found for symbol {symbol}")
    kind, order, is_entry = plan_tradingview(strategy, mapping, action, size)
    _check_window(strategy, is_entry)
    (alert_id,) = store.add_alerts([_row(strategy, "tradingview", kind, order, is_entry)])
    return {"message": f"Order queued successfully for {symbol}", "alert_id": alert_id}


def _check_window(strategy: Strategy, is_entry: bool) -> None:
    problem = window_problem(strategy, is_entry, clock.now())
    if problem:
        raise InvalidInput(problem)


def _row(strategy: Strategy, source: str, kind: str, order: dict[str, Any], is_entry: bool) -> dict[str, Any]:
    return {"strategy_id": strategy.id, "user_id": strategy.user_id, "source": source, "kind": kind,
            "order_json": json.dumps({"order": order, "entry": is_entry})}


def chartink_action(scan_name: str) -> str:
    words = set(re.findall(r"[A-Z]+", scan_name.upper()))
    found = [action for action in CHARTINK_ACTIONS if action in words]
    if len(found) != 1:
        raise InvalidInput("scan_name must contain exactly one of the words BUY, SELL, SHORT or COVER; "
                           f"got {scan_name!r}")
    return found[0]


def _split(payload: Mapping[str, Any], name: str) -> list[str]:
    return [part.strip() for part in str(payload.get(name) or "").split(",") if part.strip()]


def accept_chartink(webhook_id: str, data: Any) -> dict[str, Any]:
    """ChartInk's scan alert: `stocks` "A,B", `trigger_prices` "1,2", `scan_name` naming the action."""
    strategy = find_strategy(webhook_id)
    payload = _payload(data)
    stocks = _split(payload, "stocks")
    if not stocks:
        raise InvalidInput("Missing required fields: stocks (comma-separated symbols)")
    action = chartink_action(str(payload.get("scan_name") or payload.get("alert_name") or ""))
    allowed = {"LONG": ("BUY", "SELL"), "SHORT": ("SHORT", "COVER")}.get(strategy.trading_mode, CHARTINK_ACTIONS)
    if action not in allowed:
        raise InvalidInput(f"{action} alerts are not allowed in {strategy.trading_mode} mode; "
                           f"allowed: {', '.join(allowed)}")
    is_entry = action in ("BUY", "SHORT")
    _check_window(strategy, is_entry)
    mappings = {m.symbol: m for m in strategy.mappings}
    rows = []
    for symbol in stocks:
        mapping = mappings.get(symbol.upper())
        exchange = mapping.exchange if mapping else "NSE"
        product = mapping.product if mapping else strategy.default_product
        quantity = mapping.quantity if mapping else strategy.default_quantity
        if is_entry:
            order = _order(strategy, symbol.upper(), exchange, product, "BUY" if action == "BUY" else "SELL", quantity)
            rows.append(_row(strategy, "chartink", "placeorder", order, True))
        else:
            order = _order(strategy, symbol.upper(), exchange, product, "SELL" if action == "SELL" else "BUY", 0, 0)
            rows.append(_row(strategy, "chartink", "placesmartorder", order, False))
    ids = store.add_alerts(rows)
    return {"message": f"{action} orders queued successfully for {', '.join(s.upper() for s in stocks)}",
            "alert_ids": ids}


def squareoff_rows(strategy: Strategy) -> list[dict[str, Any]]:
    """The alerts of a square-off: cancel the strategy's open orders, then flatten every mapped symbol."""
    rows = [_row(strategy, "squareoff", "cancelallorder", {"strategy": strategy.name}, False)]
    for mapping in strategy.mappings:
        order = _order(strategy, mapping.symbol, mapping.exchange, mapping.product, "SELL", 0, 0)
        rows.append(_row(strategy, "squareoff", "placesmartorder", order, False))
    return rows


def recent(strategy_id: int, limit: int = 20) -> list[StrategyAlert]:
    """The strategy's latest alerts, newest first (the strategy page)."""
    return store.alerts_for_strategy(strategy_id, limit)


def tradingview_messages(strategy: Strategy, symbol: str, action: str, base_url: str) -> dict[str, str]:
    """The TradingView alert set-up for one symbol in both formats: the strategy webhook (§12) and a direct
    placesmartorder call (§3.2, needs the API key). `{{strategy.position_size}}` is TradingView's
    placeholder for the signed position a Pine strategy wants."""
    mapping = next((m for m in strategy.mappings if m.symbol == symbol), None)
    exchange = mapping.exchange if mapping else "NSE"
    product = mapping.product if mapping else strategy.default_product
    quantity = mapping.quantity if mapping else strategy.default_quantity
    webhook: dict[str, str] = {"symbol": symbol, "action": action}
    if strategy.trading_mode == "BOTH":
        webhook["position_size"] = "{{strategy.position_size}}"
    entry = (strategy.trading_mode, action) in (("LONG", "BUY"), ("SHORT", "SELL"))
    target = (quantity if action == "BUY" else -quantity) if entry else 0
    direct = {"apikey": "YOUR_API_KEY", "strategy": strategy.name, "symbol": symbol, "action": action,
              "exchange": exchange, "pricetype": "MARKET", "product": product, "quantity": str(quantity),
              "position_size": "{{strategy.position_size}}" if strategy.trading_mode == "BOTH" else str(target)}
    path = "chartink" if strategy.platform == "chartink" else "strategy"
    return {"webhook_url": f"{base_url}/{path}/webhook/{strategies.webhook_id_of(strategy)}",
            "webhook_message": json.dumps(webhook, indent=2),
            "direct_url": f"{base_url}/api/v1/placesmartorder", "direct_message": json.dumps(direct, indent=2)}


# --------------------------------------------------------------------------------------- execution
def claimant_id(token: str) -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{token}"


def execute(alert: StrategyAlert, claimant: str) -> str:
    """Run a claimed alert through the order services; returns its final status."""
    try:
        body, status = _run(alert), 200
    except RateLimited as exc:   # the broker budget ran out before the order was sent: try again
        if alert.attempts < MAX_ATTEMPTS:
            store.release(alert.id, claimant)
            log.warning("strategy alert %s: broker budget exhausted, queued again (attempt %s)", alert.id,
                        alert.attempts)
            return "pending"
        body, status = error_envelope(exc)
    except DomainError as exc:
        body, status = error_envelope(exc)
    final = ALERT_DONE if status == 200 else ALERT_FAILED
    if not store.finish(alert.id, claimant, final, json.dumps({"http_status": status, **body}, default=str)):
        log.error("strategy alert %s finished but its claim was taken over; outcome %s", alert.id, body)
    if final == ALERT_FAILED:
        log.warning("strategy alert %s failed (%s): %s", alert.id, status, body.get("message"))
    return final


def _run(alert: StrategyAlert) -> dict[str, Any]:
    stored = json.loads(alert.order_json)
    order, is_entry = stored["order"], stored["entry"]
    strategy = store.get(alert.strategy_id)
    if strategy is not None and alert.source != "squareoff":
        problem = window_problem(strategy, is_entry, clock.now())
        if problem:
            raise InvalidInput(f"{problem}; the alert waited too long in the queue")
    tag = tag_for(alert.id)
    if alert.kind == "cancelallorder":
        return orders.cancel_all_orders(alert.user_id, order)
    if alert.kind == "placeorder":
        return orders.place_order(alert.user_id, order, tag=tag)
    return smart_order.place_smart_order(alert.user_id, order, tag=tag)


# ---------------------------------------------------------------------------------------- recovery
def claimant_dead(claimant: str | None, started_at: datetime | None, now: datetime) -> bool:
    host, _, rest = (claimant or "").partition(":")
    pid = rest.partition(":")[0]
    if host == socket.gethostname() and pid.isdigit() and int(pid) != os.getpid():
        return not pid_alive(int(pid))
    started = started_at.replace(tzinfo=timezone.utc) if started_at and started_at.tzinfo is None else started_at
    return host != socket.gethostname() and (started is None or now - started > STALE_AFTER)


def find_tagged_order(user_id: int, tag: str) -> str | None:
    """The id of the user's order carrying `tag`, from the broker's order book (raises BrokerError)."""
    target = order_target.resolve(user_id)
    target.plugin.require("order_book")
    for order in target.plugin.orders.order_book(target.session):
        raw = order.raw if isinstance(order.raw, dict) else {}
        if raw.get("tag") == tag:
            return str(order.order_id)
    return None


def settle(alert: StrategyAlert, claimant: str) -> bool:
    """Finish an interrupted alert from the broker's order book: done if its tagged order exists, else
    back in the queue. False when the order book cannot be read yet (try again later)."""
    try:
        orderid = find_tagged_order(alert.user_id, tag_for(alert.id))
    except BrokerError as exc:
        log.warning("strategy alert %s: cannot check the order book yet (%s); will retry", alert.id, exc.message)
        return False
    if orderid is not None:
        result = json.dumps({"http_status": 200, "status": "success", "orderid": orderid, "recovered": True})
        store.finish(alert.id, claimant, ALERT_DONE, result)
        log.warning("strategy alert %s: its order %s was placed before the interruption; marked done", alert.id,
                    orderid)
    elif alert.attempts >= MAX_ATTEMPTS:
        store.finish(alert.id, claimant, ALERT_FAILED, json.dumps({
            "http_status": 500, "status": "error", "message": f"gave up after {alert.attempts} interrupted attempts"}))
        log.error("strategy alert %s: interrupted %s times; marked failed", alert.id, alert.attempts)
    else:
        store.release(alert.id, claimant)
        log.warning("strategy alert %s: interrupted before its order was placed; queued again", alert.id)
    return True


def recover() -> int:
    """Settle alerts left running by dead processes; returns how many were settled."""
    now = clock.now()
    return sum(settle(alert, alert.claimed_by) for alert in store.running()
               if claimant_dead(alert.claimed_by, alert.started_at, now))


# --------------------------------------------------------------------------------------- retention
def prune(now: datetime | None = None, *, batch: int = PRUNE_BATCH, max_batches: int = PRUNE_MAX_BATCHES) -> int:
    """Delete done and failed alerts received more than STRATEGY_ALERT_RETENTION days before `now` (the
    app's clock by default), `batch` per transaction, at most `max_batches` batches; returns how many.
    Pending and running alerts stay whatever their age. Needs an app context."""
    days = current_app.extensions["openalgo.settings"].STRATEGY_ALERT_RETENTION
    cutoff = (now or clock.now()).astimezone(timezone.utc) - timedelta(days=days)
    deleted = 0
    for _ in range(max_batches):
        count = store.delete_finished_alerts(cutoff, batch)
        deleted += count
        if count < batch:
            break
    if deleted:
        log.info("deleted %d strategy alerts received before %s (STRATEGY_ALERT_RETENTION=%d days)", deleted,
                 cutoff.astimezone(IST).strftime("%Y-%m-%d %H:%M IST"), days)
    return deleted
