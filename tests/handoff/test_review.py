"""The provider's readiness review: opening, accepting, returning, downloads,
and what a provider must never see."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from baton.platform.audit import AuditEvent
from baton.procurement.handoff import review
from baton.sourcing.requirements import services
from baton.sourcing.requirements.models import Requirement, RequirementReview
from tests.support import requirements as h
from tests.support.world import login


@pytest.fixture
def buyer(app, world):
    client = app.test_client()
    login(client, world.email("north_buyer"))
    return client


def test_opening_the_review_changes_nothing_starting_it_is_an_explicit_post(app, world, buyer):
    rid = h.submitted(app, world)
    with h.service_session(app) as session:
        from baton.tenants.models import Organisation
        from baton.tenants.services import add_member, create_user

        user = create_user(
            session,
            email=f"north_viewer.{world.suffix}@example.com",
            name="Nora Viewer",
            password="correct-horse-battery",
        )
        add_member(session, session.get(Organisation, world.orgs["north"]), user, "viewer")
    viewer = app.test_client()
    login(viewer, f"north_viewer.{world.suffix}@example.com")
    page = viewer.get(f"/provider/requirements/{rid}")
    assert page.status_code == 200 and "Brackets for line 3" in page.text
    assert h.load(app, rid).status == "submitted"
    assert 'data-testid="accept"' not in page.text

    assert 'data-testid="start-review"' not in page.text

    page = buyer.get(f"/provider/requirements/{rid}")
    assert page.status_code == 200
    assert (
        h.load(app, rid).status == "submitted"
    )  # a GET (or a link from elsewhere) changes nothing
    assert 'data-testid="start-review"' in page.text
    assert 'data-testid="accept"' in page.text
    assert "Ready to accept" in page.text
    assert buyer.post(f"/provider/requirements/{rid}/start-review").status_code == 302
    assert h.load(app, rid).status == "in_review"
    assert viewer.post(f"/provider/requirements/{rid}/start-review").status_code == 403


def test_head_never_writes_even_with_a_form_body(app, world):
    sourcing = app.test_client()
    login(sourcing, world.email("acme_sourcing"))
    before = h.count_requirements(app, world.orgs["acme"])
    data = h.good_data(world, h.make_supplier(app, world))
    form = {"client_reference": data["client_reference"], "title": "x", "action": "submit"}
    response = sourcing.head("/client/requirements/new", data=form)
    assert response.status_code == 200
    assert h.count_requirements(app, world.orgs["acme"]) == before
    assert app.test_client().head("/login").status_code == 200


def test_accept_is_refused_while_hard_failures_remain(app, world, buyer):
    supplier = h.make_supplier(app, world, name="Ferro Fasteners")
    rid = h.submitted(app, world, supplier_id=supplier)
    # Handed off ready; the supplier was suspended since (a nonconformity).
    h.supplier_changes(app, supplier, qualification_status="suspended")
    page = buyer.get(f"/provider/requirements/{rid}")
    assert 'data-testid="accept-blocked"' in page.text
    # The return form comes filled in from the findings.
    assert "Ferro Fasteners is suspended, so no order can be placed" in page.text
    response = buyer.post(f"/provider/requirements/{rid}/accept")
    assert response.status_code == 422
    assert "cannot be accepted while it has hard failures" in response.text
    assert h.load(app, rid).status == "submitted"  # refused: nothing changed


def test_a_supplier_lapsing_after_submission_blocks_acceptance(app, world, buyer):
    supplier = h.make_supplier(app, world, qualified_until=h.today() + timedelta(days=400))
    rid = h.submitted(app, world, supplier_id=supplier)
    with h.service_session(app) as session:
        from baton.sourcing.suppliers.models import Supplier

        session.get(Supplier, supplier).qualified_until = h.today() - timedelta(days=1)
    page = buyer.get(f"/provider/requirements/{rid}")
    assert "qualification lapsed" in page.text
    assert buyer.post(f"/provider/requirements/{rid}/accept").status_code == 422
    assert h.load(app, rid).status == "submitted"  # refused: nothing changed


def test_accepting_records_the_decision_and_tells_the_requirement_creator(app, world, buyer):
    rid = h.submitted(app, world)
    response = buyer.post(f"/provider/requirements/{rid}/accept", data={"comment": "Fine"})
    assert response.status_code == 302
    req = h.load(app, rid)
    assert req.status == "accepted"
    with h.service_session(app) as session:
        review = session.scalar(
            sa.select(RequirementReview).where(RequirementReview.requirement_id == rid)
        )
        assert review.decision == "accepted" and review.snapshot_id == req.current_snapshot_id
        actions = set(
            session.scalars(
                sa.select(AuditEvent.action).where(
                    AuditEvent.entity_id == str(rid), AuditEvent.provider_id == world.orgs["north"]
                )
            )
        )
    assert {"requirement.submit", "requirement.start_review", "requirement.accept"} <= actions
    mails = h.mails_to(app, world.email("acme_sourcing"))
    assert mails and "Accepted by North" in mails[-1]["Subject"]
    # Both sides read the decision in their own audit logs.
    client = app.test_client()
    login(client, world.email("acme_admin"))
    assert 'data-action="requirement.accept"' in client.get("/organisation/audit").text


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({}, "Give at least one reason"),
        ({"reasons-0-code": "other"}, "Say what is wrong when the reason is &#39;other&#39;."),
        (
            {"reasons-0-code": "price_not_valid", "reasons-0-field": "lines[9].unit_price"},
            "is not a field of this requirement",
        ),
        ({"reasons-0-code": "because"}, "Choose one of"),
    ],
)
def test_a_return_without_proper_reasons_is_refused(app, world, buyer, form, message):
    rid = h.submitted(app, world)
    buyer.get(f"/provider/requirements/{rid}")
    blank = {f"reasons-{i}-{k}": "" for i in range(3) for k in ("code", "field", "comment")}
    response = buyer.post(f"/provider/requirements/{rid}/return", data=blank | form)
    assert response.status_code == 422
    assert message in response.text
    assert h.load(app, rid).status == "submitted"  # refused: nothing changed


def test_a_return_carries_structured_reasons_to_the_client(app, world, buyer):
    rid = h.submitted(app, world)
    response = buyer.post(
        f"/provider/requirements/{rid}/return",
        data={
            "reasons-0-code": "missing_specification",
            "reasons-0-field": "lines[1].specs",
            "reasons-0-comment": "Which drawing revision?",
            "reasons-1-code": "date_not_achievable",
            "reasons-1-field": "lines[1].need_by",
            "reasons-1-comment": "",
            "comment": "Two things to fix",
        },
    )
    assert response.status_code == 302
    req = h.load(app, rid)
    assert req.status == "returned" and req.returned_at is not None
    with h.service_session(app) as session:
        review = session.scalar(
            sa.select(RequirementReview).where(RequirementReview.requirement_id == rid)
        )
    assert review.reasons == [
        {
            "code": "missing_specification",
            "field": "lines[1].specs",
            "comment": "Which drawing revision?",
        },
        {"code": "date_not_achievable", "field": "lines[1].need_by", "comment": None},
    ]
    body = h.body_text(h.mails_to(app, world.email("acme_sourcing"))[-1])
    assert "Missing specification (Line 1 specifications): Which drawing revision?" in body
    assert "Date not achievable (Line 1 need-by date)" in body
    assert not h.mails_to(app, world.email("acme_viewer"))


def test_providers_get_404_for_drafts_strangers_and_ended_engagements(app, world):
    supplier = h.make_supplier(app, world)
    draft = h.create_draft(app, world, h.good_data(world, supplier))
    sent = h.submitted(app, world, supplier_id=supplier)
    north = app.test_client()
    login(north, world.email("north_buyer"))
    other = app.test_client()
    login(other, world.email("other_buyer"))
    assert north.get(f"/provider/requirements/{draft}").status_code == 404
    assert north.post(f"/provider/requirements/{draft}/accept").status_code == 404
    assert north.post(f"/provider/queue/{draft}/claim").status_code == 404
    assert other.get(f"/provider/requirements/{sent}").status_code == 404
    assert other.post(f"/provider/requirements/{sent}/accept").status_code == 404
    assert north.get(f"/provider/requirements/{sent}").status_code == 200
    h.set_engagement_status(app, world.engagements["acme-north"], "ended")
    assert north.get(f"/provider/requirements/{sent}").status_code == 404
    assert "Brackets" not in north.get("/provider/queue/").text
    assert h.load(app, sent).status == "submitted"  # reading changed nothing


def test_rls_alone_hides_a_clients_drafts_from_the_provider(pg_app, pg_world):
    """The database refuses even when the application's filters are bypassed."""
    app, world = pg_app, pg_world
    supplier = h.make_supplier(app, world)
    draft = h.create_draft(app, world, h.good_data(world, supplier))
    sent = h.submitted(app, world, supplier_id=supplier)
    with h.as_provider(app, world) as (session, _uid):
        seen = set(
            session.scalars(sa.select(Requirement.id).execution_options(skip_tenant_scope=True))
        )
    assert sent in seen and draft not in seen


