"""Engine, session and the two isolation layers.

One SQLAlchemy session per request or job, one transaction in it. When the
transaction begins on PostgreSQL we set the tenant context with
``set_config(..., true)`` so it is transaction-local: a pooled connection can
never carry one tenant's context into the next request. Every ORM SELECT is
additionally filtered by ``with_loader_criteria`` on the tenant-owned mixins,
which also scopes the embedded SQLite mode.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    declared_attr,
    mapped_column,
    sessionmaker,
    with_loader_criteria,
)
from sqlalchemy.types import DateTime, TypeDecorator

from baton.platform.engine import make_engine
from baton.platform.tenancy import NO_CONTEXT, TenantContext

# Set to the job's name while a job body that is not declared cross-tenant
# runs: such a body acts for one tenant and may not open the service role.
refuse_service_sessions: ContextVar[str | None] = ContextVar(
    "refuse_service_sessions", default=None
)


class TenantIsolationError(RuntimeError):
    """A write outside the acting context's tenants was attempted."""


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on PostgreSQL and SQLite alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Baton stores UTC-aware times only")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def utc_today() -> date:
    """Today's date in UTC: the date rules (need-by, qualification) compare with."""
    return utcnow().date()


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime}


class IdMixin:
    @declared_attr
    def id(cls) -> Mapped[uuid.UUID]:
        # A distributed table's primary key leads with tenant_id, so id gets an
        # index of its own: rows are still looked up by id alone (the mapper's key).
        return mapped_column(
            sa.Uuid,
            primary_key=True,
            default=uuid.uuid4,
            index=issubclass(cls, DistributedByTenant),
        )

    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DistributedByTenant:
    """Rows that Citus would distribute by tenant_id (docs/decisions/0006).

    Citus needs the distribution column in every primary key, unique key and
    foreign key between distributed tables, so the database key is
    ``(tenant_id, id)``, natural keys start with tenant_id, and foreign keys
    between these tables are composite ``(tenant_id, x_id) -> (tenant_id, id)``.
    The mapper's identity stays ``id`` alone (ids are random UUIDs), so
    ``session.get(Model, id)`` works as before; flushes still update and
    delete ``WHERE tenant_id = ? AND id = ?``. tests/foundation/test_citus_keys.py
    checks the live schema against these rules.
    """

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"primary_key": [cls.__table__.c.id]}


class TenantOwned(DistributedByTenant):
    """Rows of one client tenant. RLS on PostgreSQL, loader criteria everywhere."""

    # First column, so the key reads (tenant_id, id); the key's index serves
    # lookups by tenant_id, which therefore needs no index of its own.
    tenant_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, sort_order=-1)


class ProviderOwned(TenantOwned):
    """Rows a provider works on: visible to the client and to that provider only."""

    provider_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, index=True)


class AuditScoped(DistributedByTenant):
    """An organisation's own chain of events; a provider also sees the events it
    wrote into a client's chain, and nothing else of that client's log."""

    tenant_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, sort_order=-1)
    provider_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, index=True)


class BillingScoped(DistributedByTenant):
    """Usage a provider's work caused in a client's tenant: the provider sees all
    of its own (whatever became of the engagement, its bill still counts them),
    the client sees its share with every provider, nobody else anything."""

    tenant_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, sort_order=-1)
    provider_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)


def among(session: Session, column, ids) -> sa.ColumnElement[bool]:
    """``column IN ids`` as one array parameter on PostgreSQL (``= ANY(:ids)``), so
    a provider's 200 client ids are not 200 bind parameters; a plain IN elsewhere."""
    ids = list(ids)
    if session.get_bind().dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam(None, ids, type_=sa.ARRAY(sa.Uuid)))
    return column.in_(ids)


def among_engaged_clients(
    session: Session, tenant_column, provider_id, client_ids
) -> sa.ColumnElement[bool]:
    """``tenant_column IN client_ids`` for the tenant id of a tenant-owned entity,
    where ``client_ids`` are the provider's engaged clients.

    When the session acts for that provider and sees exactly those clients and
    itself, its tenant scoping (the criteria here and the row-level policies)
    already keeps the entity's rows to them: ``<> provider_id`` is then the
    same filter, without a 200-element array to encode in Python, send and
    compare. Any other context (a job's narrower one, the service role) gets
    the explicit list.

    For a read of one row by its key, or a page read in an index's order
    (``in_index_order``). On any other list the planner needs the explicit
    array: the queue's first page over 200,000 requirements, with ``<>`` in
    its place and free to sort, fell from 81 to 4 requests a second."""
    ids = frozenset(client_ids)
    ctx = get_context(session)
    if (
        not ctx.is_service
        and ctx.org_id == provider_id
        and ctx.tenant_ids == ids | {provider_id}
        and provider_id not in ids
    ):
        return tenant_column != provider_id
    return among(session, tenant_column, ids)


