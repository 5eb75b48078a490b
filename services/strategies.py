"""Strategy management: create, list, update, rotate the webhook id, symbol mappings and CSV import.

A strategy belongs to one user and is reached from outside only by its webhook id, 32 random bytes
from `secrets.token_urlsafe` (never derived from anything guessable). Every field is validated here
with an `InvalidInput` (utils/errors.py) naming the field and what is allowed; the CLI, the pages and the tests share
these rules. Symbols are checked against the user's broker (or the paper engine in analyzer mode)
when a broker is connected, so a typo is caught when the mapping is made, not when an alert fires.
"""
from __future__ import annotations

import csv
import io
import re
import secrets
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from flask import Flask, current_app
from sqlalchemy.exc import IntegrityError

from broker.errors import BrokerError
from database import db
from database import strategies as store
from database.strategies import Strategy, StrategySymbol
from services import order_target
from utils import clock
from utils.constants import MAX_ORDER_QUANTITY, PRODUCTS, TRADABLE_EXCHANGES
from utils.errors import Conflict, InvalidInput, NotFound
from utils.crypto import keyed_digest, secret_box

PLATFORMS = ("tradingview", "amibroker", "chartink", "python")
MODES = ("LONG", "SHORT", "BOTH")
WEBHOOK_ID_BYTES = 32
MAX_MAPPINGS = 500
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.\-]{0,99}$")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_SYMBOL = re.compile(r"^[A-Z0-9&\-_.:]{1,64}$")

_LISTENERS = "openalgo.strategy_listeners"


def on_change(app: Flask, listener: Callable[[], None]) -> Callable[[], None]:
    """Call `listener` after a strategy of `app` may have changed its schedule (the square-off
    scheduler); returns the function that unsubscribes it."""
    listeners = app.extensions.setdefault(_LISTENERS, [])
    listeners.append(listener)
    return lambda: listeners.remove(listener) if listener in listeners else None


def _changed() -> None:
    for listener in list(current_app.extensions.get(_LISTENERS, [])):
        listener()


@dataclass(frozen=True)
class Mapping:
    symbol: str
    exchange: str
    quantity: int
    product: str


# ------------------------------------------------------------------------------------- validation
def _choice(field: str, value: Any, allowed: Iterable[str], *, upper: bool = False) -> str:
    text = str(value or "").strip()
    text = text.upper() if upper else text.lower()
    if text not in allowed:
        raise InvalidInput(f"{field} must be one of {', '.join(allowed)}; got {value!r}", field=field)
    return text


def _name(value: Any) -> str:
    text = str(value or "").strip()
    if not _NAME.match(text):
        raise InvalidInput("name must be 1-100 characters: letters, digits, space, '.', '_' or '-', starting "
                           "with a letter or digit", field="name")
    return text


def parse_time(field: str, value: Any) -> str:
    text = str(value or "").strip()
    if len(text) == 4 and text[1] == ":":
        text = "0" + text
    if not _HHMM.match(text):
        raise InvalidInput(f"{field} must be a time of day in IST as HH:MM (00:00-23:59); got {value!r}", field=field)
    return text


def _positive_int(field: str, value: Any) -> int:
    try:
        number = float(str(value).strip())
    except ValueError:
        raise InvalidInput(f"{field} must be a whole number greater than 0; got {value!r}", field=field) from None
    if not number.is_integer() or not 0 < number <= MAX_ORDER_QUANTITY:
        raise InvalidInput(f"{field} must be a whole number greater than 0 and at most {MAX_ORDER_QUANTITY}; "
                           f"got {value!r}", field=field)
    return int(number)


def _check_times(start: str, end: str, squareoff: str) -> None:
    if not start < end:
        raise InvalidInput(f"end_time ({end}) must be after start_time ({start})", field="end_time")
    if squareoff < end:
        raise InvalidInput(f"squareoff_time ({squareoff}) must not be before end_time ({end})", field="squareoff_time")


def parse_mapping(symbol: Any, exchange: Any, quantity: Any, product: Any) -> Mapping:
    text = str(symbol or "").strip().upper()
    if not _SYMBOL.match(text):
        raise InvalidInput(f"symbol must be an OpenAlgo symbol such as SBIN or NIFTY30DEC25FUT; got {symbol!r}",
                           field="symbol")
    return Mapping(symbol=text, exchange=_choice("exchange", exchange, TRADABLE_EXCHANGES, upper=True),
                   quantity=_positive_int("quantity", quantity),
                   product=_choice("product", product, PRODUCTS, upper=True))


