"""The common base of every broker's streaming adapter (live ticks → ZeroMQ).

A broker plugin streams by subclassing `FeedAdapter` (or `WebSocketFeedAdapter` when the broker
feed is a WebSocket) and filling in a few hooks; the base does the rest:

* keeps the *wanted* subscriptions (instrument × mode × depth) and reconciles each upstream connection
  with them, so a reconnect resubscribes automatically;
* splits instruments across several upstream connections when the broker caps symbols per connection
  (`max_symbols_per_connection`, from the plugin's capability map);
* detects dead links (no frame for `stall_timeout` seconds while something is subscribed, or a failed
  `send_heartbeat`) and reconnects with exponential back-off and jitter;
* knows a dead token from a dead network: when a hook raises `broker.errors.TokenExpired` (a
  WebSocket handshake answered 401/403 does so by default; a broker that reports it in-band raises it
  from `decode`), the adapter stops reconnecting, its state becomes "rejected" and it calls
  `on_token_rejected(reason)` once — the proxy injects that callback to expire the user's broker
  session and tell their clients (this module knows nothing of Flask or the database). A rejected
  adapter is finished: the proxy builds a new one when the user reconnects the broker;
* turns decoded `FeedTick`s into the contract's messages, one encoding per tick and mode, and publishes them
  on the ZeroMQ bus under `BROKER_EXCHANGE_SYMBOL_MODE` for each mode somebody wants.

How to write one. A feed computed in-process (the paper broker, `broker/paper/streaming.py`)::

    class PaperStreaming(TimerFeedAdapter):
        broker = "paper"
        def generate(self, instruments):            # called every `interval` seconds
            return [FeedTick(i.exchange, i.symbol, ltp=..., mode=DEPTH, bids=..., asks=...) for i in instruments]

    # in create_plugin: BrokerPlugin(..., feed=lambda session, publisher: PaperStreaming(publisher, interval=...))
    # — the proxy gets the plugin from the registry and calls plugin.feed(session, publisher)

A broker WebSocket feed: subclass `WebSocketFeedAdapter`, set `max_symbols_per_connection`,
`depth_levels` and `supported_modes` from the capability map, and implement `upstream_url`,
`send_subscribe(conn, subs)` / `send_unsubscribe(conn, subs)` (list[Subscription]; `wanted_modes` tells
whether another mode of an instrument is still wanted) and `decode(frame) -> Iterable[FeedTick]` with the
OpenAlgo exchange/symbol the client subscribed (keep a token → name map from `subscription.instrument.info`).
Other transports subclass `FeedAdapter` itself (`open_upstream`, `read_upstream`, `close_upstream`,
`send_heartbeat`).

Adapters run on the proxy's event loop: hooks must not block (run blocking SDK calls in a thread).
"""
from __future__ import annotations

import asyncio
import random
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Iterable

import zmq

from broker.errors import TokenExpired
from broker.ticks import DEFAULT_DEPTH, DEPTH, MODE_LABELS, FeedTick, encode, market_data, topic_for
from utils.logging import get_logger

log = get_logger("broker.streaming")


class StallError(ConnectionError):
    """The upstream stopped talking (no frame, no heartbeat answer) although it looked connected."""


@dataclass(frozen=True, slots=True)
class FeedInstrument:
    """An instrument as the client named it; `info` is what the master-contract lookup returned (token,
    broker symbol, ...) for adapters that need it."""

    exchange: str
    symbol: str
    info: Any = None

    @property
    def key(self) -> tuple[str, str]:
        return self.exchange, self.symbol

    @property
    def token(self) -> str | None:
        """The broker's instrument token from `info` (a master-contract Instrument or a dict), if any."""
        info = self.info
        token = info.get("token") if isinstance(info, dict) else getattr(info, "token", None)
        return str(token) if token not in (None, "") else None


@dataclass(frozen=True, slots=True)
class Subscription:
    instrument: FeedInstrument
    mode: int
    depth: int = DEFAULT_DEPTH


class TickPublisher:
    """One ZeroMQ PUB socket per process, shared by its adapters. PUB never blocks: at the high-water
    mark ZeroMQ drops, which is right for ticks (a newer one follows)."""

    def __init__(self, endpoint: str, context: zmq.Context | None = None, hwm: int = 20_000):
        self._socket = (context or zmq.Context.instance()).socket(zmq.PUB)
        self._socket.setsockopt(zmq.SNDHWM, hwm)
        self._socket.setsockopt(zmq.LINGER, 0)
        self._socket.connect(endpoint)
        self.published = 0

    def publish(self, topic: str, payload: bytes) -> None:
        try:
            self._socket.send_multipart((topic.encode(), payload), flags=zmq.NOBLOCK)
            self.published += 1
        except zmq.Again:
            pass

    def close(self) -> None:
        self._socket.close(linger=0)


