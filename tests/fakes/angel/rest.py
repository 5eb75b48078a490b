"""A fake Angel One SmartAPI REST server (https://apiconnect.angelone.in in production).

It speaks the documented protocol: JSON bodies, the `X-PrivateKey`, `X-UserType: USER`, `X-SourceID:
WEB`, `X-ClientLocalIP`, `X-ClientPublicIP`, `X-MACAddress` headers on every call and `Authorization:
Bearer <jwt>` on the secure ones, answers in the `{status, message, errorcode, data}` envelope (the
gateway's own token refusal uses `{success, message, errorCode, data}`). Login takes client code + PIN +
a current TOTP (checked with pyotp) and returns JWT, refresh and feed tokens. A small order state makes
place → book → modify → cancel flows real (seeded with the recorded order book), quotes come in LTP /
OHLC / FULL modes, candles honour the per-interval day limits, and the scrip master is served as JSON.
Failure modes on demand::

    with AngelServer() as angel:
        angel.url                                  # http://127.0.0.1:PORT
        angel.fail_next(500, times=2)              # 5xx (or 429, or a SmartAPI error code) for the next calls
        angel.fail_next(200, body="<html>oops")   # a malformed body
        angel.throttle(times=3)                    # 403 "Access denied because of exceeding access rate"
        angel.slow(2.0, paths=("/rest/secure/angelbroking/order/v1/getOrderBook",))
        angel.expire_token()                       # the next secure call gets AG8001
"""
from __future__ import annotations

import copy
import itertools
import json
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable

import pyotp
from flask import Flask, Response, jsonify, request
from werkzeug.serving import make_server

from tests.fakes.angel.data import (API_KEY, CLIENT_CODE, FIXTURES, PIN, TOTP_SECRET, Scrip, base_price, fixture,
                                    scrips)
from tests.fakes.recording import Failure, SeenRequest
from tests.support.net import free_port

SECURE = "/rest/secure/angelbroking"
AUTH = "/rest/auth/angelbroking"
GTT_WRITE = "/gtt-service/rest/secure/angelbroking/gtt/v1"
MASTER_PATH = "/OpenAPI_File/files/OpenAPIScripMaster.json"
# getCandleData: the most days one request may span, per interval (SmartAPI docs, "Historical")
CANDLE_DAY_LIMITS = {"ONE_MINUTE": 30, "THREE_MINUTE": 60, "FIVE_MINUTE": 100, "TEN_MINUTE": 100,
                     "FIFTEEN_MINUTE": 200, "THIRTY_MINUTE": 200, "ONE_HOUR": 400, "ONE_DAY": 2000}
_CANDLE_MINUTES = {"ONE_MINUTE": 1, "THREE_MINUTE": 3, "FIVE_MINUTE": 5, "TEN_MINUTE": 10, "FIFTEEN_MINUTE": 15,
                   "THIRTY_MINUTE": 30, "ONE_HOUR": 60}
VARIETIES = ("NORMAL", "STOPLOSS", "AMO", "ROBO")
ORDER_TYPES = ("MARKET", "LIMIT", "STOPLOSS_LIMIT", "STOPLOSS_MARKET")
PRODUCTS = ("DELIVERY", "CARRYFORWARD", "MARGIN", "INTRADAY", "BO")
EXCHANGES = ("NSE", "BSE", "NFO", "BFO", "CDS", "MCX")
QUOTE_MODES = ("LTP", "OHLC", "FULL")
MAX_QUOTE_TOKENS = 50
REQUIRED_HEADERS = ("X-ClientLocalIP", "X-ClientPublicIP", "X-MACAddress")
_FINAL = ("complete", "cancelled", "rejected")


@dataclass
class _Failure(Failure):
    body: str | None = None          # a raw (malformed) body instead of the envelope


class AngelError(Exception):
    def __init__(self, message: str, errorcode: str, status: int = 200):
        super().__init__(message)
        self.message, self.errorcode, self.status = message, errorcode, status


def _envelope(data: Any) -> Response:
    return jsonify({"status": True, "message": "SUCCESS", "errorcode": "", "data": data})