def get_context(session: Session) -> TenantContext:
    return session.info.get("tenant_context", NO_CONTEXT)


# Each is called with a session whose context is about to change in an open
# transaction, to settle what was done under the old one (the audit trail
# writes the events it holds for the commit).
context_change_hooks: list[Callable[[Session], None]] = []


def set_context(session: Session, ctx: TenantContext) -> None:
    """Attach the context; if a transaction is already open, apply it now too."""
    previous = session.info.get("tenant_context")
    if previous is not None and previous != ctx and session.in_transaction():
        for hook in context_change_hooks:
            hook(session)
    session.info["tenant_context"] = ctx
    if session.in_transaction() and not _applied(session, ctx):
        _apply_pg_settings(session, session.connection(), ctx)


def mark_applied(session: Session, ctx: TenantContext) -> None:
    """The open transaction's settings already hold ``ctx``: a statement wrote
    them itself (an API token's lookup does, to save the round trip), so
    ``set_context`` need not send them again. Only for this transaction; the
    next one applies them at BEGIN as usual."""
    session.info["applied_context"] = (ctx, session.get_transaction())


def _applied(session: Session, ctx: TenantContext) -> bool:
    applied = session.info.get("applied_context")
    return applied is not None and applied[0] == ctx and applied[1] is session.get_transaction()


def _apply_pg_settings(session: Session, connection, ctx: TenantContext) -> None:
    if connection.dialect.name != "postgresql":
        return
    settings = ctx.pg_settings()
    connection.exec_driver_sql(
        "SELECT "
        + ", ".join(f"set_config('{k}', %({k.replace('.', '_')})s, true)" for k in settings),
        {k.replace(".", "_"): v for k, v in settings.items()},
    )


@event.listens_for(Session, "after_begin")
def _after_begin(session: Session, transaction, connection) -> None:
    ctx = get_context(session)
    # No context yet (a request before its identity is known): the settings
    # are transaction-local, so at BEGIN they already read '' (no rows); sending
    # them would be a wasted round trip. ``set_context`` applies the real one.
    if ctx != NO_CONTEXT:
        _apply_pg_settings(session, connection, ctx)


# On PostgreSQL the criteria read the visible tenants from the transaction's
# setting, as the row-level policies do (``baton_tenant_ids()``), so a scoped
# statement carries no parameter for them: its SQL is the same for every
# request and every provider, and 200 client ids are not re-sent (and
# re-encoded) with each statement. Sending them as a uuid[] parameter cost
# about 0.5 ms of Python per statement for a provider with 200 clients
# (decision 0014). As in the policies (platform/rls.py ``once_per_statement``)
# it is a scalar subquery, evaluated once per statement rather than per row;
# the cast keeps PostgreSQL from reading ``ANY (SELECT ...)`` as a subquery test.
_ANY_VISIBLE = sa.any_(
    sa.cast(
        sa.select(sa.func.baton_tenant_ids(type_=sa.ARRAY(sa.Uuid))).scalar_subquery(),
        sa.ARRAY(sa.Uuid),
    )
)


@event.listens_for(Session, "do_orm_execute")
def _scope_queries(state):
    # ORM-enabled UPDATE and DELETE are scoped too: they never pass through
    # before_flush, and in the embedded SQLite mode nothing else would stop them.
    writing = state.is_update or state.is_delete
    if not (state.is_select or writing) or state.execution_options.get("skip_tenant_scope"):
        return
    ctx = get_context(state.session)
    if ctx.is_service:
        return
    visible = tuple(ctx.tenant_ids)
    org_id = ctx.org_id
    provider_view = ctx.org_kind == "provider"
    postgres = state.session.get_bind().dialect.name == "postgresql"
    if writing and provider_view:
        target = state.bind_mapper.class_ if state.bind_mapper is not None else None
        if (
            target is not None
            and issubclass(target, TenantOwned)
            and not issubclass(target, ProviderOwned)
        ):
            raise TenantIsolationError(
                f"a provider cannot change {target.__name__} rows: they are the client's"
            )
    if postgres and state.is_relationship_load:
        # Lines of a requirement, say: the parent's statement carried the
        # criteria to this load (with_loader_criteria propagates), and row-level
        # security applies to it too; adding them again only repeats them.
        return None
    if postgres:
        # Nothing in them varies but the organisation: built once per one.
        options = _pg_criteria(org_id, provider_view, writing)
    else:
        options = _criteria(org_id, provider_view, writing, visible)
    state.statement = state.statement.options(*options)
    return None


@functools.lru_cache(maxsize=4096)
def _pg_criteria(org_id: uuid.UUID | None, provider_view: bool, writing: bool) -> tuple:
    # Building these options anew for every statement cost about 0.1 ms each.
    return _criteria(org_id, provider_view, writing, None)


