"""The unified broker error tree (the broker branch of utils/errors.py's DomainError), and the table a
plugin uses to translate its broker's errors into it.

    BrokerError                       500  anything else the broker reported
    ├── AuthError                     403  credentials refused / no broker session
    │   └── TokenExpired              403  the broker session ended; the user must reconnect
    ├── OrderRejected                 400  the broker refused the order (reason in the message)
    │   ├── InsufficientFunds         400
    │   ├── InvalidOrder              400  lot size, tick size, price band, quantity, product ...
    │   └── OrderNotFound             404
    ├── UnknownSymbol                 400  not in the broker's instrument list (§6: 400 for market data)
    ├── NotSupported                  501  capability missing ("... is not supported by <broker>")
    └── TransientError                500  may succeed if tried again; the ONLY errors ever retried
        ├── NetworkError              500  timeout, connection refused/reset
        ├── RateLimited               429  the broker throttled us (`retry_after` seconds when known)
        └── BrokerUnavailable         500  broker down, 5xx, maintenance window

`http_status` is what services answer with (API_CONTRACT.md §1.5: 403 no/expired broker session, 400
business rule, 404 missing order, 501 not implemented, 500 broker failure). `message` is written for the
user and never contains a secret; `raw` keeps the broker's payload for the journal and logs.
"""
from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

from utils.errors import DomainError


class BrokerError(DomainError):
    """The broker branch of the domain hierarchy (utils/errors.py)."""
    http_status = 500
    retryable = False

    def __init__(self, message: str, *, broker: str = "", code: str = "", raw: Any = None):
        super().__init__(message)
        self.broker = broker
        self.code = code        # the broker's own error code, when it has one
        self.raw = raw


class AuthError(BrokerError):
    http_status = 403


class TokenExpired(AuthError):
    pass


class OrderRejected(BrokerError):
    http_status = 400


class InsufficientFunds(OrderRejected):
    pass


class InvalidOrder(OrderRejected):
    pass


class OrderNotFound(OrderRejected):
    http_status = 404


class UnknownSymbol(BrokerError):
    http_status = 400


class NotSupported(BrokerError):
    http_status = 501


class TransientError(BrokerError):
    retryable = True


class NetworkError(TransientError):
    pass


class RateLimited(TransientError):
    http_status = 429

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after
        if retry_after is not None:   # the envelope tells the client when to try again, in whole seconds
            self.extra["retry_after"] = max(1, int(retry_after + 0.999))


class BrokerUnavailable(TransientError):
    pass


ERROR_TYPES: tuple[type[BrokerError], ...] = (
    BrokerError, AuthError, TokenExpired, OrderRejected, InsufficientFunds, InvalidOrder, OrderNotFound,
    UnknownSymbol, NotSupported, TransientError, NetworkError, RateLimited, BrokerUnavailable)


# The status each unified error answers with, as documented above (API_CONTRACT.md §1.5); the contract
# suite checks every entry of every plugin's error table against it.
DOCUMENTED_HTTP_STATUS: dict[type[BrokerError], int] = {
    BrokerError: 500, AuthError: 403, TokenExpired: 403, OrderRejected: 400, InsufficientFunds: 400,
    InvalidOrder: 400, OrderNotFound: 404, UnknownSymbol: 400, NotSupported: 501, TransientError: 500,
    NetworkError: 500, RateLimited: 429, BrokerUnavailable: 500}


def error_for_http_status(status: int) -> type[BrokerError]:
    """The error a bare HTTP status implies when the body says nothing more specific."""
    if status == 401:
        return TokenExpired
    if status == 403:
        return AuthError
    if status == 404:
        return OrderNotFound
    if status == 429:
        return RateLimited
    if status >= 500:
        return BrokerUnavailable
    if 400 <= status < 500:
        return OrderRejected
    return BrokerError


class ErrorTable:
    """A plugin's translation of its broker's error codes and messages to the unified tree.

    Looked up in order: exact code, then the first message pattern that matches (case-insensitive),
    then the HTTP status, then `default`. Patterns are regular expressions taken from the broker's
    documentation or recorded responses.
    """

    def __init__(self, broker: str, *, codes: Mapping[str, type[BrokerError]] | None = None,
                 messages: Iterable[tuple[str, type[BrokerError]]] = (),
                 default: type[BrokerError] = BrokerError):
        self.broker = broker
        self.codes = dict(codes or {})
        self.messages = [(re.compile(pattern, re.IGNORECASE), kind) for pattern, kind in messages]
        self.default = default

    def entries(self) -> list[tuple[str, str, type[BrokerError]]]:
        """(source, key, error type) of every entry: ("code", code, ...) and ("message", pattern, ...)."""
        return ([("code", code, kind) for code, kind in self.codes.items()]
                + [("message", pattern.pattern, kind) for pattern, kind in self.messages])

    def classify(self, *, code: str = "", message: str = "", http_status: int | None = None) -> type[BrokerError]:
        if code and code in self.codes:
            return self.codes[code]
        for pattern, kind in self.messages:
            if pattern.search(message or ""):
                return kind
        if http_status is not None and http_status >= 400:
            return error_for_http_status(http_status)
        return self.default

    def error(self, *, code: str = "", message: str = "", http_status: int | None = None,
              raw: Any = None) -> BrokerError:
        """The unified exception for one broker error response (raise it at the adapter boundary)."""
        kind = self.classify(code=code, message=message, http_status=http_status)
        text = message or f"{self.broker} returned an error" + (f" (code {code})" if code else "")
        return kind(text, broker=self.broker, code=code, raw=raw)
