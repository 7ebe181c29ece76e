"""The nightly audit-chain verification, which alerts platform operators by email."""

from __future__ import annotations

import uuid

import structlog
from sqlalchemy.orm import Session

from baton.platform import mail
from baton.platform.audit import chain_tenants, verify_chain
from baton.platform.formatting import count
from baton.platform.jobs import job

log = structlog.get_logger("baton.audit")


@job(
    "platform.verify_audit_chains",
    queue="low",
    timeout=3600,
    label="Audit chain verification",
    cross_tenant=True,
)
def verify_audit_chains(session: Session, payload: dict) -> dict:
    """Recompute every tenant's chain; on a break, email every active operator.

    A broken chain is the finding, not a failure of the job: it completes, and
    the alert names the tenant and the first broken event.
    """
    from baton.platform.directory import directory

    tenants = chain_tenants(session)
    broken = [b for b in (verify_chain(session, t) for t in tenants) if b is not None]
    if not broken:
        log.info("audit_chains_intact", tenants=len(tenants))
        return {"tenants": len(tenants), "broken": 0}
    found = (directory().organisation(session, b.tenant_id) for b in broken)
    names = {org.id: org.name for org in found if org is not None}
    lines = [
        f"{names.get(b.tenant_id, b.tenant_id)} ({b.tenant_id}): event #{b.seq}"
        f" (id {b.event_id or 'n/a'}): {b.reason}"
        for b in broken
    ]
    for line in lines:
        log.error("audit_chain_broken", detail=line)
    operators = directory().operator_emails(session)
    if not operators:
        log.critical("audit_alert_without_operator", broken=len(broken))
    for address in operators:
        mail.send(
            mail.OutgoingMail(
                to=[address],
                subject=f"Baton audit chain broken in {count(len(broken), 'organisation')}",
                template="notification",
                context={
                    "subject": "The nightly audit-chain verification found a break",
                    "lines": [
                        *lines,
                        "Someone or something changed or removed audit events outside the"
                        " audit writer. Run `baton audit-verify` for the details and keep a"
                        " copy of the database before repairing anything.",
                    ],
                    "action": None,
                },
                key=f"audit-alert:{payload['_outbox_id']}:{address.lower()}",
                outbox_id=uuid.UUID(payload["_outbox_id"]),
            )
        )
    return {"tenants": len(tenants), "broken": len(broken)}
