"""Document pages of the client portal: list, upload, history, download.

Everyone in the client organisation reads and downloads; sourcing and admins
upload. Downloads authorise here first, then redirect to a short-lived URL
(S3) or stream the file (local store).
"""

from __future__ import annotations

import uuid

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from baton.client_portal.documents.forms import NewDocumentForm, RevisionForm
from baton.platform import storage
from baton.platform.auth import identity, require
from baton.platform.errors import ValidationFailed
from baton.platform.web import dbs
from baton.sourcing.documents import services
from baton.sourcing.documents.downloads import revision_response
from baton.tenants.services import user_names

bp = Blueprint("client_documents", __name__, url_prefix="/client/documents")


def _tenant_id() -> uuid.UUID:
    return identity().organisation.id


def _user_id() -> uuid.UUID | None:
    user = identity().user
    return user.id if user is not None else None


def _max_bytes() -> int:
    return current_app.config["BATON_SETTINGS"].max_upload_bytes


@bp.get("/")
@require(kind="client")
def index():
    kind = request.args.get("kind", "")
    kind = kind if kind in services.CLIENT_KINDS else None
    q = request.args.get("q", "").strip() or None
    documents = services.list_documents(dbs(), _tenant_id(), kind=kind, q=q)
    return render_template(
        "client/documents/list.html",
        documents=documents,
        kind=kind,
        q=q,
        kinds=services.CLIENT_KINDS,
        labels=services.KIND_LABELS,
        can_write=identity().can("document.write"),
    )


def _new_page(form: NewDocumentForm, errors=None, status: int = 200):
    return render_template(
        "client/documents/new.html",
        form=form,
        errors=errors,
        limit=services.megabytes(_max_bytes()),
    ), status


@bp.route("/new", methods=["GET", "POST"])
@require(kind="client", permission="document.write")
def new():
    form = NewDocumentForm()
    if request.method != "POST":
        form.kind.data = request.args.get("kind", "specification")
        return _new_page(form)
    if not form.validate_on_submit():
        return _new_page(form, status=400)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _new_page(form, {"file": "Choose a file to upload."}, 422)
    try:
        revision = services.create_document(
            dbs(),
            storage.get_store(),
            _tenant_id(),
            kind=form.kind.data,
            title=form.title.data,
            number=form.number.data,
            note=form.note.data,
            stream=upload.stream,
            filename=upload.filename,
            max_bytes=_max_bytes(),
            uploaded_by_id=_user_id(),
        )
    except ValidationFailed as exc:
        return _new_page(form, exc.errors, 422)
    except storage.StoreUnavailable as exc:
        return _new_page(form, {"file": str(exc)}, exc.status)
    flash(f"Uploaded {revision.filename} as revision 1.", "success")
    return redirect(url_for(".detail", document_id=revision.document_id))


def _detail_page(document_id: uuid.UUID, form: RevisionForm | None = None, errors=None, status=200):
    tenant_id = _tenant_id()
    document = services.get_document(dbs(), tenant_id, document_id)
    revisions = services.revisions_of(dbs(), tenant_id, document_id)
    return render_template(
        "client/documents/detail.html",
        document=document,
        revisions=revisions,
        names=user_names(dbs(), (r.uploaded_by_id for r in revisions)),
        labels=services.KIND_LABELS,
        form=form or RevisionForm(formdata=None),
        errors=errors,
        limit=services.megabytes(_max_bytes()),
        can_write=identity().can("document.write") and document.provider_id is None,
    ), status


@bp.get("/<uuid:document_id>")
@require(kind="client")
def detail(document_id: uuid.UUID):
    return _detail_page(document_id)


@bp.post("/<uuid:document_id>/revisions")
@require(kind="client", permission="document.write")
def add_revision(document_id: uuid.UUID):
    form = RevisionForm()
    services.get_document(dbs(), _tenant_id(), document_id)
    if not form.validate_on_submit():
        return _detail_page(document_id, form, status=400)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _detail_page(document_id, form, {"file": "Choose a file to upload."}, 422)
    try:
        revision = services.add_revision(
            dbs(),
            storage.get_store(),
            _tenant_id(),
            document_id,
            stream=upload.stream,
            filename=upload.filename,
            note=form.note.data,
            max_bytes=_max_bytes(),
            uploaded_by_id=_user_id(),
        )
    except ValidationFailed as exc:
        return _detail_page(document_id, form, exc.errors, 422)
    except storage.StoreUnavailable as exc:
        return _detail_page(document_id, form, {"file": str(exc)}, exc.status)
    flash(f"Uploaded {revision.filename} as revision {revision.revision_no}.", "success")
    return redirect(url_for(".detail", document_id=document_id))


@bp.get("/<uuid:document_id>/revisions/<uuid:revision_id>/download")
@require(kind="client")
def download(document_id: uuid.UUID, revision_id: uuid.UUID):
    revision = services.get_revision(dbs(), _tenant_id(), revision_id, document_id)
    return revision_response(revision)
