"""An order's PDF as a download, for the buyer and for the supplier's link."""

from __future__ import annotations

import io

from flask import Response, send_file
from sqlalchemy.orm import Session

from baton.procurement.orders import overview
from baton.procurement.orders.documents import pdf_for
from baton.procurement.orders.models import PurchaseOrder
from baton.sourcing.documents.downloads import revision_response


def pdf_response(session: Session, po: PurchaseOrder) -> Response:
    revision = overview.detail_pdf(session, po)
    if revision is not None:
        return revision_response(revision)
    # Not released yet, or released moments ago and the stored copy is still
    # being made: the same document, rendered for this download only.
    return send_file(
        io.BytesIO(pdf_for(session, po)),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=f"{po.number}-rev{po.revision}.pdf",
    )