def test_buyers_download_only_the_specifications_attached_to_the_handoff(app, world, buyer):
    from baton.platform import storage
    from baton.sourcing.documents import services as documents

    pdf = b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n"
    with h.as_client(app, world) as (session, user_id):
        attached = documents.create_document(
            session,
            storage.get_store(),
            world.orgs["acme"],
            kind="specification",
            title="Bracket drawing",
            stream=io.BytesIO(pdf),
            filename="bracket.pdf",
            max_bytes=10_000_000,
            uploaded_by_id=user_id,
        )
        unrelated = documents.create_document(
            session,
            storage.get_store(),
            world.orgs["acme"],
            kind="specification",
            title="Secret other drawing",
            stream=io.BytesIO(pdf + b"x"),
            filename="other.pdf",
            max_bytes=10_000_000,
            uploaded_by_id=user_id,
        )
        attached_id, unrelated_id = attached.id, unrelated.id
    rid = h.submitted(
        app,
        world,
        lines=[h.good_line(spec_required=True, spec_revision_ids=[attached_id])],
    )
    page = buyer.get(f"/provider/requirements/{rid}")
    assert f"/provider/requirements/{rid}/specs/{attached_id}" in page.text
    download = buyer.get(f"/provider/requirements/{rid}/specs/{attached_id}")
    assert download.status_code in (200, 302)
    if download.status_code == 200:
        assert download.data == pdf
    assert buyer.get(f"/provider/requirements/{rid}/specs/{unrelated_id}").status_code == 404


