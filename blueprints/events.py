"""`GET /events`: the signed-in user's order events as server-sent events (text/event-stream).

Chosen over the WebSocket proxy because the proxy authenticates by API key and carries market data;
order events belong to the browser session (cookie) and only flow one way, which is what SSE is for.
Each stream lasts at most `STREAM_SECONDS`; the browser's EventSource reconnects by itself and sends
`Last-Event-ID`, so nothing is missed in between. Every read runs in a short app context, so an open
page holds no database connection while it waits. A stream holds a server thread: it writes a comment
line every wait cycle so a closed page is noticed within seconds, and a user keeps at most
`events.MAX_STREAMS_PER_USER` streams (the oldest gives way).
"""
from __future__ import annotations

import json
import time
from typing import Iterator

from flask import Blueprint, Flask, Response, current_app, request

from blueprints import web_session
from services import events

bp = Blueprint("events", __name__)
STREAM_SECONDS = 120.0


def _frames(app: Flask, user_id: int, after_id: int, seconds: float) -> Iterator[str]:
    token = events.open_stream(user_id, max(1, app.extensions["openalgo.settings"].SERVER_THREADS // 2))
    if token is None:
        yield "retry: 30000\n\n"   # every stream slot of this server is taken: try again later
        return
    seen, book = events.counter(user_id), events.book_version(user_id)
    try:
        yield "retry: 1000\n\n"
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and events.stream_open(user_id, token):
            with app.app_context():
                found = events.since(user_id, after_id)
            for event in found:
                after_id = event["id"]
                yield f"id: {after_id}\nevent: order\ndata: {json.dumps(event)}\n\n"
            if events.book_version(user_id) != book:
                book = events.book_version(user_id)
                yield "event: book\ndata: {}\n\n"   # e.g. a resting order filled: re-read the books
            elif not found:
                yield ":\n\n"  # a closed page makes this write fail, which ends the stream
            seen = events.wait(user_id, seen, min(events.FALLBACK_SECONDS, max(0.0, deadline - time.monotonic())))
        if not events.stream_open(user_id, token):
            yield "retry: 30000\n\n"  # a newer tab took this slot: come back later, not in a second
    finally:
        events.close_stream(user_id, token)


@bp.get("/events")
def stream() -> Response:
    """Signed out (the session ended while a page was open): 204, which tells EventSource to stop
    quietly instead of following a redirect to the sign-in page."""
    user = web_session.current_user()
    if user is None:
        return Response(status=204)
    user_id = user.id
    last = request.headers.get("Last-Event-ID", "")
    after_id = int(last) if last.isdigit() else events.latest_id(user_id)
    seconds = float(current_app.config.get("EVENTS_STREAM_SECONDS", STREAM_SECONDS))
    app = current_app._get_current_object()  # noqa: SLF001 — the generator outlives the request context
    response = Response(_frames(app, user_id, after_id, seconds), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"  # nginx: pass events through unbuffered
    return response
