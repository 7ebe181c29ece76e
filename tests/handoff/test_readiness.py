"""The readiness check: every rule in the words a sourcing user reads, and the
property that nothing with a hard failure is ever accepted."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from baton.platform.db import utc_today
from baton.procurement.handoff import review
from baton.sourcing.requirements.readiness import (
    ERROR,
    WARNING,
    LineFacts,
    RequirementFacts,
    SupplierFacts,
    check,
)

TODAY = date(2027, 3, 1)
GOOD_SUPPLIER = SupplierFacts("Bolt & Co", "EUR", "qualified", date(2028, 1, 1))


def good_line(n: int = 1, **overrides) -> LineFacts:
    values = {
        "line_no": n,
        "description": "Bracket",
        "quantity": Decimal("10"),
        "unit": "each",
        "unit_price": Decimal("2.50"),
        "need_by": TODAY + timedelta(days=60),
        "spec_required": False,
        "spec_count": 0,
    }
    values.update(overrides)
    return LineFacts(**values)


def good(**overrides) -> RequirementFacts:
    values = {
        "currency": "EUR",
        "supplier": GOOD_SUPPLIER,
        "quote_reference": "Q-1",
        "quote_valid_until": TODAY + timedelta(days=30),
        "ship_to": "Plant 2",
        "lines": (good_line(),),
    }
    values.update(overrides)
    return RequirementFacts(**values)


def hard(result) -> dict[str, str]:
    return {f.field: f.message for f in result.hard_failures}


def test_a_complete_requirement_is_ready_without_findings():
    result = check(good(), TODAY)
    assert result.ready
    assert result.findings == ()


@pytest.mark.parametrize(
    ("facts", "field", "words"),
    [
        (good(supplier=None), "supplier_id", "Choose the supplier"),
        (
            good(supplier=SupplierFacts("Bolt & Co", "EUR", "suspended", None)),
            "supplier_id",
            "Bolt & Co is suspended",
        ),
        (
            good(
                supplier=SupplierFacts("Bolt & Co", "EUR", "qualified", TODAY - timedelta(days=1))
            ),
            "supplier_id",
            "qualification ran out on 28 Feb 2027",
        ),
        (good(currency="USD"), "currency", "The price is in USD, but Bolt & Co invoices in EUR"),
        (good(quote_valid_until=None), "quote_valid_until", "until which the supplier's quote"),
        (
            good(quote_valid_until=TODAY - timedelta(days=1)),
            "quote_valid_until",
            "The quote expired on 28 Feb 2027",
        ),
        (good(ship_to="  "), "ship_to", "where the goods are to be delivered"),
        (good(lines=()), "lines", "Add at least one line"),
        (
            good(lines=(good_line(quantity=None),)),
            "lines[1].quantity",
            "Line 1: enter the quantity",
        ),
        (
            good(lines=(good_line(quantity=Decimal("0")),)),
            "lines[1].quantity",
            "more than zero",
        ),
        (good(lines=(good_line(unit=""),)), "lines[1].unit", "unit of measure"),
        (good(lines=(good_line(unit_price=None),)), "lines[1].unit_price", "agreed unit price"),
        (good(lines=(good_line(need_by=None),)), "lines[1].need_by", "needed by"),
        (good(lines=(good_line(need_by=TODAY),)), "lines[1].need_by", "is not in the future"),
        (
            good(lines=(good_line(), good_line(2, spec_required=True))),
            "lines[2].specs",
            "Line 2: this item must be bought to a specification",
        ),
    ],
)
def test_each_hard_failure_names_the_field_in_plain_words(facts, field, words):
    result = check(facts, TODAY)
    assert not result.ready
    assert field in hard(result)
    assert words in hard(result)[field]


@pytest.mark.parametrize(
    ("facts", "field", "words"),
    [
        (
            good(supplier=SupplierFacts("Bolt & Co", "EUR", "conditional", None)),
            "supplier_id",
            "only conditionally qualified",
        ),
        (good(quote_reference=None), "quote_reference", "No quote reference"),
        (
            good(quote_valid_until=TODAY + timedelta(days=3)),
            "quote_valid_until",
            "released before then",
        ),
        (
            good(lines=(good_line(need_by=TODAY + timedelta(days=5)),)),
            "lines[1].need_by",
            "only 5 days away",
        ),
        (
            good(lines=(good_line(unit_price=Decimal("0")),)),
            "lines[1].unit_price",
            "free of charge",
        ),
        (
            good(lines=(good_line(need_by=date(2028, 2, 1)),)),
            "supplier_id",
            "before the last need-by date",
        ),
    ],
)
def test_warnings_do_not_block(facts, field, words):
    result = check(facts, TODAY)
    assert result.ready
    warning = next(f for f in result.findings if f.field == field)
    assert warning.severity == WARNING
    assert words in warning.message


def test_a_spec_attached_where_needed_is_enough():
    line = good_line(spec_required=True, spec_count=1)
    assert check(good(lines=(line,)), TODAY).ready


def test_findings_of_a_line_are_found_under_its_path():
    result = check(good(lines=(good_line(), good_line(2, unit=None, quantity=None))), TODAY)
    assert {f.field for f in result.for_field("lines[2]")} == {
        "lines[2].unit",
        "lines[2].quantity",
    }
    assert result.for_field("lines[1]") == []


# --- properties -------------------------------------------------------------------------

decimals = st.one_of(
    st.none(),
    st.decimals(min_value=-5, max_value=1000, places=2, allow_nan=False, allow_infinity=False),
)
dates = st.one_of(st.none(), st.dates(min_value=date(2026, 1, 1), max_value=date(2029, 1, 1)))
texts = st.one_of(st.none(), st.sampled_from(["", "  ", "each", "Plant 2"]))
suppliers = st.one_of(
    st.none(),
    st.builds(
        SupplierFacts,
        name=st.just("Bolt & Co"),
        currency=st.sampled_from(["EUR", "USD"]),
        qualification_status=st.sampled_from(
            ["qualified", "conditional", "suspended", "disqualified"]
        ),
        qualified_until=dates,
    ),
)


@st.composite
def requirements(draw):
    count = draw(st.integers(min_value=0, max_value=3))
    lines = tuple(
        LineFacts(
            line_no=n,
            description=draw(st.sampled_from([None, "", "Bracket"])),
            quantity=draw(decimals),
            unit=draw(texts),
            unit_price=draw(decimals),
            need_by=draw(dates),
            spec_required=draw(st.booleans()),
            spec_count=draw(st.integers(min_value=0, max_value=2)),
        )
        for n in range(1, count + 1)
    )
    return RequirementFacts(
        currency=draw(st.sampled_from([None, "", "EUR", "USD"])),
        supplier=draw(suppliers),
        quote_reference=draw(texts),
        quote_valid_until=draw(dates),
        ship_to=draw(texts),
        lines=lines,
    )


def blank(value) -> bool:
    return value is None or not str(value).strip()


def has_hard_failure(req: RequirementFacts, today: date) -> bool:
    """An independent statement of DESIGN.md's rules, to check the check against."""
    s = req.supplier
    if s is None or s.qualification_status not in ("qualified", "conditional"):
        return True
    if s.qualified_until is not None and s.qualified_until < today:
        return True
    if blank(req.currency) or req.currency != s.currency:
        return True
    if req.quote_valid_until is None or req.quote_valid_until < today:
        return True
    if blank(req.ship_to) or not req.lines:
        return True
    for line in req.lines:
        if blank(line.description) or blank(line.unit):
            return True
        if line.quantity is None or line.quantity <= 0:
            return True
        if line.unit_price is None or line.unit_price < 0:
            return True
        if line.need_by is None or line.need_by <= today:
            return True
        if line.spec_required and line.spec_count == 0:
            return True
    return False


