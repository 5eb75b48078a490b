"""The adapters a plugin provides, the session they act for, and the bundle discovery collects.

A plugin's adapters are built once per process by its `create_plugin(config)` and shared by every user;
each call gets the user's `BrokerSession` (tokens decrypted by services/broker_session.py), so adapters
keep no per-user state. Every method of the base classes below raises `NotSupported` until a plugin
overrides it; a plugin overrides exactly the operations its capability map lists (the contract tests
check both directions). A few operations have default implementations built from others
(`quotes` from `quote`, `cancel_all_orders` from `order_book` + `cancel_order`, `open_position` from
`positions`, `close_all_positions` from `positions` + `place_order`): override them when the broker has
a native call.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping, Protocol, Sequence

from broker.contract.manifest import CapabilityMap, Manifest
from broker.contract.models import (CandleSeries, Depth, Funds, Gtt, GttAck, GttRequest, Holding,
                                    HistoryRequest, Instrument, Margin, MarginLeg, ModifyRequest, Order, OrderAck,
                                    OrderEvent, OrderRequest, Position, Quote, Trade)
from broker.errors import ErrorTable, InvalidOrder, NotSupported
from utils.clock import system_now
from utils.constants import ORDER_STATUS_OPEN, ORDER_STATUS_TRIGGER_PENDING

if TYPE_CHECKING:  # the feed base lives with the proxy's event loop; plugins import it themselves
    from broker.streaming import FeedAdapter, TickPublisher


@dataclass(frozen=True, slots=True, kw_only=True)
class BrokerSession:
    """A user's live connection to a broker, as the adapters see it (tokens in clear, in memory only)."""
    user_id: int
    broker: str
    auth_token: str = ""
    feed_token: str = ""
    broker_user_id: str = ""       # the account id at the broker, when it tells us
    expires_at: datetime | None = None
    extra: Mapping[str, str] = field(default_factory=dict)  # other per-session values the plugin stored

    def __repr__(self) -> str:  # never show tokens in logs or tracebacks
        return f"BrokerSession(user_id={self.user_id}, broker={self.broker!r}, expires_at={self.expires_at})"


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthResult:
    """What `AuthAdapter.authenticate` returns; stored encrypted as the user's broker session."""
    auth_token: str
    feed_token: str = ""
    broker_user_id: str = ""
    expires_at: datetime | None = None   # None: until disconnected
    extra: Mapping[str, str] = field(default_factory=dict)
    raw: Any = field(default=None, repr=False, compare=False)

    def __repr__(self) -> str:
        return f"AuthResult(broker_user_id={self.broker_user_id!r}, expires_at={self.expires_at})"


class SymbolLookup(Protocol):
    """Master-contract lookups a plugin may use to turn broker rows back into OpenAlgo symbols.

    Implemented by services/master_contract.py over the `symtoken` table (cached in memory)."""

    def by_symbol(self, symbol: str, exchange: str) -> Instrument | None: ...

    def by_brsymbol(self, brsymbol: str, brexchange: str) -> Instrument | None: ...

    def by_token(self, token: str, exchange: str | None = None) -> Instrument | None: ...


@dataclass(frozen=True, kw_only=True)
class PluginConfig:
    """Everything a plugin gets from the app: its own settings, its HTTP session, its rate limiter, lookups."""
    settings: Mapping[str, Any]          # ONLY the settings its manifest declares, parsed (ZERODHA_API_KEY, ...)
    http: Any = None                     # broker.http.BrokerHttp for this broker (pooled, timeouts, retries)
    rate_limiter: Any = None             # broker.rate_limit.RateLimiter for this broker
    symbols: SymbolLookup | None = None  # master contract of this broker
    # Called with a user id when the broker changed that user's orders outside a request (a resting
    # order filled, a broker's order-update push), so open pages refresh at once.
    on_order_update: Callable[[int], None] | None = None
    # Called with (user_id, event) for every order change the plugin learns of in the app's processes
    # (the paper engine's own changes, a broker's postback): sent to the user's order-update subscribers.
    on_order_event: Callable[[int, OrderEvent], None] | None = None
    # The app's one clock (utils.clock): what a plugin calls "now" (today's contract, expiry, a simulated
    # market's instant); tests and shifted-clock runs move it.
    clock: Callable[[], datetime] = system_now

    def get(self, name: str, default: Any = None) -> Any:
        return self.settings.get(name, default)


def _unsupported(operation: str) -> NotSupported:
    return NotSupported(f"{operation.replace('_', ' ')} is not supported by this broker")


