"""`whatsapp/notify` (API_CONTRACT.md §16) while this server has no WhatsApp bot.

A WhatsApp device can only be paired from a web page this server does not have yet (a later issue
adds notifications), so nothing can be delivered. A well-formed request is answered as the 2.x client
documents for an unpaired server: 409 with the message telling the trader what to do. Malformed ones
get the 400 naming the field first, so a script is fixed before the bot exists.
"""
from __future__ import annotations

from typing import Any

from utils.errors import Conflict, InvalidInput

NOT_PAIRED = ("WhatsApp is not paired or not connected. Pair the device first from the /whatsapp page in "
              "OpenAlgo before sending.")
RECIPIENT_FORMS = ("self", "username", "phone", "phones")


def notify(request: dict[str, Any]) -> dict[str, Any]:
    given = [form for form in RECIPIENT_FORMS if request.get(form)]
    if len(given) != 1:
        raise InvalidInput("Specify one of: 'self', 'username', 'phone', or 'phones'", field="self")
    if not any(request.get(name) for name in ("message", "image_path", "document_path")):
        raise InvalidInput("Provide at least one of: message, image_path, document_path", field="message")
    raise Conflict(NOT_PAIRED)
