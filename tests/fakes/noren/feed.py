"""A fake Noren WebSocket (Shoonya's wss://api.shoonya.com/NorenWSTP/, Flattrade's
wss://piconnect.flattrade.in/PiConnectWSTp/): one server speaks for both brokers.

The protocol, from the public Noren API documentation: JSON text frames. The client's first frame is
`{"t": "c", "uid", "actid", "susertoken", "source"}`; the answer is `{"t": "ck", "s": "OK"}` or, for a
token the OMS does not know, `{"t": "ck", "s": "Not_Ok"}` and the socket is closed. Then:
- `{"t": "t", "k": "NSE|22#NFO|35001"}` touchline subscribe → one `tk` (acknowledgement with the full
  touchline) per instrument, then `tf` updates; `{"t": "u", "k": ...}` unsubscribes;
- `{"t": "d", "k": ...}` depth subscribe → `dk` then `df` with five levels (`bp1..5`, `bq1..5`,
  `bo1..5`, `sp/sq/so1..5`); `{"t": "ud", "k": ...}` unsubscribes;
- `{"t": "o", "actid"}` order subscribe → `{"t": "ok"}`, then one `om` message per order change.
Prices are strings, like the REST API's. `kill()` drops every connection (a crashed endpoint) and
`start()` listens again on the same port.
"""
from __future__ import annotations

import asyncio
import json
from typing import Any

from websockets.asyncio.server import ServerConnection

from tests.fakes.fixtures import fixture_json
from tests.support.net import free_port
from tests.websocket_proxy.fake_broker import FakeBrokerServer


class NorenFeedServer(FakeBrokerServer):
    def __init__(self, rest: Any, port: int | None = None, interval: float = 0.05):
        self.rest = rest                           # the NorenServer whose instruments and prices it streams
        self.valid_tokens: set[str] = set()
        self.logins: list[dict[str, Any]] = []
        self.received: list[dict[str, Any]] = []
        self.sent_orders: list[dict[str, Any]] = []
        self._order_listeners: set[ServerConnection] = set()
        self._step = 0
        rest.feed = self
        if rest.token_valid:
            self.valid_tokens.add(rest.session_token)
        super().__init__(port or free_port(), interval)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/NorenWSTP/"

    # ------------------------------------------------------------------ frames
    def _price(self, key: tuple[str, str]) -> float:
        return round(self.rest.prices[key] + (self._step % 5) * 0.05, 2)

    def touchline(self, key: tuple[str, str], full: bool) -> dict[str, Any]:
        exch, token = key
        row = self.rest.instruments[key]
        lp = self._price(key)
        frame = {"t": "tk" if full else "tf", "e": exch, "tk": token, "lp": f"{lp:.2f}",
                 "pc": f"{(lp / (self.rest.prices[key] * 0.99) - 1) * 100:.2f}", "v": str(412335 + self._step),
                 "bp1": f"{lp - 0.05:.2f}", "sp1": f"{lp + 0.05:.2f}", "bq1": "40", "sq1": "25",
                 "ltq": "2", "ft": str(int(asyncio.get_event_loop().time()) % 10**9)}
        if full:
            frame.update(ts=row["TradingSymbol"], pp="2", ls=row["LotSize"], ti=row["TickSize"],
                         o=f"{self.rest.prices[key] * 0.995:.2f}", h=f"{lp * 1.01:.2f}", l=f"{lp * 0.985:.2f}",
                         c=f"{self.rest.prices[key] * 0.99:.2f}", ap=f"{lp:.2f}")
        return frame

    def depth(self, key: tuple[str, str], full: bool) -> dict[str, Any]:
        frame = self.touchline(key, full)
        frame["t"] = "dk" if full else "df"
        lp = float(frame["lp"])
        for level in range(1, 6):
            frame.update({f"bp{level}": f"{lp - 0.05 * level:.2f}", f"sp{level}": f"{lp + 0.05 * level:.2f}",
                          f"bq{level}": str(40 * level), f"sq{level}": str(25 * level),
                          f"bo{level}": str(level), f"so{level}": str(level)})
        frame.update(tbq="5000", tsq="4200", uc=f"{lp * 1.2:.2f}", lc=f"{lp * 0.8:.2f}", oi="0")
        return frame

    def publish_order(self, order: dict[str, Any], reporttype: str) -> None:
        """Push one order's new state as an `om` message (called by the REST fake, any thread)."""
        message = dict(fixture_json("noren", "order_update.json"))
        for field in ("norenordno", "uid", "actid", "exch", "tsym", "trantype", "qty", "prc", "status",
                      "prctyp", "ret", "exchordid", "dscqty", "remarks", "norentm", "exch_tm"):
            message[field] = order.get(field, "")
        message.update(pcode=order["prd"], reporttype=reporttype, fillshares=order.get("fillshares", "0"),
                       avgprc=order.get("avgprc", "0.00"), flqty=order.get("flqty", "0"),
                       flprc=order.get("flprc", "0.00"), fltm=order.get("fltm", ""),
                       trgprc=order.get("trgprc", "0.00"), rejreason=order.get("rejreason", ""))
        self.sent_orders.append(message)

        async def go() -> None:
            for conn in list(self._order_listeners):
                try:
                    await conn.send(json.dumps(message))
                except Exception:
                    pass
        asyncio.run_coroutine_threadsafe(go(), self._loop)

    # ------------------------------------------------------------------ connections
    async def _handle(self, conn: ServerConnection) -> None:
        self.accepted += 1
        self._live.add(conn)
        touch: set[tuple[str, str]] = set()
        deep: set[tuple[str, str]] = set()
        self.connections.append(touch)
        sender = None
        try:
            login = json.loads(await asyncio.wait_for(conn.recv(), 10))
            self.logins.append(login)
            if login.get("t") != "c" or login.get("susertoken") not in self.valid_tokens:
                await conn.send(json.dumps({"t": "ck", "s": "Not_Ok", "uid": login.get("uid", "")}))
                await conn.close(1000, "invalid session")
                return
            await conn.send(json.dumps({"t": "ck", "s": "OK", "uid": login.get("uid", "")}))
            sender = asyncio.create_task(self._stream(conn, touch, deep))
            async for raw in conn:
                request = json.loads(raw)
                self.received.append(request)
                kind = request.get("t")
                keys = [tuple(k.split("|", 1)) for k in str(request.get("k", "")).split("#") if "|" in k]
                known = [k for k in keys if k in self.rest.instruments]
                if kind == "t":
                    self.subscribe_log.append([f"{e}|{t}" for e, t in known])
                    touch.update(known)
                    for key in known:
                        await conn.send(json.dumps(self.touchline(key, True)))
                elif kind == "d":
                    deep.update(known)
                    for key in known:
                        await conn.send(json.dumps(self.depth(key, True)))
                elif kind == "u":
                    touch.difference_update(known)
                elif kind == "ud":
                    deep.difference_update(known)
                elif kind == "o":
                    self._order_listeners.add(conn)
                    await conn.send(json.dumps({"t": "ok"}))
        except Exception:
            pass
        finally:
            if sender is not None:
                sender.cancel()
            self._order_listeners.discard(conn)
            self._live.discard(conn)
            self.connections.remove(touch)

    async def _stream(self, conn: ServerConnection, touch: set, deep: set) -> None:  # type: ignore[override]
        while True:
            await asyncio.sleep(self.interval)
            if self.frozen:
                continue
            self._step += 1
            for key in list(touch):
                await conn.send(json.dumps(self.touchline(key, False)))
            for key in list(deep):
                await conn.send(json.dumps(self.depth(key, False)))
