"""The floor for bench/api_reads.py: a bare Flask + SQLAlchemy 2 + marshmallow app.

No authentication, no tenancy (it connects as a role that bypasses row-level
security), no request logging, no audit, no readiness rules: the same two
reads Baton's API serves, written the way a small app would write them, so
the difference between the two is what Baton adds on top of its stack.

    GET /requirements/<id>        one requirement with its lines and their
                                  specification revisions (3 SELECTs, selectinload)
    GET /queue?provider_id=<id>   the first 50 of a provider's queue, oldest SLA
                                  first, with client, buyer and supplier names (1 SELECT)
    GET /healthz                  {"status": "ok"}

It reads Baton's tables but maps only the columns it shows. It is served like
Baton (``infra/gunicorn.conf.py``), with the database in ``BARE_DATABASE_URL``:

    BARE_DATABASE_URL=postgresql://... gunicorn -c infra/gunicorn.conf.py \\
        --pythonpath bench 'bare_app:create_app()'
"""

from __future__ import annotations

import os
import uuid
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask import Flask, abort, jsonify, request
from marshmallow import Schema, fields
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    relationship,
    selectinload,
)

QUEUE_STATUSES = ("submitted", "in_review", "returned", "accepted")
PAGE_SIZE = 50
QUEUE_COLUMNS = (
    "id",
    "client_reference",
    "title",
    "status",
    "priority",
    "ready",
    "submitted_at",
    "sla_due_at",
    "earliest_need_by",
    "assigned_buyer_id",
)
TZ = sa.DateTime(timezone=True)


class Base(DeclarativeBase):
    pass


class Organisation(Base):
    __tablename__ = "organisations"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str]


class User(Base):
    __tablename__ = "users"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str]


class Supplier(Base):
    __tablename__ = "suppliers"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    name: Mapped[str]


class Requirement(Base):
    __tablename__ = "requirements"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    provider_id: Mapped[uuid.UUID | None]
    client_reference: Mapped[str]
    title: Mapped[str]
    engagement_id: Mapped[uuid.UUID]
    supplier_id: Mapped[uuid.UUID | None]
    currency: Mapped[str]
    payment_terms: Mapped[str | None]
    incoterms: Mapped[str | None]
    quote_reference: Mapped[str | None]
    quote_valid_until: Mapped[date | None]
    ship_to: Mapped[str | None]
    sourcing_notes: Mapped[str | None]
    assumptions: Mapped[str | None]
    priority: Mapped[str]
    status: Mapped[str]
    ready: Mapped[bool]
    submitted_at: Mapped[datetime | None] = mapped_column(TZ)
    sla_due_at: Mapped[datetime | None] = mapped_column(TZ)
    earliest_need_by: Mapped[date | None]
    assigned_buyer_id: Mapped[uuid.UUID | None]

    lines: Mapped[list[RequirementLine]] = relationship(
        primaryjoin="RequirementLine.requirement_id == Requirement.id",
        foreign_keys="RequirementLine.requirement_id",
        order_by="RequirementLine.line_no",
        viewonly=True,
    )


class RequirementLine(Base):
    __tablename__ = "requirement_lines"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    requirement_id: Mapped[uuid.UUID]
    line_no: Mapped[int]
    item_code: Mapped[str | None]
    description: Mapped[str]
    quantity: Mapped[Decimal | None] = mapped_column(sa.Numeric(18, 4))
    unit: Mapped[str | None]
    unit_price: Mapped[Decimal | None] = mapped_column(sa.Numeric(18, 4))
    need_by: Mapped[date | None]
    spec_required: Mapped[bool]

    specs: Mapped[list[RequirementLineSpec]] = relationship(
        primaryjoin="RequirementLineSpec.line_id == RequirementLine.id",
        foreign_keys="RequirementLineSpec.line_id",
        viewonly=True,
    )

    @property
    def spec_revision_ids(self) -> list[uuid.UUID]:
        return [s.revision_id for s in self.specs]


class RequirementLineSpec(Base):
    __tablename__ = "requirement_line_specs"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    line_id: Mapped[uuid.UUID]
    revision_id: Mapped[uuid.UUID]


class LineSchema(Schema):
    id = fields.UUID()
    line_no = fields.Integer()
    item_code = fields.String(allow_none=True)
    description = fields.String()
    quantity = fields.Decimal(as_string=True, allow_none=True)
    unit = fields.String(allow_none=True)
    unit_price = fields.Decimal(as_string=True, allow_none=True)
    need_by = fields.Date(allow_none=True)
    spec_required = fields.Boolean()
    spec_revision_ids = fields.List(fields.UUID())


