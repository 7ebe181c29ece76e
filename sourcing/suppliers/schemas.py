"""API representations of suppliers. Loading checks types and names the field;
the business rules (ISO codes, unique code) are checked again by the service."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from baton.platform.api import PageQuerySchema, page_schema
from baton.sourcing.suppliers.currencies import ISO_4217
from baton.sourcing.suppliers.models import INCOTERMS, QUALIFICATION_STATUSES
from baton.sourcing.suppliers.services import qualification_label


class SupplierSchema(Schema):
    id = fields.UUID(dump_only=True)
    name = fields.String()
    code = fields.String()
    contact_name = fields.String(allow_none=True)
    contact_email = fields.String(allow_none=True)
    contact_phone = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    country = fields.String(allow_none=True)
    currency = fields.String()
    payment_terms = fields.String(allow_none=True)
    incoterms = fields.String(allow_none=True)
    categories = fields.List(fields.String())
    qualification_status = fields.String()
    qualified_until = fields.Date(allow_none=True)
    qualification_lapsed = fields.Method(
        "_lapsed", metadata={"description": "True when qualified_until is in the past"}
    )
    qualification = fields.Method(
        "_label",
        metadata={"description": "As shown to people, e.g. 'Qualification lapsed on 2026-03-31'"},
    )
    notes = fields.String(allow_none=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)

    def _lapsed(self, supplier) -> bool:
        from baton.sourcing.suppliers.services import qualification_lapsed

        return qualification_lapsed(supplier)

    def _label(self, supplier) -> str:
        return qualification_label(supplier)


def _upper(values) -> validate.OneOf:
    return validate.OneOf(sorted(values), error="Must be one of: {choices}.")


class SupplierInSchema(Schema):
    """Creating needs name, code and currency; PATCH takes any subset."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    code = fields.String(required=True, validate=validate.Length(min=1, max=32))
    currency = fields.String(
        required=True,
        validate=validate.OneOf(
            sorted(ISO_4217), error="Not an ISO 4217 currency code (three capitals, e.g. EUR)."
        ),
    )
    contact_name = fields.String(allow_none=True, validate=validate.Length(max=200))
    contact_email = fields.Email(allow_none=True)
    contact_phone = fields.String(allow_none=True, validate=validate.Length(max=64))
    address = fields.String(allow_none=True)
    country = fields.String(allow_none=True, validate=validate.Regexp(r"^[A-Z]{2}$"))
    payment_terms = fields.String(allow_none=True, validate=validate.Length(max=100))
    incoterms = fields.String(allow_none=True, validate=_upper(INCOTERMS))
    categories = fields.List(fields.String(validate=validate.Length(min=1, max=64)))
    qualification_status = fields.String(validate=_upper(QUALIFICATION_STATUSES))
    qualified_until = fields.Date(allow_none=True)
    notes = fields.String(allow_none=True)


class SupplierPatchSchema(SupplierInSchema):
    """Any subset of the fields; load it with ``partial=True``."""


class SupplierQuerySchema(PageQuerySchema):
    q = fields.String(metadata={"description": "part of the name or code"})
    status = fields.String(
        validate=_upper(QUALIFICATION_STATUSES),
        metadata={"description": f"one of {', '.join(QUALIFICATION_STATUSES)}"},
    )
    category = fields.String(metadata={"description": "one category, exactly as listed"})
    lapsed = fields.Boolean(
        metadata={"description": "true: only suppliers whose qualified_until has passed"}
    )


SupplierPageSchema = page_schema(SupplierSchema, "SupplierPage")
