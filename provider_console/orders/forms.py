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


def ack_lines(form) -> list[dict[str, Any]]:
    rows = []
    for i in range(1, MAX_ROWS + 1):
        prefix = f"lines-{i}-"
        if prefix + "outcome" not in form:
            continue
        rows.append(
            {
                "line_no": i,
                **{
                    name: form.get(prefix + name, "")
                    for name in ("outcome", "promised_date", "quantity", "unit_price", "note")
                },
            }
        )
    return rows


def receipt_lines(form) -> list[dict[str, Any]]:
    rows = []
    for i in range(1, MAX_ROWS + 1):
        prefix = f"lines-{i}-"
        if prefix + "quantity_received" not in form:
            continue
        rows.append(
            {
                "line_no": i,
                **{
                    name: form.get(prefix + name, "")
                    for name in ("quantity_received", "quantity_rejected", "reject_reason")
                },
            }
        )
    return rows


def version_from(form) -> int | None:
    try:
        return int(form.get("version", ""))
    except ValueError:
        return None
