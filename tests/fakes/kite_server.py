"""A fake Kite Connect v3 REST server: a real HTTP server on a free local port, fed from the recorded
responses in tests/fixtures/zerodha.

It speaks the documented protocol: `X-Kite-Version: 3` and `Authorization: token api_key:access_token`
on every call, form-encoded bodies, `{"status": "error", "error_type": ..., "message": ...}` errors. It
checks the session checksum, keeps a small order book so place → orders → modify → cancel flows are real,
enforces the historical per-request range limits, and answers token expiry, 429 or 5xx on demand::

    with KiteServer() as kite:
        kite.url                       # http://127.0.0.1:PORT
        kite.fail_next(429, "NetworkException", "Too many requests", times=2)
        kite.expire_token()            # the next call gets 403 TokenException
        kite.requests                  # every request seen: method, path, args, form, headers
"""
from __future__ import annotations

import copy
import csv
import hashlib
import io
import json
import itertools
import threading
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from flask import Flask, Response, jsonify, request
from werkzeug.serving import make_server

from tests.fakes.fixtures import KITE, kite_json
from tests.fakes.recording import Failure, SeenRequest
from tests.support.net import free_port
from utils.clock import system_now

API_KEY, API_SECRET = "kiteapikey", "kitesecret"
REQUEST_TOKEN = "requesttoken123"
IST = timezone(timedelta(hours=5, minutes=30))   # Kite's timestamps are IST wall-clock text
# documented per-request limits of the historical API, in days
HISTORY_LIMITS = {"minute": 60, "3minute": 100, "5minute": 100, "10minute": 100, "15minute": 200,
                  "30minute": 200, "60minute": 400, "day": 2000}
ORDER_TYPES = ("MARKET", "LIMIT", "SL", "SL-M")
VARIETIES = ("regular", "amo", "co", "iceberg", "auction")


def _known_instruments() -> dict[str, int]:
    """`EXCHANGE:TRADINGSYMBOL` → instrument token, from the recorded instrument dumps plus a few the tests
    quote (their tokens as Kite publishes them)."""
    known = {"NSE:INFY": 408065, "NSE:SBIN": 779521, "NSE:NIFTY 50": 256265, "NSE:NIFTY BANK": 260105,
             "NFO:NIFTY25DECFUT": 13238786}
    for name in ("instruments_all.csv", "instruments_nse.csv"):
        with (KITE / name).open() as lines:
            known.update((f"{row['exchange']}:{row['tradingsymbol']}", int(row["instrument_token"]))
                         for row in csv.DictReader(lines))
    return known


class KiteError(Exception):
    def __init__(self, status: int, error_type: str, message: str):
        super().__init__(message)
        self.status, self.error_type, self.message = status, error_type, message


def _error(status: int, error_type: str | None, message: str) -> Response:
    body: dict[str, Any] = {"status": "error", "message": message, "data": None}
    if error_type:
        body["error_type"] = error_type
    response = jsonify(body)
    response.status_code = status
    return response


def _ok(data: Any) -> Response:
    return jsonify({"status": "success", "data": data})