def _criteria(
    org_id: uuid.UUID | None,
    provider_view: bool,
    writing: bool,
    visible: tuple[uuid.UUID, ...] | None,
) -> tuple:
    """The session's scoping as loader criteria. ``visible`` None: PostgreSQL,
    where the visible tenants come from the transaction's setting (see
    ``_ANY_VISIBLE``); elsewhere, the ids themselves."""
    if visible is None:
        tenant_criteria = lambda cls: cls.tenant_id == _ANY_VISIBLE  # noqa: E731
        audit_criteria = lambda cls: sa.or_(  # noqa: E731
            cls.tenant_id == org_id,
            sa.and_(cls.provider_id == org_id, cls.tenant_id == _ANY_VISIBLE),
        )
    else:
        tenant_criteria = lambda cls: cls.tenant_id.in_(visible)  # noqa: E731
        audit_criteria = lambda cls: sa.or_(  # noqa: E731
            cls.tenant_id == org_id,
            sa.and_(cls.provider_id == org_id, cls.tenant_id.in_(visible)),
        )
    options = [
        with_loader_criteria(TenantOwned, tenant_criteria, include_aliases=True),
        with_loader_criteria(AuditScoped, audit_criteria, include_aliases=True),
        with_loader_criteria(
            BillingScoped,
            lambda cls: sa.or_(cls.tenant_id == org_id, cls.provider_id == org_id),
            include_aliases=True,
        ),
    ]
    if provider_view and writing:
        # A provider changes only its own rows, never the client's shared ones.
        options.append(
            with_loader_criteria(
                ProviderOwned, lambda cls: cls.provider_id == org_id, include_aliases=True
            )
        )
    elif provider_view:
        options.append(
            with_loader_criteria(
                ProviderOwned,
                lambda cls: sa.or_(cls.provider_id.is_(None), cls.provider_id == org_id),
                include_aliases=True,
            )
        )
    return tuple(options)


@event.listens_for(Session, "before_flush")
def _guard_writes(session: Session, flush_context, instances) -> None:
    """Second layer for writes: refuse rows outside the context before SQL runs."""
    ctx = get_context(session)
    if ctx.is_service:
        return
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditScoped):
            allowed = obj.tenant_id == ctx.org_id or (
                obj.provider_id == ctx.org_id and obj.tenant_id in ctx.tenant_ids
            )
        elif isinstance(obj, BillingScoped):
            allowed = ctx.org_id is not None and ctx.org_id in (obj.tenant_id, obj.provider_id)
        elif isinstance(obj, TenantOwned):
            allowed = ctx.can_write(obj.tenant_id, getattr(obj, "provider_id", None))
        else:
            continue
        if not allowed:
            raise TenantIsolationError(f"write to {type(obj).__name__} outside the acting tenant")


class Database:
    """Unbound until ``init_app``; one engine per role the app uses."""

    def __init__(self) -> None:
        self.engine: sa.Engine | None = None
        self.service_engine: sa.Engine | None = None
        self.session_factory: sessionmaker[Session] | None = None
        self.service_session_factory: sessionmaker[Session] | None = None

    def configure(self, url: str, service_url: str | None = None) -> None:
        self.engine = make_engine(url)
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)
        if service_url and service_url != url:
            self.service_engine = make_engine(service_url)
        else:
            self.service_engine = self.engine
        self.service_session_factory = sessionmaker(self.service_engine, expire_on_commit=False)

    def new_session(self, ctx: TenantContext = NO_CONTEXT) -> Session:
        assert self.session_factory is not None, "database not configured"
        session = self.session_factory()
        session.info["tenant_context"] = ctx
        return session

    def new_service_session(self, ctx: TenantContext) -> Session:
        """Cross-tenant jobs connect as the service role, never as the owner."""
        assert self.service_session_factory is not None, "database not configured"
        refused_for = refuse_service_sessions.get()
        if refused_for is not None:
            raise TenantIsolationError(
                f"job {refused_for} acts for one tenant; declare it cross_tenant=True"
                " to use the service role"
            )
        session = self.service_session_factory()
        session.info["tenant_context"] = ctx
        return session

    @contextmanager
    def unit_of_work(self, ctx: TenantContext) -> Iterator[Session]:
        """One transaction: commit on success, roll back on any exception."""
        session = self.new_session(ctx)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        for engine in {self.engine, self.service_engine}:
            if engine is not None:
                engine.dispose()


class _CurrentDatabase:
    """``db`` resolves to the Database of the current Flask app, so two apps
    (say PostgreSQL and SQLite in one test run) never share engines."""

    def __getattr__(self, name: str):
        from flask import current_app

        return getattr(current_app.extensions["baton.db"], name)


db: Database = _CurrentDatabase()  # type: ignore[assignment]