@settings(max_examples=500)
@given(req=requirements(), today=st.dates(min_value=date(2026, 6, 1), max_value=date(2028, 6, 1)))
def test_ready_exactly_when_no_rule_is_broken(req, today):
    result = check(req, today)
    assert result.ready == (not has_hard_failure(req, today))
    assert all(f.severity in (ERROR, WARNING) and f.message for f in result.findings)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(req=requirements())
@example(req=good())
@example(req=good(lines=(good_line(spec_required=True, spec_count=1), good_line(2))))
def test_no_requirement_with_a_hard_failure_is_ever_handed_off(sqlite_app, req):
    """Through the real services: make the packet, hand it off (warnings
    confirmed), accept it. Handed off and accepted if and only if the check
    finds no hard failure."""
    from baton.platform.errors import ValidationFailed
    from tests.support import requirements as h
    from tests.support.world import make_world

    app = sqlite_app
    world = make_world(app)
    today = utc_today()
    # Map the generated facts onto real rows, dated relative to the real today.
    shift = today - TODAY
    supplier_id = None
    if req.supplier is not None:
        until = req.supplier.qualified_until
        supplier_id = h.make_supplier(
            app,
            world,
            currency=req.supplier.currency,
            status=req.supplier.qualification_status,
            qualified_until=until + shift if until else None,
        )
    spec_ids = h.make_spec(app, world, revisions=2)
    lines = [
        h.good_line(
            # The service itself refuses a line without a description.
            description=line.description or "Bracket",
            quantity=line.quantity,
            unit=line.unit,
            unit_price=line.unit_price,
            need_by=line.need_by + shift if line.need_by else None,
            spec_required=line.spec_required,
            spec_revision_ids=spec_ids[: line.spec_count],
        )
        for line in req.lines
    ]
    data = h.good_data(
        world,
        supplier_id,
        currency=req.currency,
        quote_reference=req.quote_reference,
        quote_valid_until=req.quote_valid_until + shift if req.quote_valid_until else None,
        ship_to=req.ship_to,
        lines=lines,
    )
    rid = h.create_draft(app, world, data)
    expected_ready = check(
        RequirementFacts(
            currency=h.load(app, rid).currency,
            supplier=req.supplier
            and SupplierFacts(
                req.supplier.name,
                req.supplier.currency,
                req.supplier.qualification_status,
                req.supplier.qualified_until + shift if req.supplier.qualified_until else None,
            ),
            quote_reference=req.quote_reference,
            quote_valid_until=data["quote_valid_until"],
            ship_to=req.ship_to,
            lines=tuple(
                LineFacts(
                    line_no=n,
                    description=line["description"],
                    quantity=line["quantity"],
                    unit=line["unit"],
                    unit_price=line["unit_price"],
                    need_by=line["need_by"],
                    spec_required=line["spec_required"],
                    spec_count=len(line["spec_revision_ids"]),
                )
                for n, line in enumerate(lines, start=1)
            ),
        ),
        today,
    ).ready
    try:
        h.submit(app, world, rid, accept_warnings=True)
        handed_off = True
    except ValidationFailed:
        handed_off = False
    # Refused at the handoff itself: the provider never sees a failing packet.
    assert handed_off == expected_ready
    if not handed_off:
        assert h.load(app, rid).status == "draft"
        return
    with h.as_provider(app, world) as (session, user_id):
        review.accept(session, world.orgs["north"], user_id, rid)
    assert h.load(app, rid).status == "accepted"