def _refusal(message: str, errorcode: str, status: int = 200) -> Response:
    response = jsonify({"status": False, "message": message, "errorcode": errorcode, "data": None})
    response.status_code = status
    return response


def _gateway_refusal() -> Response:
    """How the API gateway answers a missing, wrong or expired JWT."""
    response = jsonify({"success": False, "message": "Invalid Token", "errorCode": "AG8001", "data": ""})
    response.status_code = 403
    return response


class AngelServer:
    """The fake server; see the module docstring."""

    def __init__(self, *, port: int | None = None, master_rows: list[dict[str, Any]] | None = None,
                 recorded_orders: bool = True):
        self.api_key, self.client_code, self.pin, self.totp_secret = API_KEY, CLIENT_CODE, PIN, TOTP_SECRET
        self.jwt = self.refresh_token = self.feed_token = ""
        self.logins = 0
        self.requests: list[SeenRequest] = []
        self.orders: dict[str, dict[str, Any]] = {}        # orderid → order row (SmartAPI's shape)
        self.fills: list[dict[str, Any]] = []
        self.gtts: dict[str, dict[str, Any]] = {}          # rule id → rule (SmartAPI's shape)
        self._gtt_ids = itertools.count(1000014)
        self.ltp: dict[str, float] = {}                      # token → price override
        self.master_rows = master_rows
        self._master_cache: tuple[Any, bytes] = (None, b"")
        self.order_listeners: list[Callable[[dict[str, Any]], None]] = []   # the order-status feed hooks in
        self._failures: list[_Failure] = []
        self._slow: list[tuple[float, tuple[str, ...]]] = []
        self._ids = itertools.count(int(datetime.now().strftime("%y%m%d")) * 10**9 + 1)
        self._lock = threading.RLock()
        if recorded_orders:          # the recorded day's book (a fill included); False: a fresh account
            self._seed_orders()
        self.app = self._build_app()
        self.port = port or free_port()
        self._server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def master_url(self) -> str:
        return self.url + MASTER_PATH

    def __enter__(self) -> "AngelServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._thread.join(5)

    # ------------------------------------------------------------------ scenario controls
    def totp(self) -> str:
        """The code the user's authenticator app shows right now."""
        return pyotp.TOTP(self.totp_secret).now()

    def fail_next(self, status: int = 500, errorcode: str = "AB2001", message: str = "Internal Error",
                  times: int = 1, paths: tuple[str, ...] = (), body: str | None = None) -> None:
        self._failures.append(_Failure(status, errorcode, message, times, paths, body))

    def throttle(self, times: int = 1, paths: tuple[str, ...] = ()) -> None:
        """SmartAPI's rate-limit answer: HTTP 403 with a plain-text body."""
        self.fail_next(403, "", "", times, paths, body="Access denied because of exceeding access rate")

    def slow(self, seconds: float, paths: tuple[str, ...] = ()) -> None:
        self._slow.append((seconds, paths))

    def expire_token(self) -> None:
        self.jwt = "expired-" + uuid.uuid4().hex

    def set_ltp(self, token: str, price: float) -> None:
        self.ltp[str(token)] = price

    def price_of(self, token: str) -> float:
        return self.ltp.get(str(token)) or base_price(token)

    def requests_to(self, path: str, method: str | None = None) -> list[SeenRequest]:
        return [r for r in self.requests if r.path.startswith(path) and (method is None or r.method == method)]

    # ------------------------------------------------------------------ the app
    def _build_app(self) -> Flask:
        app = Flask("fake_angel")
        app.before_request(self._before)
        app.register_error_handler(AngelError, lambda e: _refusal(e.message, e.errorcode, e.status))
        routes: list[tuple[str, str, Callable[..., Response]]] = [
            (f"{AUTH}/user/v1/loginByPassword", "POST", self._login),
            (f"{AUTH}/jwt/v1/generateTokens", "POST", self._generate_tokens),
            (f"{SECURE}/user/v1/getProfile", "GET", self._profile),
            (f"{SECURE}/user/v1/logout", "POST", self._logout),
            (f"{SECURE}/user/v1/getRMS", "GET", lambda: _envelope(fixture("rms.json")["data"])),
            (f"{SECURE}/order/v1/placeOrder", "POST", self._place),
            (f"{SECURE}/order/v1/modifyOrder", "POST", self._modify),
            (f"{SECURE}/order/v1/cancelOrder", "POST", self._cancel),
            (f"{SECURE}/order/v1/getOrderBook", "GET", self._order_book),
            (f"{SECURE}/order/v1/details/<unique_id>", "GET", self._details),
            (f"{SECURE}/order/v1/getTradeBook", "GET", self._trade_book),
            (f"{SECURE}/order/v1/getPosition", "GET", self._positions),
            (f"{SECURE}/order/v1/getLtpData", "POST", self._ltp_data),
            (f"{SECURE}/portfolio/v1/getHolding", "GET", lambda: _envelope(fixture("holdings.json")["data"])),
            (f"{SECURE}/market/v1/quote", "POST", self._quote),
            (f"{SECURE}/historical/v1/getCandleData", "POST", self._candles),
            (f"{SECURE}/margin/v1/batch", "POST", self._margin),
            (f"{GTT_WRITE}/createRule", "POST", self._gtt_create),
            (f"{GTT_WRITE}/modifyRule", "POST", self._gtt_modify),
            (f"{GTT_WRITE}/cancelRule", "POST", self._gtt_cancel),
            (f"{SECURE}/gtt/v1/ruleDetails", "POST", self._gtt_details),
            (f"{SECURE}/gtt/v1/ruleList", "POST", self._gtt_list),
            (MASTER_PATH, "GET", self._master),
        ]
        for path, method, view in routes:
            app.add_url_rule(path, f"{method} {path}", view, methods=[method])
        return app

    def _before(self) -> Response | None:
        self.requests.append(SeenRequest(request.method, request.path, request.args.to_dict(flat=False),
                                         request.form.to_dict(), dict(request.headers),
                                         request.get_json(silent=True)))
        for seconds, paths in self._slow:
            if not paths or request.path.startswith(paths):
                time.sleep(seconds)
        for failure in self._failures:
            if failure.claims(request.path):
                if failure.body is not None:
                    return Response(failure.body, status=failure.status, mimetype="text/plain")
                return _refusal(failure.message, failure.error_type or "", failure.status)
        if request.path == MASTER_PATH:
            return None                     # a public file, no headers needed
        headers = request.headers
        if headers.get("X-PrivateKey") != self.api_key:
            return _refusal("Invalid API Key", "AG8004", 403)
        if headers.get("X-UserType") != "USER" or headers.get("X-SourceID") != "WEB":
            return _refusal("Invalid X-UserType or X-SourceID header", "AB1005", 400)
        missing = [name for name in REQUIRED_HEADERS if not headers.get(name)]
        if missing:
            return _refusal(f"Missing header {missing[0]}", "AB2000", 400)
        if request.method == "POST" and not isinstance(request.get_json(silent=True), dict):
            return _refusal("Request body must be a JSON object", "AB2000", 400)
        if request.path.startswith((SECURE, GTT_WRITE)):
            if not self.jwt or headers.get("Authorization") != f"Bearer {self.jwt}":
                return _gateway_refusal()
        return None

    # ------------------------------------------------------------------ session
    def _new_tokens(self) -> dict[str, str]:
        self.jwt = "jwt-" + uuid.uuid4().hex
        self.refresh_token = "refresh-" + uuid.uuid4().hex
        self.feed_token = "feed-" + uuid.uuid4().hex
        return {"jwtToken": self.jwt, "refreshToken": self.refresh_token, "feedToken": self.feed_token}

    def _login(self) -> Response:
        body = request.get_json()
        if body.get("clientcode") != self.client_code or body.get("password") != self.pin:
            raise AngelError("Invalid clientcode or password", "AB1000")
        if not pyotp.TOTP(self.totp_secret).verify(str(body.get("totp") or ""), valid_window=1):
            raise AngelError("Invalid totp", "AB1050")
        self.logins += 1
        return _envelope({**self._new_tokens(), "state": body.get("state")})

    def _generate_tokens(self) -> Response:
        if not self.refresh_token or request.get_json().get("refreshToken") != self.refresh_token:
            raise AngelError("Invalid Refresh Token", "AB8050")
        return _envelope(self._new_tokens())

    def _profile(self) -> Response:
        data = fixture("profile.json")["data"]
        data["clientcode"] = self.client_code
        return _envelope(data)

    def _logout(self) -> Response:
        if request.get_json().get("clientcode") != self.client_code:
            raise AngelError("Invalid clientcode", "AB1000")
        self.jwt = ""
        return _envelope(None)

    # ------------------------------------------------------------------ orders
    def _seed_orders(self) -> None:
        for row in fixture("order_book.json")["data"]:
            self.orders[row["orderid"]] = copy.deepcopy(row)
            if row["orderstatus"] == "complete":
                self._record_fill(row)

    def _scrip(self, body: dict[str, Any]) -> Scrip:
        exchange = body.get("exchange")
        if exchange not in EXCHANGES:
            raise AngelError("Invalid Exchange", "AB1009")
        scrip = scrips().get((exchange, str(body.get("symboltoken") or "")))
        if scrip is None or scrip.symbol != body.get("tradingsymbol"):
            raise AngelError("Invalid symboltoken", "AB4006")
        return scrip

    @staticmethod
    def _number(body: dict[str, Any], name: str) -> float:
        try:
            return float(body.get(name) or 0)
        except (TypeError, ValueError):
            raise AngelError(f"Invalid {name}", "AB2000") from None

    def _validate(self, body: dict[str, Any], scrip: Scrip) -> tuple[int, float, float]:
        for name, allowed, code in (("variety", VARIETIES, "AB1008"), ("ordertype", ORDER_TYPES, "AB2000"),
                                    ("producttype", PRODUCTS, "AB1012"), ("duration", ("DAY", "IOC"), "AB2000"),
                                    ("transactiontype", ("BUY", "SELL"), "AB2000")):
            if body.get(name) not in allowed:
                raise AngelError(f"Invalid {name}" if name != "variety" else "Invalid Order Variety", code)
        if scrip.is_index:
            raise AngelError("Orders are not allowed in an index", "AB2000")
        quantity = self._number(body, "quantity")
        if quantity <= 0 or quantity != int(quantity) or int(quantity) % scrip.lotsize:
            raise AngelError(f"Quantity should be a multiple of lot size {scrip.lotsize}", "AB2000")
        price, trigger = self._number(body, "price"), self._number(body, "triggerprice")
        order_type = body["ordertype"]
        if order_type in ("LIMIT", "STOPLOSS_LIMIT") and price <= 0:
            raise AngelError("Invalid price", "AB2000")
        if order_type.startswith("STOPLOSS"):
            if body["variety"] not in ("STOPLOSS", "AMO"):
                raise AngelError("Invalid Order Variety", "AB1008")
            if trigger <= 0:
                raise AngelError("Invalid triggerprice", "AB2000")
        tag = body.get("ordertag") or ""
        if len(tag) >= 20:
            raise AngelError("ordertag length should be less than 20 characters", "AB4008")
        return int(quantity), price, trigger

    def _place(self) -> Response:
        body = request.get_json()
        scrip = self._scrip(body)
        quantity, price, trigger = self._validate(body, scrip)
        now = datetime.now().strftime("%d-%b-%Y %H:%M:%S")
        order_id, unique_id = str(next(self._ids)), str(uuid.uuid4())
        order = {
            "variety": body["variety"], "ordertype": body["ordertype"], "producttype": body["producttype"],
            "duration": body["duration"], "price": price, "triggerprice": trigger, "quantity": str(quantity),
            "disclosedquantity": str(body.get("disclosedquantity") or "0"), "squareoff": 0.0, "stoploss": 0.0,
            "trailingstoploss": 0.0, "tradingsymbol": scrip.symbol, "transactiontype": body["transactiontype"],
            "exchange": scrip.exchange, "symboltoken": scrip.token, "ordertag": body.get("ordertag") or "",
            "instrumenttype": scrip.instrumenttype, "strikeprice": -1.0, "optiontype": "", "expirydate": "",
            "lotsize": str(scrip.lotsize), "cancelsize": "0", "averageprice": 0.0, "filledshares": "0",
            "unfilledshares": str(quantity), "orderid": order_id, "text": "", "status": "open",
            "orderstatus": "open", "updatetime": now, "exchtime": now, "exchorderupdatetime": now, "fillid": "",
            "filltime": "", "parentorderid": "", "uniqueorderid": unique_id, "exchangeorderid": "",
        }
        with self._lock:
            self.orders[order_id] = order
            self._progress(order)
        return _envelope({"script": scrip.symbol, "orderid": order_id, "uniqueorderid": unique_id})

    def _set_status(self, order: dict[str, Any], status: str) -> None:
        order["status"] = order["orderstatus"] = status
        order["updatetime"] = datetime.now().strftime("%d-%b-%Y %H:%M:%S")
        for listener in list(self.order_listeners):
            listener(copy.deepcopy(order))

    def _progress(self, order: dict[str, Any]) -> None:
        """Where a new or modified order goes: AMO waits, stop-loss waits for its trigger, a marketable
        order fills at the current price, the rest rests open."""
        if order["variety"] == "AMO":
            self._set_status(order, "after market order req received")
            return
        if order["ordertype"].startswith("STOPLOSS"):
            self._set_status(order, "trigger pending")
            return
        ltp = self.price_of(order["symboltoken"])
        buy = order["transactiontype"] == "BUY"
        if order["ordertype"] == "MARKET" or (buy and order["price"] >= ltp) or (not buy and order["price"] <= ltp):
            self._fill(order, ltp)
        else:
            self._set_status(order, "open")

    def _fill(self, order: dict[str, Any], price: float) -> None:
        order.update(averageprice=price, filledshares=order["quantity"], unfilledshares="0",
                     exchangeorderid=f"11{order['orderid'][-14:]}")
        self._record_fill(order)
        self._set_status(order, "complete")

    def _record_fill(self, order: dict[str, Any]) -> None:
        self.fills.append({
            "exchange": order["exchange"], "producttype": order["producttype"],
            "tradingsymbol": order["tradingsymbol"], "instrumenttype": order["instrumenttype"],
            "symbolgroup": "EQ", "strikeprice": "-1", "optiontype": "", "expirydate": "",
            "marketlot": order["lotsize"], "precision": "2", "multiplier": "-1",
            "tradevalue": f"{float(order['averageprice']) * int(order['quantity']):.2f}",
            "transactiontype": order["transactiontype"], "fillprice": f"{float(order['averageprice']):.2f}",
            "fillsize": order["quantity"], "orderid": order["orderid"], "fillid": f"5{order['orderid'][-7:]}",
            "filltime": datetime.now().strftime("%H:%M:%S"), "symboltoken": order["symboltoken"]})

    def _working(self, body: dict[str, Any]) -> dict[str, Any]:
        order = self.orders.get(str(body.get("orderid") or ""))
        if order is None:
            raise AngelError("Order not found", "AB1013")
        if body.get("variety") != order["variety"]:
            raise AngelError("Invalid Order Variety", "AB1008")
        if order["orderstatus"] in _FINAL:
            raise AngelError(f"Order is {order['orderstatus']} and cannot be changed", "AB2000")
        return order

    def _modify(self) -> Response:
        body = request.get_json()
        with self._lock:
            order = self._working(body)
            scrip = self._scrip(body)
            if scrip.token != order["symboltoken"]:
                raise AngelError("Invalid symboltoken", "AB4006")
            quantity, price, trigger = self._validate({**order, **body}, scrip)
            order.update(ordertype=body["ordertype"], producttype=body["producttype"], price=price,
                         triggerprice=trigger, quantity=str(quantity), unfilledshares=str(quantity))
            self._progress(order)
        return _envelope({"orderid": order["orderid"], "uniqueorderid": order["uniqueorderid"]})

    def _cancel(self) -> Response:
        body = request.get_json()
        with self._lock:
            order = self._working(body)
            order["cancelsize"] = order["unfilledshares"]
            self._set_status(order, "cancelled")
        return _envelope({"orderid": order["orderid"], "uniqueorderid": order["uniqueorderid"]})

    def _order_book(self) -> Response:
        with self._lock:
            rows = [copy.deepcopy(order) for order in self.orders.values()]
        return _envelope(rows or None)        # SmartAPI answers `data: null` for an empty book

    def _details(self, unique_id: str) -> Response:
        for order in list(self.orders.values()):
            if order["uniqueorderid"] == unique_id:
                return _envelope(copy.deepcopy(order))
        raise AngelError("Order not found", "AB1013")

    def _trade_book(self) -> Response:
        return _envelope([copy.deepcopy(fill) for fill in self.fills] or None)

    def _positions(self) -> Response:
        net: dict[tuple[str, str, str], dict[str, Any]] = {}
        for fill in self.fills:
            key = (fill["exchange"], fill["tradingsymbol"], fill["producttype"])
            row = net.setdefault(key, {"exchange": key[0], "tradingsymbol": key[1], "producttype": key[2],
                                       "symboltoken": fill["symboltoken"], "symbolname": key[1].split("-")[0],
                                       "buyqty": 0, "sellqty": 0, "buyamount": 0.0, "sellamount": 0.0})
            side = "buy" if fill["transactiontype"] == "BUY" else "sell"
            row[f"{side}qty"] += int(fill["fillsize"])
            row[f"{side}amount"] += float(fill["tradevalue"])
        rows = []
        for row in net.values():
            netqty = row["buyqty"] - row["sellqty"]
            buy_avg = row["buyamount"] / row["buyqty"] if row["buyqty"] else 0.0
            sell_avg = row["sellamount"] / row["sellqty"] if row["sellqty"] else 0.0
            ltp = self.price_of(row["symboltoken"])
            realised = min(row["buyqty"], row["sellqty"]) * (sell_avg - buy_avg)
            avg = buy_avg if netqty > 0 else sell_avg if netqty < 0 else 0.0
            unrealised = netqty * (ltp - avg)
            rows.append({**{k: f"{v:.2f}" if isinstance(v, float) else str(v) for k, v in row.items()},
                         "netqty": str(netqty), "buyavgprice": f"{buy_avg:.2f}", "sellavgprice": f"{sell_avg:.2f}",
                         "avgnetprice": f"{avg:.2f}", "netprice": f"{avg:.2f}", "ltp": f"{ltp:.2f}",
                         "realised": f"{realised:.2f}", "unrealised": f"{unrealised:.2f}",
                         "pnl": f"{realised + unrealised:.2f}"})
        return _envelope(rows or None)

    # ------------------------------------------------------------------ market data
    def _ltp_data(self) -> Response:
        body = request.get_json()
        scrip = self._scrip(body)
        ltp = self.price_of(scrip.token)
        return _envelope({"exchange": scrip.exchange, "tradingsymbol": scrip.symbol, "symboltoken": scrip.token,
                          "open": round(ltp * 0.99, 2), "high": round(ltp * 1.01, 2), "low": round(ltp * 0.98, 2),
                          "close": round(ltp * 0.995, 2), "ltp": ltp})

    def _quote_row(self, scrip: Scrip, mode: str) -> dict[str, Any]:
        ltp = self.price_of(scrip.token)
        row: dict[str, Any] = {"exchange": scrip.exchange, "tradingSymbol": scrip.symbol, "symbolToken": scrip.token,
                               "ltp": ltp}
        if mode == "LTP":
            return row
        row.update(open=round(ltp * 0.99, 2), high=round(ltp * 1.01, 2), low=round(ltp * 0.98, 2),
                   close=round(ltp * 0.995, 2))
        if mode == "OHLC":
            return row
        tick = max(scrip.tick_paise, 5.0) / 100
        now = datetime.now().strftime("%d-%b-%Y %H:%M:%S")
        row.update(lastTradeQty=5, exchFeedTime=now, exchTradeTime=now, netChange=round(ltp - row["close"], 2),
                   percentChange=round((ltp - row["close"]) / row["close"] * 100, 2), avgPrice=ltp,
                   tradeVolume=125000, opnInterest=0, lowerCircuit=round(ltp * 0.9, 2),
                   upperCircuit=round(ltp * 1.1, 2), totBuyQuan=5000, totSellQuan=6000,
                   **{"52WeekLow": round(ltp * 0.7, 2), "52WeekHigh": round(ltp * 1.3, 2)},
                   depth={"buy": [{"price": round(ltp - tick * (i + 1), 2), "quantity": 10 * (i + 1), "orders": i + 1}
                                  for i in range(5)],
                          "sell": [{"price": round(ltp + tick * (i + 1), 2), "quantity": 12 * (i + 1),
                                    "orders": i + 1} for i in range(5)]})
        return row

    def _quote(self) -> Response:
        body = request.get_json()
        mode = body.get("mode")
        if mode not in QUOTE_MODES:
            raise AngelError("Invalid mode", "AB2000")
        wanted = body.get("exchangeTokens")
        if not isinstance(wanted, dict) or not wanted:
            raise AngelError("exchangeTokens is required", "AB2000")
        if sum(len(tokens) for tokens in wanted.values()) > MAX_QUOTE_TOKENS:
            raise AngelError(f"Maximum {MAX_QUOTE_TOKENS} tokens are allowed in one request", "AB2000")
        fetched, unfetched = [], []
        for exchange, tokens in wanted.items():
            for token in tokens:
                scrip = scrips().get((exchange, str(token)))
                if scrip is None:
                    unfetched.append({"exchange": exchange, "symbolToken": str(token), "message": "Invalid Token",
                                      "errorCode": "AB4006"})
                else:
                    fetched.append(self._quote_row(scrip, mode))
        return _envelope({"fetched": fetched, "unfetched": unfetched})

    def _candles(self) -> Response:
        body = request.get_json()
        interval = body.get("interval")
        if interval not in CANDLE_DAY_LIMITS:
            raise AngelError("Invalid interval", "AB2000")
        scrip = scrips().get((body.get("exchange"), str(body.get("symboltoken") or "")))
        if scrip is None:
            raise AngelError("Invalid symboltoken", "AB4006")
        try:
            start = datetime.strptime(body["fromdate"], "%Y-%m-%d %H:%M")
            end = datetime.strptime(body["todate"], "%Y-%m-%d %H:%M")
        except (KeyError, TypeError, ValueError):
            raise AngelError("Invalid fromdate or todate; expected yyyy-MM-dd HH:mm", "AB2000") from None
        if end < start:
            raise AngelError("todate must not be before fromdate", "AB2000")
        if (end - start).days > CANDLE_DAY_LIMITS[interval]:
            raise AngelError(f"Exceeded the maximum of {CANDLE_DAY_LIMITS[interval]} days for {interval}", "AB2000")
        return _envelope(self._synthetic_candles(scrip.token, interval, start, end) or None)

    def _synthetic_candles(self, token: str, interval: str, start: datetime, end: datetime) -> list[list[Any]]:
        """Weekday bars from 09:15 to 15:29 (daily bars at 00:00), prices from the token's base price."""
        rows = []
        day = start.date()
        while day <= end.date():
            if day.weekday() < 5:
                base = round(self.price_of(token) + day.toordinal() % 7, 2)
                if interval == "ONE_DAY":
                    moments = [datetime.combine(day, datetime.min.time())]
                else:
                    step = _CANDLE_MINUTES[interval]
                    first = datetime.combine(day, datetime.min.time()).replace(hour=9, minute=15)
                    moments = [first + timedelta(minutes=step * i) for i in range(375 // step)]
                for moment in moments:
                    if interval == "ONE_DAY" or start <= moment <= end:
                        rows.append([moment.strftime("%Y-%m-%dT%H:%M:%S+05:30"), base, round(base + 1, 2),
                                     round(base - 1, 2), round(base + 0.5, 2), 1000])
            day += timedelta(days=1)
        return rows

    def _margin(self) -> Response:
        positions = request.get_json().get("positions")
        required = ("exchange", "qty", "price", "productType", "token", "tradeType")
        if not isinstance(positions, list) or not positions or any(
                not isinstance(p, dict) or set(required) - set(p) for p in positions):
            raise AngelError("positions: a list of {exchange, qty, price, productType, token, tradeType} "
                             "is required", "AB2000")
        data = fixture("margin_batch.json")["data"]
        total = sum(self.price_of(p["token"]) * int(p["qty"]) * 0.2 for p in positions)
        data["totalMarginRequired"] = round(total, 2)
        data["marginComponents"]["spanMargin"] = round(total * 0.7, 2)
        return _envelope(data)

    def _master(self) -> Response:
        if self.master_rows is None:
            return Response((FIXTURES / "scrip_master.json").read_bytes(), mimetype="application/json")
        if self._master_cache[0] is not self.master_rows:      # encoded once per list (the file is static)
            self._master_cache = (self.master_rows, json.dumps(self.master_rows).encode())
        return Response(self._master_cache[1], mimetype="application/json")

    # ------------------------------------------------------------------ GTT rules
    def _gtt_values(self, body: dict[str, Any]) -> dict[str, Any]:
        price, trigger, quantity = (self._number(body, name) for name in ("price", "triggerprice", "qty"))
        if price <= 0 or trigger <= 0:
            raise AngelError("Invalid price or triggerprice", "AB2000")
        if quantity <= 0 or quantity != int(quantity):
            raise AngelError("Invalid qty", "AB2000")
        days = int(self._number(body, "timeperiod") or 365)
        if not 1 <= days <= 365:
            raise AngelError("Invalid timeperiod", "AB2000")
        now = datetime.utcnow().replace(microsecond=0)
        return {"price": price, "triggerprice": trigger, "qty": int(quantity),
                "disclosedqty": int(self._number(body, "disclosedqty")), "updateddate": now.isoformat() + "Z",
                "expirydate": (now + timedelta(days=days)).isoformat() + "Z"}

    def _gtt_create(self) -> Response:
        body = request.get_json()
        scrip = self._scrip(body)
        if body.get("producttype") not in ("DELIVERY", "MARGIN"):
            raise AngelError("Invalid producttype", "AB1012")
        if body.get("transactiontype") not in ("BUY", "SELL"):
            raise AngelError("Invalid transactiontype", "AB2000")
        rule_id = str(next(self._gtt_ids))
        values = self._gtt_values(body)
        self.gtts[rule_id] = {"id": rule_id, "status": "NEW", "createddate": values["updateddate"], "clientid": "",
                              "tradingsymbol": scrip.symbol, "symboltoken": scrip.token, "exchange": scrip.exchange,
                              "producttype": body["producttype"], "transactiontype": body["transactiontype"],
                              **values}
        return _envelope({"id": rule_id})

    def _gtt_rule(self, body: dict[str, Any], *, active: bool = False) -> dict[str, Any]:
        rule = self.gtts.get(str(body.get("id") or ""))
        if rule is None:
            raise AngelError("GTT rule not found", "AB2000")
        if active and rule["status"] not in ("NEW", "ACTIVE"):
            raise AngelError(f"Rule is {rule['status'].lower()} and cannot be changed", "AB2000")
        return rule

    def _gtt_modify(self) -> Response:
        body = request.get_json()
        rule = self._gtt_rule(body, active=True)
        if str(body.get("symboltoken")) != rule["symboltoken"] or body.get("exchange") != rule["exchange"]:
            raise AngelError("Invalid symboltoken", "AB4006")
        rule.update(self._gtt_values(body))
        return _envelope({"id": rule["id"]})

    def _gtt_cancel(self) -> Response:
        body = request.get_json()
        rule = self._gtt_rule(body, active=True)
        if str(body.get("symboltoken")) != rule["symboltoken"] or body.get("exchange") != rule["exchange"]:
            raise AngelError("Invalid symboltoken", "AB4006")
        rule["status"] = "CANCELLED"
        return _envelope({"id": rule["id"]})

    def _gtt_details(self) -> Response:
        rule = dict(self._gtt_rule(request.get_json()))
        rule.pop("id")
        return _envelope(rule)

    def _gtt_list(self) -> Response:
        body = request.get_json()
        statuses, page, count = body.get("status"), body.get("page"), body.get("count")
        if not isinstance(statuses, list) or not isinstance(page, int) or not isinstance(count, int) or page < 1 \
                or not 1 <= count <= 500:
            raise AngelError("status (a list), page and count are required", "AB2000")
        rules = [copy.deepcopy(r) for r in self.gtts.values() if "FORALL" in statuses or r["status"] in statuses]
        return _envelope(rules[(page - 1) * count:page * count])