def parse_map_spec(spec: str) -> Mapping:
    """`EXCHANGE:SYMBOL:QUANTITY:PRODUCT`, e.g. NSE:SBIN:10:MIS (the CLI's --map)."""
    parts = spec.split(":")
    if len(parts) != 4:
        raise InvalidInput(f"mapping must be EXCHANGE:SYMBOL:QUANTITY:PRODUCT such as NSE:SBIN:10:MIS; got {spec!r}",
                           field="map")
    exchange, symbol, quantity, product = parts
    return parse_mapping(symbol, exchange, quantity, product)


def _check_symbol_exists(user_id: int, mapping: Mapping) -> None:
    """When the user has a broker (or analyzer mode), the symbol must be in its master contract."""
    try:
        target = order_target.resolve(user_id)
    except BrokerError:
        return  # no broker connected yet: checked when the order is placed
    try:
        order_target.instrument(target, mapping.symbol, mapping.exchange)
    except InvalidInput as exc:
        raise InvalidInput(f"{exc.message} (broker {target.broker})", field="symbol") from None


# ------------------------------------------------------------------------------------------ use cases
def _pepper() -> str:
    return current_app.extensions["openalgo.settings"].API_KEY_PEPPER


def webhook_digest(webhook_id: str) -> str:
    """How a webhook id is looked up (a keyed digest: the id itself is never stored in clear)."""
    return keyed_digest(_pepper(), webhook_id)


def webhook_id_of(strategy: Strategy) -> str:
    """The strategy's webhook id, for its owner's pages and the CLI."""
    return secret_box(_pepper()).decrypt(strategy.webhook_enc)


def _set_new_webhook_id(strategy: Strategy) -> str:
    webhook_id = secrets.token_urlsafe(WEBHOOK_ID_BYTES)
    strategy.webhook_digest = webhook_digest(webhook_id)
    strategy.webhook_enc = secret_box(_pepper()).encrypt(webhook_id)
    return webhook_id


def create(user_id: int, *, name: Any, platform: Any = "tradingview", mode: Any = "LONG", intraday: bool = True,
           start_time: Any = "09:15", end_time: Any = "15:00", squareoff_time: Any = "15:15",
           default_quantity: Any = 1, default_product: Any = "MIS", active: bool = True,
           mappings: Iterable[Mapping] = ()) -> Strategy:
    strategy = Strategy(user_id=user_id, name=_name(name), platform=_choice("platform", platform, PLATFORMS),
                        is_active=bool(active), is_intraday=bool(intraday),
                        trading_mode=_choice("mode", mode, MODES, upper=True),
                        start_time=parse_time("start_time", start_time), end_time=parse_time("end_time", end_time),
                        squareoff_time=parse_time("squareoff_time", squareoff_time),
                        default_quantity=_positive_int("default_quantity", default_quantity),
                        default_product=_choice("default_product", default_product, PRODUCTS, upper=True),
                        lock_version=0)
    _check_times(strategy.start_time, strategy.end_time, strategy.squareoff_time)
    _set_new_webhook_id(strategy)
    mappings = list(mappings)
    for mapping in mappings:
        _check_symbol_exists(user_id, mapping)
    strategy.mappings = [StrategySymbol(**vars(m)) for m in _unique(mappings)]
    db.session.add(strategy)
    _commit(f"You already have a strategy named {strategy.name!r}; choose another name", "name")
    _changed()
    return strategy


def _unique(mappings: list[Mapping]) -> list[Mapping]:
    seen: dict[str, Mapping] = {}
    for mapping in mappings:
        if mapping.symbol in seen:
            raise InvalidInput(f"symbol {mapping.symbol} is mapped twice; a webhook names the symbol only",
                               field="symbol")
        seen[mapping.symbol] = mapping
    return list(seen.values())


def _commit(conflict: str, field: str) -> None:
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(conflict, field=field) from None


def list_for_user(user_id: int) -> list[Strategy]:
    return store.for_user(user_id)


def get(user_id: int, strategy_id: int) -> Strategy:
    strategy = store.get_for_user(user_id, strategy_id)
    if strategy is None:
        raise NotFound(f"No strategy {strategy_id} of yours", field="strategy")
    return strategy