def test_claim_and_assign_only_to_this_providers_buyers(app, world, buyer):
    rid = h.submitted(app, world)
    assert buyer.post(f"/provider/queue/{rid}/claim").status_code == 302
    req = h.load(app, rid)
    from baton.tenants.services import find_user

    with h.service_session(app) as session:
        north_buyer = find_user(session, world.email("north_buyer")).id
        other_buyer = find_user(session, world.email("other_buyer")).id
        north_admin = find_user(session, world.email("north_admin")).id
    assert req.assigned_buyer_id == north_buyer and req.claimed_at is not None
    # Another provider's buyer is no choice.
    response = buyer.post(
        f"/provider/queue/{rid}/assign", data={"buyer_id": str(other_buyer)}, follow_redirects=True
    )
    assert "Choose one of your organisation" in response.text
    assert h.load(app, rid).assigned_buyer_id == north_buyer
    # Someone else's claim is not taken silently.
    admin = app.test_client()
    login(admin, world.email("north_admin"))
    response = admin.post(f"/provider/queue/{rid}/claim", follow_redirects=True)
    assert "has already claimed it" in response.text
    admin.post(f"/provider/queue/{rid}/assign", data={"buyer_id": str(north_admin)})
    assert h.load(app, rid).assigned_buyer_id == north_admin
    with h.service_session(app) as session:
        changes = session.scalars(
            sa.select(AuditEvent.changes)
            .where(AuditEvent.entity_id == str(rid), AuditEvent.action == "requirement.assigned")
            .order_by(AuditEvent.seq)
        ).all()
    assert changes[-1]["assigned_buyer"] == [world.email("north_buyer"), world.email("north_admin")]


def test_the_provider_reads_what_changed_between_versions(app, world, buyer):
    rid = h.submitted(app, world)
    with h.as_provider(app, world) as (session, uid):
        review.return_requirement(
            session, world.orgs["north"], uid, rid, [{"code": "other", "comment": "Quantity?"}]
        )
    data = h.input_data(app, rid)
    data["lines"][0]["quantity"] = data["lines"][0]["quantity"] * 2
    with h.as_client(app, world) as (session, uid):
        services.save_draft(session, world.orgs["acme"], uid, data, rid)
    h.submit(app, world, rid)
    page = buyer.get(f"/provider/requirements/{rid}")
    assert "what changed since v1" in page.text
    snapshot_id = h.load(app, rid).current_snapshot_id
    diff = buyer.get(f"/provider/requirements/{rid}/snapshots/{snapshot_id}")
    assert diff.status_code == 200
    assert "Line 1 quantity" in diff.text and "500" in diff.text


