"""The template broker's fake server: its REST API and its two WebSockets (market feed, order pushes)
on local ports, speaking the protocol broker/_template/ documents, fed from tests/fixtures/_template.

Copy it to tests/fakes/<broker>/ for a new broker and make it speak that broker's documented protocol
(prove it with the broker's official SDK: tests/brokers/zerodha/ drives the Kite fake with kiteconnect).
It keeps a small exchange so flows are real (place → book → modify → cancel, fills at the quote,
positions from fills) and answers every failure a plugin must survive, on demand::

    with TemplateServer() as fake:
        fake.url, fake.ws_url                  # http://127.0.0.1:N, ws://127.0.0.1:M
        fake.fail_next(429)                    # throttled (also 500, 503 ...; `code`/`message` for the body)
        fake.expire_token()                    # 401 TOKEN_EXPIRED on REST, 403 on the WebSockets
        fake.malformed_next()                  # 200 with a body that is not JSON
        fake.slow_next(2.0)                    # answer after 2 s (longer than the plugin's timeout)
        fake.requests                          # every request: method, path, args, form, headers, json

`python -m tests.brokers._template.fake --port N` runs it by hand (REST on N, WebSockets on N+1).
"""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import itertools
import json
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, urlparse

from flask import Flask, Response, jsonify, request
from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Response as WsResponse
from werkzeug.serving import make_server

from tests.fakes.fixtures import fixture_json
from tests.fakes.recording import Failure, SeenRequest
from tests.support.net import free_port

API_KEY, API_SECRET, REQUEST_TOKEN = "template-api-key", "template-api-secret", "template-request-token"
USER_ID = "TB0001"
PRICE_TYPES = ("MKT", "LMT", "SL", "SLM")


def _error(status: int, code: str, message: str) -> Response:
    response = jsonify({"status": "error", "code": code, "message": message})
    response.status_code = status
    return response


