"""Resolvers for order issues (baton.procurement.orders.issues): an issue on
the victim's released order, routed to the supplier, and a message of its
thread with an attachment stored like any upload."""

from __future__ import annotations

import io
import uuid

from tests.support.isolation.victim import Victim, parameter


@parameter("issue_id")
def _issue(v: Victim) -> uuid.UUID:
    from baton.procurement.orders.issue_models import POIssue

    issue = POIssue(
        id=uuid.uuid4(),
        tenant_id=v.org_id,
        provider_id=v.provider_id,
        po_id=uuid.UUID(v.id("po_id")),
        number=1,
        cause="date",
        title=f"Issue title {v.tag}",
        status="with_supplier",
        routed_to="supplier",
    )
    v.session.add(issue)
    v.session.flush()
    v.mark(issue.title)
    return issue.id


@parameter("issue_message_id")
def _issue_message(v: Victim) -> uuid.UUID:
    from baton.platform.storage import get_store
    from baton.procurement.orders.issue_models import POIssueMessage
    from baton.sourcing.documents.services import create_document

    filename = f"issue-{v.tag}.pdf"
    revision = create_document(
        v.session,
        get_store(),
        v.org_id,
        kind="other",
        kinds=("other",),
        title=f"Issue attachment {v.tag}",
        number=f"ISS-{uuid.uuid4().hex[:10]}",
        stream=io.BytesIO(f"%PDF-1.4 issue attachment {v.tag}".encode()),
        filename=filename,
        max_bytes=1_000_000,
        provider_id=v.provider_id,
    )
    message = POIssueMessage(
        id=uuid.uuid4(),
        tenant_id=v.org_id,
        provider_id=v.provider_id,
        issue_id=uuid.UUID(v.id("issue_id")),
        author_kind="provider",
        author_label=f"Buyer {v.tag}",
        body=f"Issue message {v.tag}",
        document_revision_id=revision.id,
        shared_with_supplier=True,
    )
    v.session.add(message)
    v.session.flush()
    v.mark(message.body, filename, f"Issue attachment {v.tag}")
    return message.id
