"""A fake Upstox Developer API: REST on a local port plus the market-data and portfolio WebSockets.

Built from the public documentation (https://upstox.com/developer/api-documentation/) and the sample
payloads in tests/fixtures/upstox. It speaks the documented protocol:
  * OAuth 2 authorization code: `GET /v2/login/authorization/dialog` redirects to the app's
    `redirect_uri` with `code` and `state`; `POST /v2/login/authorization/token` exchanges the code (form
    fields code, client_id, client_secret, redirect_uri, grant_type=authorization_code) for the token;
    `DELETE /v2/logout` ends it;
  * `Authorization: Bearer <access_token>` on every other call except candles, else 401 UDAPI100050;
  * answers `{"status": "success", "data": ...}`; errors `{"status": "error", "errors": [{"error_code",
    "errorCode", "message", "property_path", "propertyPath", "invalid_value", "invalidValue"}]}`;
  * orders on v3 (`/v3/order/place` with auto-slicing above the freeze quantity, `/v3/order/modify`,
    `/v3/order/cancel`) and v2 (place / modify / cancel, books, details, history, trades, multi cancel,
    exit positions), with a small order state so place → book → modify → cancel flows are real;
  * portfolio, funds, margin calculator, quotes (v2 full / ltp / ohlc, v3 ltp / ohlc; at most 500
    instrument keys per call), candles (v3 historical with the documented range per unit and interval,
    v3 intraday, v2), the gzipped JSON instrument master, the feed authorize calls and their 302 redirects.
Scenario controls: `fail_next` (any status / code, e.g. 429 UDAPI10005, 500), `expire_token`,
`malformed_next` (a body that is not JSON), `slow_next` (answer after a delay)::

    with UpstoxServer() as upstox:
        upstox.url, upstox.feed.url, upstox.portfolio.url
        upstox.fail_next(429, "UDAPI10005", "Too Many Request Sent", times=2)
"""
from __future__ import annotations

import copy
import gzip
import itertools
import json
import math
import threading
import time
import uuid
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response, jsonify, redirect, request
from werkzeug.serving import make_server

from broker.upstox.mapping import IST
from tests.fakes.fixtures import fixture_json
from tests.fakes.recording import Failure, SeenRequest
from tests.fakes.upstox.feed import MarketFeedServer, PortfolioFeedServer, base_price
from tests.support.net import free_port
from utils import clock

CLIENT_ID, CLIENT_SECRET = "upstox-client-id", "upstox-client-secret"
AUTH_CODE = "upstoxauthcode1"
MAX_QUOTE_KEYS = 500
MAX_SLICES = 25
INSTRUMENTS_PATH = "/market-quote/instruments/exchange/complete.json.gz"
# candles need no token: the OpenAPI spec gives these operations no security requirement and the
# official SDK sends them without one
PUBLIC_PREFIXES = ("/v2/historical-candle/", "/v3/historical-candle/")
PRODUCTS, VALIDITIES = ("I", "D", "MTF"), ("DAY", "IOC")
ORDER_TYPES, SIDES = ("MARKET", "LIMIT", "SL", "SL-M"), ("BUY", "SELL")
WORKING = ("open", "trigger pending", "after market order req received", "modified")
MINUTE_UNITS = {"minutes": range(1, 301), "hours": range(1, 6), "days": range(1, 2), "weeks": range(1, 2),
                "months": range(1, 2)}
V2_INTERVALS = ("1minute", "30minute", "day", "week", "month")


def fixture(name: str) -> Any:
    return fixture_json("upstox", name)


def history_limit(unit: str, interval: int) -> timedelta | None:
    """Longest from..to span per request (docs, "Historical Candle Data V3"); None = no limit."""
    if unit == "minutes":
        return timedelta(days=31) if interval <= 15 else timedelta(days=92)
    if unit == "hours":
        return timedelta(days=92)
    if unit == "days":
        return timedelta(days=3653)
    return None


class UpstoxError(Exception):
    def __init__(self, status: int, code: str, message: str, path: str | None = None, value: Any = None):
        super().__init__(message)
        self.status, self.code, self.message, self.path, self.value = status, code, message, path, value


def error_body(code: str, message: str, path: str | None = None, value: Any = None) -> dict[str, Any]:
    entry = {"errorCode": code, "message": message, "propertyPath": path, "invalidValue": value,
             "error_code": code, "property_path": path, "invalid_value": value}
    return {"status": "error", "errors": [entry]}


def _error(status: int, code: str, message: str, path: str | None = None, value: Any = None) -> Response:
    response = jsonify(error_body(code, message, path, value))
    response.status_code = status
    return response


def _ok(data: Any, **extra: Any) -> Response:
    return jsonify({"status": "success", "data": data, **extra})