def update(user_id: int, strategy_id: int, **fields: Any) -> Strategy:
    """Change any of name, mode, active, intraday, start/end/square-off time, default quantity/product."""
    strategy = get(user_id, strategy_id)
    parsers: dict[str, Callable[[Any], Any]] = {
        "name": _name, "mode": lambda v: _choice("mode", v, MODES, upper=True),
        "active": bool, "intraday": bool,
        "start_time": lambda v: parse_time("start_time", v), "end_time": lambda v: parse_time("end_time", v),
        "squareoff_time": lambda v: parse_time("squareoff_time", v),
        "default_quantity": lambda v: _positive_int("default_quantity", v),
        "default_product": lambda v: _choice("default_product", v, PRODUCTS, upper=True),
    }
    columns = {"mode": "trading_mode", "active": "is_active", "intraday": "is_intraday"}
    for key, value in fields.items():
        if key not in parsers:
            raise InvalidInput(f"unknown field {key}; allowed: {', '.join(parsers)}", field=key)
        setattr(strategy, columns.get(key, key), parsers[key](value))
    _check_times(strategy.start_time, strategy.end_time, strategy.squareoff_time)
    strategy.updated_at = clock.now()
    _commit(f"You already have a strategy named {strategy.name!r}; choose another name", "name")
    _changed()
    return strategy


def rotate_webhook(user_id: int, strategy_id: int) -> str:
    """A new webhook id; the old URL stops working at once."""
    strategy = get(user_id, strategy_id)
    webhook_id = _set_new_webhook_id(strategy)
    db.session.commit()
    return webhook_id


def delete(user_id: int, strategy_id: int) -> None:
    db.session.delete(get(user_id, strategy_id))
    db.session.commit()
    _changed()


def add_mappings(user_id: int, strategy_id: int, mappings: Iterable[Mapping], *, replace: bool = False) -> int:
    """Add (or with `replace`, update) symbol mappings; returns how many were stored."""
    strategy = get(user_id, strategy_id)
    mappings = _unique(list(mappings))
    if len(strategy.mappings) + len(mappings) > MAX_MAPPINGS:
        raise InvalidInput(f"a strategy holds at most {MAX_MAPPINGS} symbols", field="symbol")
    existing = {m.symbol: m for m in strategy.mappings}
    for mapping in mappings:
        _check_symbol_exists(user_id, mapping)
        if mapping.symbol in existing and not replace:
            raise Conflict(f"symbol {mapping.symbol} is already mapped; remove it first", field="symbol")
    for mapping in mappings:
        row = existing.get(mapping.symbol)
        if row is None:
            strategy.mappings.append(StrategySymbol(**vars(mapping)))
        else:
            row.exchange, row.quantity, row.product = mapping.exchange, mapping.quantity, mapping.product
    _commit("a symbol is mapped twice", "symbol")
    return len(mappings)


def remove_mapping(user_id: int, strategy_id: int, mapping_id: int) -> None:
    strategy = get(user_id, strategy_id)
    row = next((m for m in strategy.mappings if m.id == mapping_id), None)
    if row is None:
        raise NotFound(f"No mapping {mapping_id} in strategy {strategy.name}", field="mapping")
    strategy.mappings.remove(row)
    db.session.commit()


def parse_csv(text: str) -> list[Mapping]:
    """Rows `symbol,exchange,quantity,product` (a header row with those names is optional)."""
    rows = [row for row in csv.reader(io.StringIO(text)) if row and any(cell.strip() for cell in row)]
    if rows and [c.strip().lower() for c in rows[0]][:4] == ["symbol", "exchange", "quantity", "product"]:
        rows = rows[1:]
    if not rows:
        raise InvalidInput("the CSV has no rows; expected symbol,exchange,quantity,product", field="csv")
    mappings = []
    for number, row in enumerate(rows, start=1):
        if len(row) != 4:
            raise InvalidInput(f"CSV row {number} has {len(row)} columns; expected symbol,exchange,quantity,product",
                               field="csv")
        try:
            mappings.append(parse_mapping(*row))
        except InvalidInput as exc:
            raise InvalidInput(f"CSV row {number}: {exc.message}", field="csv") from None
    return mappings


def describe(strategy: Strategy) -> dict[str, Any]:
    return {"id": strategy.id, "name": strategy.name, "platform": strategy.platform,
            "mode": strategy.trading_mode, "active": strategy.is_active, "intraday": strategy.is_intraday,
            "start_time": strategy.start_time, "end_time": strategy.end_time,
            "squareoff_time": strategy.squareoff_time, "webhook_id": webhook_id_of(strategy),
            "symbols": [vars_of(m) for m in strategy.mappings]}


def vars_of(mapping: StrategySymbol) -> dict[str, Any]:
    return {"id": mapping.id, "symbol": mapping.symbol, "exchange": mapping.exchange,
            "quantity": mapping.quantity, "product": mapping.product}
