"""The ``sent_mail`` ledger: one row per Message-ID, so a message is sent at
most once however often its job runs (the steps are in ``platform/mail.py``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import sqlalchemy as sa
import structlog

from baton.platform.db import db, utcnow
from baton.platform.outbox import (
    MAIL_CLAIMED,
    MAIL_HANDED_OVER,
    MAIL_SENT,
    MAIL_UNCONFIRMED,
    SentMail,
)

if TYPE_CHECKING:
    from baton.platform.mail import OutgoingMail

log = structlog.get_logger("baton.mail")

SENT, DUPLICATE, UNCONFIRMED = "sent", "duplicate", "unconfirmed"


class Ledger:
    """The sent_mail row of one Message-ID, changed in short committed transactions.

    One connection (as the service role) serves the whole send, so the three
    steps cost three short transactions and no more pool checkouts.
    """

    def __init__(self, message_id: str, mail: OutgoingMail) -> None:
        self.message_id = message_id
        self.mail = mail
        self.token = uuid.uuid4().hex
        self.outcome = SENT
        self._conn: sa.Connection | None = None

    @contextmanager
    def _tx(self) -> Iterator[sa.Connection]:
        if self._conn is None:
            self._conn = db.service_engine.connect()
        try:
            with self._conn.begin():
                yield self._conn
        except sa.exc.DBAPIError:
            # A dead connection (database restart): the next step takes a fresh one.
            self.close()
            raise

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _insert(self, conn: sa.Connection):
        if conn.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        return insert(_LEDGER).on_conflict_do_nothing(index_elements=["message_id"])

    def claim(self) -> bool:
        """True when this attempt owns the claim and may talk to the server."""
        mine = _LEDGER.c.message_id == self.message_id
        with self._tx() as conn:
            # RETURNING, not rowcount: psycopg reports -1 for an INSERT … ON
            # CONFLICT through SQLAlchemy, which sent every first claim down
            # the slow path below (two more statements per email).
            inserted = conn.execute(
                self._insert(conn)
                .values(
                    message_id=self.message_id,
                    outbox_id=self.mail.outbox_id,
                    tenant_id=self.mail.tenant_id,
                    recipients=", ".join(self.mail.to)[:10000],
                    subject=self.mail.subject[:300],
                    status=MAIL_CLAIMED,
                    attempt=self.token,
                    claimed_at=utcnow(),
                )
                .returning(_LEDGER.c.message_id)
            ).first()
            if inserted is not None:
                return True
            status = conn.execute(
                sa.select(_LEDGER.c.status).where(mine).with_for_update()
            ).scalar_one()
            if status in (MAIL_SENT, MAIL_UNCONFIRMED):
                self.outcome = DUPLICATE
                return False
            if status == MAIL_HANDED_OVER:
                # An earlier attempt sent the final "." and stopped before the
                # reply: the server has the message. Sending again would duplicate it.
                conn.execute(sa.update(_LEDGER).where(mine).values(status=MAIL_UNCONFIRMED))
                self.outcome = UNCONFIRMED
                log.warning("mail_unconfirmed", message_id=self.message_id)
                return False
            # A claim whose attempt stopped before handing over: take it.
            conn.execute(
                sa.update(_LEDGER).where(mine).values(attempt=self.token, claimed_at=utcnow())
            )
            return True

    def hand_over(self) -> bool:
        """Compare-and-set claimed -> handed_over for this attempt's token."""
        with self._tx() as conn:
            result = conn.execute(
                sa.update(_LEDGER)
                .where(
                    _LEDGER.c.message_id == self.message_id,
                    _LEDGER.c.status == MAIL_CLAIMED,
                    _LEDGER.c.attempt == self.token,
                )
                .values(status=MAIL_HANDED_OVER, handed_over_at=utcnow())
            )
            return result.rowcount == 1

    def _set(self, **values) -> None:
        with self._tx() as conn:
            conn.execute(
                sa.update(_LEDGER)
                .where(_LEDGER.c.message_id == self.message_id, _LEDGER.c.attempt == self.token)
                .values(**values)
            )

    def confirm(self) -> None:
        self._set(status=MAIL_SENT, sent_at=utcnow())

    def release(self) -> None:
        """The server refused the message: a later attempt may send it."""
        self._set(status=MAIL_CLAIMED, handed_over_at=None)

    def unconfirmed(self) -> None:
        self._set(status=MAIL_UNCONFIRMED)


_LEDGER = SentMail.__table__
