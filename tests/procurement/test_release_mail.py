"""Releasing an order emails its PDF to the supplier in the same job that
renders it, once the PDF is stored: a refused email leaves the stored PDF in
place, and the retry sends that same PDF, once, without rendering again."""

from __future__ import annotations

import io
from email import message_from_bytes
from email.policy import default

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from baton.platform import storage
from baton.platform.jobs import run_outbox_message
from baton.platform.outbox import DONE, OutboxMessage
from baton.procurement.orders import release
from baton.sourcing.documents.models import Document, DocumentRevision
from tests.jobs.smtp import SMTPServer, send_through
from tests.support import orders as o
from tests.support.requirements import service_session


@pytest.fixture
def smtp(app, monkeypatch):
    server = SMTPServer().start()
    send_through(app, monkeypatch, server.port)
    yield server
    server.stop()


def _stored(app, po_id) -> tuple[str, list[DocumentRevision], bytes | None]:
    """The order's send_po row status, its PDF revisions and the bytes of the first."""
    with app.app_context(), service_session(app) as session:
        status = session.scalar(
            sa.select(OutboxMessage.status).where(
                OutboxMessage.job == release.SEND_PO, OutboxMessage.entity_id == str(po_id)
            )
        )
        po = o.load(app, po_id)
        revisions = list(
            session.scalars(
                sa.select(DocumentRevision)
                .join(Document, Document.id == DocumentRevision.document_id)
                .where(Document.tenant_id == po.tenant_id, Document.number == po.number)
            )
        )
        content = None
        if revisions:
            store = storage.get_store(app)
            with store.open(revisions[0].storage_key, revisions[0].storage_version) as f:
                content = f.read()
        return status, revisions, content


def test_a_refused_release_email_keeps_the_pdf_and_the_retry_sends_it_once(
    app, world, smtp, monkeypatch
):
    renders = []
    real_pdf_for = release.pdf_for
    monkeypatch.setattr(
        release, "pdf_for", lambda session, po: renders.append(po.id) or real_pdf_for(session, po)
    )
    smtp.recorder.refuse_with = "451 4.3.0 Mailbox busy, try again later"

    po_id = o.released(app, world)

    status, revisions, stored = _stored(app, po_id)
    assert status != DONE and smtp.recorder.count() == 0
    assert [r.revision_no for r in revisions] == [1]  # the PDF was kept all the same
    assert o.load(app, po_id).pdf_revision_id == revisions[0].id

    smtp.recorder.refuse_with = None
    with app.app_context(), service_session(app) as session:
        row_id = session.scalar(
            sa.select(OutboxMessage.id).where(
                OutboxMessage.job == release.SEND_PO, OutboxMessage.entity_id == str(po_id)
            )
        )
    with app.app_context():
        assert run_outbox_message(str(row_id)) == "done"
        assert run_outbox_message(str(row_id)) == "skipped"

    status, revisions, _ = _stored(app, po_id)
    assert status == DONE and len(revisions) == 1 and renders == [po_id]
    (received,) = smtp.recorder.messages
    msg = message_from_bytes(received.raw, policy=default)
    po = o.load(app, po_id)
    assert received.subject.startswith(f"Purchase order {po.number} from ")
    (pdf,) = list(msg.iter_attachments())
    assert pdf.get_filename() == f"{po.number}-rev0.pdf"
    assert pdf.get_content() == stored
    assert po.number in PdfReader(io.BytesIO(stored)).pages[0].extract_text()


def test_the_release_job_reads_each_party_once(app, world, smtp):
    """The PDF and the email name the same client, provider, supplier and
    buyer: the job selects each of them once, not once for each."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from baton.platform.db import get_context

    po_id = o.draft(app, world)
    o.submit(app, world, po_id)
    read: list[str] = []
    sent_before = smtp.recorder.count()

    def note(state) -> None:
        # The job's own session: the runner's (service role) looks up its context.
        if state.is_select and not get_context(state.session).is_service:
            read.extend(m.class_.__name__ for m in state.all_mappers)

    with app.app_context():
        event.listen(Session, "do_orm_execute", note)
        try:
            with o.h.as_provider(app, world) as (session, _):
                release.release(session, world.orgs["north"], po_id)
                read.clear()  # the release itself; from here on, the job
        finally:
            event.remove(Session, "do_orm_execute", note)
    assert smtp.recorder.count() == sent_before + 1
    parties = sorted(name for name in read if name in ("Organisation", "Supplier", "User"))
    assert parties == ["Organisation", "Organisation", "Supplier", "User"]
