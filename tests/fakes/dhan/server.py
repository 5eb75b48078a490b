"""A fake DhanHQ v2 REST server (https://api.dhan.co/v2 and https://auth.dhan.co in production), fed
from the recorded payloads in tests/fixtures/dhan.

It speaks the documented protocol: `access-token` and `client-id` headers on every /v2 call (a wrong or
expired token gets HTTP 401 `{"errorType": "Invalid_Authentication", "errorCode": "DH-901", ...}`),
JSON bodies, bare object / array answers (only market quotes are wrapped in `{"data", "status"}`). It
validates order requests, keeps a small order book so place → book → modify → cancel flows are real,
splits sliced orders at the freeze quantity, enforces the intraday chart's 90-day window, serves the
scrip master CSV and the consent / PIN+TOTP login endpoints, and fails on demand::

    with DhanServer() as dhan:
        dhan.url                             # http://127.0.0.1:PORT/v2 (the SDK's and plugin's base URL)
        dhan.fail_next(429, times=2)         # throttled (DH-904 body)
        dhan.fail_next(500, "DH-908")        # a server error; or .malformed_next() / .slow_next(2.0)
        dhan.expire_token()                  # the next calls get 401 DH-901
        dhan.requests                        # every request seen: method, path, args, json, headers

Orders placed here are announced on `order_updates` (an OrderUpdateServer) when one is attached.
"""
from __future__ import annotations

import copy
import csv
import itertools
import json
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable

from flask import Flask, Response, redirect, request
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.fakes.dhan.fixtures import FIXTURES, dhan_json
from tests.support.net import free_port

CLIENT_ID, ACCESS_TOKEN = "1000000003", "dhan-access-token-1"
APP_ID, APP_SECRET = "dhan-app-id", "dhan-app-secret"
PIN, TOTP = "123456", "654321"
IST = timezone(timedelta(hours=5, minutes=30))
SEGMENTS = ("NSE_EQ", "BSE_EQ", "NSE_FNO", "BSE_FNO", "MCX_COMM", "NSE_CURRENCY", "BSE_CURRENCY", "IDX_I")
PRODUCTS = ("CNC", "INTRADAY", "MARGIN", "MTF", "CO", "BO")
ORDER_TYPES = ("LIMIT", "MARKET", "STOP_LOSS", "STOP_LOSS_MARKET")
VALIDITIES = ("DAY", "IOC")
WORKING = ("TRANSIT", "PENDING", "PART_TRADED")
INTRADAY_INTERVALS = (1, 5, 15, 25, 60)
INTRADAY_MAX_DAYS = 90          # "only 90 days of data can be polled at once" (historical-data docs)
MAX_QUOTE_INSTRUMENTS = 1000    # per market-quote request (market-quote docs)
_ERROR_TYPES = {"DH-901": "Invalid_Authentication", "DH-902": "Invalid_Access", "DH-903": "User_Account",
                "DH-904": "Rate_Limit", "DH-905": "Input_Exception", "DH-906": "Order_Error",
                "DH-907": "Data_Error", "DH-908": "Internal_Server_Error", "DH-909": "Network_Error",
                "DH-910": "Others"}


class DhanError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_response(status: int, code: str, message: str = "") -> Response:
    documented = dhan_json("errors.json")["trading"].get(code, {})
    body = {"errorType": _ERROR_TYPES.get(code, "Others"), "errorCode": code,
            "errorMessage": message or documented.get("errorMessage", "Simulated failure")}
    return Response(json.dumps(body), status=status, mimetype="application/json")


def _ok(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, mimetype="application/json")


@dataclass
class SeenRequest:
    method: str
    path: str
    args: dict[str, list[str]]
    json: Any
    headers: dict[str, str]


@dataclass
class _Failure:
    kind: str                  # "error", "malformed" or "slow"
    times: int
    paths: tuple[str, ...]
    status: int = 500
    code: str = "DH-908"
    message: str = ""
    seconds: float = 0.0


class _KeepUnderscoreHeaders(WSGIRequestHandler):
    """Dhan's login endpoints take `app_id` / `app_secret` headers; werkzeug's server drops header names
    with underscores, Dhan's does not."""

    def make_environ(self):  # type: ignore[no-untyped-def]
        environ = super().make_environ()
        for key, value in self.headers.items():
            if "_" in key:
                environ["HTTP_" + key.upper()] = value
        return environ