def test_moving_a_returned_requirement_to_another_provider_shows_nothing_of_the_first(app, world):
    """Globex engages North and Other; a requirement North returned, moved to
    Other, reaches Other's queue only when handed off, with no buyer or clock."""
    supplier = h.make_supplier(app, world, "globex")
    data = h.good_data(world, supplier)
    data["engagement_id"] = world.engagements["globex-north"]
    rid = h.create_draft(app, world, data, org="globex")
    h.submit(app, world, rid, org="globex")
    north = app.test_client()
    login(north, world.email("north_buyer"))
    assert north.post(f"/provider/queue/{rid}/claim").status_code == 302
    with h.as_provider(app, world) as (session, uid):
        review.return_requirement(
            session, world.orgs["north"], uid, rid, [{"code": "other", "comment": "Wrong supplier"}]
        )
    moved = h.input_data(app, rid) | {"engagement_id": world.engagements["globex-other"]}
    with h.as_client(app, world, "globex") as (session, uid):
        services.save_draft(session, world.orgs["globex"], uid, moved, rid)
    req = h.load(app, rid)
    assert (req.assigned_buyer_id, req.claimed_at, req.sla_due_at, req.submitted_at) == (
        None,
        None,
        None,
        None,
    )
    other = app.test_client()
    login(other, world.email("other_buyer"))
    assert rid.hex[:8] not in other.get("/provider/queue/").text
    assert other.get(f"/provider/requirements/{rid}").status_code == 404
    assert north.get(f"/provider/requirements/{rid}").status_code == 404
    h.submit(app, world, rid, org="globex")
    page = other.get(f"/provider/requirements/{rid}")
    assert page.status_code == 200
    assert "unassigned" in page.text


def test_a_providers_audit_log_shows_its_buyers_work_in_its_clients_chains(app, world, buyer):
    rid = h.submitted(app, world)
    assert buyer.post(f"/provider/queue/{rid}/claim").status_code == 302
    assert buyer.post(f"/provider/requirements/{rid}/accept").status_code == 302
    admin = app.test_client()
    login(admin, world.email("north_admin"))
    log = admin.get("/organisation/audit")
    assert log.status_code == 200
    for action in ("requirement.assigned", "requirement.start_review", "requirement.accept"):
        assert f'data-action="{action}"' in log.text
    # Globex's own events (its admin's work) are not North's to read.
    other = app.test_client()
    login(other, world.email("other_admin"))
    assert 'data-action="requirement.accept"' not in other.get("/organisation/audit").text


def test_a_requirement_moved_to_another_provider_starts_at_snapshot_v1_there(app, world):
    supplier = h.make_supplier(app, world, "globex")
    data = h.good_data(world, supplier) | {"engagement_id": world.engagements["globex-north"]}
    rid = h.create_draft(app, world, data, org="globex")
    h.submit(app, world, rid, org="globex")
    with h.as_provider(app, world) as (session, uid):
        review.return_requirement(
            session, world.orgs["north"], uid, rid, [{"code": "other", "comment": "Not ours"}]
        )
    moved = h.input_data(app, rid) | {"engagement_id": world.engagements["globex-other"]}
    with h.as_client(app, world, "globex") as (session, uid):
        services.save_draft(session, world.orgs["globex"], uid, moved, rid)
    h.submit(app, world, rid, org="globex")

    other = app.test_client()
    login(other, world.email("other_buyer"))
    page = other.get(f"/provider/requirements/{rid}")
    assert page.status_code == 200
    assert "snapshot v1" in page.text and "snapshot v2" not in page.text
    headers = h.api_headers(app, world.orgs["other"], "viewer")
    item = app.test_client().get(f"/api/v1/queue/{rid}", headers=headers).get_json()
    assert item["snapshot_version"] == 1
    # The client keeps both handoffs, each numbered for its own provider, newest first.
    client = app.test_client()
    login(client, world.email("globex_sourcing"))
    detail = client.get(f"/client/requirements/{rid}").text
    assert detail.count("v1") >= 2 and "v2" not in detail