class AuthAdapter:
    """Turns the broker's login result into tokens, and knows when the broker session ends."""

    def login_url(self, state: str) -> str:
        """OAuth brokers: where to send the browser (`state` comes back on the callback)."""
        raise _unsupported("login_url")

    def authenticate(self, credentials: Mapping[str, str]) -> AuthResult:
        """`credentials`: the OAuth callback parameters (e.g. request_token), or the login form fields
        named in `Manifest.login_fields`; empty for auth type "none". Raises AuthError."""
        raise _unsupported("authenticate")

    def logout(self, session: BrokerSession) -> None:
        """Revoke the token at the broker where it offers that; a no-op otherwise."""
        return None


class OrderAdapter:
    def place_order(self, session: BrokerSession, request: OrderRequest) -> OrderAck:
        raise _unsupported("place_order")

    def modify_order(self, session: BrokerSession, request: ModifyRequest) -> OrderAck:
        raise _unsupported("modify_order")

    def cancel_order(self, session: BrokerSession, order_id: str) -> OrderAck:
        raise _unsupported("cancel_order")

    def order_book(self, session: BrokerSession) -> list[Order]:
        raise _unsupported("order_book")

    def order_status(self, session: BrokerSession, order_id: str) -> Order:
        """Raises OrderNotFound when the broker does not know `order_id`."""
        from broker.errors import OrderNotFound

        for order in self.order_book(session):
            if order.order_id == order_id:
                return order
        raise OrderNotFound(f"Order {order_id} not found")

    def trade_book(self, session: BrokerSession) -> list[Trade]:
        raise _unsupported("trade_book")

    def positions(self, session: BrokerSession) -> list[Position]:
        raise _unsupported("positions")

    def holdings(self, session: BrokerSession) -> list[Holding]:
        raise _unsupported("holdings")

    def cancel_all_orders(self, session: BrokerSession) -> list[OrderAck]:
        pending = (ORDER_STATUS_OPEN, ORDER_STATUS_TRIGGER_PENDING)
        return [self.cancel_order(session, order.order_id)
                for order in self.order_book(session) if order.status in pending]

    def open_position(self, session: BrokerSession, symbol: str, exchange: str, product: str) -> int | float:
        """Signed net quantity for the exact (symbol, exchange, product), 0 when there is none."""
        for position in self.positions(session):
            if (position.symbol, position.exchange, position.product) == (symbol, exchange, product):
                return position.quantity
        return 0

    def close_all_positions(self, session: BrokerSession, resolve: Callable[[str, str], Instrument]) -> list[OrderAck]:
        """Square off every open position with a MARKET order; `resolve(symbol, exchange)` gives the
        instrument from the master contract."""
        acks = []
        for position in self.positions(session):
            if position.quantity:
                acks.append(self.place_order(session, OrderRequest(
                    instrument=resolve(position.symbol, position.exchange),
                    action="SELL" if position.quantity > 0 else "BUY",
                    quantity=abs(position.quantity), product=position.product, pricetype="MARKET")))
        return acks


class DataAdapter:
    def quote(self, session: BrokerSession, instrument: Instrument) -> Quote:
        raise _unsupported("quote")

    def quotes(self, session: BrokerSession, instruments: Sequence[Instrument]) -> list[Quote]:
        """One quote per instrument, in the same order (brokers with a batch call override this)."""
        return [self.quote(session, instrument) for instrument in instruments]

    def depth(self, session: BrokerSession, instrument: Instrument) -> Depth:
        raise _unsupported("depth")

    def history(self, session: BrokerSession, request: HistoryRequest) -> CandleSeries:
        raise _unsupported("history")


class FundsAdapter:
    def funds(self, session: BrokerSession) -> Funds:
        raise _unsupported("funds")

    def margin(self, session: BrokerSession, legs: Sequence[MarginLeg]) -> Margin:
        raise _unsupported("margin")


class GttAdapter:
    """GTT (good-till-triggered) orders kept by the broker: a price trigger that places an order when
    LTP crosses it (API_CONTRACT.md §16). The default raises NotSupported for every call, which the API
    answers with 501; a plugin that overrides these lists "place_gtt", "modify_gtt", "cancel_gtt" and
    "gtt_book" in its capability map."""

    def place_gtt(self, session: BrokerSession, request: GttRequest) -> GttAck:
        raise _unsupported("place_gtt")

    def modify_gtt(self, session: BrokerSession, trigger_id: str, request: GttRequest) -> GttAck:
        """Replace every field of the active trigger `trigger_id` (symbol, exchange, action and trigger
        type stay as placed; the service checks that). Raises OrderNotFound for an unknown trigger."""
        raise _unsupported("modify_gtt")

    def cancel_gtt(self, session: BrokerSession, trigger_id: str) -> GttAck:
        """Cancel an active trigger (both legs of an OCO). Raises OrderNotFound for an unknown trigger."""
        raise _unsupported("cancel_gtt")

    def gtt_book(self, session: BrokerSession) -> list[Gtt]:
        """Every trigger the broker still lists for the user, whatever its status."""
        raise _unsupported("gtt_book")

    @staticmethod
    def refuse_expiry(request: GttRequest, broker: str, display_name: str) -> None:
        """For brokers that set a trigger's validity themselves: a request naming an expiry
        (`validity_days`) is refused with a 400 instead of being silently kept for the broker's term."""
        if request.expires_at is not None:
            raise InvalidOrder(f"{display_name} sets a GTT's validity itself; validity_days is not supported",
                               broker=broker)


