"""Import problems name the row a spreadsheet shows: a cell with a line break
does not push later rows down, and a row's every problem is reported at once
(a currency like EURO beside an unknown supplier or provider)."""

from __future__ import annotations

from tests.handoff.test_import import header_row, line_row, problems_of, to_csv, to_xlsx
from tests.support import requirements as h


def test_a_cell_with_a_line_break_does_not_shift_later_row_numbers(app, world):
    h.make_supplier(app, world, code="BOLT")
    rows = [
        header_row("R-1", "BOLT", ship_to="Plant 2\nDock 4\nGate B") | line_row("R-1", 1),
        header_row("R-2", "BOLT") | line_row("R-2", 1, quantity="lots"),
    ]
    problems = problems_of(app, world, to_csv(rows))
    # The header is row 1, R-1 row 2, R-2 row 3, as Excel shows the file.
    assert [(p.row, p.column) for p in problems] == [(3, "quantity")]


def test_xlsx_rows_are_numbered_as_the_sheet_shows_them(app, world):
    h.make_supplier(app, world, code="BOLT")
    rows = [
        header_row("R-1", "BOLT", ship_to="Plant 2\nDock 4") | line_row("R-1", 1),
        {},
        header_row("R-2", "BOLT") | line_row("R-2", 1, need_by="soon"),
    ]
    with h.as_client(app, world) as (session, _uid):
        from baton.sourcing.requirements import imports

        table = imports.read_table("file.xlsx", to_xlsx(rows))
        problems = imports.check_table(session, world.orgs["acme"], table)[3]
    assert [(p.row, p.column) for p in problems] == [(4, "need_by")]


def test_a_bad_currency_is_reported_beside_the_rows_other_header_errors(app, world):
    rows = [
        header_row("R-1", "NOSUCH", currency="EURO", provider="NOPE") | line_row("R-1", 1),
    ]
    problems = {(p.row, p.column): p.message for p in problems_of(app, world, to_csv(rows))}
    assert {(2, "supplier_code"), (2, "provider"), (2, "currency")} <= set(problems)
    assert "not an ISO 4217 currency code" in problems[(2, "currency")]