class RequirementSchema(Schema):
    id = fields.UUID()
    client_reference = fields.String()
    title = fields.String()
    status = fields.String()
    engagement_id = fields.UUID()
    provider_id = fields.UUID()
    supplier_id = fields.UUID(allow_none=True)
    currency = fields.String()
    payment_terms = fields.String(allow_none=True)
    incoterms = fields.String(allow_none=True)
    quote_reference = fields.String(allow_none=True)
    quote_valid_until = fields.Date(allow_none=True)
    ship_to = fields.String(allow_none=True)
    sourcing_notes = fields.String(allow_none=True)
    assumptions = fields.String(allow_none=True)
    priority = fields.String()
    submitted_at = fields.DateTime(allow_none=True)
    sla_due_at = fields.DateTime(allow_none=True)
    lines = fields.List(fields.Nested(LineSchema))


class QueueItemSchema(Schema):
    id = fields.UUID()
    client_id = fields.UUID(attribute="tenant_id")
    client_name = fields.String()
    client_reference = fields.String()
    title = fields.String()
    status = fields.String()
    priority = fields.String()
    ready = fields.Boolean()
    submitted_at = fields.DateTime()
    sla_due_at = fields.DateTime(allow_none=True)
    earliest_need_by = fields.Date(allow_none=True)
    assigned_buyer_id = fields.UUID(allow_none=True)
    assigned_buyer = fields.String(allow_none=True)
    supplier_name = fields.String(allow_none=True)


class QueuePageSchema(Schema):
    page = fields.Integer()
    has_next = fields.Boolean()
    items = fields.List(fields.Nested(QueueItemSchema))


requirement_schema = RequirementSchema()
queue_schema = QueuePageSchema()


def make_engine(url: str) -> sa.Engine:
    """The engine settings Baton uses (baton.platform.engine.make_engine), so the
    comparison is of the code around the queries, not of driver settings."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return sa.create_engine(
        url,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=10,
        connect_args={"prepare_threshold": None},
    )


def create_app(database_url: str | None = None) -> Flask:
    app = Flask(__name__)
    engine = make_engine(database_url or os.environ["BARE_DATABASE_URL"])
    app.extensions["bare.engine"] = engine

    from bare_orders import add_routes

    add_routes(app, engine)

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    @app.get("/requirements/<uuid:requirement_id>")
    def requirement(requirement_id: uuid.UUID):
        with Session(engine) as session:
            req = session.scalar(
                sa.select(Requirement)
                .where(Requirement.id == requirement_id)
                .options(selectinload(Requirement.lines).selectinload(RequirementLine.specs))
            )
            if req is None:
                abort(404)
            return jsonify(requirement_schema.dump(req))

    @app.get("/queue")
    def queue():
        try:
            provider_id = uuid.UUID(request.args["provider_id"])
        except (KeyError, ValueError):
            abort(400)
        stmt = (
            sa.select(
                Requirement,
                Organisation.name.label("client_name"),
                User.name.label("assigned_buyer"),
                Supplier.name.label("supplier_name"),
            )
            .join(Organisation, Organisation.id == Requirement.tenant_id)
            .outerjoin(User, User.id == Requirement.assigned_buyer_id)
            .outerjoin(
                Supplier,
                sa.and_(
                    Supplier.id == Requirement.supplier_id,
                    Supplier.tenant_id == Requirement.tenant_id,
                ),
            )
            .where(
                Requirement.provider_id == provider_id,
                Requirement.status.in_(QUEUE_STATUSES),
                Requirement.submitted_at.is_not(None),
            )
            .order_by(Requirement.sla_due_at, Requirement.id)
            .limit(PAGE_SIZE + 1)
        )
        with Session(engine) as session:
            rows = session.execute(stmt).all()
            items = [
                {
                    **{c: getattr(req, c) for c in QUEUE_COLUMNS},
                    "tenant_id": req.tenant_id,
                    "client_name": client_name,
                    "assigned_buyer": buyer,
                    "supplier_name": supplier,
                }
                for req, client_name, buyer, supplier in rows[:PAGE_SIZE]
            ]
        return jsonify(
            queue_schema.dump({"page": 1, "has_next": len(rows) > PAGE_SIZE, "items": items})
        )

    return app
