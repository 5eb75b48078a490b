"""REST API v1 (`/api/v1/*`) on Flask-RESTX: one Namespace per endpoint module, Swagger at `/api/docs`.

Each endpoint module defines `ns` (a Namespace), or `namespaces` (a list of them), and is listed in
`NAMESPACE_MODULES`.
"""
from __future__ import annotations

import importlib

from flask import Blueprint, Flask, request
from flask_restx import Api, apidoc
from werkzeug.exceptions import HTTPException

from utils import json_body, limiter
from utils.errors import DomainError
from utils.logging import get_logger
from utils.responses import domain_error_response, error_response, http_error_response

log = get_logger(__name__)

API_PREFIX = "/api/v1"
NAMESPACE_MODULES: list[str] = ["ping", "order_management", "gtt", "account", "analyzer", "market_data", "symbols", "options",
                                "utilities", "pnl"]


class OpenAlgoApi(Api):
    """Flask-RESTX with the project's error envelope instead of its default error bodies. Parsing and
    services raise the domain hierarchy (utils/errors.py), answered by utils/responses' one mapping, so
    resources stay parse → call → respond."""

    def handle_error(self, e: Exception):
        if isinstance(e, DomainError):
            return domain_error_response(e)
        if isinstance(e, HTTPException):
            return http_error_response(e)
        log.exception("Unhandled error in API endpoint")
        return error_response(500, "Internal server error")


def create_api() -> tuple[Blueprint, OpenAlgoApi]:
    blueprint = Blueprint("api_v1", __name__, url_prefix=API_PREFIX)
    api = OpenAlgoApi(
        blueprint,
        version="1.0",
        title="OpenAlgo REST API",
        description="Unified broker API for Indian markets; compatible with the openalgo Python client.",
        doc=False,  # Swagger UI is served at /api/docs (below), the spec at /api/v1/swagger.json
    )
    for module_name in NAMESPACE_MODULES:
        module = importlib.import_module(f"restx_api.{module_name}")
        for namespace in getattr(module, "namespaces", None) or [module.ns]:
            api.add_namespace(namespace)
    return blueprint, api


def init_app(app: Flask) -> OpenAlgoApi:
    app.config.setdefault("RESTX_ERROR_404_HELP", False)
    app.config.setdefault("RESTX_MASK_SWAGGER", False)
    blueprint, api = create_api()
    # the body is parsed once, strictly, before the rate limit and the API-key check read it: a body
    # that is not acceptable JSON is a 400 saying why, not "apikey is required"
    blueprint.before_request(lambda: json_body.check_request_json(request))
    limiter.limit_api(app, blueprint)  # API_RATE_LIMIT per API key on every endpoint
    app.register_blueprint(blueprint)
    # Registering the API also registered Flask-RESTX's Swagger UI assets: served locally, no CDN.

    @app.get("/api/docs", endpoint="api_docs")
    def api_docs():
        return apidoc.ui_for(api)

    app.extensions["openalgo.api"] = api
    return api