def load_master() -> dict[tuple[str, str], dict[str, str]]:
    """(exchange segment, security id) → scrip-master row, from the recorded CSV."""
    letters = {("NSE", "E"): "NSE_EQ", ("BSE", "E"): "BSE_EQ", ("NSE", "D"): "NSE_FNO", ("BSE", "D"): "BSE_FNO",
               ("MCX", "M"): "MCX_COMM", ("NSE", "C"): "NSE_CURRENCY", ("BSE", "C"): "BSE_CURRENCY",
               ("NSE", "I"): "IDX_I", ("BSE", "I"): "IDX_I"}
    with (FIXTURES / "scrip_master.csv").open() as lines:
        return {(letters[(r["SEM_EXM_EXCH_ID"], r["SEM_SEGMENT"])], r["SEM_SMST_SECURITY_ID"]): r
                for r in csv.DictReader(lines)}


class DhanServer:
    """The fake server; see the module docstring."""

    def __init__(self, client_id: str = CLIENT_ID, access_token: str = ACCESS_TOKEN, ltp: float = 1428.0,
                 live_positions: bool = False, freeze_quantity: int = 1800, port: int | None = None):
        self.client_id, self.access_token = client_id, access_token
        self.token_valid = True
        self.token_validity = datetime.now(IST) + timedelta(hours=24)
        self.ltp = ltp
        self.live_positions = live_positions
        self.freeze_quantity = freeze_quantity
        self.master = load_master()
        self.requests: list[SeenRequest] = []
        # the recorded orders are part of the book: working ones can be modified and cancelled like new ones
        self.orders: dict[str, dict[str, Any]] = {o["orderId"]: o for o in dhan_json("orders.json")}
        self.trades: list[dict[str, Any]] = []
        self.forever: dict[str, dict[str, Any]] = {}
        self.order_updates: Any = None          # an OrderUpdateServer, when a test attaches one
        self._failures: list[_Failure] = []
        self._ids = itertools.count(252120000001)
        self._lock = threading.Lock()
        self.app = self._build_app()
        self.port = port or free_port()
        self._server = make_server("127.0.0.1", self.port, self.app, threaded=True,
                                   request_handler=_KeepUnderscoreHeaders)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.root}/v2"

    @property
    def scrip_master_url(self) -> str:
        return f"{self.root}/api-data/api-scrip-master.csv"

    def __enter__(self) -> "DhanServer":
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(5)

    # ------------------------------------------------------------------ scenario controls
    def fail_next(self, status: int, code: str | None = None, message: str = "", times: int = 1,
                  paths: tuple[str, ...] = ()) -> None:
        """The next `times` requests (to `paths` prefixes under /v2, or any) get this error answer."""
        default = {401: "DH-901", 429: "DH-904", 400: "DH-905"}.get(status, "DH-908")
        self._failures.append(_Failure("error", times, paths, status, code or default, message))

    def malformed_next(self, times: int = 1, paths: tuple[str, ...] = ()) -> None:
        self._failures.append(_Failure("malformed", times, paths))

    def slow_next(self, seconds: float, times: int = 1, paths: tuple[str, ...] = ()) -> None:
        self._failures.append(_Failure("slow", times, paths, seconds=seconds))

    def expire_token(self) -> None:
        self.token_valid = False

    def renew_token(self) -> None:
        """The user generated a fresh token at web.dhan.co (the fake keeps the same text)."""
        self.token_valid = True
        self.token_validity = datetime.now(IST) + timedelta(hours=24)

    def fill(self, order_id: str) -> None:
        """The exchange fills a working order: a change the broker makes on its own, seen in the order
        book (and pushed to an attached order-update server)."""
        with self._lock:
            order = self.orders[order_id]
            self._fill(order)
        self._announce(order)

    def requests_to(self, path_prefix: str, method: str | None = None) -> list[SeenRequest]:
        return [r for r in self.requests if r.path.startswith(path_prefix) and (method is None or r.method == method)]

    def price_of(self, security_id: str) -> float:
        """A deterministic price per instrument (the configured `ltp` for HDFCBANK, 1333)."""
        return self.ltp if str(security_id) == "1333" else round(100 + int(security_id) % 1000 / 10, 2)

    # ------------------------------------------------------------------ the app
    def _build_app(self) -> Flask:
        app = Flask("fake_dhan")
        app.before_request(self._before)
        app.register_error_handler(DhanError, lambda e: error_response(e.status, e.code, e.message))
        app.register_error_handler(404, lambda e: error_response(404, "DH-905", f"No such endpoint {request.path}"))
        app.url_map.strict_slashes = False
        routes: list[tuple[str, str, Callable[..., Response]]] = [
            ("/v2/profile", "GET", self._profile),
            ("/v2/RenewToken", "GET", self._renew),
            ("/v2/orders", "POST", lambda: self._place(sliced=False)),
            ("/v2/orders/slicing", "POST", lambda: self._place(sliced=True)),
            ("/v2/orders", "GET", self._order_book),
            ("/v2/orders/<order_id>", "GET", self._order_by_id),
            ("/v2/orders/external/<correlation_id>", "GET", self._order_by_correlation),
            ("/v2/orders/<order_id>", "PUT", self._modify),
            ("/v2/orders/<order_id>", "DELETE", self._cancel),
            ("/v2/trades", "GET", self._trade_book),
            ("/v2/trades/", "GET", self._trade_book),
            ("/v2/trades/<order_id>", "GET", lambda order_id: _ok([t for t in self.trades if t["orderId"] == order_id])),
            ("/v2/positions", "GET", self._positions),
            ("/v2/holdings", "GET", lambda: _ok(dhan_json("holdings.json"))),
            ("/v2/fundlimit", "GET", lambda: _ok(dhan_json("fundlimit.json"))),
            ("/v2/margincalculator", "POST", self._margin),
            ("/v2/marketfeed/ltp", "POST", lambda: self._quotes("ltp")),
            ("/v2/marketfeed/ohlc", "POST", lambda: self._quotes("ohlc")),
            ("/v2/marketfeed/quote", "POST", lambda: self._quotes("quote")),
            ("/v2/charts/historical", "POST", self._daily),
            ("/v2/charts/intraday", "POST", self._intraday),
            ("/v2/forever/orders", "POST", self._forever_place),
            ("/v2/forever/orders", "GET", self._forever_book),
            ("/v2/forever/all", "GET", self._forever_book),
            ("/v2/forever/orders/<order_id>", "PUT", self._forever_modify),
            ("/v2/forever/orders/<order_id>", "DELETE", self._forever_cancel),
            ("/api-data/api-scrip-master.csv", "GET",
             lambda: Response((FIXTURES / "scrip_master.csv").read_bytes(), mimetype="text/csv")),
            ("/app/generate-consent", "POST", self._generate_consent),
            ("/login/consentApp-login", "GET", self._consent_login),
            ("/app/consumeApp-consent", "GET", self._consume_consent),
            ("/app/generateAccessToken", "POST", self._generate_token),
        ]
        for path, method, view in routes:
            app.add_url_rule(path, f"{method} {path}", view, methods=[method])
        return app

    def _before(self) -> Response | None:
        body = request.get_json(silent=True) if request.data else None
        self.requests.append(SeenRequest(request.method, request.path, request.args.to_dict(flat=False), body,
                                         dict(request.headers)))
        for failure in self._failures:
            if failure.times > 0 and (not failure.paths or request.path.removeprefix("/v2").startswith(failure.paths)):
                failure.times -= 1
                if failure.kind == "slow":
                    time.sleep(failure.seconds)
                    break
                if failure.kind == "malformed":
                    return Response("<html>502 Bad Gateway</html", status=200, mimetype="application/json")
                return error_response(failure.status, failure.code, failure.message)
        if not request.path.startswith("/v2/"):
            return None      # the scrip master and the login pages need no session
        if request.headers.get("access-token") != self.access_token or not self.token_valid \
                or request.headers.get("client-id") not in (self.client_id, None):
            return error_response(401, "DH-901")
        if request.method in ("POST", "PUT") and request.data and not isinstance(body, dict):
            return error_response(400, "DH-905", "Request body must be a JSON object")
        if isinstance(body, dict) and "dhanClientId" in body and body["dhanClientId"] != self.client_id:
            return error_response(400, "DH-905", "dhanClientId does not match the access token")
        return None

    # ------------------------------------------------------------------ session
    def _profile(self) -> Response:
        return _ok({"dhanClientId": self.client_id, "tokenValidity": self.token_validity.strftime("%d/%m/%Y %H:%M"),
                    "activeSegment": "Equity, Derivative, Currency, Commodity", "ddpi": "Active", "mtf": "Active",
                    "dataPlan": "Active", "dataValidity": "2099-12-31 00:00:00.0"})

    def _renew(self) -> Response:
        self.token_validity = datetime.now(IST) + timedelta(hours=24)
        return _ok({"accessToken": self.access_token, "expiryTime": self.token_validity.isoformat(timespec="seconds")})

    def _generate_consent(self) -> Response:
        if request.headers.get("app_id") != APP_ID or request.headers.get("app_secret") != APP_SECRET:
            return _ok({"status": "error", "message": "Invalid app_id or app_secret"}, 401)
        if request.args.get("client_id") != self.client_id:
            return _ok({"status": "error", "message": "Invalid client_id"}, 400)
        return _ok({"consentAppId": "consent-app-1", "consentAppStatus": "GENERATED", "status": "success"})

    def _consent_login(self) -> Response:
        """Stands in for Dhan's login page: straight back to the app's redirect URL with a token id."""
        target = request.args.get("redirect_url") or "http://127.0.0.1:5000/dhan/callback"
        return redirect(f"{target}?tokenId=token-id-1")

    def _consume_consent(self) -> Response:
        if request.headers.get("app_id") != APP_ID or request.headers.get("app_secret") != APP_SECRET:
            return _ok({"status": "error", "message": "Invalid app_id or app_secret"}, 401)
        if request.args.get("tokenId") != "token-id-1":
            return _ok({"status": "error", "message": "Invalid tokenId"}, 400)
        return _ok(self._token_answer())

    def _generate_token(self) -> Response:
        args = request.args
        if args.get("dhanClientId") != self.client_id or args.get("pin") != PIN or args.get("totp") != TOTP:
            return _ok({"status": "error", "message": "Invalid PIN or TOTP"}, 400)
        return _ok(self._token_answer())

    def _token_answer(self) -> dict[str, Any]:
        self.token_valid = True
        self.token_validity = datetime.now(IST) + timedelta(hours=24)
        return {"dhanClientId": self.client_id, "dhanClientName": "DEMO TRADER", "dhanClientUcc": "ABCD12345E",
                "givenPowerOfAttorney": True, "accessToken": self.access_token,
                "expiryTime": self.token_validity.strftime("%Y-%m-%dT%H:%M:%S")}

    # ------------------------------------------------------------------ orders
    def _body(self) -> dict[str, Any]:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise DhanError(400, "DH-905", "Request body must be a JSON object")
        return body

    def _instrument(self, body: dict[str, Any]) -> dict[str, str]:
        segment, security_id = body.get("exchangeSegment"), str(body.get("securityId") or "")
        if segment not in SEGMENTS:
            raise DhanError(400, "DH-905", f"Invalid exchangeSegment: {segment}")
        row = self.master.get((segment, security_id))
        if row is None:
            raise DhanError(400, "DH-906", f"Invalid SecurityId {security_id} for {segment}")
        return row

    def _validate_order(self, body: dict[str, Any]) -> None:
        for name in ("transactionType", "exchangeSegment", "productType", "orderType", "validity", "securityId",
                     "quantity"):
            if body.get(name) in (None, ""):
                raise DhanError(400, "DH-905", f"Missing required field {name}")
        checks = (("transactionType", ("BUY", "SELL")), ("productType", PRODUCTS), ("orderType", ORDER_TYPES),
                  ("validity", VALIDITIES))
        for name, allowed in checks:
            if body[name] not in allowed:
                raise DhanError(400, "DH-905", f"Invalid {name}: {body[name]}")
        if not isinstance(body["quantity"], int) or body["quantity"] <= 0:
            raise DhanError(400, "DH-905", "Invalid quantity")
        if body["orderType"] in ("LIMIT", "STOP_LOSS") and not float(body.get("price") or 0) > 0:
            raise DhanError(400, "DH-905", "Invalid price for a LIMIT order")
        if body["orderType"] in ("STOP_LOSS", "STOP_LOSS_MARKET") and not float(body.get("triggerPrice") or 0) > 0:
            raise DhanError(400, "DH-905", "Invalid triggerPrice for a stop-loss order")
        if body.get("afterMarketOrder") and body.get("amoTime") not in ("PRE_OPEN", "OPEN", "OPEN_30", "OPEN_60"):
            raise DhanError(400, "DH-905", "Invalid amoTime")

    def _place(self, sliced: bool) -> Response:
        body = self._body()
        self._validate_order(body)
        row = self._instrument(body)
        quantity = body["quantity"]
        if not sliced and quantity > self.freeze_quantity and body["exchangeSegment"] in ("NSE_FNO", "BSE_FNO"):
            raise DhanError(400, "DH-905", f"Quantity exceeds the freeze limit of {self.freeze_quantity}; use slicing")
        parts = [quantity] if not sliced else \
            [self.freeze_quantity] * (quantity // self.freeze_quantity) + ([quantity % self.freeze_quantity]
                                                                          if quantity % self.freeze_quantity else [])
        answers = [self._new_order(body, row, part) for part in parts]
        return _ok(answers if sliced else answers[0])

    def _new_order(self, body: dict[str, Any], row: dict[str, str], quantity: int) -> dict[str, str]:
        order_id = str(next(self._ids))
        now = datetime.now(IST).strftime("%Y-%m-%d %H:%M:%S")
        option = {"CE": "CALL", "PE": "PUT"}.get(row["SEM_OPTION_TYPE"], "NA")
        order = {
            "dhanClientId": self.client_id, "orderId": order_id, "exchangeOrderId": "",
            "correlationId": body.get("correlationId") or "", "orderStatus": "PENDING",
            "transactionType": body["transactionType"], "exchangeSegment": body["exchangeSegment"],
            "productType": body["productType"], "orderType": body["orderType"], "validity": body["validity"],
            "tradingSymbol": row["SEM_TRADING_SYMBOL"], "securityId": str(body["securityId"]), "quantity": quantity,
            "disclosedQuantity": int(body.get("disclosedQuantity") or 0), "price": float(body.get("price") or 0),
            "triggerPrice": float(body.get("triggerPrice") or 0), "afterMarketOrder": bool(body.get("afterMarketOrder")),
            "boProfitValue": 0.0, "boStopLossValue": 0.0, "legName": "NA", "createTime": now, "updateTime": now,
            "exchangeTime": "", "drvExpiryDate": row["SEM_EXPIRY_DATE"] or "0001-01-01 00:00:00",
            "drvOptionType": option, "drvStrikePrice": max(float(row["SEM_STRIKE_PRICE"]), 0.0),
            "omsErrorCode": "0", "omsErrorDescription": "", "algoId": "0", "remainingQuantity": quantity,
            "averageTradedPrice": 0.0, "filledQty": 0}
        if order["afterMarketOrder"]:
            order["orderStatus"] = "TRANSIT"
        elif order["orderType"] == "MARKET":
            self._fill(order)
        with self._lock:
            self.orders[order_id] = order
        self._announce(order)
        return {"orderId": order_id, "orderStatus": order["orderStatus"]}

    def _fill(self, order: dict[str, Any]) -> None:
        price = self.price_of(order["securityId"])
        order.update(orderStatus="TRADED", averageTradedPrice=price, filledQty=order["quantity"], remainingQuantity=0,
                     exchangeOrderId=f"1{order['orderId']}", exchangeTime=order["updateTime"])
        self.trades.append({
            "dhanClientId": self.client_id, "orderId": order["orderId"], "exchangeOrderId": order["exchangeOrderId"],
            "exchangeTradeId": f"T{order['orderId']}", "transactionType": order["transactionType"],
            "exchangeSegment": order["exchangeSegment"], "productType": order["productType"],
            "orderType": order["orderType"], "tradingSymbol": order["tradingSymbol"], "customSymbol": "",
            "securityId": order["securityId"], "tradedQuantity": order["quantity"], "tradedPrice": price,
            "createTime": order["createTime"], "updateTime": order["updateTime"], "exchangeTime": order["updateTime"],
            "drvExpiryDate": order["drvExpiryDate"], "drvOptionType": order["drvOptionType"],
            "drvStrikePrice": order["drvStrikePrice"]})

    def _announce(self, order: dict[str, Any]) -> None:
        if self.order_updates is not None:
            self.order_updates.publish(order)

    def _order_book(self) -> Response:
        return _ok([copy.deepcopy(o) for o in self.orders.values()])

    def _order_by_id(self, order_id: str) -> Response:
        order = copy.deepcopy(self.orders.get(order_id))
        if order is None:
            raise DhanError(400, "DH-906", f"Order not found: {order_id}")
        return _ok(order)

    def _order_by_correlation(self, correlation_id: str) -> Response:
        found = [o for o in self.orders.values() if o["correlationId"] == correlation_id]
        if not found:
            raise DhanError(400, "DH-906", f"Order not found for correlationId {correlation_id}")
        return _ok(copy.deepcopy(found[0]))

    def _working(self, order_id: str) -> dict[str, Any]:
        order = self.orders.get(order_id)
        if order is None:
            raise DhanError(400, "DH-906", f"Order not found: {order_id}")
        if order["orderStatus"] not in WORKING:
            raise DhanError(400, "DH-906", f"Order is {order['orderStatus']} and cannot be modified or cancelled")
        return order

    def _modify(self, order_id: str) -> Response:
        body = self._body()
        if str(body.get("orderId")) != order_id:
            raise DhanError(400, "DH-905", "orderId in the body does not match the URL")
        with self._lock:
            order = self._working(order_id)
            order_type = body.get("orderType") or order["orderType"]
            if order_type not in ORDER_TYPES:
                raise DhanError(400, "DH-905", f"Invalid orderType: {order_type}")
            if order_type in ("LIMIT", "STOP_LOSS") and not float(body.get("price") or 0) > 0:
                raise DhanError(400, "DH-905", "Invalid price for a LIMIT order")
            quantity = body.get("quantity")
            if quantity is not None and (not isinstance(quantity, int) or quantity <= 0):
                raise DhanError(400, "DH-905", "Invalid quantity")
            order.update(orderType=order_type, quantity=quantity or order["quantity"],
                         price=float(body.get("price") or 0), triggerPrice=float(body.get("triggerPrice") or 0),
                         validity=body.get("validity") or order["validity"],
                         updateTime=datetime.now(IST).strftime("%Y-%m-%d %H:%M:%S"))
            order["remainingQuantity"] = order["quantity"] - order["filledQty"]
            if order_type == "MARKET" and not order["afterMarketOrder"]:
                self._fill(order)
        self._announce(order)
        return _ok({"orderId": order_id, "orderStatus": order["orderStatus"]})

    def _cancel(self, order_id: str) -> Response:
        with self._lock:
            order = self._working(order_id)
            order.update(orderStatus="CANCELLED", updateTime=datetime.now(IST).strftime("%Y-%m-%d %H:%M:%S"))
        self._announce(order)
        return _ok({"orderId": order_id, "orderStatus": "CANCELLED"})

    def _trade_book(self) -> Response:
        return _ok(dhan_json("trades.json") + copy.deepcopy(self.trades))

    def _positions(self) -> Response:
        if not self.live_positions:
            return _ok(dhan_json("positions.json"))
        net: dict[tuple[str, str, str], dict[str, Any]] = {}
        for trade in self.trades:
            key = (trade["exchangeSegment"], trade["securityId"], trade["productType"])
            row = net.setdefault(key, {"dhanClientId": self.client_id, "tradingSymbol": trade["tradingSymbol"],
                                       "securityId": key[1], "exchangeSegment": key[0], "productType": key[2],
                                       "positionType": "CLOSED", "buyAvg": 0.0, "sellAvg": 0.0, "buyQty": 0,
                                       "sellQty": 0, "netQty": 0, "costPrice": trade["tradedPrice"],
                                       "realizedProfit": 0.0, "unrealizedProfit": 0.0, "multiplier": 1,
                                       "drvExpiryDate": trade["drvExpiryDate"], "drvOptionType": trade["drvOptionType"],
                                       "drvStrikePrice": trade["drvStrikePrice"]})
            side = "buy" if trade["transactionType"] == "BUY" else "sell"
            quantity = row[f"{side}Qty"] + trade["tradedQuantity"]
            row[f"{side}Avg"] = round((row[f"{side}Avg"] * row[f"{side}Qty"]
                                       + trade["tradedPrice"] * trade["tradedQuantity"]) / quantity, 2)
            row[f"{side}Qty"] = quantity
            row["netQty"] = row["buyQty"] - row["sellQty"]
            row["positionType"] = "LONG" if row["netQty"] > 0 else "SHORT" if row["netQty"] < 0 else "CLOSED"
        return _ok(list(net.values()))

    def _margin(self) -> Response:
        body = self._body()
        for name in ("exchangeSegment", "transactionType", "quantity", "productType", "securityId"):
            if body.get(name) in (None, ""):
                raise DhanError(400, "DH-905", f"Missing required field {name}")
        self._instrument(body)
        answer = dhan_json("margincalculator.json")
        scale = int(body["quantity"]) / 5
        for name in ("totalMargin", "spanMargin", "exposureMargin", "variableMargin"):
            answer[name] = round(answer[name] * scale, 2)
        return _ok(answer)

    # ------------------------------------------------------------------ data
    def _quotes(self, kind: str) -> Response:
        # the official SDK adds its client id to every body; Dhan ignores it here
        body = {k: v for k, v in self._body().items() if k != "dhanClientId"}
        if not body or sum(len(v) if isinstance(v, list) else 1 for v in body.values()) > MAX_QUOTE_INSTRUMENTS:
            return _ok({"data": {"814": "Invalid Request"} if body else {"814": "No instruments"},
                        "status": "failed"}, 400)
        template = dhan_json("quote_full.json")["data"]["NSE_FNO"]["49081"]
        data: dict[str, dict[str, Any]] = {}
        for segment, ids in body.items():
            if segment not in SEGMENTS or not isinstance(ids, list):
                return _ok({"data": {"814": f"Invalid exchange segment {segment}"}, "status": "failed"}, 400)
            for security_id in ids:
                if (segment, str(security_id)) not in self.master:
                    continue          # like Dhan: instruments it does not know are left out
                ltp = self.price_of(str(security_id))
                if kind == "ltp":
                    row: dict[str, Any] = {"last_price": ltp}
                elif kind == "ohlc":
                    row = {"last_price": ltp, "ohlc": {"open": ltp - 1, "close": ltp - 2, "high": ltp + 3,
                                                       "low": ltp - 4}}
                else:
                    row = copy.deepcopy(template)
                    row.update(last_price=ltp, ohlc={"open": ltp - 1, "close": ltp - 2, "high": ltp + 3, "low": ltp - 4},
                               net_change=2.0)
                    for side, sign in (("buy", -1), ("sell", 1)):
                        for level, entry in enumerate(row["depth"][side], start=1):
                            entry["price"] = round(ltp + sign * 0.05 * level, 2)
                data.setdefault(segment, {})[str(security_id)] = row
        return _ok({"data": data, "status": "success"})

    def _chart_request(self) -> tuple[dict[str, Any], dict[str, str]]:
        body = self._body()
        for name in ("securityId", "exchangeSegment", "instrument", "fromDate", "toDate"):
            if body.get(name) in (None, ""):
                raise DhanError(400, "DH-905", f"Missing required field {name}")
        row = self._instrument(body)
        if body["instrument"] != row["SEM_INSTRUMENT_NAME"]:
            raise DhanError(400, "DH-905", f"Invalid instrument {body['instrument']} for this security")
        return body, row

    @staticmethod
    def _candles(moments: list[datetime], seed: int) -> dict[str, list[Any]]:
        columns: dict[str, list[Any]] = {"open": [], "high": [], "low": [], "close": [], "volume": [], "timestamp": []}
        for moment in moments:
            base = 100 + (moment.toordinal() + moment.hour * 60 + moment.minute + seed) % 50
            for name, value in (("open", base), ("high", base + 2), ("low", base - 1), ("close", base + 1),
                                ("volume", 1000 + moment.minute), ("timestamp", int(moment.timestamp()))):
                columns[name].append(value)
        return columns

    def _daily(self) -> Response:
        body, _row = self._chart_request()
        try:
            start, end = date.fromisoformat(body["fromDate"][:10]), date.fromisoformat(body["toDate"][:10])
        except ValueError:
            raise DhanError(400, "DH-905", "fromDate / toDate must be YYYY-MM-DD") from None
        if end <= start:
            raise DhanError(400, "DH-905", "toDate must be after fromDate")
        days = [datetime.combine(start + timedelta(days=n), datetime.min.time(), tzinfo=IST)
                for n in range((end - start).days)]          # toDate is not included
        return _ok(self._candles([d for d in days if d.weekday() < 5], int(body["securityId"])))

    def _intraday(self) -> Response:
        body, _row = self._chart_request()
        if body.get("interval") not in INTRADAY_INTERVALS and str(body.get("interval")) not in map(str, INTRADAY_INTERVALS):
            raise DhanError(400, "DH-905", f"Invalid interval; allowed {INTRADAY_INTERVALS}")
        try:
            start = datetime.fromisoformat(body["fromDate"]).replace(tzinfo=IST)
            end = datetime.fromisoformat(body["toDate"]).replace(tzinfo=IST)
        except ValueError:
            raise DhanError(400, "DH-905", "fromDate / toDate must be YYYY-MM-DD HH:MM:SS") from None
        if end - start > timedelta(days=INTRADAY_MAX_DAYS):
            raise DhanError(400, "DH-905", f"Only {INTRADAY_MAX_DAYS} days of data can be fetched at once")
        step = timedelta(minutes=int(body["interval"]))
        moments, day = [], start.replace(hour=9, minute=15, second=0, microsecond=0)
        while day <= end:
            if day.weekday() < 5:
                # three bars a day keep long ranges small while still showing gaps and overlaps
                moments += [m for m in (day, day + step, day + 2 * step) if start <= m < end]
            day += timedelta(days=1)
        return _ok(self._candles(moments, int(body["securityId"])))

    # ------------------------------------------------------------------ forever orders (Dhan's GTT)
    def _forever_place(self) -> Response:
        body = self._body()
        if body.get("orderFlag") not in ("SINGLE", "OCO"):
            raise DhanError(400, "DH-905", "Invalid orderFlag")
        self._validate_order(body)
        row = self._instrument(body)
        if body["orderFlag"] == "OCO" and not (float(body.get("price1") or 0) > 0 and float(body.get("triggerPrice1") or 0) > 0):
            raise DhanError(400, "DH-905", "OCO orders need price1 and triggerPrice1")
        if not float(body.get("triggerPrice") or 0) > 0:
            raise DhanError(400, "DH-905", "Invalid triggerPrice")
        order_id = str(next(self._ids))
        self.forever[order_id] = {"body": dict(body), "row": row, "status": "PENDING",
                                  "created": datetime.now(IST).strftime("%Y-%m-%d %H:%M:%S")}
        return _ok({"orderId": order_id, "orderStatus": "PENDING"})

    def _forever_rows(self, order_id: str, entry: dict[str, Any]) -> list[dict[str, Any]]:
        body, row = entry["body"], entry["row"]
        base = {"dhanClientId": self.client_id, "orderId": order_id, "orderStatus": entry["status"],
                "transactionType": body["transactionType"], "exchangeSegment": body["exchangeSegment"],
                "productType": body["productType"], "orderType": body["orderFlag"],
                "tradingSymbol": row["SEM_TRADING_SYMBOL"], "securityId": str(body["securityId"]),
                "quantity": body["quantity"], "price": float(body["price"]), "triggerPrice": float(body["triggerPrice"]),
                "legName": "TARGET_LEG",
                "createTime": entry["created"], "updateTime": entry["created"], "exchangeTime": "0001-01-01 00:00:00",
                "drvExpiryDate": row["SEM_EXPIRY_DATE"] or "0001-01-01 00:00:00", "drvOptionType": "NA",
                "drvStrikePrice": 0.0}
        if body["orderFlag"] == "SINGLE":
            return [base]
        return [base, {**base, "legName": "STOP_LOSS_LEG", "price": float(body["price1"]),
                       "triggerPrice": float(body["triggerPrice1"]), "quantity": body.get("quantity1") or body["quantity"]}]

    def _forever_book(self) -> Response:
        rows = dhan_json("forever_orders.json")
        for order_id, entry in self.forever.items():
            rows += self._forever_rows(order_id, entry)
        return _ok(rows)

    def _forever_pending(self, order_id: str) -> dict[str, Any]:
        entry = self.forever.get(order_id)
        if entry is None or entry["status"] != "PENDING":
            raise DhanError(400, "DH-906", f"Forever order not found: {order_id}")
        return entry

    def _forever_modify(self, order_id: str) -> Response:
        body = self._body()
        entry = self._forever_pending(order_id)
        if body.get("legName") not in ("ENTRY_LEG", "TARGET_LEG", "STOP_LOSS_LEG"):
            raise DhanError(400, "DH-905", "Invalid legName")
        suffix = "1" if body["legName"] == "STOP_LOSS_LEG" else ""
        for name in ("price", "triggerPrice", "quantity"):
            if body.get(name) not in (None, ""):
                entry["body"][name + suffix] = body[name]
        return _ok({"orderId": order_id, "orderStatus": "PENDING"})

    def _forever_cancel(self, order_id: str) -> Response:
        self._forever_pending(order_id)["status"] = "CANCELLED"
        return _ok({"orderId": order_id, "orderStatus": "CANCELLED"})
