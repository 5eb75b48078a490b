"""Builds the one-resource namespaces of the order and account endpoints: parse the JSON body with the
endpoint's schema, call one service, answer its result (errors are raised as DomainError and answered by
the Api's one mapping). Order-changing endpoints also get the
order rate limit, and a body refused by validation is journaled like any other order request."""
from __future__ import annotations

from typing import Any, Callable

from flask import Response, request
from flask_restx import Namespace, Resource
from marshmallow import Schema

from restx_api.auth import api_key_required, order_rate_limited
from restx_api.parsing import parse, swagger_model
from services import broker_session, order_flow
from services.auth import ApiPrincipal
from services.latency import LatencyTimer
from utils.errors import DomainError

Service = Callable[[int, dict[str, Any], LatencyTimer], dict[str, Any]]


def post_endpoint(ns: Namespace, path: str, schema: Schema, service: Service, *, summary: str,
                  journaled: bool = False, auth: Callable = api_key_required, response: Any = None) -> None:
    """Register POST `path` on `ns`; `journaled` marks an order-changing endpoint; `auth` is the
    authentication decorator (e.g. `api_key_required(invalid=Unauthenticated)` for optiongreeks);
    `response` an optional Swagger model of the 200 body."""
    model = swagger_model(ns, f"{ns.name}{path.replace('/', '_')}_request", schema)
    action = ns.name + path.replace("/", "")

    def post(self: Resource, principal: ApiPrincipal):  # noqa: ANN202
        timer = LatencyTimer()
        try:
            with timer.stage("validation"):
                data = parse(schema)
        except DomainError as exc:
            if journaled:
                order_flow.reject(principal.user_id, action, request.get_json(silent=True), exc, timer)
            raise
        return service(principal.user_id, data, timer)

    post.__doc__ = summary
    handler = auth(order_rate_limited(post) if journaled else post)
    if response is not None:
        handler = ns.response(200, summary, response)(handler)
    resource = type(f"{action.title()}Resource", (Resource,), {"post": ns.expect(model)(handler)})
    ns.add_resource(resource, path, strict_slashes=False)


Reader = Callable[[int, dict[str, Any]], dict[str, Any]]


def _guarded(reader: Reader, user_id: int, data: dict[str, Any]) -> dict[str, Any]:
    with broker_session.expire_on_token_error(user_id):   # a rejected broker token: 403, session expired
        return reader(user_id, data)


def _answer(result: dict[str, Any] | Response) -> Any:
    return result if isinstance(result, Response) else (result, 200)


def read_endpoints(rows: list[tuple[str, Schema, Reader, str]], *, auth: Callable = api_key_required) -> list[Namespace]:
    """One namespace per (path, schema, reader, summary) row for endpoints that change nothing: the reader
    gets the user id and the parsed body and returns the 200 body, or a whole Response (errors are raised as
    DomainError, answered by the Api)."""
    namespaces = []
    for path, schema, reader, summary in rows:
        ns = Namespace(path.replace("/", "_"), path=f"/{path}", description=summary)
        post_endpoint(ns, "", schema, lambda user_id, data, timer, _read=reader: _answer(_guarded(_read, user_id, data)),
                      summary=summary, auth=auth)
        namespaces.append(ns)
    return namespaces
