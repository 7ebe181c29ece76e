"""The demo story's cast and helpers: acting as a demo person in their own
organisation's context, and the suppliers, documents and drafts they make."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from baton.platform import storage
from baton.platform.db import set_context, utcnow
from baton.platform.request_context import Actor, acting_as

ACME, GLOBEX, NORTHWIND = "Acme Robotics", "Globex Energy", "Northwind Procurement Services"
ACME_SHIP_TO = "Acme Robotics, Plant 2, Goods-in dock 4\nLerchenauer Str. 40\n80809 München, DE"
GLOBEX_SHIP_TO = "Globex Energy, Substation North\nHavnevej 12\n6700 Esbjerg, DK"
# A handoff seeded a minute ago would fall due 48 hours from now, like every
# other; these two are moved so that the queue looks like a working day's.
DUE_SOON = timedelta(hours=4)
OVERDUE_BY = timedelta(hours=3)


def _money(text: str) -> Decimal:
    return Decimal(text)


class StoryPeople:
    """One session; each step acts as one demo person in their organisation."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.today: date = utcnow().date()
        self.store = storage.get_store()
        self.max_bytes: int = current_app.config["BATON_SETTINGS"].max_upload_bytes
        self.suppliers: dict[str, uuid.UUID] = {}
        self.revisions: dict[str, uuid.UUID] = {}
        self.requirements: dict[str, uuid.UUID] = {}

    # --- who acts ------------------------------------------------------------------------

    @contextmanager
    def acting(self, email: str) -> Iterator[tuple[uuid.UUID, uuid.UUID]]:
        """As ``email`` in the one organisation the demo gives them: (org id, user id)."""
        from baton.tenants.models import Membership, Organisation
        from baton.tenants.services import context_for, find_user

        user = find_user(self.session, email)
        org = self.session.scalar(
            sa.select(Organisation)
            .join(Membership, Membership.organisation_id == Organisation.id)
            .where(Membership.user_id == user.id, Membership.is_active.is_(True))
        )
        set_context(self.session, context_for(self.session, org, user.id))
        with acting_as(Actor("user", str(user.id), user.email)):
            yield org.id, user.id

    def engagement_id(self, client: str) -> uuid.UUID:
        from baton.tenants.models import Engagement, Organisation

        client_org = sa.select(Organisation.id).where(Organisation.name == client)
        provider_org = sa.select(Organisation.id).where(Organisation.name == NORTHWIND)
        return self.session.scalar(
            sa.select(Engagement.id).where(
                Engagement.client_id == client_org.scalar_subquery(),
                Engagement.provider_id == provider_org.scalar_subquery(),
            )
        )

    def days(self, n: int) -> date:
        return self.today + timedelta(days=n)

    # --- the story ------------------------------------------------------------------------

    def add_suppliers(self, email: str, rows: list[dict[str, Any]]) -> None:
        from baton.sourcing.suppliers import services as suppliers

        with self.acting(email) as (org_id, user_id):
            for row in rows:
                supplier = suppliers.create_supplier(
                    self.session, org_id, row, created_by_id=user_id
                )
                self.suppliers[supplier.code] = supplier.id

    def upload(
        self,
        org_id: uuid.UUID,
        user_id: uuid.UUID,
        *,
        number: str,
        title: str,
        filename: str,
        data: bytes,
        note: str,
    ) -> None:
        from baton.sourcing.documents import services as documents

        revision = documents.create_document(
            self.session,
            self.store,
            org_id,
            kind="specification",
            title=title,
            number=number,
            stream=io.BytesIO(data),
            filename=filename,
            max_bytes=self.max_bytes,
            note=note,
            uploaded_by_id=user_id,
        )
        self.revisions[f"{number}@1"] = revision.id

    def draft(
        self,
        email: str,
        data: dict[str, Any],
        *,
        submit: bool = True,
        accept_warnings: bool = False,
    ) -> uuid.UUID:
        from baton.sourcing.requirements import services as requirements

        with self.acting(email) as (org_id, user_id):
            req = requirements.save_draft(self.session, org_id, user_id, data)
            if submit:
                requirements.submit(
                    self.session, org_id, user_id, req.id, accept_warnings=accept_warnings
                )
        self.requirements[req.client_reference] = req.id
        return req.id