class UpstoxServer:
    """See the module docstring."""

    def __init__(self, access_token: str = "upstox-access-token", *, port: int | None = None,
                 feed_interval: float = 0.05, max_feed_connections: int = 1):
        self.client_id, self.client_secret = CLIENT_ID, CLIENT_SECRET
        self.access_token = access_token
        self.token_valid = True
        self.requests: list[SeenRequest] = []
        # the sample book's orders are part of the state, so its open order can be modified and cancelled
        self.orders: dict[str, dict[str, Any]] = {o["order_id"]: o for o in fixture("order_book.json")["data"]}
        self.trades: list[dict[str, Any]] = []
        self.live_positions = False
        self.redirect_uris: list[str] = []
        self._failures: list[Failure] = []
        self._malformed = 0
        self._slow: tuple[float, int] = (0.0, 0)
        self._ids = itertools.count(250101000000001)
        self.gtts: dict[str, dict[str, Any]] = {}
        self._gtt_ids = itertools.count(25010100001)
        self._lock = threading.Lock()
        self.master = fixture("instruments_complete.json")
        self.by_key = {row["instrument_key"]: row for row in self.master}
        self.feed = MarketFeedServer(feed_interval, max_connections=max_feed_connections,
                                     port=port + 1 if port else None)
        self.portfolio = PortfolioFeedServer(port=port + 2 if port else None)
        self.app = self._build_app()
        self.port = port or free_port()
        self._server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def instruments_url(self) -> str:
        return self.url + INSTRUMENTS_PATH

    def __enter__(self) -> "UpstoxServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._thread.join(5)
        self.feed.close()
        self.portfolio.close()

    # ------------------------------------------------------------------ scenario controls
    def fail_next(self, status: int, code: str = "UDAPI100500", message: str = "Simulated failure", times: int = 1,
                  paths: tuple[str, ...] = ()) -> None:
        """The next `times` requests (to `paths` prefixes, or any) get this error answer."""
        self._failures.append(Failure(status, code, message, times, paths))

    def expire_token(self) -> None:
        self.token_valid = False

    def malformed_next(self, times: int = 1) -> None:
        """The next answers are a 200 whose body is not JSON (a broken proxy in the way)."""
        self._malformed = times

    def slow_next(self, seconds: float, times: int = 1) -> None:
        self._slow = (seconds, times)

    def requests_to(self, path_prefix: str, method: str | None = None) -> list[SeenRequest]:
        return [r for r in self.requests if r.path.startswith(path_prefix) and (method is None or r.method == method)]

    # ------------------------------------------------------------------ the app
    def _build_app(self) -> Flask:
        app = Flask("fake_upstox")
        app.before_request(self._before)
        app.after_request(self._after)
        app.register_error_handler(UpstoxError, lambda e: _error(e.status, e.code, e.message, e.path, e.value))
        app.register_error_handler(404, lambda e: _error(404, "UDAPI100060", "Resource not Found"))
        app.register_error_handler(405, lambda e: _error(405, "UDAPI10000", "This request is not supported by Upstox API"))
        routes = [
            ("/v2/login/authorization/dialog", ["GET"], self._dialog),
            ("/v2/login/authorization/token", ["POST"], self._token),
            ("/v2/logout", ["DELETE"], self._logout),
            ("/v2/user/profile", ["GET"], self._profile),
            ("/v2/user/get-funds-and-margin", ["GET"], self._funds),
            ("/v2/charges/margin", ["POST"], self._margin),
            ("/v3/order/place", ["POST"], lambda: self._place(v3=True)),
            ("/v2/order/place", ["POST"], lambda: self._place(v3=False)),
            ("/v3/order/modify", ["PUT"], lambda: self._modify(v3=True)),
            ("/v2/order/modify", ["PUT"], lambda: self._modify(v3=False)),
            ("/v3/order/cancel", ["DELETE"], lambda: self._cancel(v3=True)),
            ("/v2/order/cancel", ["DELETE"], lambda: self._cancel(v3=False)),
            ("/v2/order/multi/cancel", ["DELETE"], self._cancel_all),
            ("/v2/order/positions/exit", ["POST"], self._exit_all),
            ("/v2/order/retrieve-all", ["GET"], self._order_book),
            ("/v2/order/details", ["GET"], self._order_details),
            ("/v2/order/history", ["GET"], self._order_history),
            ("/v2/order/trades/get-trades-for-day", ["GET"], lambda: _ok(fixture("trades.json")["data"] + self.trades)),
            ("/v2/order/trades", ["GET"], self._order_trades),
            ("/v2/portfolio/short-term-positions", ["GET"], self._positions),
            ("/v2/portfolio/long-term-holdings", ["GET"], lambda: _ok(fixture("holdings.json")["data"])),
            ("/v2/market-quote/quotes", ["GET"], lambda: self._quotes("full")),
            ("/v2/market-quote/ltp", ["GET"], lambda: self._quotes("ltp")),
            ("/v2/market-quote/ohlc", ["GET"], lambda: self._quotes("ohlc")),
            ("/v3/market-quote/ltp", ["GET"], lambda: self._quotes("ltp_v3")),
            ("/v3/market-quote/ohlc", ["GET"], lambda: self._quotes("ohlc_v3")),
            ("/v3/historical-candle/intraday/<path:key>/<unit>/<int:interval>", ["GET"], self._intraday_v3),
            ("/v3/historical-candle/<path:key>/<unit>/<int:interval>/<to_date>/<from_date>", ["GET"], self._history_v3),
            ("/v3/historical-candle/<path:key>/<unit>/<int:interval>/<to_date>", ["GET"], self._history_v3),
            ("/v2/historical-candle/intraday/<path:key>/<interval>", ["GET"], self._intraday_v2),
            ("/v2/historical-candle/<path:key>/<interval>/<to_date>/<from_date>", ["GET"], self._history_v2),
            ("/v2/historical-candle/<path:key>/<interval>/<to_date>", ["GET"], self._history_v2),
            (INSTRUMENTS_PATH, ["GET"], self._instruments),
            ("/v3/feed/market-data-feed/authorize", ["GET"], self._feed_authorize),
            ("/v2/feed/market-data-feed/authorize", ["GET"], self._feed_authorize),
            ("/v2/feed/portfolio-stream-feed/authorize", ["GET"], self._portfolio_authorize),
            ("/v3/order/gtt/place", ["POST"], self._gtt_place),
            ("/v3/order/gtt/modify", ["PUT"], self._gtt_modify),
            ("/v3/order/gtt/cancel", ["DELETE"], self._gtt_cancel),
            ("/v3/order/gtt", ["GET"], self._gtt_book),
        ]
        for path, methods, view in routes:
            app.add_url_rule(path, f"{methods[0]} {path}", view, methods=methods)
        # WebSocket clients open these with an upgrade request and follow the 302 to the feed itself
        # (docs: "configure your client to follow the redirect"); werkzeug matches upgrades only to
        # rules marked as WebSocket rules
        app.add_url_rule("/v3/feed/market-data-feed", "feed redirect", websocket=True,
                         view_func=lambda: redirect(self.feed.authorized_url(), 302))
        app.add_url_rule("/v2/feed/portfolio-stream-feed", "portfolio redirect", websocket=True,
                         view_func=lambda: redirect(self.portfolio.authorized_url(
                             request.args.get("update_types", "order")), 302))
        return app

    def _before(self) -> Response | None:
        self.requests.append(SeenRequest(request.method, request.path, request.args.to_dict(flat=False),
                                         request.form.to_dict(), dict(request.headers),
                                         request.get_json(silent=True)))
        seconds, times = self._slow
        if times > 0:
            self._slow = (seconds, times - 1)
            time.sleep(seconds)
        for failure in self._failures:
            if failure.claims(request.path):
                return _error(failure.status, failure.error_type or "UDAPI100500", failure.message)
        if request.path in ("/v2/login/authorization/dialog", "/v2/login/authorization/token", INSTRUMENTS_PATH) \
                or request.path.startswith(PUBLIC_PREFIXES):
            return None
        if request.headers.get("Authorization") != f"Bearer {self.access_token}" or not self.token_valid:
            return _error(401, "UDAPI100050", "Invalid token used to access API")
        return None

    def _after(self, response: Response) -> Response:
        if self._malformed > 0 and response.status_code == 200 and response.mimetype == "application/json":
            self._malformed -= 1
            response.set_data(b"<html><body>502 Bad Gateway</body></html>")
            response.mimetype = "text/html"
        return response

    # ------------------------------------------------------------------ login
    def _dialog(self) -> Response:
        args = request.args
        if args.get("response_type") != "code" or args.get("client_id") != self.client_id or not args.get("redirect_uri"):
            raise UpstoxError(400, "UDAPI100069", "Check your 'client_id' and 'redirect_uri'; one or both are incorrect.")
        self.redirect_uris.append(args["redirect_uri"])
        query = {"code": AUTH_CODE, **({"state": args["state"]} if args.get("state") else {})}
        return redirect(f"{args['redirect_uri']}?{urlencode(query)}", 302)

    def _token(self) -> Response:
        form = request.form
        if form.get("grant_type") != "authorization_code":
            raise UpstoxError(400, "UDAPI100036", "Invalid Input", "grant_type", form.get("grant_type"))
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            raise UpstoxError(401, "UDAPI100016", "Invalid Credentials")
        if form.get("code") != AUTH_CODE:
            raise UpstoxError(400, "UDAPI100057", "Invalid Auth code", "code", form.get("code"))
        if not form.get("redirect_uri"):
            raise UpstoxError(400, "UDAPI100069", "Check your 'client_id' and 'redirect_uri'; one or both are incorrect.")
        self.token_valid = True
        data = fixture("token.json")
        data["access_token"] = self.access_token
        return jsonify(data)      # the token answer is the bare object, not wrapped in `data`

    def _logout(self) -> Response:
        self.token_valid = False
        return _ok(True)

    def _profile(self) -> Response:
        token = fixture("token.json")
        return _ok({k: token[k] for k in ("email", "exchanges", "products", "broker", "user_id", "user_name",
                                         "order_types", "user_type", "poa", "is_active")})

    # ------------------------------------------------------------------ funds, margin
    def _funds(self) -> Response:
        data = fixture("funds_and_margin.json")["data"]
        segment = request.args.get("segment")
        if segment not in (None, "SEC", "COM"):
            raise UpstoxError(400, "UDAPI100036", "Invalid Input", "segment", segment)
        if segment:
            data = {{"SEC": "equity", "COM": "commodity"}[segment]: data["equity" if segment == "SEC" else "commodity"]}
        return _ok(data)

    def _margin(self) -> Response:
        body = request.get_json(silent=True) or {}
        legs = body.get("instruments")
        if not isinstance(legs, list) or not legs:
            raise UpstoxError(400, "UDAPI100036", "Invalid Input", "instruments", None)
        for leg in legs:
            for name in ("instrument_key", "quantity", "product", "transaction_type"):
                if leg.get(name) in (None, ""):
                    raise UpstoxError(400, "UDAPI100036", f"{name} is required", f"instruments.{name}", None)
            self._instrument(leg["instrument_key"])
        data = fixture("margin.json")["data"]
        data["margins"] = data["margins"] * len(legs)
        return _ok(data)

    # ------------------------------------------------------------------ orders
    def _instrument(self, key: str | None) -> dict[str, Any]:
        row = self.by_key.get(key or "")
        if row is None:
            raise UpstoxError(400, "UDAPI1077", "Invalid instrument key", "instrument_token", key)
        return row

    def _validate_place(self, body: dict[str, Any]) -> dict[str, Any]:
        checks = (("quantity", lambda v: isinstance(v, int) and v > 0, "UDAPI1003", "Valid quantity is required"),
                  ("product", lambda v: v in PRODUCTS, "UDAPI1005", "Valid product is required"),
                  ("validity", lambda v: v in VALIDITIES, "UDAPI1007", "Validity is required"),
                  ("order_type", lambda v: v in ORDER_TYPES, "UDAPI1004", "Valid order type is required"),
                  ("transaction_type", lambda v: v in SIDES, "UDAPI1006", "Valid transaction type is required"),
                  ("price", lambda v: isinstance(v, (int, float)) and v >= 0, "UDAPI1008", "Price is required"),
                  ("trigger_price", lambda v: isinstance(v, (int, float)) and v >= 0, "UDAPI1009",
                   "Trigger price is required"))
        for name, valid, code, message in checks:
            if not valid(body.get(name)):
                raise UpstoxError(400, code, message, name, body.get(name))
        if body["order_type"] in ("LIMIT", "SL") and not body["price"]:
            raise UpstoxError(400, "UDAPI1008", "Price is required for a limit order", "price", body["price"])
        if body["order_type"] in ("SL", "SL-M") and not body["trigger_price"]:
            raise UpstoxError(400, "UDAPI1009", "Trigger price is required", "trigger_price", body["trigger_price"])
        return self._instrument(body.get("instrument_token"))

    def _place(self, v3: bool) -> Response:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise UpstoxError(400, "UDAPI100036", "Invalid Input")
        row = self._validate_place(body)
        quantities = [body["quantity"]]
        freeze = int(row.get("freeze_quantity") or 0)
        if v3 and body.get("slice") and freeze and body["quantity"] > freeze:
            count = math.ceil(body["quantity"] / freeze)
            if count > MAX_SLICES:
                raise UpstoxError(400, "UDAPI1152", f"Order quantity needs more than {MAX_SLICES} slices",
                                  "quantity", body["quantity"])
            quantities = [freeze] * (count - 1) + [body["quantity"] - freeze * (count - 1)]
        ids = [self._new_order(body, row, quantity) for quantity in quantities]
        if v3:
            return _ok({"order_ids": ids}, metadata={"latency": 12})
        return _ok({"order_id": ids[0]})

    def _new_order(self, body: dict[str, Any], row: dict[str, Any], quantity: int) -> str:
        order_id = str(next(self._ids))
        now = clock.now().astimezone(IST).strftime("%Y-%m-%d %H:%M:%S")
        order = {
            "exchange": row["exchange"] if row["segment"].endswith("_EQ") else {"NSE_FO": "NFO", "BSE_FO": "BFO",
                        "MCX_FO": "MCX", "NCD_FO": "CDS", "BCD_FO": "BCD"}.get(row["segment"], row["exchange"]),
            "product": body["product"], "price": float(body.get("price") or 0), "quantity": quantity,
            "status": "open", "guid": None, "tag": body.get("tag"), "instrument_token": row["instrument_key"],
            "placed_by": "XX1234", "trading_symbol": row["trading_symbol"], "tradingsymbol": row["trading_symbol"],
            "order_type": body["order_type"], "validity": body.get("validity", "DAY"),
            "trigger_price": float(body.get("trigger_price") or 0),
            "disclosed_quantity": int(body.get("disclosed_quantity") or 0),
            "transaction_type": body["transaction_type"], "average_price": 0, "filled_quantity": 0,
            "pending_quantity": quantity, "status_message": None, "status_message_raw": None,
            "exchange_order_id": None, "parent_order_id": None, "order_id": order_id, "variety": "SIMPLE",
            "order_timestamp": now, "exchange_timestamp": None, "is_amo": bool(body.get("is_amo")),
            "order_request_id": "1", "order_ref_id": f"udapi-{uuid.uuid4().hex[:12]}"}
        if order["is_amo"]:
            order["status"] = "after market order req received"
        elif order["order_type"] == "MARKET":
            self._fill(order)
        elif order["order_type"] in ("SL", "SL-M"):
            order["status"] = "trigger pending"
        with self._lock:
            self.orders[order_id] = order
        self._publish(order)
        return order_id

    def ltp(self, key: str) -> float:
        return base_price(key)

    def _fill(self, order: dict[str, Any]) -> None:
        price = self.ltp(order["instrument_token"])
        order.update(status="complete", average_price=price, filled_quantity=order["quantity"], pending_quantity=0,
                     exchange_order_id=f"1{order['order_id']}", exchange_timestamp=order["order_timestamp"])
        stamp = datetime.strptime(order["order_timestamp"], "%Y-%m-%d %H:%M:%S").strftime("%d-%b-%Y %H:%M:%S")
        self.trades.append({
            "exchange": order["exchange"], "product": order["product"], "trading_symbol": order["trading_symbol"],
            "tradingsymbol": order["trading_symbol"], "instrument_token": order["instrument_token"],
            "order_type": order["order_type"], "transaction_type": order["transaction_type"],
            "quantity": order["quantity"], "exchange_order_id": order["exchange_order_id"],
            "order_id": order["order_id"], "exchange_timestamp": stamp, "average_price": price,
            "trade_id": f"T{order['order_id']}", "order_ref_id": order["order_ref_id"], "order_timestamp": stamp})

    def _publish(self, order: dict[str, Any]) -> None:
        self.portfolio.publish({"update_type": "order", "user_id": "XX1234", "userId": "XX1234",
                                "instrument_key": order["instrument_token"], **copy.deepcopy(order)})

    def _working(self, order_id: str | None) -> dict[str, Any]:
        order = self.orders.get(order_id or "")
        if order is None:
            raise UpstoxError(400, "UDAPI100010", "Unknown order id", "order_id", order_id)
        if order["status"] not in WORKING:
            raise UpstoxError(400, "UDAPI100010", f"Order is {order['status']} and cannot be changed",
                              "order_id", order_id)
        return order

    def _modify(self, v3: bool) -> Response:
        body = request.get_json(silent=True) or {}
        with self._lock:
            order = self._working(body.get("order_id"))
            order_type = body.get("order_type") or order["order_type"]
            if order_type not in ORDER_TYPES:
                raise UpstoxError(400, "UDAPI1056", "The 'order_type' is invalid", "order_type", order_type)
            if body.get("validity", "DAY") not in VALIDITIES:
                raise UpstoxError(400, "UDAPI1055", "The 'validity' is invalid", "validity", body.get("validity"))
            for name, cast in (("quantity", int), ("price", float), ("trigger_price", float)):
                if body.get(name) not in (None, ""):
                    order[name] = cast(body[name])
            order.update(order_type=order_type, pending_quantity=order["quantity"])
            if order["status"] == "open" or order["status"] == "trigger pending":
                order["status"] = "open" if order_type in ("LIMIT", "MARKET") else "trigger pending"
            if order_type == "MARKET" and not order["is_amo"]:
                self._fill(order)
        self._publish(order)
        extra = {"metadata": {"latency": 10}} if v3 else {}
        return _ok({"order_id": order["order_id"]}, **extra)

    def _cancel(self, v3: bool) -> Response:
        with self._lock:
            order = self._working(request.args.get("order_id"))
            order.update(status="cancelled", pending_quantity=0)
        self._publish(order)
        extra = {"metadata": {"latency": 10}} if v3 else {}
        return _ok({"order_id": order["order_id"]}, **extra)

    def _cancel_all(self) -> Response:
        with self._lock:
            working = [o for o in self.orders.values() if o["status"] in WORKING]
            for order in working:
                order.update(status="cancelled", pending_quantity=0)
        if not working:
            raise UpstoxError(400, "UDAPI1109", "No pending orders to cancel")
        for order in working:
            self._publish(order)
        return _ok({"order_ids": [o["order_id"] for o in working]}, summary={
            "total": len(working), "success": len(working), "error": 0, "payload_error": 0})

    def _exit_all(self) -> Response:
        ids = []
        for row in self._net_positions():
            if row["quantity"]:
                body = {"quantity": abs(row["quantity"]), "product": row["product"], "validity": "DAY",
                        "order_type": "MARKET", "transaction_type": "SELL" if row["quantity"] > 0 else "BUY",
                        "price": 0, "trigger_price": 0}
                ids.append(self._new_order(body, self.by_key[row["instrument_token"]], abs(row["quantity"])))
        if not ids:
            raise UpstoxError(400, "UDAPI1108", "No open position available to exit")
        return _ok({"order_ids": ids}, summary={"total": len(ids), "success": len(ids), "error": 0, "payload_error": 0})

    def _order_book(self) -> Response:
        return _ok([copy.deepcopy(o) for o in self.orders.values()])

    def _find(self, order_id: str | None) -> dict[str, Any]:
        if not order_id:
            raise UpstoxError(400, "UDAPI100036", "order_id is required", "order_id", None)
        if order_id not in self.orders:
            raise UpstoxError(400, "UDAPI100010", "Unknown order id", "order_id", order_id)
        return copy.deepcopy(self.orders[order_id])

    def _order_details(self) -> Response:
        return _ok(self._find(request.args.get("order_id")))

    def _order_history(self) -> Response:
        return _ok([self._find(request.args.get("order_id"))])

    def _order_trades(self) -> Response:
        order_id = request.args.get("order_id")
        self._find(order_id)
        return _ok([t for t in self.trades if t["order_id"] == order_id])

    def _net_positions(self) -> list[dict[str, Any]]:
        net: dict[tuple[str, str], dict[str, Any]] = {}
        for trade in self.trades:
            key = (trade["instrument_token"], trade["product"])
            row = net.setdefault(key, {**fixture("positions.json")["data"][0], "instrument_token": key[0],
                                       "product": key[1], "exchange": trade["exchange"],
                                       "trading_symbol": trade["trading_symbol"],
                                       "tradingsymbol": trade["trading_symbol"], "quantity": 0,
                                       "average_price": trade["average_price"], "last_price": self.ltp(key[0])})
            row["quantity"] += trade["quantity"] * (1 if trade["transaction_type"] == "BUY" else -1)
        return list(net.values())

    def _positions(self) -> Response:
        return _ok(self._net_positions() if self.live_positions else fixture("positions.json")["data"])

    # ------------------------------------------------------------------ market data
    def _keys(self) -> list[str]:
        # v2 quote calls also accept the older name `symbol` (what the official SDK sends)
        raw = request.args.get("instrument_key") or request.args.get("symbol") or ""
        keys = [k for k in raw.split(",") if k]
        if not keys:
            raise UpstoxError(400, "UDAPI1087", "Invalid symbol", "instrument_key", raw)
        if len(keys) > MAX_QUOTE_KEYS:
            raise UpstoxError(400, "UDAPI100042", f"Maximum {MAX_QUOTE_KEYS} instrument keys are allowed",
                              "instrument_key", None)
        return keys

    def _quotes(self, kind: str) -> Response:
        """Like Upstox: keyed `SEGMENT:TRADING_SYMBOL`, unknown keys left out."""
        templates = {"full": "full_quote.json", "ltp": "ltp_v3.json", "ohlc": "ohlc_v3.json",
                     "ltp_v3": "ltp_v3.json", "ohlc_v3": "ohlc_v3.json"}
        template = next(iter(fixture(templates[kind])["data"].values()))
        if kind == "ohlc_v3" and request.args.get("interval") not in ("1d", "I1", "I30"):
            raise UpstoxError(400, "UDAPI1089", "Invalid interval", "interval", request.args.get("interval"))
        answer = {}
        for key in self._keys():
            row = self.by_key.get(key)
            if row is None:
                continue
            quote = copy.deepcopy(template)
            price = self.ltp(key)
            quote.update(instrument_token=key, last_price=price)
            if kind == "full":
                quote["symbol"] = row["trading_symbol"]
                quote["ohlc"].update(open=price, high=round(price * 1.01, 2), low=round(price * 0.99, 2), close=price)
                spread = [0.05 * i for i in range(1, 6)]
                for level, step in zip(quote["depth"]["buy"], spread):
                    level["price"] = round(price - step, 2)
                for level, step in zip(quote["depth"]["sell"], spread):
                    level["price"] = round(price + step, 2)
            if kind == "ltp":
                quote = {"last_price": price, "instrument_token": key}
            if kind == "ohlc":
                quote = {"last_price": price, "instrument_token": key,
                         "ohlc": {"open": price, "high": price, "low": price, "close": price}}
            answer[f"{row['segment']}:{row['trading_symbol']}"] = quote
        return _ok(answer)

    @staticmethod
    def _candles(key: str, start: datetime, end: datetime, step: timedelta, daily: bool) -> list[list[Any]]:
        """Deterministic candles on weekdays (09:15-15:30 IST intraday), newest first like Upstox."""
        candles = []
        moment = start.replace(hour=0 if daily else 9, minute=0 if daily else 15, second=0, microsecond=0)
        while moment <= end:
            in_session = daily or (moment.hour, moment.minute) < (15, 30)
            if moment >= start and moment.weekday() < 5 and in_session:
                base = round(base_price(key) + moment.toordinal() % 50 + moment.hour * 0.1 + moment.minute * 0.01, 2)
                candles.append([moment.isoformat(), base, round(base + 2, 2), round(base - 1, 2), round(base + 1, 2),
                                1000, 0])
            if not daily and (moment.hour, moment.minute) >= (15, 30):
                moment = (moment + timedelta(days=1)).replace(hour=9, minute=15)
            else:
                moment += step
        return list(reversed(candles))

    @staticmethod
    def _dates(to_date: str, from_date: str | None) -> tuple[date, date]:
        try:
            end = date.fromisoformat(to_date)
            start = date.fromisoformat(from_date) if from_date else end
        except ValueError:
            raise UpstoxError(400, "UDAPI1022", "Invalid date format, use yyyy-MM-dd", "to_date", to_date) from None
        if start > end:
            raise UpstoxError(400, "UDAPI1022", "from_date must not be after to_date", "from_date", from_date)
        return start, end

    def _history_v3(self, key: str, unit: str, interval: int, to_date: str, from_date: str | None = None) -> Response:
        self._instrument(key)
        if unit not in MINUTE_UNITS or interval not in MINUTE_UNITS[unit]:
            raise UpstoxError(400, "UDAPI1020", "Invalid unit or interval", "interval", f"{unit}/{interval}")
        start, end = self._dates(to_date, from_date)
        limit = history_limit(unit, interval)
        if limit is not None and end - start > limit:
            raise UpstoxError(400, "UDAPI1148", "Invalid date range: the span exceeds the maximum for this unit "
                                                "and interval", "from_date", from_date)
        step = {"minutes": timedelta(minutes=interval), "hours": timedelta(hours=interval)}.get(unit, timedelta(days=1))
        first = datetime.combine(start, datetime.min.time(), IST)
        last = datetime.combine(end, datetime.max.time(), IST)
        candles = self._candles(key, first, last, step, daily=unit not in ("minutes", "hours"))
        if unit in ("weeks", "months"):
            candles = candles[::5] if unit == "weeks" else candles[::21]
        return _ok({"candles": candles})

    def _intraday_v3(self, key: str, unit: str, interval: int) -> Response:
        self._instrument(key)
        if unit not in ("minutes", "hours", "days") or interval not in MINUTE_UNITS[unit]:
            raise UpstoxError(400, "UDAPI1020", "Invalid unit or interval", "interval", f"{unit}/{interval}")
        now = clock.now().astimezone(IST)
        step = {"minutes": timedelta(minutes=interval), "hours": timedelta(hours=interval)}.get(unit, timedelta(days=1))
        return _ok({"candles": self._candles(key, now.replace(hour=0, minute=0), now, step, daily=unit == "days")})

    def _history_v2(self, key: str, interval: str, to_date: str, from_date: str | None = None) -> Response:
        if interval not in V2_INTERVALS:
            raise UpstoxError(400, "UDAPI1020", "Invalid interval", "interval", interval)
        unit, number = {"1minute": ("minutes", 1), "30minute": ("minutes", 30), "day": ("days", 1),
                        "week": ("weeks", 1), "month": ("months", 1)}[interval]
        return self._history_v3(key, unit, number, to_date, from_date)

    def _intraday_v2(self, key: str, interval: str) -> Response:
        if interval not in ("1minute", "30minute"):
            raise UpstoxError(400, "UDAPI1020", "Invalid interval", "interval", interval)
        return self._intraday_v3(key, "minutes", int(interval.removesuffix("minute")))

    def _instruments(self) -> Response:
        return Response(gzip.compress(json.dumps(self.master).encode()), mimetype="application/gzip")

    # ------------------------------------------------------------------ feeds
    def _feed_authorize(self) -> Response:
        url = self.feed.authorized_url()
        return _ok({"authorized_redirect_uri": url, "authorizedRedirectUri": url})

    def _portfolio_authorize(self) -> Response:
        url = self.portfolio.authorized_url(request.args.get("update_types", "order"))
        return _ok({"authorized_redirect_uri": url, "authorizedRedirectUri": url})

    # ------------------------------------------------------------------ GTT
    @staticmethod
    def _gtt_rules(body: dict[str, Any], action: str) -> list[dict[str, Any]]:
        rules = body.get("rules")
        if not isinstance(rules, list) or not 1 <= len(rules) <= 3:
            raise UpstoxError(400, "UDAPI100036", "rules: between one and three rules are required", "rules", None)
        strategies = [r.get("strategy") for r in rules]
        if len(set(strategies)) != len(strategies) or "ENTRY" not in strategies or \
                not set(strategies) <= {"ENTRY", "TARGET", "STOPLOSS"}:
            raise UpstoxError(400, "UDAPI100036", "rules: one ENTRY rule and no duplicate strategies", "rules", None)
        if body.get("type") == "SINGLE" and len(rules) != 1:
            raise UpstoxError(400, "UDAPI100036", "a SINGLE GTT has exactly one rule", "rules", None)
        for rule in rules:
            if rule.get("trigger_type") not in ("ABOVE", "BELOW", "IMMEDIATE"):
                raise UpstoxError(400, "UDAPI100036", "trigger_type is invalid", "rules.trigger_type",
                                  rule.get("trigger_type"))
            if not isinstance(rule.get("trigger_price"), (int, float)) or rule["trigger_price"] <= 0:
                raise UpstoxError(400, "UDAPI100036", "trigger_price is required", "rules.trigger_price", None)
        exit_side = "SELL" if action == "BUY" else "BUY"
        return [{"strategy": r["strategy"], "status": "SCHEDULED", "message": None, "trigger_type": r["trigger_type"],
                 "trigger_price": r["trigger_price"], "order_id": None,
                 "transaction_type": action if r["strategy"] == "ENTRY" else exit_side} for r in rules]

    def _gtt_place(self) -> Response:
        body = request.get_json(silent=True) or {}
        if body.get("type") not in ("SINGLE", "MULTIPLE"):
            raise UpstoxError(400, "UDAPI100036", "type is invalid", "type", body.get("type"))
        if body.get("product") not in PRODUCTS:
            raise UpstoxError(400, "UDAPI1005", "Valid product is required", "product", body.get("product"))
        if body.get("transaction_type") not in SIDES:
            raise UpstoxError(400, "UDAPI1006", "Valid transaction type is required", "transaction_type", None)
        if not isinstance(body.get("quantity"), int) or body["quantity"] <= 0:
            raise UpstoxError(400, "UDAPI1003", "Valid quantity is required", "quantity", body.get("quantity"))
        row = self._instrument(body.get("instrument_token"))
        gtt_id = f"GTT-C{next(self._gtt_ids)}"
        created = int(clock.now().timestamp() * 1_000_000)
        self.gtts[gtt_id] = {"type": body["type"], "exchange": row["segment"], "quantity": body["quantity"],
                             "product": body["product"], "rules": self._gtt_rules(body, body["transaction_type"]),
                             "trading_symbol": row["trading_symbol"], "instrument_token": row["instrument_key"],
                             "gtt_order_id": gtt_id, "expires_at": created + 365 * 86400 * 1_000_000,
                             "created_at": created}
        return _ok({"gtt_order_ids": [gtt_id]}, metadata={"latency": 15})

    def _active_gtt(self, gtt_id: str | None) -> dict[str, Any]:
        gtt = self.gtts.get(gtt_id or "")
        if gtt is None:
            raise UpstoxError(400, "UDAPI1127", "GTT order not found", "gtt_order_id", gtt_id)
        if gtt["rules"][0]["status"] != "SCHEDULED":
            raise UpstoxError(400, "UDAPI1128", f"GTT order is {gtt['rules'][0]['status'].lower()}", "gtt_order_id",
                              gtt_id)
        return gtt

    def _gtt_modify(self) -> Response:
        body = request.get_json(silent=True) or {}
        gtt = self._active_gtt(body.get("gtt_order_id"))
        if not isinstance(body.get("quantity"), int) or body["quantity"] <= 0:
            raise UpstoxError(400, "UDAPI1003", "Valid quantity is required", "quantity", body.get("quantity"))
        gtt.update(quantity=body["quantity"], rules=self._gtt_rules({**body, "type": gtt["type"]},
                                                                    gtt["rules"][0]["transaction_type"]))
        return _ok({"gtt_order_ids": [gtt["gtt_order_id"]]}, metadata={"latency": 15})

    def _gtt_cancel(self) -> Response:
        gtt = self._active_gtt((request.get_json(silent=True) or {}).get("gtt_order_id"))
        for rule in gtt["rules"]:
            rule["status"] = "CANCELLED"
        return _ok({"gtt_order_ids": [gtt["gtt_order_id"]]}, metadata={"latency": 15})

    def _gtt_book(self) -> Response:
        wanted = request.args.get("gtt_order_id")
        if wanted:
            if wanted not in self.gtts:
                raise UpstoxError(400, "UDAPI1127", "GTT order not found", "gtt_order_id", wanted)
            return _ok([copy.deepcopy(self.gtts[wanted])], metadata={"latency": 10})
        return _ok([copy.deepcopy(g) for g in self.gtts.values()], metadata={"latency": 10})

    def trigger_gtt(self, gtt_id: str) -> str:
        """Scenario control: LTP crossed the entry trigger; Upstox places a LIMIT order at the trigger price."""
        gtt = self.gtts[gtt_id]
        entry = gtt["rules"][0]
        body = {"quantity": gtt["quantity"], "product": gtt["product"], "validity": "DAY", "order_type": "LIMIT",
                "transaction_type": entry["transaction_type"], "price": entry["trigger_price"], "trigger_price": 0}
        entry.update(status="TRIGGERED", order_id=self._new_order(body, self.by_key[gtt["instrument_token"]],
                                                                  gtt["quantity"]))
        return entry["order_id"]
