"""Request parsing for the REST API: JSON body → validated dict, or a 400 naming every bad field.

Schemas are marshmallow schemas (restx_api/schemas/); their messages match the contract's examples
("Missing data for required field.", "Must be one of: ..."). Swagger models are derived from the same
schemas by `swagger_model`, so each field is declared once.
"""
from __future__ import annotations

from typing import Any

from flask import request
from flask_restx import Namespace, fields as rx
from marshmallow import Schema, ValidationError, fields as mm, validate

from utils.errors import InvalidInput


def json_body() -> dict[str, Any]:
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise InvalidInput("Request body must be a JSON object (Content-Type: application/json)")
    return payload


def parse(schema: Schema, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    """Validate `payload` (default: the JSON body); InvalidInput (400) lists every problem at once."""
    try:
        return schema.load(json_body() if payload is None else payload)
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        raise InvalidInput(str(messages), errors=messages) from None


# ------------------------------------------------------------------------------------- swagger models
def _enum(field: mm.Field) -> list[str] | None:
    for validator in field.validators:
        if isinstance(validator, validate.OneOf):
            return [str(choice) for choice in validator.choices]
    return None


def _rx_field(ns: Namespace, name: str, field: mm.Field) -> rx.Raw:
    options: dict[str, Any] = {"required": field.required, "description": field.metadata.get("description")}
    if field.load_default is not None and not callable(field.load_default) and field.load_default is not mm.missing_:
        options["default"] = field.load_default
    if isinstance(field, mm.List) and isinstance(field.inner, mm.Nested):
        inner_schema = field.inner.nested() if callable(field.inner.nested) else field.inner.nested
        return rx.List(rx.Nested(swagger_model(ns, f"{name.title()}Item", inner_schema)), **options)
    if isinstance(field, mm.Boolean):
        return rx.Boolean(**options)
    if isinstance(field, mm.Integer):
        return rx.Integer(**options)
    if isinstance(field, mm.Number):
        return rx.Float(**options)
    return rx.String(enum=_enum(field), **options)


def swagger_model(ns: Namespace, name: str, schema: Schema) -> Any:
    """A Flask-RESTX model documenting `schema` (for `@ns.expect`; validation stays with marshmallow)."""
    return ns.model(name, {key: _rx_field(ns, key, f) for key, f in schema.fields.items()})
