"""Supplier pages of the client portal: list, detail, create, edit, CSV import.

Everyone in the client organisation reads; sourcing and admins write.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from baton.client_portal.suppliers.forms import ImportForm, SupplierForm
from baton.platform import exports
from baton.platform.auth import identity, require
from baton.platform.db import utc_today
from baton.platform.errors import ValidationFailed
from baton.platform.file_import import ImportRejected
from baton.platform.inputs import page_from
from baton.platform.web import dbs
from baton.procurement.sla import scorecards
from baton.sourcing.suppliers import fields, services
from baton.sourcing.suppliers.csv_import import template_csv
from baton.sourcing.suppliers.models import QUALIFICATION_STATUSES, Supplier

bp = Blueprint("client_suppliers", __name__, url_prefix="/client/suppliers")


@bp.app_template_global("supplier_qualification")
def supplier_qualification(supplier: Supplier) -> dict:
    """For the badge macro in client/suppliers/_badge.html, usable from any page."""
    today = utc_today()
    lapsed = supplier.qualification_lapsed(today)
    tone = {
        "qualified": "success",
        "conditional": "warning",
        "suspended": "secondary",
        "disqualified": "danger",
    }.get(supplier.qualification_status, "secondary")
    return {
        "label": services.qualification_label(supplier, today),
        "lapsed": lapsed,
        "tone": "danger" if lapsed else tone,
    }


def _tenant_id() -> uuid.UUID:
    return identity().organisation.id


def _user_id() -> uuid.UUID | None:
    user = identity().user
    return user.id if user is not None else None


def _filters() -> services.SupplierFilters:
    lapsed = request.args.get("lapsed", "")
    status = request.args.get("status", "")
    return services.SupplierFilters(
        q=request.args.get("q", "").strip() or None,
        status=status if status in QUALIFICATION_STATUSES else None,
        category=request.args.get("category", "").strip() or None,
        lapsed={"yes": True, "no": False}.get(lapsed),
    )


@bp.get("/")
@require(kind="client")
def index():
    filters = _filters()
    page = services.list_suppliers(
        dbs(), _tenant_id(), filters, page=page_from(request.args.get("page"))
    )
    org = identity().organisation
    return render_template(
        "client/suppliers/list.html",
        page=page,
        otif_flags=scorecards.otif_flags(dbs(), org.id, [s.id for s in page.items], org.timezone),
        otif_threshold=scorecards.threshold(dbs(), org.id),
        filters=filters,
        statuses=services.STATUS_LABELS,
        categories=services.categories_in_use(dbs(), _tenant_id()),
        can_write=identity().can("supplier.write"),
    )


@bp.get("/export")
@require(kind="client")
def export():
    """The list as filtered on the page, every page of it, as CSV or XLSX."""
    fmt = exports.format_from(request.args)
    page = services.list_suppliers(
        dbs(), _tenant_id(), _filters(), page=1, per_page=exports.MAX_ROWS
    )
    header = [
        "Code", "Name", "Qualification", "Qualified until", "Currency", "Country",
        "Payment terms", "Incoterms", "Categories", "Contact", "Email", "Phone", "Address",
    ]  # fmt: skip
    rows = (
        [
            s.code,
            s.name,
            services.STATUS_LABELS.get(s.qualification_status, s.qualification_status),
            s.qualified_until,
            s.currency,
            s.country,
            s.payment_terms,
            s.incoterms,
            ", ".join(s.categories or []),
            s.contact_name,
            s.contact_email,
            s.contact_phone,
            s.address,
        ]  # fmt: skip
        for s in page.items
    )
    return exports.export_response(
        fmt, "suppliers", header, rows, tz_name=identity().organisation.timezone
    )


@bp.get("/<uuid:supplier_id>")
@require(kind="client")
def detail(supplier_id: uuid.UUID):
    supplier = services.get_supplier(dbs(), _tenant_id(), supplier_id)
    org = identity().organisation
    return render_template(
        "client/suppliers/detail.html",
        supplier=supplier,
        card=scorecards.scorecard(dbs(), org.id, supplier_id, org.timezone),
        events=services.history(dbs(), _tenant_id(), supplier_id),
        statuses=services.STATUS_LABELS,
        can_write=identity().can("supplier.write"),
    )


def _form_page(form: SupplierForm, supplier: Supplier | None, errors=None, status: int = 200):
    return render_template(
        "client/suppliers/form.html", form=form, supplier=supplier, errors=errors
    ), status


@bp.route("/new", methods=["GET", "POST"])
@require(kind="client", permission="supplier.write")
def new():
    form = SupplierForm()
    if request.method != "POST":
        return _form_page(form, None)
    if not form.validate_on_submit():
        return _form_page(form, None, status=400)
    try:
        supplier = services.create_supplier(
            dbs(), _tenant_id(), form.values(), created_by_id=_user_id()
        )
    except ValidationFailed as exc:
        return _form_page(form, None, exc.errors, 422)
    flash(f"Supplier {supplier.name} ({supplier.code}) created.", "success")
    return redirect(url_for(".detail", supplier_id=supplier.id))


@bp.route("/<uuid:supplier_id>/edit", methods=["GET", "POST"])
@require(kind="client", permission="supplier.write")
def edit(supplier_id: uuid.UUID):
    supplier = services.get_supplier(dbs(), _tenant_id(), supplier_id)
    if request.method != "POST":
        form = SupplierForm(obj=supplier)
        form.categories.data = "; ".join(supplier.categories or [])
        form.qualified_until.data = (
            supplier.qualified_until.isoformat() if supplier.qualified_until else ""
        )
        form.incoterms.data = supplier.incoterms or ""
        return _form_page(form, supplier)
    form = SupplierForm()
    if not form.validate_on_submit():
        return _form_page(form, supplier, status=400)
    try:
        services.update_supplier(dbs(), _tenant_id(), supplier_id, form.values())
    except ValidationFailed as exc:
        return _form_page(form, supplier, exc.errors, 422)
    flash(f"Supplier {supplier.name} saved.", "success")
    return redirect(url_for(".detail", supplier_id=supplier.id))


@bp.route("/import", methods=["GET", "POST"])
@require(kind="client", permission="supplier.write")
def import_csv():
    form = ImportForm()
    if request.method != "POST":
        return render_template("client/suppliers/import.html", form=form, columns=_columns())
    upload = request.files.get("file")
    if not form.validate_on_submit() or upload is None or not upload.filename:
        return render_template(
            "client/suppliers/import.html",
            form=form,
            columns=_columns(),
            errors={"file": "Choose a CSV file to import."},
        ), 400
    try:
        report = services.import_csv(dbs(), _tenant_id(), upload.read(), created_by_id=_user_id())
    except ImportRejected as exc:
        return render_template(
            "client/suppliers/import.html",
            form=form,
            columns=_columns(),
            problems=exc.rows,
            filename=upload.filename,
        ), 422
    flash(f"Import of {upload.filename} finished: {report.summary}", "success")
    return redirect(url_for(".index"))


@bp.get("/import/template.csv")
@require(kind="client")
def import_template():
    return Response(
        "\ufeff" + template_csv(),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="suppliers-template.csv"'},
    )


def _columns() -> list[tuple[str, bool, str]]:
    return [(name, name in fields.REQUIRED, COLUMN_HELP[name]) for name in fields.FIELDS]


COLUMN_HELP = {
    "name": "Legal or trading name.",
    "code": "Your supplier number; a row whose code exists updates that supplier.",
    "contact_name": "Person to contact.",
    "contact_email": "Email for orders.",
    "contact_phone": "Phone number.",
    "address": "Postal address.",
    "country": "ISO 3166 two-letter code, e.g. DE.",
    "currency": "ISO 4217 code, e.g. EUR, USD.",
    "payment_terms": "e.g. Net 30.",
    "incoterms": "Incoterms 2020 rule: EXW, FCA, CPT, CIP, DAP, DPU, DDP, FAS, FOB, CFR, CIF.",
    "categories": "Separated by ';', e.g. Castings; Machining.",
    "qualification_status": "qualified, conditional, suspended or disqualified (default qualified).",
    "qualified_until": "Date the qualification runs out, YYYY-MM-DD.",
    "notes": "Free text.",
}
