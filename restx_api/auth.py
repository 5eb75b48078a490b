"""API-key authentication for REST resources: `@api_key_required` and the order rate limit.

The key is read from the JSON body field `apikey` (what the openalgo client sends), else the `apikey`
query parameter (GET endpoints), else the X-API-KEY header. A missing key is a 400 naming the field; an
unknown or revoked key is the contract's 403 `Invalid openalgo apikey`; once an IP has sent too many
invalid keys, further invalid keys get 429 saying so, while a valid key from that IP is still served. The resource method receives the `ApiPrincipal`:

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
from utils.errors import ClientError, Forbidden, InvalidInput

INVALID_KEY_MESSAGE = "Invalid openalgo apikey"


def api_key_required(method: Callable | None = None, *, invalid: type[ClientError] = Forbidden,
                     invalid_message: str = INVALID_KEY_MESSAGE, missing: type[ClientError] = InvalidInput) -> Callable:
    """Bare (`@api_key_required`) for the contract's usual 403 (Forbidden), or with arguments for the
    endpoints that answer differently (§1.2: optiongreeks Unauthenticated, 401; telegram/notify 401 for a
    missing key too). The refusals are domain errors, answered by the Api's one mapping."""
    def decorate(resource_method: Callable) -> Callable:
        @wraps(resource_method)
        def authenticated(self, *args, **kwargs):
            key = limiter.request_api_key()
            if key is None or key == "":
                raise missing(invalid_message if missing is invalid else
                              "apikey is required: send it in the JSON body "
                              "(or as the apikey query parameter for GET requests)")
            if not isinstance(key, str):
                raise InvalidInput("apikey must be a string")
            principal = verify_api_key(key)
            if principal is None:
                limiter.refuse_invalid_key()   # 429 once the IP sent too many invalid keys
                raise invalid(invalid_message)
            return resource_method(self, principal, *args, **kwargs)
        return authenticated
    return decorate(method) if method is not None else decorate


def order_rate_limited(method: Callable) -> Callable:
    @wraps(method)
    def limited(self, principal: ApiPrincipal, *args, **kwargs):
        limiter.enforce_order_limit()
        return method(self, principal, *args, **kwargs)
    return limited
