"""Use cases (place order, smart order, health, ...): validate, decide, call brokers, store, report.

The same services serve the REST API, the browser UI, webhooks and hosted strategies.
"""
