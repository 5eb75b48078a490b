"""GTT endpoints (API_CONTRACT.md §16): placegttorder, modifygttorder, cancelgttorder (order-changing:
order rate limit, journaled) and gttorderbook."""
from __future__ import annotations

from flask_restx import Namespace

from restx_api.endpoint import post_endpoint
from restx_api.schemas.gtt import CancelGttSchema, GttBookSchema, GttSchema, ModifyGttSchema
from services import gtt

_ENDPOINTS = [
    ("placegttorder", GttSchema(), gtt.place_gtt, True, "Place a GTT (SINGLE or OCO) trigger"),
    ("modifygttorder", ModifyGttSchema(), gtt.modify_gtt, True, "Replace an active GTT's fields"),
    ("cancelgttorder", CancelGttSchema(), gtt.cancel_gtt, True, "Cancel an active GTT (both legs of an OCO)"),
    ("gttorderbook", GttBookSchema(), gtt.gtt_book, False, "The user's GTT triggers (active, or all)"),
]

namespaces: list[Namespace] = []
for _name, _schema, _service, _journaled, _summary in _ENDPOINTS:
    _ns = Namespace(_name, description=_summary)
    post_endpoint(_ns, "", _schema, _service, summary=_summary, journaled=_journaled)
    namespaces.append(_ns)
