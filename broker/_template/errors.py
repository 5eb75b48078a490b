"""The broker's error codes and messages → the unified errors of broker/errors.py.

Every live broker provides one (`BrokerPlugin.error_table`); the contract suite checks each entry maps to
a unified error with its documented HTTP status. Take the codes from the broker's error-code page and
the messages from recorded error answers; cite them. Codes win over messages, messages over the bare
HTTP status (see ErrorTable.classify).
"""
from __future__ import annotations

from broker.errors import (AuthError, BrokerUnavailable, ErrorTable, InsufficientFunds, InvalidOrder, OrderNotFound,
                           RateLimited, TokenExpired, UnknownSymbol)

ERROR_TABLE = ErrorTable(
    "template",
    codes={
        "TOKEN_EXPIRED": TokenExpired,        # the access token ended: the user reconnects
        "INVALID_API_KEY": AuthError,
        "INVALID_ORDER": InvalidOrder,        # lot size, tick size, price band ...
        "INSUFFICIENT_FUNDS": InsufficientFunds,
        "ORDER_NOT_FOUND": OrderNotFound,
        "UNKNOWN_SYMBOL": UnknownSymbol,
        "RATE_LIMIT": RateLimited,
        "SERVER_ERROR": BrokerUnavailable,
    },
    # brokers often put the real reason in the message of a vague code
    messages=((r"insufficient (funds|margin)", InsufficientFunds),),
)
