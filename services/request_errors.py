"""`RequestError`: a client mistake found by a service, carrying what the REST layer needs to answer.

The namespaces turn it into `error_response(exc.status, exc.message)` (adding `errors={field: [message]}`
where the contract shows one), so services never import Flask response helpers.
"""
from __future__ import annotations


class RequestError(ValueError):
    def __init__(self, message: str, *, status: int = 400, field: str | None = None):
        super().__init__(message)
        self.message, self.status, self.field = message, status, field
