"""The Noren WebSocket (Shoonya NorenWSTP, Flattrade PiConnectWSTp): market feed and order updates.

Protocol (Noren API documentation, "Websocket API"): JSON text frames. After opening, the client sends
`{"t": "c", "uid", "actid", "susertoken", "source": "API"}` and the OMS answers `{"t": "ck", "s": "OK"}`
— anything else means the session token is refused (TokenExpired: the feed stops for good and the user
reconnects the broker). `{"t": "t", "k": "NSE|22#NFO|35001"}` subscribes touchlines (answered by one
`tk` per instrument with every field, then `tf` frames carrying only what changed), `{"t": "d", ...}`
depth (`dk` / `df` with five levels), `u` / `ud` unsubscribe. Since `tf` / `df` frames are partial, the
adapter keeps each instrument's last full state and publishes the merged tick. `{"t": "o", "actid"}`
subscribes the account's order updates: one `om` message (the order-book row's fields) per change.
"""
from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass
from typing import Any, Iterable

from broker.contract import BrokerSession, OrderEmit
from broker.errors import TokenExpired
from broker.noren import mapping
from broker.noren.mapping import EXCHANGES, number, whole
from broker.streaming import Subscription, TickPublisher, WebSocketFeedAdapter
from broker.ticks import DEPTH, QUOTE, FeedTick
from utils.logging import get_logger

MAX_TOKENS_PER_CONNECTION = 1000


@dataclass(frozen=True)
class FeedCredentials:
    user_id: str
    session_token: str
    url: str

    def __repr__(self) -> str:   # never show the token
        return f"FeedCredentials(user_id={self.user_id!r}, url={self.url!r})"


def connect_message(user_id: str, token: str) -> str:
    return json.dumps({"t": "c", "uid": user_id, "actid": user_id, "susertoken": token, "source": "API"})


def refused(answer: dict[str, Any], broker: str) -> TokenExpired | None:
    if answer.get("t") == "ck" and str(answer.get("s", "")).upper() != "OK":
        return TokenExpired(f"{broker} refused the feed's session (ck {answer.get('s')})", broker=broker)
    return None


class NorenFeed(WebSocketFeedAdapter):
    depth_levels = (5,)
    max_symbols_per_connection = MAX_TOKENS_PER_CONNECTION
    stall_timeout = 15.0

    def __init__(self, broker: str, publisher: TickPublisher, credentials: FeedCredentials, **overrides: Any):
        self.broker = broker
        super().__init__(publisher, credentials, **overrides)
        self._names: dict[tuple[str, str], tuple[str, str]] = {}   # (exch, token) → (exchange, symbol)
        self._state: dict[tuple[str, str], dict[str, Any]] = {}

    async def upstream_url(self) -> str:
        return self.credentials.url

    async def open_upstream(self) -> Any:
        conn = await super().open_upstream()
        creds: FeedCredentials = self.credentials
        await conn.send(connect_message(creds.user_id, creds.session_token))
        async with asyncio.timeout(self.connect_timeout):
            answer = json.loads(await conn.recv())
        error = refused(answer, self.broker)
        if error is not None:
            await conn.close()
            raise error
        return conn

    def _key(self, sub: Subscription) -> str | None:
        token = sub.instrument.token
        if token is None:
            return None
        info = sub.instrument.info
        exch = getattr(info, "brexchange", None) or EXCHANGES.get(sub.instrument.exchange, sub.instrument.exchange)
        self._names[(exch, token)] = sub.instrument.key
        return f"{exch}|{token}"

    async def send_subscribe(self, conn: Any, subs: list[Subscription]) -> None:
        touch, deep = [], []
        for sub in subs:
            key = self._key(sub)
            if key is None:
                continue
            (deep if DEPTH in self.wanted_modes(sub.instrument) else touch).append(key)
        if touch:
            await conn.send(json.dumps({"t": "t", "k": "#".join(sorted(set(touch)))}))
        if deep:
            await conn.send(json.dumps({"t": "d", "k": "#".join(sorted(set(deep)))}))

    async def send_unsubscribe(self, conn: Any, subs: list[Subscription]) -> None:
        gone_touch, gone_deep, keep = [], [], []
        for sub in subs:
            key = self._key(sub)
            if key is None:
                continue
            wanted = self.wanted_modes(sub.instrument)
            if sub.mode == DEPTH and DEPTH not in wanted:
                gone_deep.append(key)
                if wanted:
                    keep.append(sub)
            elif not wanted:
                gone_touch.append(key)
        if gone_deep:
            await conn.send(json.dumps({"t": "ud", "k": "#".join(sorted(set(gone_deep)))}))
        if gone_touch:
            await conn.send(json.dumps({"t": "u", "k": "#".join(sorted(set(gone_touch)))}))
        if keep:
            await self.send_subscribe(conn, keep)    # depth dropped, a touchline still wanted

    def decode(self, frame: Any) -> Iterable[FeedTick]:
        message = json.loads(frame)
        kind = message.get("t")
        error = refused(message, self.broker)
        if error is not None:
            raise error
        if kind not in ("tk", "tf", "dk", "df"):
            return ()
        key = (str(message.get("e")), str(message.get("tk")))
        name = self._names.get(key)
        if name is None:
            return ()
        state = self._state.setdefault(key, {})
        state.update(message)
        depth = kind in ("dk", "df")
        return (to_tick(name, state, depth),)