class MasterContractLoader:
    """Downloads the broker's instrument list in the unified format (OpenAlgo symbols built with
    utils/symbols.py). Rows are yielded so 100k-instrument lists never sit twice in memory; the
    caller stages, validates and swaps them in (services/master_contract.py)."""

    def download(self, session: BrokerSession | None, progress: Callable[[str], None]) -> Iterator[Instrument]:
        raise _unsupported("master_contract")


# A plugin's market feed: given a user's live session and the proxy's tick publisher, the adapter that
# streams that user's subscriptions (a subclass of broker.streaming.FeedAdapter), or None when the
# broker has no feed for this session. The plugin's create_plugin closes over its own settings (feed
# URL, api key), so nothing but the session and the publisher is passed here. Called by the WebSocket
# proxy only, on its event loop: build the object, do no I/O (the base connects on first subscribe).
FeedFactory = Callable[[BrokerSession, "TickPublisher"], "FeedAdapter | None"]

OrderEmit = Callable[[OrderEvent], None]


class OrderFeed(Protocol):
    """One upstream order-update connection for one user (capability `order_updates == "push"`), owned
    by the WebSocket proxy process like a market feed: the proxy builds it with
    `plugin.order_feed(session, emit)`, calls `connect()` once and `close()` when the user's last
    subscriber leaves or the session ends. The adapter calls `emit(event)` for every order change the
    broker pushes, in the broker's order, from any thread; `emit` never blocks and never raises."""

    def connect(self) -> None: ...

    def close(self) -> None: ...


OrderFeedFactory = Callable[[BrokerSession, OrderEmit], OrderFeed]


@dataclass(frozen=True, kw_only=True)
class BrokerPlugin:
    """Everything one broker provides; what `broker/<name>/__init__.py:create_plugin(config)` returns."""
    manifest: Manifest
    capabilities: CapabilityMap
    auth: AuthAdapter
    orders: OrderAdapter
    data: DataAdapter
    funds: FundsAdapter
    master_contract: MasterContractLoader
    feed: FeedFactory | None = None          # required when capabilities declare "streaming"
    # order_updates == "push": builds the user's order-update feed (see OrderFeed); None otherwise
    order_feed: OrderFeedFactory | None = None
    # GTT orders; the default adapter raises NotSupported (the capability map lists no GTT operation)
    gtt: GttAdapter = field(default_factory=GttAdapter)
    # Brokers that POST order updates to the app (/postback/<name>): checks the payload's signature and
    # returns (the broker's account id, the event); raises AuthError when the signature is wrong
    postback: Callable[[Mapping[str, Any]], tuple[str, OrderEvent]] | None = None
    # the broker's error codes/messages → broker.errors types; required when manifest.live
    error_table: ErrorTable | None = None
    # the simulator only (analyzer mode on the live market): a copy of this plugin whose fills, books and
    # funds follow the market of a broker.market_view.LiveMarketView (it never calls a live order endpoint)
    sandbox: Callable[[Any], "BrokerPlugin"] | None = None

    @property
    def name(self) -> str:
        return self.manifest.name

    def require(self, operation: str) -> None:
        """Raise NotSupported naming the broker unless the capability map lists `operation`."""
        self.capabilities.require(operation, self.manifest.display_name)


# operation → the adapter attribute of BrokerPlugin that performs it (method name == operation name)
OPERATION_ADAPTERS: dict[str, str] = {
    **{op: "orders" for op in ("place_order", "modify_order", "cancel_order", "cancel_all_orders", "order_book",
                               "order_status", "trade_book", "positions", "holdings", "open_position",
                               "close_all_positions")},
    **{op: "data" for op in ("quote", "quotes", "depth", "history")},
    "funds": "funds", "margin": "funds",
    **{op: "gtt" for op in ("place_gtt", "modify_gtt", "cancel_gtt", "gtt_book")},
}
ADAPTER_BASES: dict[str, type] = {"auth": AuthAdapter, "orders": OrderAdapter, "data": DataAdapter,
                                  "funds": FundsAdapter, "gtt": GttAdapter, "master_contract": MasterContractLoader}
