"""Telling the platform operators that billing needs a person.

One path for every billing alert (the daily reconciliation, Stripe's meter
error reports): an email to every operator through ``notify``, sent once per
``key`` however often the job that raises it runs. With no operator to tell,
the alert is logged as critical so that it still reaches whoever reads logs.
"""

from __future__ import annotations

from collections.abc import Iterable

import structlog
from sqlalchemy.orm import Session

from baton.platform.notify import notify

log = structlog.get_logger("baton.billing.alerts")


def alert_operators(session: Session, *, key: str, subject: str, lines: Iterable[str]) -> bool:
    """Queue the alert in ``session``'s transaction; False when no operator exists."""
    from baton.platform.directory import directory

    operators = directory().operator_emails(session)
    if not operators:
        log.critical("billing_alert_without_operator", key=key, subject=subject)
        return False
    notify(session, key=key, subject=subject, to=operators, lines=list(lines))
    return True
