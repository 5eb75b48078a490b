"""Use cases (place order, smart order, health, ...): validate, decide, call brokers, store, report.

The same services serve the REST API, the browser UI, webhooks and hosted strategies.

How a service signals an error: it returns its plain result on success and RAISES one of the domain
errors of utils/errors.py (the broker branch is broker/errors.py) on failure — never a `(body, status)`
pair, never a Flask response, never an HTTP status. Pick the class by what went wrong:

    InvalidInput(message, field=...)   the caller sent something not allowed; name the field and say
                                       what is allowed ("quantity must be a whole number greater than 0")
    NotFound / Conflict / Forbidden    the named thing is missing / clashes with stored state / refused
    TooManyRequests                    our own limits
    broker.errors.*                    what the broker said (raised by the plugins, passed through)
    ServiceFailure                     we could not do it; the message says what failed

Contract keys that ride in the error envelope go as keyword arguments (`invalid_symbols=[...]`).
restx_api/ and blueprints/ turn every DomainError into HTTP in one place: utils/responses.error_envelope
(the Api's `handle_error`, the app-wide handler, `blueprints.errors.json_errors` for page feeds).
A use case that reports per-item failures inside a success (basket legs, split children) catches
DomainError and puts `utils.responses.error_body(exc)` in that item's place.
"""
