"""`POST /api/v1/ping` (API_CONTRACT.md §10.1): a health and credential check for API clients."""
from __future__ import annotations

from flask_restx import Namespace, Resource

from restx_api.auth import api_key_required
from services import broker_session
from services.auth import ApiPrincipal

ns = Namespace("ping", description="Check the API key and the connected broker")


@ns.route("", strict_slashes=False)
class Ping(Resource):
    @api_key_required
    def post(self, principal: ApiPrincipal):
        return {"status": "success", "data": {"message": "pong", "broker": broker_session.state(principal.user_id)["broker"]}}
