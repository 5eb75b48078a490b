"""Noren's refusals → the unified errors of broker/errors.py.

Noren answers a refusal with HTTP 200 and `{"stat": "Not_Ok", "emsg": "..."}`; there are no codes, so
the table works on the message texts of the public documentation and recorded answers ("Session
Expired :  Invalid Session Key", "Invalid Input : ...", "Rejected : ORA:Order not found", "RMS:Margin
Exceeds ...", "Error Occurred : 5 \"no data\"", "Server Timeout"). Order-placement refusals that the
RMS reports (margin, price band, lot size) are the user's order; HTTP 429 / 5xx come from the gateway.
"""
from __future__ import annotations

from broker.errors import (AuthError, BrokerUnavailable, ErrorTable, InsufficientFunds, InvalidOrder, OrderNotFound,
                           RateLimited, TokenExpired, UnknownSymbol)


def error_table(broker: str) -> ErrorTable:
    return ErrorTable(
        broker,
        codes={"SESSION_EXPIRED": TokenExpired, "RATE_LIMITED": RateLimited, "UNAVAILABLE": BrokerUnavailable},
        messages=(
            (r"session expired|invalid session key|invalid jkey", TokenExpired),
            (r"wrong password|invalid (user|uid|app ?key|vendor|otp|totp)|user blocked|password expired", AuthError),
            (r"order not found", OrderNotFound),
            (r"insufficient|margin exceeds|rms:.*margin|shortfall", InsufficientFunds),
            (r"invalid (trading symbol|token|exchange)|no data|symbol not found", UnknownSymbol),
            (r"too many requests|rate limit", RateLimited),
            (r"server timeout|internal error|service unavailable", BrokerUnavailable),
            (r"invalid input|rejected|rms:|price|quantity|lot size|tick", InvalidOrder),
        ),
        default=InvalidOrder,
    )