class _Link:
    """One upstream connection and the instruments assigned to it."""

    def __init__(self, index: int):
        self.index = index
        self.wanted: dict[tuple[str, str], dict[int, Subscription]] = {}
        self.changed = asyncio.Event()
        self.task: asyncio.Task | None = None
        self.state = "idle"
        self.reconnects = 0


class FeedAdapter(ABC):
    """Base streaming adapter; see the module docstring for how to subclass it."""

    broker: ClassVar[str] = ""
    supported_modes: ClassVar[frozenset[int]] = frozenset(MODE_LABELS)
    depth_levels: ClassVar[tuple[int, ...]] = (DEFAULT_DEPTH,)
    max_symbols_per_connection: ClassVar[int] = 0     # 0 = no cap
    stall_timeout: ClassVar[float] = 30.0             # seconds without any frame while subscribed
    heartbeat_interval: ClassVar[float] = 10.0
    connect_timeout: ClassVar[float] = 10.0
    backoff_initial: ClassVar[float] = 0.5
    backoff_max: ClassVar[float] = 30.0

    def __init__(self, publisher: TickPublisher, credentials: Any = None, **overrides: Any):
        self.publisher = publisher
        self.credentials = credentials     # whatever the plugin needs (auth/feed token); never logged
        for name, value in overrides.items():   # per-instance tuning, e.g. in tests
            if not hasattr(type(self), name):
                raise TypeError(f"unknown adapter option {name!r}")
            setattr(self, name, value)
        self._links: list[_Link] = []
        self._modes: dict[tuple[str, str], dict[int, int]] = {}   # instrument → {mode: depth}
        self._closed = False
        self.ticks_in = 0
        self.rejected: str = ""        # why the broker refused the token; "" while it has not
        # called once with that reason when the broker refuses the token (the proxy sets it)
        self.on_token_rejected: Callable[[str], None] | None = None

    # ------------------------------------------------------------------ hooks for subclasses
    @abstractmethod
    async def open_upstream(self) -> Any:
        """Open one upstream connection (log in if needed) and return its handle."""

    @abstractmethod
    async def read_upstream(self, conn: Any) -> Any:
        """Wait for the next frame; raise (any exception) when the connection is lost."""

    @abstractmethod
    async def send_subscribe(self, conn: Any, subs: list[Subscription]) -> None: ...

    @abstractmethod
    async def send_unsubscribe(self, conn: Any, subs: list[Subscription]) -> None: ...

    @abstractmethod
    def decode(self, frame: Any) -> Iterable[FeedTick]:
        """Broker frame → ticks whose exchange/symbol are the OpenAlgo names used to subscribe."""

    async def close_upstream(self, conn: Any) -> None:
        """Close a connection handle (default: nothing to close)."""

    async def send_heartbeat(self, conn: Any) -> None:
        """Prove the link is alive; raise when it is not (default: nothing; frames prove it)."""

    # ------------------------------------------------------------------ public API (used by the proxy)
    def subscribe(self, instrument: FeedInstrument, mode: int, depth: int = DEFAULT_DEPTH) -> None:
        """Want ticks of `instrument` at `mode`; returns at once, the link sends when connected."""
        self._modes.setdefault(instrument.key, {})[mode] = depth
        link = self._link_for(instrument.key)
        link.wanted.setdefault(instrument.key, {})[mode] = Subscription(instrument, mode, depth)
        link.changed.set()

    def unsubscribe(self, instrument: FeedInstrument, mode: int) -> None:
        modes = self._modes.get(instrument.key)
        if not modes or modes.pop(mode, None) is None:
            return
        if not modes:
            del self._modes[instrument.key]
        for link in self._links:
            wanted = link.wanted.get(instrument.key)
            if wanted and wanted.pop(mode, None) is not None:
                if not wanted:
                    del link.wanted[instrument.key]
                link.changed.set()
                if not link.wanted and link.index > 0:
                    self._drop_link(link)

    def wanted_modes(self, instrument: FeedInstrument) -> dict[int, int]:
        """{mode: depth} still wanted for `instrument`; brokers that subscribe per instrument (not per
        mode) use it to skip an unsubscribe while another mode is still wanted, or to pick the
        richest mode."""
        return dict(self._modes.get(instrument.key, {}))

    async def close(self) -> None:
        self._closed = True
        tasks = [link.task for link in self._links if link.task]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._links.clear()

    @property
    def state(self) -> str:
        states = {link.state for link in self._links}
        if self._closed:
            return "closed"
        if self.rejected:
            return "rejected"
        if not states:
            return "idle"
        return "connected" if states == {"connected"} else sorted(states - {"connected"})[0]

    def status(self) -> dict[str, Any]:
        return {"broker": self.broker, "state": self.state, "instruments": len(self._modes),
                "ticks_in": self.ticks_in,
                "connections": [{"state": l.state, "instruments": len(l.wanted), "reconnects": l.reconnects}
                                for l in self._links]}

    # ------------------------------------------------------------------ connection management
    def _link_for(self, key: tuple[str, str]) -> _Link:
        for link in self._links:
            if key in link.wanted:
                return link
        cap = self.max_symbols_per_connection
        for link in self._links:
            if not cap or len(link.wanted) < cap:
                return link
        link = _Link(len(self._links))
        self._links.append(link)
        if not self._closed and not self.rejected:
            link.task = asyncio.get_running_loop().create_task(self._run_link(link))
        return link

    def _drop_link(self, link: _Link) -> None:
        self._links.remove(link)
        if link.task:
            link.task.cancel()

    async def _run_link(self, link: _Link) -> None:
        attempt = 0
        while not self._closed and not self.rejected:
            link.state = "connecting" if attempt == 0 else "reconnecting"
            try:
                async with asyncio.timeout(self.connect_timeout):   # unlike wait_for, never eats a cancel
                    conn = await self.open_upstream()
            except asyncio.CancelledError:
                raise
            except TokenExpired as exc:
                self._token_rejected(link, exc)
                return
            except Exception as exc:
                log.warning("%s feed connection %d failed: %s", self.broker, link.index, exc or type(exc).__name__)
            else:
                if self._closed or link not in self._links:
                    await self.close_upstream(conn)
                    return
                link.state = "connected"
                attempt = 0
                rejection = await self._serve_link(link, conn)
                if rejection is not None:
                    self._token_rejected(link, rejection)
                    return
                link.reconnects += 1
            attempt += 1
            link.state = "reconnecting"
            delay = min(self.backoff_max, self.backoff_initial * 2 ** (attempt - 1))
            await asyncio.sleep(delay * random.uniform(0.8, 1.2))

    async def _serve_link(self, link: _Link, conn: Any) -> TokenExpired | None:
        """Run one connection until it breaks; the TokenExpired that broke it, if that was the cause."""
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._sync(link, conn))
                group.create_task(self._read(link, conn))
                group.create_task(self._heartbeat(conn))
        except ExceptionGroup as errors:   # cancellation (a BaseException) passes through untouched
            rejected, _ = errors.split(TokenExpired)
            if rejected is not None:
                return rejected.exceptions[0]
            log.warning("%s feed connection %d lost (%s); reconnecting and resubscribing", self.broker,
                        link.index, "; ".join(str(e) or type(e).__name__ for e in errors.exceptions))
        finally:
            try:
                await asyncio.shield(self.close_upstream(conn))
            except Exception:  # already broken; the reconnect is what matters
                pass
        return None

    def _token_rejected(self, link: _Link, error: TokenExpired) -> None:
        """The broker refused the token: a reconnect cannot help, so every link stops and the owner of
        the adapter is told once (it marks the session expired and tells the user)."""
        if self.rejected:
            return
        self.rejected = str(error) or "the broker refused the feed's token"
        log.warning("%s feed stopped: %s (no reconnect until the user reconnects the broker)", self.broker,
                    self.rejected)
        for other in self._links:
            other.state = "rejected"
            if other is not link and other.task is not None:
                other.task.cancel()
        if self.on_token_rejected is not None:
            try:
                self.on_token_rejected(self.rejected)
            except Exception:   # the owner's problem; the adapter has stopped either way
                log.exception("on_token_rejected callback failed")

    async def _sync(self, link: _Link, conn: Any) -> None:
        """Send the difference between what is wanted and what this connection has subscribed."""
        sent: dict[tuple[tuple[str, str], int], Subscription] = {}
        link.changed.set()   # a fresh connection has nothing: subscribe everything wanted
        while True:
            await link.changed.wait()
            link.changed.clear()
            wanted = {(key, mode): sub for key, modes in link.wanted.items() for mode, sub in modes.items()}
            gone = [sub for k, sub in sent.items() if k not in wanted]
            new = [sub for k, sub in wanted.items() if sent.get(k) != sub]
            if gone:
                await self.send_unsubscribe(conn, gone)
            if new:
                await self.send_subscribe(conn, new)
            sent = wanted

    async def _read(self, link: _Link, conn: Any) -> None:
        while True:
            try:
                async with asyncio.timeout(self.stall_timeout if link.wanted else None):
                    frame = await self.read_upstream(conn)
            except TimeoutError:
                raise StallError(f"no data for {self.stall_timeout:g} s") from None
            for tick in self.decode(frame):
                self.ticks_in += 1
                self.publish(tick)

    async def _heartbeat(self, conn: Any) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_interval)
            await self.send_heartbeat(conn)

    def publish(self, tick: FeedTick) -> None:
        """Publish `tick` once for each wanted mode it can serve (a Depth tick also feeds LTP/Quote)."""
        modes = self._modes.get((tick.exchange, tick.symbol))
        if not modes:
            return
        for mode, depth in modes.items():
            if mode <= tick.mode:
                message = market_data(tick, mode, self.broker, depth if mode == DEPTH else DEFAULT_DEPTH)
                self.publisher.publish(topic_for(self.broker, tick.exchange, tick.symbol, mode), encode(message))


