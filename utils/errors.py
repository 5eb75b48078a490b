"""The one domain error hierarchy: what services raise, whatever the caller (REST, pages, webhooks, CLI).

    DomainError                        root; `message` is written for the user and never holds a secret
    ├── ClientError                    the caller's mistake; trying again unchanged gives the same answer
    │   ├── InvalidInput          400  `field` names the input at fault, the message says what is allowed
    │   ├── Unauthenticated       401  no or wrong credentials where the contract answers 401
    │   ├── Forbidden             403  the caller may not do this (inactive strategy, wrong key ...)
    │   ├── NotFound              404  the thing named does not exist (for this user)
    │   ├── Conflict              409  the request clashes with stored state (duplicate name ...)
    │   └── TooManyRequests       429  our own limit (per key, per webhook); `retry_after` seconds
    ├── ServiceFailure            500  we could not do it (a dependency failed); the message says what
    ├── ServiceBusy               503  another request holds what this one needs; trying again will do
    │                                  (`retry_after` seconds when known)
    └── broker.errors.BrokerError      the broker branch: AuthError / TokenExpired (no, expired broker
                                       session: 403), OrderRejected (400), OrderNotFound (404),
                                       UnknownSymbol (400), NotSupported (501), TransientError (429/500)

Services raise these and return plain results; they never build `(body, status)` pairs. The HTTP status
of each class is its `http_status`; `utils/responses.error_envelope` / `domain_error_response` are the
one place that turns an error into the response (`{"status": "error", "message": ..., **extra}`), used by
restx_api/ and blueprints/ alike. `extra` holds contract keys that ride along in the envelope
(`invalid_symbols`, `retry_after`, `mode` ...); an error with a `field` also answers
`errors: {field: [message]}` unless `extra` already carries `errors`.
"""
from __future__ import annotations

import copy
from typing import Any


class DomainError(Exception):
    http_status = 500

    def __init__(self, message: str, *, field: str | None = None, **extra: Any):
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra: dict[str, Any] = extra

    def __str__(self) -> str:
        return self.message

    def reworded(self, message: str) -> "DomainError":
        """The same error (class, field, extras) with a message that adds context, e.g. which leg."""
        error = copy.copy(self)
        error.message, error.args, error.extra = message, (message,), dict(self.extra)
        return error


class ClientError(DomainError):
    http_status = 400


class InvalidInput(ClientError):
    http_status = 400


class Unauthenticated(ClientError):
    http_status = 401


class Forbidden(ClientError):
    http_status = 403


class NotFound(ClientError):
    http_status = 404


class Conflict(ClientError):
    http_status = 409


class TooManyRequests(ClientError):
    http_status = 429

    def __init__(self, message: str, *, retry_after: int | None = None, **extra: Any):
        super().__init__(message, **extra)
        self.retry_after = retry_after
        if retry_after is not None:
            self.extra["retry_after"] = retry_after


class ServiceFailure(DomainError):
    http_status = 500


class ServiceBusy(DomainError):
    http_status = 503

    def __init__(self, message: str, *, retry_after: int | None = None, **extra: Any):
        super().__init__(message, **extra)
        self.retry_after = retry_after
        if retry_after is not None:
            self.extra["retry_after"] = retry_after
