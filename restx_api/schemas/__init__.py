"""marshmallow request schemas of the REST API, one module per area (API_CONTRACT.md §3-§5, §9, §10)."""
