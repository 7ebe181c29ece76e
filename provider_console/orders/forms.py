"""Reading the order forms' fields into the plain dicts the services take."""

from __future__ import annotations

from typing import Any

MAX_ROWS = 200
SCHEDULE_ROWS = 4


def line_edits(form) -> list[dict[str, Any]]:
    rows = []
    for i in range(1, MAX_ROWS + 1):
        prefix = f"lines-{i}-"
        if prefix + "quantity" not in form:
            continue
        row: dict[str, Any] = {"line_no": i}
        for name in ("quantity", "unit", "unit_price"):
            row[name] = form.get(prefix + name, "")
        row["schedule"] = [
            {
                "date": form.get(f"{prefix}schedule-{j}-date", ""),
                "quantity": form.get(f"{prefix}schedule-{j}-quantity", ""),
            }
            for j in range(SCHEDULE_ROWS)
        ]
        if form.get(prefix + "remove"):
            row["remove"] = True
        rows.append(row)
    return rows


def _rows(form, marker: str, names: tuple[str, ...]) -> list[dict[str, Any]]:
    """One dict per line whose ``lines-<n>-<marker>`` field was sent."""
    return [
        {"line_no": i, **{name: form.get(f"lines-{i}-{name}", "") for name in names}}
        for i in range(1, MAX_ROWS + 1)
        if f"lines-{i}-{marker}" in form
    ]


def ack_lines(form) -> list[dict[str, Any]]:
    return _rows(form, "outcome", ("outcome", "promised_date", "quantity", "unit_price", "note"))


def receipt_lines(form) -> list[dict[str, Any]]:
    return _rows(
        form,
        "quantity_received",
        ("quantity_received", "quantity_rejected", "reject_reason"),
    )


def version_from(form) -> int | None:
    try:
        return int(form.get("version", ""))
    except ValueError:
        return None


def shipment_data(form) -> dict[str, Any]:
    """A shipment notice form: its header fields and a quantity per line."""
    return {
        **{
            name: form.get(name, "")
            for name in ("carrier", "tracking_number", "shipped_on", "expected_on", "note")
        },
        "lines": [
            {"line_no": row["line_no"], "quantity": row["quantity_shipped"]}
            for row in _rows(form, "quantity_shipped", ("quantity_shipped",))
        ],
    }