class WebSocketFeedAdapter(FeedAdapter):
    """Base for brokers whose feed is a WebSocket: implement `upstream_url`, `send_subscribe`,
    `send_unsubscribe` and `decode`; heartbeats are WebSocket pings answered within `stall_timeout`."""

    async def upstream_url(self) -> str:
        raise NotImplementedError

    async def upstream_headers(self) -> dict[str, str]:
        return {}

    # handshake answers that mean "this token is refused" rather than "try again later"
    token_rejected_statuses: ClassVar[frozenset[int]] = frozenset({401, 403})

    async def open_upstream(self) -> Any:
        from websockets.asyncio.client import connect
        from websockets.exceptions import InvalidStatus

        try:
            return await connect(await self.upstream_url(), additional_headers=await self.upstream_headers(),
                                 ping_interval=None, open_timeout=self.connect_timeout, close_timeout=2,
                                 max_size=2 ** 22)
        except InvalidStatus as exc:
            status = exc.response.status_code
            if status in self.token_rejected_statuses:
                raise TokenExpired(f"{self.broker or 'the broker'} refused the feed's token (HTTP {status})",
                                   broker=self.broker, code=str(status)) from None
            raise

    async def read_upstream(self, conn: Any) -> Any:
        return await conn.recv()

    async def close_upstream(self, conn: Any) -> None:
        await conn.close()

    async def send_heartbeat(self, conn: Any) -> None:
        pong = await conn.ping()
        try:
            async with asyncio.timeout(self.stall_timeout):
                await pong
        except TimeoutError:
            raise StallError("no answer to the heartbeat") from None