class TemplateError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class TemplateServer:
    """See the module docstring."""

    def __init__(self, port: int = 0, ws_port: int = 0, interval: float = 0.05):
        self.access_token = "template-access-token"
        self.token_valid = True
        self.interval = interval
        self.instruments = {row["token"]: row for row in fixture_json("_template", "instruments.json")["data"]}
        recorded = fixture_json("_template", "quotes.json")["data"]
        # a price per token: the recorded quote where there is one, else a fixed spread of prices
        self.prices = {token: float(recorded[token]["ltp"]) if token in recorded else 100.0 + int(token) % 900
                       for token in self.instruments}
        self.funds = dict(fixture_json("_template", "funds.json")["data"])
        self.requests: list[SeenRequest] = []
        self.orders: dict[str, dict[str, Any]] = {}
        self.trades: list[dict[str, Any]] = []
        self._failures: list[Failure] = []
        self._malformed = 0
        self._slow: list[float] = []
        self._ids = itertools.count(200001)
        self._lock = threading.Lock()
        self.port, self.ws_port = port or free_port(), ws_port or free_port()
        self._http = make_server("127.0.0.1", self.port, self._app(), threaded=True)
        self._http_thread = threading.Thread(target=self._http.serve_forever, kwargs={"poll_interval": 0.02},
                                             daemon=True)
        self.sockets = _Sockets(self)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.ws_port}"

    @property
    def login_url(self) -> str:
        return f"{self.url}/connect"

    def settings(self) -> dict[str, str]:
        """The plugin's settings pointing at this fake."""
        return {"TEMPLATE_API_KEY": API_KEY, "TEMPLATE_API_SECRET": API_SECRET, "TEMPLATE_API_URL": self.url,
                "TEMPLATE_LOGIN_URL": self.login_url, "TEMPLATE_WS_URL": self.ws_url}

    def __enter__(self) -> "TemplateServer":
        self._http_thread.start()
        self.sockets.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.sockets.close()
        self._http.shutdown()
        self._http_thread.join(5)

    # ------------------------------------------------------------------ failure modes
    def fail_next(self, status: int, code: str = "SERVER_ERROR", message: str = "Simulated failure",
                  times: int = 1, paths: tuple[str, ...] = ()) -> None:
        self._failures.append(Failure(status, code, message, times, paths))

    def expire_token(self) -> None:
        self.token_valid = False
        self.sockets.expire()

    def malformed_next(self, times: int = 1) -> None:
        self._malformed += times

    def slow_next(self, seconds: float, times: int = 1) -> None:
        self._slow += [seconds] * times

    def requests_to(self, path: str, method: str | None = None) -> list[SeenRequest]:
        return [r for r in self.requests if r.path.startswith(path) and method in (None, r.method)]

    def valid(self, api_key: str | None, access_token: str | None) -> bool:
        return api_key == API_KEY and access_token == self.access_token and self.token_valid

    # ------------------------------------------------------------------ the REST app
    def _app(self) -> Flask:
        app = Flask("template-fake")
        app.register_error_handler(TemplateError, lambda e: _error(e.status, e.code, e.message))

        @app.before_request
        def gate() -> Response | None:
            self.requests.append(SeenRequest(request.method, request.path, request.args.to_dict(flat=False),
                                             request.form.to_dict(), dict(request.headers),
                                             request.get_json(silent=True)))
            if self._slow:
                time.sleep(self._slow.pop(0))
            for failure in self._failures:
                if failure.claims(request.path):
                    return _error(failure.status, failure.error_type or "SERVER_ERROR", failure.message)
            if self._malformed:
                self._malformed -= 1
                return Response("<html>502 Bad Gateway</html>", status=200, content_type="text/html")
            if request.path in ("/session/token", "/connect") and request.method in ("POST", "GET"):
                return None
            if request.headers.get("X-Api-Key") != API_KEY:
                return _error(403, "INVALID_API_KEY", "Invalid API key")
            if request.headers.get("Authorization") != f"Bearer {self.access_token}" or not self.token_valid:
                return _error(401, "TOKEN_EXPIRED", fixture_json("_template", "error_token.json")["message"])
            return None

        def ok(data: Any) -> Response:
            return jsonify({"status": "ok", "data": data})

        @app.post("/session/token")
        def session_token() -> Response:
            form = request.form
            expected = hashlib.sha256(f"{API_KEY}{REQUEST_TOKEN}{API_SECRET}".encode()).hexdigest()
            if form.get("api_key") != API_KEY or form.get("request_token") != REQUEST_TOKEN \
                    or form.get("checksum") != expected:
                raise TemplateError(401, "TOKEN_EXPIRED", "Invalid request token or checksum")
            self.token_valid = True
            return ok({"access_token": self.access_token, "user_id": USER_ID, "user_name": "Template Trader",
                       "expires_at": (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()})

        @app.delete("/session/token")
        def logout() -> Response:
            self.token_valid = False
            return ok(True)

        @app.get("/instruments")
        def instruments() -> Response:
            return ok(list(self.instruments.values()))

        @app.get("/quotes")
        def quotes() -> Response:
            tokens = [t for t in request.args.get("tokens", "").split(",") if t]
            known = {t: self.quote(t) for t in tokens if t in self.instruments}
            if not known:
                raise TemplateError(400, "UNKNOWN_SYMBOL", f"Unknown instrument token(s): {','.join(tokens)}")
            return ok(known)

        @app.get("/depth")
        def depth() -> Response:
            token = self._known(request.args.get("token", ""))
            quote = self.quote(token)
            tick = float(self.instruments[token].get("tick_size") or 0.05)
            return ok({"ltp": quote["ltp"], "volume": quote["volume"],
                       "bids": [[round(quote["bid"] - i * tick, 2), 100 * (i + 1), i + 1] for i in range(5)],
                       "asks": [[round(quote["ask"] + i * tick, 2), 120 * (i + 1), i + 1] for i in range(5)]})

        @app.get("/history")
        def history() -> Response:
            token = self._known(request.args.get("token", ""))
            start, end = (datetime.fromisoformat(request.args[k]).replace(tzinfo=timezone.utc) for k in ("from", "to"))
            step = {"1minute": 60, "5minute": 300, "day": 86400}[request.args["interval"]]
            first = int(start.timestamp()) if step == 86400 else int(end.timestamp()) + 9 * 3600 // step * step
            price, candles = self.prices[token], []
            for index in range(5 if step < 86400 else (end - start).days + 1):
                stamp = first + index * step
                candles.append([stamp, price, price + 1, price - 1, price + 0.5, 1000 + index])
            return ok(candles)

        @app.post("/orders")
        def place() -> Response:
            with self._lock:
                order = self._new_order(request.get_json(force=True))
            return ok({"order_id": order["order_id"]})

        @app.put("/orders/<order_id>")
        def modify(order_id: str) -> Response:
            body = request.get_json(force=True)
            with self._lock:
                order = self._open_order(order_id)
                order.update(quantity=body["quantity"], order_type=body["order_type"], price=body.get("price", 0),
                             trigger_price=body.get("trigger_price", 0))
                self._changed(order)
            return ok({"order_id": order_id})

        @app.delete("/orders/<order_id>")
        def cancel(order_id: str) -> Response:
            with self._lock:
                order = self._open_order(order_id)
                order["status"] = "CANCELLED"
                self._changed(order)
            return ok({"order_id": order_id})

        @app.get("/orders")
        def order_book() -> Response:
            return ok(list(self.orders.values()))

        @app.get("/orders/<order_id>")
        def order_status(order_id: str) -> Response:
            if order_id not in self.orders:
                raise TemplateError(404, "ORDER_NOT_FOUND", f"Order {order_id} not found")
            return ok(self.orders[order_id])

        @app.get("/trades")
        def trades() -> Response:
            return ok(self.trades)

        @app.get("/positions")
        def positions() -> Response:
            return ok(self._positions())

        @app.get("/holdings")
        def holdings() -> Response:
            return ok(fixture_json("_template", "holdings.json")["data"])

        @app.get("/funds")
        def funds() -> Response:
            return ok(self.funds)

        @app.post("/margin")
        def margin() -> Response:
            legs = request.get_json(force=True)["legs"]
            total = sum(leg["quantity"] * self.prices[self._known(leg["token"])] * 0.2 for leg in legs)
            return ok({"total": round(total, 2), "span": round(total * 0.7, 2), "exposure": round(total * 0.3, 2)})

        return app

    # ------------------------------------------------------------------ the little exchange
    def quote(self, token: str) -> dict[str, Any]:
        ltp = self.prices[token]
        return {"ltp": ltp, "open": ltp - 2, "high": ltp + 3, "low": ltp - 4, "close": ltp - 1, "volume": 100000,
                "bid": round(ltp - 0.05, 2), "ask": round(ltp + 0.05, 2), "oi": 0}

    def _known(self, token: str) -> str:
        if token not in self.instruments:
            raise TemplateError(400, "UNKNOWN_SYMBOL", f"Unknown instrument token {token}")
        return token

    def _new_order(self, body: dict[str, Any]) -> dict[str, Any]:
        token = self._known(str(body.get("token", "")))
        row = self.instruments[token]
        if body.get("order_type") not in PRICE_TYPES:
            raise TemplateError(400, "INVALID_ORDER", f"order_type must be one of {', '.join(PRICE_TYPES)}")
        quantity = body.get("quantity")
        if not isinstance(quantity, int) or quantity <= 0 or quantity % int(row.get("lot_size") or 1):
            raise TemplateError(400, "INVALID_ORDER", f"quantity must be a multiple of the lot size {row.get('lot_size')}")
        if body["side"] == "BUY" and quantity * self.prices[token] * 0.2 > self.funds["available"]:
            raise TemplateError(400, "INSUFFICIENT_FUNDS", "Insufficient funds for this order")
        order = {"order_id": f"TB{next(self._ids)}", "token": token, "symbol": row["symbol"],
                 "exchange": row["exchange"], "side": body["side"], "quantity": quantity, "product": body["product"],
                 "order_type": body["order_type"], "price": body.get("price", 0),
                 "trigger_price": body.get("trigger_price", 0), "status": "OPEN", "filled_quantity": 0,
                 "average_price": 0, "reason": "", "updated_at": datetime.now().strftime("%Y-%m-%d %H:%M:%S")}
        self.orders[order["order_id"]] = order
        ltp = self.prices[token]
        marketable = order["order_type"] == "MKT" or (order["order_type"] == "LMT" and (
            (order["side"] == "BUY" and order["price"] >= ltp) or (order["side"] == "SELL" and order["price"] <= ltp)))
        if marketable:
            order.update(status="FILLED", filled_quantity=quantity, average_price=ltp)
            self.trades.append({"trade_id": f"T{order['order_id']}", "order_id": order["order_id"], "token": token,
                                "symbol": row["symbol"], "exchange": row["exchange"], "side": order["side"],
                                "quantity": quantity, "price": ltp, "product": order["product"],
                                "time": order["updated_at"]})
        elif order["order_type"] in ("SL", "SLM"):
            order["status"] = "TRIGGER_PENDING"
        self._changed(order)
        return order

    def _open_order(self, order_id: str) -> dict[str, Any]:
        order = self.orders.get(order_id)
        if order is None:
            raise TemplateError(404, "ORDER_NOT_FOUND", f"Order {order_id} not found")
        if order["status"] not in ("OPEN", "TRIGGER_PENDING"):
            raise TemplateError(400, "INVALID_ORDER", f"Order {order_id} is {order['status'].lower()}")
        return order

    def _positions(self) -> list[dict[str, Any]]:
        net: dict[tuple[str, str], dict[str, Any]] = {}
        for trade in self.trades:
            key = (trade["token"], trade["product"])
            row = net.setdefault(key, {"token": trade["token"], "symbol": trade["symbol"], "exchange": trade["exchange"],
                                       "product": trade["product"], "net_quantity": 0, "average_price": trade["price"]})
            row["net_quantity"] += trade["quantity"] if trade["side"] == "BUY" else -trade["quantity"]
        for row in net.values():
            row["ltp"] = self.prices[row["token"]]
            row["pnl"] = round((row["ltp"] - row["average_price"]) * row["net_quantity"], 2)
        return list(net.values())

    def _changed(self, order: dict[str, Any]) -> None:
        self.sockets.push_order(dict(order))


class _Sockets:
    """The two WebSockets on one port: /feed (ticks for subscribed tokens every `interval` s) and
    /orders (each order change), both refusing a wrong key or token with HTTP 403."""

    def __init__(self, fake: TemplateServer):
        self.fake = fake
        self.accepted = 0
        self.refused = 0
        self.feeds: dict[ServerConnection, dict[str, str]] = {}   # connection → token → mode
        self.order_listeners: set[ServerConnection] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: Any = None

    def start(self) -> None:
        self._thread.start()

        async def go() -> None:
            self._server = await serve(self._handle, "127.0.0.1", self.fake.ws_port, process_request=self._check)
        asyncio.run_coroutine_threadsafe(go(), self._loop).result(10)

    def close(self) -> None:
        async def go() -> None:
            self._server.close()
            await self._server.wait_closed()
        asyncio.run_coroutine_threadsafe(go(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def _check(self, conn: ServerConnection, req: Any) -> WsResponse | None:
        query = parse_qs(urlparse(req.path).query)
        if not self.fake.valid((query.get("api_key") or [None])[0], (query.get("access_token") or [None])[0]):
            self.refused += 1
            return WsResponse(403, "Forbidden", Headers(), b"invalid api_key or access_token")
        return None

    async def _handle(self, conn: ServerConnection) -> None:
        self.accepted += 1
        if urlparse(conn.request.path).path == "/orders":
            self.order_listeners.add(conn)
            try:
                await conn.wait_closed()
            finally:
                self.order_listeners.discard(conn)
            return
        tokens: dict[str, str] = {}
        self.feeds[conn] = tokens
        sender = asyncio.create_task(self._stream(conn, tokens))
        try:
            async for raw in conn:
                message = json.loads(raw)
                if message.get("action") == "subscribe":
                    tokens.update({t: message["mode"] for t in message["tokens"] if t in self.fake.instruments})
                elif message.get("action") == "unsubscribe":
                    for token in message["tokens"]:
                        tokens.pop(token, None)
        except Exception:
            pass
        finally:
            sender.cancel()
            self.feeds.pop(conn, None)

    async def _stream(self, conn: ServerConnection, tokens: dict[str, str]) -> None:
        while True:
            await asyncio.sleep(self.fake.interval)
            for token in list(tokens):
                quote = self.fake.quote(token)
                await conn.send(json.dumps({"type": "tick", "token": token, **quote,
                                            "bids": [[quote["bid"], 100, 1]], "asks": [[quote["ask"], 120, 1]]}))

    def expire(self) -> None:
        """Tell live feed connections in-band that the token ended (the broker's other way of saying it)."""
        async def go() -> None:
            for conn in list(self.feeds):
                await conn.send(json.dumps({"type": "error", "code": "TOKEN_EXPIRED", "message": "token expired"}))
        asyncio.run_coroutine_threadsafe(go(), self._loop).result(10)

    def push_order(self, order: dict[str, Any]) -> None:
        async def go() -> None:
            for conn in list(self.order_listeners):
                await conn.send(json.dumps(order))
        if self._loop.is_running():
            asyncio.run_coroutine_threadsafe(go(), self._loop)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8900, help="REST port; the WebSockets take the next one")
    args = parser.parse_args()
    with TemplateServer(port=args.port, ws_port=args.port + 1, interval=1.0) as fake:
        for name, value in fake.settings().items():
            print(f"{name}={value}", flush=True)
        print(f"log in: GET {fake.login_url}; the callback's request_token is {REQUEST_TOKEN}", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
