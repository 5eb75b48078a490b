"""`/analyzer` and `/analyzer/toggle` (API_CONTRACT.md §9): the user's analyzer (sandbox) mode."""
from __future__ import annotations

from flask_restx import Namespace

from restx_api.endpoint import post_endpoint
from restx_api.schemas.account import AnalyzerToggleSchema, ApiKeyOnlySchema
from services import analyzer

ns = Namespace("analyzer", description="Analyzer (sandbox) mode: orders run on the paper engine")

post_endpoint(ns, "", ApiKeyOnlySchema(),
              lambda user, data, timer: {"status": "success", "data": analyzer.status(user)},
              summary="Analyzer mode and the number of analyzer log entries")
post_endpoint(ns, "/toggle", AnalyzerToggleSchema(),
              lambda user, data, timer: {"status": "success", "data": analyzer.toggle(user, data["mode"],
                                                                                   data.get("market"))},
              summary="Switch analyzer mode on (true) or off (false)")