def to_tick(name: tuple[str, str], s: dict[str, Any], depth: bool) -> FeedTick:
    """An instrument's merged state → one tick (a touchline serves LTP and Quote; Noren has no LTP mode)."""
    exchange, symbol = name
    levels = 5 if depth else 1
    return FeedTick(exchange=exchange, symbol=symbol, ltp=number(s, "lp"), mode=DEPTH if depth else QUOTE,
                    open=number(s, "o"), high=number(s, "h"), low=number(s, "l"), close=number(s, "c"),
                    volume=whole(s, "v"), last_trade_quantity=whole(s, "ltq"), avg_trade_price=number(s, "ap"),
                    oi=whole(s, "oi") if "oi" in s else None,
                    total_buy_quantity=whole(s, "tbq") if "tbq" in s else None,
                    total_sell_quantity=whole(s, "tsq") if "tsq" in s else None,
                    upper_circuit=number(s, "uc") if "uc" in s else None,
                    lower_circuit=number(s, "lc") if "lc" in s else None,
                    bids=[(number(s, f"bp{n}"), whole(s, f"bq{n}"), whole(s, f"bo{n}")) for n in range(1, levels + 1)],
                    asks=[(number(s, f"sp{n}"), whole(s, f"sq{n}"), whole(s, f"so{n}")) for n in range(1, levels + 1)])


class NorenOrderFeed:
    """`BrokerPlugin.order_feed`: its own connection (connect, `t:o`), one OrderEvent per `om` message.
    Reconnects with back-off after network trouble; stops for good when the session is refused."""

    def __init__(self, broker: str, session: BrokerSession, emit: OrderEmit, names: mapping.SymbolNames, url: str):
        self.broker, self._url = broker, url
        self._user, self._token = session.broker_user_id, session.feed_token or session.auth_token
        self._emit, self._names = emit, names
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._conn: Any = None
        self.refused = False
        self.log = get_logger(f"broker.{broker}.order_feed")

    def connect(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"{self.broker}-order-feed", daemon=True)
            self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:   # already gone
                pass
        if self._thread is not None:
            self._thread.join(5)

    def _run(self) -> None:
        from websockets.sync.client import connect

        delay = 0.5
        while not self._stop.is_set():
            try:
                with connect(self._url, open_timeout=10, close_timeout=2) as conn:
                    self._conn = conn
                    conn.send(connect_message(self._user, self._token))
                    if refused(json.loads(conn.recv(timeout=10)), self.broker) is not None:
                        self.refused = True
                        self.log.warning("%s refused the order feed's session; not reconnecting", self.broker)
                        return
                    conn.send(json.dumps({"t": "o", "actid": self._user}))
                    delay = 0.5
                    for frame in conn:
                        self._handle(frame)
            except Exception as exc:   # network trouble: back off and reconnect
                self.log.info("%s order feed lost: %s", self.broker, type(exc).__name__)
            self._stop.wait(delay)
            delay = min(delay * 2, 30)

    def _handle(self, frame: Any) -> None:
        try:
            message = json.loads(frame)
            if message.get("t") == "om" and message.get("norenordno"):
                self._emit(mapping.to_order_event(message, self._names))
        except (ValueError, KeyError, TypeError) as exc:   # one unreadable update is skipped, not the link
            self.log.info("%s order update skipped: %s", self.broker, type(exc).__name__)