class _LocalFeed:
    """The 'connection' of a locally computed feed: just what is subscribed."""

    def __init__(self) -> None:
        self.instruments: dict[tuple[str, str], FeedInstrument] = {}


class TimerFeedAdapter(FeedAdapter):
    """Base for feeds computed in-process (the paper broker's simulator, replays of recorded ticks):
    every `interval` seconds `generate` gets the subscribed instruments and returns their ticks (make
    them DEPTH-rich when the model has a book: each wanted mode is served from them). Set `interval`
    per instance, e.g. `PaperStreaming(publisher, interval=settings.PAPER_TICK_INTERVAL_MS / 1000)`."""

    interval: ClassVar[float] = 0.25

    @abstractmethod
    def generate(self, instruments: list[FeedInstrument]) -> Iterable[FeedTick]:
        """Ticks for `instruments` now; called on the event loop, so keep it quick."""

    async def open_upstream(self) -> Any:
        return _LocalFeed()

    async def send_subscribe(self, conn: Any, subs: list[Subscription]) -> None:
        for sub in subs:
            conn.instruments[sub.instrument.key] = sub.instrument

    async def send_unsubscribe(self, conn: Any, subs: list[Subscription]) -> None:
        for sub in subs:
            if not self.wanted_modes(sub.instrument):
                conn.instruments.pop(sub.instrument.key, None)

    async def read_upstream(self, conn: Any) -> Any:
        # sleep to the next multiple of the interval, so ticks keep their pace however long generate takes
        await asyncio.sleep(self.interval - asyncio.get_running_loop().time() % self.interval)
        return list(conn.instruments.values())

    def decode(self, frame: Any) -> Iterable[FeedTick]:
        return self.generate(frame) if frame else ()