class KiteServer:
    """The fake server; see the module docstring."""

    def __init__(self, access_token: str = "kiteaccesstoken", ltp: float = 1412.95, live_positions: bool = False,
                 port: int = 0, host: str = "127.0.0.1"):
        """`port` 0: a free one (see `url`)."""
        self.api_key, self.api_secret = API_KEY, API_SECRET
        self.access_token = access_token
        self.token_valid = True
        self.ltp = ltp
        # False: /portfolio/positions answers the recorded payload; True: net positions of the fills here
        self.live_positions = live_positions
        self.requests: list[SeenRequest] = []
        self.orders: dict[str, dict[str, Any]] = {}       # orders placed through this server
        # told of every change of an order placed here, with the postback payload Kite would send
        # (the fake ticker's push_order is one: Kite sends the same payload on the ticker)
        self.order_listeners: list[Callable[[dict[str, Any]], None]] = []
        self.kite_user_id = kite_json("generate_session.json")["data"]["user_id"]   # the logged-in account
        self.gtts: dict[int, dict[str, Any]] = {}          # GTT triggers created here, by id
        self._gtt_ids = itertools.count(300001)
        self.trades: list[dict[str, Any]] = []
        # `EXCHANGE:SYMBOL` → the market a test set with set_quote (else the recorded INFY payload)
        self.markets: dict[str, dict[str, float]] = {}
        self._failures: list[Failure] = []
        # True: every call that places, changes or cancels an order or a GTT fails (a test proving none is made)
        self.refuse_orders = False
        self.known = _known_instruments()
        self.listed: list[dict[str, str]] = []     # rows list_instrument added to the full dump
        self._ids = itertools.count(251124000000001)
        self._lock = threading.Lock()
        self.app = self._build_app()
        self.host, self.port = host, port or free_port()
        self._server = make_server(host, self.port, self.app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def __enter__(self) -> "KiteServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._thread.join(5)

    # ------------------------------------------------------------------ scenario controls
    def fail_next(self, status: int, error_type: str | None = None, message: str = "Simulated failure",
                  times: int = 1, paths: tuple[str, ...] = ()) -> None:
        """The next `times` requests (to `paths` prefixes, or any) get this error answer."""
        self._failures.append(Failure(status, error_type, message, times, paths))

    def set_quote(self, key: str, *, last_price: float, bid: float = 0.0, ask: float = 0.0,
                  close: float | None = None) -> None:
        """What the quote endpoints answer for `EXCHANGE:SYMBOL` from now on: its last price, the best
        bid / ask (0: that side of the book is empty, as Kite shows it) and the previous close (default:
        the first price set, as if the day opened there)."""
        first = self.markets.get(key, {}).get("close", last_price)
        self.markets[key] = {"last_price": last_price, "bid": bid, "ask": ask,
                             "close": close if close is not None else first}

    def list_instrument(self, row: dict[str, str]) -> None:
        """Add a row (Kite's CSV columns) to the full instrument dump from now on, e.g. a contract the
        recorded dump lacks; its quotes are answered like the others'."""
        self.listed.append(row)
        self.known[f"{row['exchange']}:{row['tradingsymbol']}"] = int(row["instrument_token"])

    def expire_token(self) -> None:
        self.token_valid = False

    def requests_to(self, path_prefix: str, method: str | None = None) -> list[SeenRequest]:
        return [r for r in self.requests if r.path.startswith(path_prefix) and (method is None or r.method == method)]

    def checksum(self, request_token: str = REQUEST_TOKEN) -> str:
        return hashlib.sha256((self.api_key + request_token + self.api_secret).encode()).hexdigest()

    def postback_payload(self, order: dict[str, Any]) -> dict[str, Any]:
        """What Kite POSTs to the postback URL for `order` (and sends on the ticker): the order's fields,
        the account, and checksum = SHA-256(order_id + order_timestamp + api_secret)."""
        signed = f"{order['order_id']}{order['order_timestamp']}{self.api_secret}"
        return {**copy.deepcopy(order), "user_id": self.kite_user_id, "app_id": 1234,
                "unfilled_quantity": order.get("pending_quantity", 0),
                "checksum": hashlib.sha256(signed.encode()).hexdigest()}

    def _announce(self, order: dict[str, Any]) -> None:
        payload = self.postback_payload(order)
        for listener in list(self.order_listeners):
            listener(payload)

    # ------------------------------------------------------------------ the app
    def _build_app(self) -> Flask:
        app = Flask("fake_kite")
        app.before_request(self._before)
        app.register_error_handler(KiteError, lambda e: _error(e.status, e.error_type, e.message))
        routes = [
            ("/session/token", ["POST"], self._create_session),
            ("/session/token", ["DELETE"], self._logout),
            ("/user/profile", ["GET"], lambda: _ok(kite_json("profile.json")["data"])),
            ("/user/margins", ["GET"], lambda: _ok(kite_json("margins.json")["data"])),
            ("/user/margins/<segment>", ["GET"], lambda segment: _ok(kite_json("margins.json")["data"][segment])),
            ("/orders", ["GET"], self._order_book),
            ("/orders/<variety>", ["POST"], self._place),
            ("/orders/<variety>/<order_id>", ["PUT"], self._modify),
            ("/orders/<variety>/<order_id>", ["DELETE"], self._cancel),
            ("/orders/<order_id>", ["GET"], self._history),
            ("/orders/<order_id>/trades", ["GET"], self._order_trades),
            ("/trades", ["GET"], lambda: _ok(kite_json("trades.json")["data"] + self.trades)),
            ("/portfolio/positions", ["GET"], self._positions),
            ("/portfolio/holdings", ["GET"], lambda: _ok(kite_json("holdings.json")["data"])),
            ("/quote", ["GET"], lambda: self._quotes("quote.json")),
            ("/quote/ohlc", ["GET"], lambda: self._quotes("ohlc.json")),
            ("/quote/ltp", ["GET"], lambda: self._quotes("ltp.json")),
            ("/margins/basket", ["POST"], self._basket_margins),
            ("/instruments", ["GET"], lambda: self._csv("instruments_all.csv")),
            ("/instruments/<exchange>", ["GET"], lambda exchange: self._csv("instruments_nse.csv")),
            ("/instruments/historical/<int:token>/<interval>", ["GET"], self._historical),
            ("/gtt/triggers", ["POST"], self._place_gtt),
            ("/gtt/triggers", ["GET"], lambda: _ok(kite_json("gtt_get_orders.json")["data"]
                                                     + [copy.deepcopy(g) for g in self.gtts.values()])),
            ("/gtt/triggers/<int:trigger_id>", ["PUT"], self._modify_gtt),
            ("/gtt/triggers/<int:trigger_id>", ["DELETE"], self._delete_gtt),
        ]
        for path, methods, view in routes:
            app.add_url_rule(path, f"{methods[0]} {path}", view, methods=methods)
        return app

    def _before(self) -> Response | None:
        self.requests.append(SeenRequest(request.method, request.path, request.args.to_dict(flat=False),
                                         request.form.to_dict(), dict(request.headers),
                                         request.get_json(silent=True)))
        if self.refuse_orders and request.method != "GET" and request.path.startswith(("/orders", "/gtt")):
            return _error(500, "GeneralException", "this test allows no order call")
        for failure in self._failures:
            if failure.claims(request.path):
                return _error(failure.status, failure.error_type, failure.message)
        if request.headers.get("X-Kite-Version") != "3":
            return _error(400, "InputException", "Missing or invalid X-Kite-Version header")
        if request.path == "/session/token" and request.method == "POST":
            return None
        if request.path.startswith("/instruments") and "historical" not in request.path:
            return None     # the instrument dump needs no session
        expected = f"token {self.api_key}:{self.access_token}"
        if request.headers.get("Authorization") != expected or not self.token_valid:
            return _error(403, "TokenException", "Incorrect `api_key` or `access_token`.")
        return None

    # ------------------------------------------------------------------ session
    def _create_session(self) -> Response:
        form = request.form
        if form.get("api_key") != self.api_key or form.get("request_token") != REQUEST_TOKEN:
            return _error(403, "TokenException", "Token is invalid or has expired.")
        if form.get("checksum") != self.checksum():
            return _error(403, "TokenException", "Invalid checksum")
        self.token_valid = True
        data = kite_json("generate_session.json")["data"]
        data.update(api_key=self.api_key, access_token=self.access_token)
        return _ok(data)

    def _logout(self) -> Response:
        if request.args.get("api_key") != self.api_key or request.args.get("access_token") != self.access_token:
            return _error(403, "TokenException", "Invalid token")
        self.token_valid = False
        return _ok(True)

    # ------------------------------------------------------------------ orders
    def _place(self, variety: str) -> Response:
        form = request.form
        if variety not in VARIETIES:
            raise KiteError(400, "InputException", f"Invalid variety `{variety}`.")
        for name in ("exchange", "tradingsymbol", "transaction_type", "quantity", "product", "order_type"):
            if not form.get(name):
                raise KiteError(400, "InputException", f"Missing `{name}`.")
        order_type = form["order_type"]
        if order_type not in ORDER_TYPES:
            raise KiteError(400, "InputException", "Invalid `order_type`.")
        if order_type in ("LIMIT", "SL") and not float(form.get("price") or 0):
            raise KiteError(400, "InputException", "Invalid `price`.")
        if order_type in ("SL", "SL-M") and not float(form.get("trigger_price") or 0):
            raise KiteError(400, "InputException", "Invalid `trigger_price`.")
        if order_type in ("MARKET", "SL-M") and form.get("market_protection") in (None, "", "0"):
            raise KiteError(400, "InputException", "Market orders without market protection are not allowed "
                                                   "via API. Please set market protection or use a Limit order.")
        order_id = str(next(self._ids))
        now = system_now().astimezone(IST).replace(microsecond=0, tzinfo=None)
        order = {
            "order_id": order_id, "exchange_order_id": None, "parent_order_id": None, "placed_by": "XX0000",
            "variety": variety, "status": "OPEN", "status_message": None, "exchange": form["exchange"],
            "tradingsymbol": form["tradingsymbol"], "order_type": order_type,
            "instrument_token": self.known.get(f"{form['exchange']}:{form['tradingsymbol']}", 0),
            "transaction_type": form["transaction_type"], "validity": form.get("validity", "DAY"),
            "product": form["product"], "quantity": int(form["quantity"]),
            "disclosed_quantity": int(form.get("disclosed_quantity") or 0),
            "price": float(form.get("price") or 0), "trigger_price": float(form.get("trigger_price") or 0),
            "average_price": 0, "filled_quantity": 0, "pending_quantity": int(form["quantity"]),
            "cancelled_quantity": 0, "market_protection": int(form.get("market_protection") or 0),
            "order_timestamp": now.strftime("%Y-%m-%d %H:%M:%S"), "exchange_timestamp": None,
            "exchange_update_timestamp": None, "tag": form.get("tag"), "modified": False, "meta": {},
        }
        if variety == "amo":
            order["status"] = "AMO REQ RECEIVED"
        elif order_type == "MARKET":
            self._fill(order, self.ltp)
        elif order_type in ("SL", "SL-M"):
            order["status"] = "TRIGGER PENDING"
        with self._lock:
            self.orders[order_id] = order
        self._announce(order)
        return _ok({"order_id": order_id})

    def _fill(self, order: dict[str, Any], price: float) -> None:
        order.update(status="COMPLETE", average_price=price, filled_quantity=order["quantity"],
                     pending_quantity=0, exchange_order_id=f"1{order['order_id']}",
                     exchange_timestamp=order["order_timestamp"])
        self.trades.append({
            "trade_id": f"T{order['order_id']}", "order_id": order["order_id"],
            "exchange_order_id": order["exchange_order_id"], "exchange": order["exchange"],
            "tradingsymbol": order["tradingsymbol"], "instrument_token": order["instrument_token"],
            "product": order["product"],
            "average_price": price, "quantity": order["quantity"], "transaction_type": order["transaction_type"],
            "fill_timestamp": order["order_timestamp"], "order_timestamp": order["order_timestamp"][11:],
            "exchange_timestamp": order["order_timestamp"]})

    def _working(self, variety: str, order_id: str) -> dict[str, Any]:
        order = self.orders.get(order_id)
        if order is None:
            raise KiteError(400, "OrderException", "Couldn't find that `order_id`.")
        if order["variety"] != variety:
            raise KiteError(400, "InputException", "Invalid `variety`.")
        if order["status"] in ("COMPLETE", "CANCELLED", "REJECTED"):
            raise KiteError(400, "OrderException", f"Order is {order['status'].lower()} and cannot be changed.")
        return order

    def _modify(self, variety: str, order_id: str) -> Response:
        with self._lock:
            order = self._working(variety, order_id)
            form = request.form
            order_type = form.get("order_type") or order["order_type"]
            if order_type in ("MARKET", "SL-M") and order["order_type"] not in ("MARKET", "SL-M") \
                    and form.get("market_protection") in (None, "", "0"):
                raise KiteError(400, "InputException", "Market orders without market protection are not allowed.")
            for name, cast in (("quantity", int), ("price", float), ("trigger_price", float)):
                if form.get(name):
                    order[name] = cast(form[name])
            order.update(order_type=order_type, modified=True, pending_quantity=order["quantity"])
            if order_type == "MARKET" and variety != "amo":
                self._fill(order, self.ltp)
        self._announce(order)
        return _ok({"order_id": order_id})

    def _cancel(self, variety: str, order_id: str) -> Response:
        with self._lock:
            order = self._working(variety, order_id)
            order.update(status="CANCELLED", cancelled_quantity=order["pending_quantity"], pending_quantity=0)
        self._announce(order)
        return _ok({"order_id": order_id})

    # ------------------------------------------------------------------ GTT
    def _gtt_fields(self) -> tuple[str, dict[str, Any], list[dict[str, Any]]]:
        form = request.form
        kind = form.get("type")
        if kind not in ("single", "two-leg"):
            raise KiteError(400, "InputException", "Invalid `type`.")
        try:
            condition, orders = json.loads(form.get("condition") or ""), json.loads(form.get("orders") or "")
        except ValueError:
            raise KiteError(400, "InputException", "Invalid `condition` or `orders`.") from None
        values = condition.get("trigger_values") or []
        if len(values) != (1 if kind == "single" else 2) or len(orders) != len(values):
            raise KiteError(400, "InputException", "Invalid trigger values for the GTT type.")
        if kind == "two-leg" and not values[0] < float(condition.get("last_price") or 0) < values[1]:
            raise KiteError(400, "InputException", "Trigger values must be on either side of the last price.")
        for name in ("exchange", "tradingsymbol", "last_price"):
            if condition.get(name) in (None, ""):
                raise KiteError(400, "InputException", f"Missing `{name}` in condition.")
        return kind, condition, orders

    def _place_gtt(self) -> Response:
        kind, condition, orders = self._gtt_fields()
        now = datetime.now().replace(microsecond=0)
        trigger_id = next(self._gtt_ids)
        self.gtts[trigger_id] = {
            "id": trigger_id, "user_id": self.kite_user_id, "parent_trigger": None, "type": kind,
            "created_at": now.strftime("%Y-%m-%d %H:%M:%S"), "updated_at": now.strftime("%Y-%m-%d %H:%M:%S"),
            "expires_at": now.replace(year=now.year + 1).strftime("%Y-%m-%d %H:%M:%S"), "status": "active",
            "condition": {**condition, "instrument_token": 0},
            "orders": [{**order, "result": None} for order in orders], "meta": {}}
        return _ok({"trigger_id": trigger_id})

    def _active_gtt(self, trigger_id: int) -> dict[str, Any]:
        gtt = self.gtts.get(trigger_id)
        if gtt is None:
            raise KiteError(400, "InputException", "Invalid trigger ID.")
        if gtt["status"] != "active":
            raise KiteError(400, "InputException", f"Trigger is {gtt['status']} and cannot be changed.")
        return gtt

    def _modify_gtt(self, trigger_id: int) -> Response:
        gtt = self._active_gtt(trigger_id)
        kind, condition, orders = self._gtt_fields()
        gtt.update(type=kind, condition={**condition, "instrument_token": 0},
                   orders=[{**order, "result": None} for order in orders],
                   updated_at=datetime.now().strftime("%Y-%m-%d %H:%M:%S"))
        return _ok({"trigger_id": trigger_id})

    def _delete_gtt(self, trigger_id: int) -> Response:
        self._active_gtt(trigger_id)["status"] = "deleted"
        return _ok({"trigger_id": trigger_id})

    def trigger_gtt(self, trigger_id: int, leg: int = 0) -> str:
        """The market crossed leg `leg`'s trigger: Kite places that leg's order; returns its id."""
        gtt = self.gtts[trigger_id]
        order = gtt["orders"][leg]
        order_id = str(next(self._ids))
        now = datetime.now().replace(microsecond=0).strftime("%Y-%m-%d %H:%M:%S")
        placed = {"order_id": order_id, "exchange": order["exchange"], "tradingsymbol": order["tradingsymbol"],
                  "transaction_type": order["transaction_type"], "quantity": order["quantity"],
                  "order_type": order["order_type"], "product": order["product"], "price": order["price"],
                  "trigger_price": 0, "status": "OPEN", "variety": "regular", "validity": "DAY",
                  "filled_quantity": 0, "pending_quantity": order["quantity"], "cancelled_quantity": 0,
                  "average_price": 0, "order_timestamp": now, "exchange_timestamp": None, "tag": None,
                  "status_message": None, "meta": {}}
        with self._lock:
            self.orders[order_id] = placed
        order["result"] = {"account_id": self.kite_user_id, "timestamp": now,
                           "triggered_at": gtt["condition"]["trigger_values"][leg],
                           "order_result": {"status": "success", "order_id": order_id, "rejection_reason": ""}}
        gtt.update(status="triggered", updated_at=now)
        self._announce(placed)
        return order_id

    def _order_book(self) -> Response:
        return _ok(kite_json("orders.json")["data"] + [copy.deepcopy(o) for o in self.orders.values()])

    def _history(self, order_id: str) -> Response:
        if order_id in self.orders:
            return _ok([copy.deepcopy(self.orders[order_id])])
        history = [o for o in kite_json("order_info.json")["data"] if o["order_id"] == order_id]
        if not history:
            history = [o for o in kite_json("orders.json")["data"] if o["order_id"] == order_id]
        if not history:
            raise KiteError(400, "OrderException", "Couldn't find that `order_id`.")
        return _ok(history)

    def _order_trades(self, order_id: str) -> Response:
        return _ok([t for t in self.trades if t["order_id"] == order_id])

    def _positions(self) -> Response:
        if not self.live_positions:
            return _ok(kite_json("positions.json")["data"])
        net: dict[tuple[str, str, str], dict[str, Any]] = {}
        for trade in self.trades:
            key = (trade["exchange"], trade["tradingsymbol"], trade["product"])
            row = net.setdefault(key, {"exchange": key[0], "tradingsymbol": key[1], "product": key[2],
                                       "quantity": 0, "average_price": trade["average_price"],
                                       "last_price": self.ltp, "pnl": 0, "realised": 0, "unrealised": 0})
            row["quantity"] += trade["quantity"] * (1 if trade["transaction_type"] == "BUY" else -1)
        return _ok({"net": list(net.values()), "day": list(net.values())})

    # ------------------------------------------------------------------ data
    def _quotes(self, fixture: str) -> Response:
        """Answer every requested `i=EXCHANGE:SYMBOL` this server knows with the recorded INFY payload under
        that instrument's own token; like Kite, leave out the ones it does not know."""
        keys = request.args.getlist("i")
        if not keys:
            raise KiteError(400, "InputException", "No instruments given.")
        recorded = next(iter(kite_json(fixture)["data"].values()))
        return _ok({key: self._market({**copy.deepcopy(recorded), "instrument_token": self.known[key]}, key)
                    for key in keys if key in self.known})

    def _market(self, payload: dict[str, Any], key: str) -> dict[str, Any]:
        market = self.markets.get(key)
        if market is None:
            return payload
        payload["last_price"] = market["last_price"]
        if "ohlc" in payload:
            payload["ohlc"] = {"open": market["close"], "high": max(market["close"], market["last_price"]),
                               "low": min(market["close"], market["last_price"]), "close": market["close"]}
        if "depth" in payload:
            payload["depth"]["buy"][0]["price"] = market["bid"]
            payload["depth"]["sell"][0]["price"] = market["ask"]
        return payload

    def _basket_margins(self) -> Response:
        orders = request.get_json(silent=True)
        required = ("exchange", "tradingsymbol", "transaction_type", "variety", "product", "order_type", "quantity")
        if not isinstance(orders, list) or not orders or any(set(required) - set(o) for o in orders):
            raise KiteError(400, "InputException", "Invalid basket: a JSON list of orders is required.")
        return _ok(kite_json("basket_margins.json")["data"])

    def _csv(self, name: str) -> Response:
        body = (KITE / name).read_text()
        if name == "instruments_all.csv" and self.listed:
            columns = body.splitlines()[0].split(",")
            out = io.StringIO()
            csv.DictWriter(out, columns, lineterminator="\n").writerows(self.listed)
            body = body.rstrip("\n") + "\n" + out.getvalue()
        return Response(body.encode(), mimetype="text/csv")

    def _historical(self, token: int, interval: str) -> Response:
        if interval not in HISTORY_LIMITS:
            raise KiteError(400, "InputException", "invalid interval")
        try:
            start = datetime.strptime(request.args["from"], "%Y-%m-%d %H:%M:%S")
            end = datetime.strptime(request.args["to"], "%Y-%m-%d %H:%M:%S")
        except (KeyError, ValueError):
            raise KiteError(400, "InputException", "invalid from / to date") from None
        if end - start > timedelta(days=HISTORY_LIMITS[interval]):
            raise KiteError(400, "InputException", "interval exceeds max limit: "
                                                   f"{HISTORY_LIMITS[interval]} days")
        with_oi = request.args.get("oi") == "1"
        recorded = kite_json("historical_oi.json" if with_oi else "historical_minute.json")
        candles = [c for c in recorded["data"]["candles"]
                   if start <= datetime.strptime(c[0][:19], "%Y-%m-%dT%H:%M:%S") <= end]
        # outside the recorded morning: one deterministic candle per weekday at 09:15, so chunked
        # requests can be checked for gaps and overlaps
        if not candles:
            day = start.replace(hour=9, minute=15, second=0)
            while day <= end:
                if day >= start and day.weekday() < 5:
                    base = 100 + day.toordinal() % 50
                    candles.append([day.strftime("%Y-%m-%dT%H:%M:%S+0530"), base, base + 2, base - 1,
                                    base + 1, 1000] + ([50_000 + base] if with_oi else []))  # oi=1: 7th column
                day += timedelta(days=1)
        return _ok({"candles": candles})
