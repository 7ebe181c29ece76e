"""Supplier forms. They carry the CSRF token and render the fields; the rules
live in ``sourcing.suppliers.fields.clean``, so the form, the CSV import and the
API agree."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from baton.sourcing.suppliers.models import INCOTERMS, QUALIFICATION_STATUSES
from baton.sourcing.suppliers.services import STATUS_LABELS


class SupplierForm(FlaskForm):
    name = StringField("Name")
    code = StringField("Code")
    currency = StringField("Currency", default="EUR")
    qualification_status = SelectField(
        "Qualification", choices=[SelectChoice(s, STATUS_LABELS[s]) for s in QUALIFICATION_STATUSES]
    )
    qualified_until = StringField("Qualified until")
    contact_name = StringField("Contact name")
    contact_email = StringField("Contact email")
    contact_phone = StringField("Contact phone")
    address = TextAreaField("Address")
    country = StringField("Country")
    payment_terms = StringField("Payment terms")
    incoterms = SelectField(
        "Incoterms", choices=[SelectChoice("", "—")] + [SelectChoice(i, i) for i in INCOTERMS]
    )
    categories = StringField("Categories")
    notes = TextAreaField("Notes")

    FIELDS = (
        "name",
        "code",
        "currency",
        "qualification_status",
        "qualified_until",
        "contact_name",
        "contact_email",
        "contact_phone",
        "address",
        "country",
        "payment_terms",
        "incoterms",
        "categories",
        "notes",
    )

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in self.FIELDS}


class ImportForm(FlaskForm):
    file = FileField("CSV file")
