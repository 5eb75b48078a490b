"""API-key authentication for REST resources: `@api_key_required` and the order rate limit.

The key is read from the JSON body field `apikey` (what the openalgo client sends), else the `apikey`
query parameter (GET endpoints), else the X-API-KEY header. A missing key is a 400 naming the field; an
unknown or revoked key is the contract's 403 `Invalid openalgo apikey`. An IP that keeps sending invalid
keys gets 429 before its key is even looked at. The resource method receives the `ApiPrincipal`:

    @ns.route("")
    class Funds(Resource):
        @api_key_required
        def post(self, principal: ApiPrincipal): ...

Order endpoints stack `@order_rate_limited` under it (ORDER_RATE_LIMIT per key, on top of API_RATE_LIMIT).
"""
from __future__ import annotations

from functools import wraps
from typing import Callable

from services.auth import ApiPrincipal, verify_api_key
from utils import limiter
from utils.responses import error_response

INVALID_KEY_MESSAGE = "Invalid openalgo apikey"


def api_key_required(method: Callable) -> Callable:
    @wraps(method)
    def authenticated(self, *args, **kwargs):
        key = limiter.request_api_key()
        if key is None or key == "":
            return error_response(400, "apikey is required: send it in the JSON body "
                                       "(or as the apikey query parameter for GET requests)")
        if not isinstance(key, str):
            return error_response(400, "apikey must be a string")
        limiter.check_invalid_key_budget()
        principal = verify_api_key(key)
        if principal is None:
            limiter.count_invalid_key()
            return error_response(403, INVALID_KEY_MESSAGE)
        return method(self, principal, *args, **kwargs)
    return authenticated


def order_rate_limited(method: Callable) -> Callable:
    @wraps(method)
    def limited(self, principal: ApiPrincipal, *args, **kwargs):
        limiter.enforce_order_limit()
        return method(self, principal, *args, **kwargs)
    return limited
