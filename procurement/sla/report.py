"""The monthly SLA report as a PDF: one client's month, a section per provider.

The same figures as the dashboard (``dashboard.month_view``), frozen into
plain values first, so the renderer needs no session and the same month
gives the same bytes. It is downloaded from the dashboard and emailed to
the client's admins on the first business day of the next month
(``report_mail.py``).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import SimpleDocTemplate, Spacer, Table, TableStyle

from baton.procurement.orders.pdf_layout import (
    MARGIN,
    PAGE_SIZE,
    numbered_canvas,
    para,
    register_fonts,
)
from baton.procurement.sla.dashboard import MonthView, describe_target
from baton.procurement.sla.dashboard_terms import METRIC_LABELS, PARTY_LABELS, cause_label
from baton.procurement.sla.drilldown import elapsed_text

BREACHES_LISTED = 40


@dataclass(frozen=True)
class Section:
    provider: str
    timezone: str
    # (target, promise, target %, actual %, compliance %, judged, breaches by party, verdict)
    targets: tuple[tuple[str, ...], ...]
    figures: tuple[tuple[str, str, str], ...]
    causes: tuple[tuple[str, str, int], ...]
    breaches: tuple[tuple[str, str, str, str, str], ...]
    more_breaches: bool
    credit: str | None


@dataclass(frozen=True)
class Report:
    client: str
    period: date
    sections: tuple[Section, ...]

    @property
    def title(self) -> str:
        return f"Service levels {self.period:%B %Y}"


def _pct(value) -> str:
    return f"{value} %" if value is not None else "—"


def section_of(view: MonthView) -> Section:
    targets = []
    for t in view.targets:
        s = t.standing
        verdict = "missed" if t.missed else ("met" if s.judged else "nothing judged")
        targets.append(
            (
                t.label,
                describe_target(t.target, view.calendar),
                _pct(s.target_percent),
                _pct(s.actual_percent),
                _pct(s.compliance_percent),
                str(s.judged),
                ", ".join(f"{PARTY_LABELS[p]} {n}" for p, n in t.breaches.items() if n) or "none",
                verdict,
            )
        )
    credit = None
    if view.credit is not None:
        names = {t.target.metric: t.label for t in view.targets}
        missed = "; ".join(
            f"{names.get(m['metric'], m['metric'])} ({m['compliance_percent']} % against"
            f" {m['target_percent']} %)"
            for m in view.credit.missed
        )
        credit = (
            f"SLA credit: {view.credit.amount} {view.credit.currency or ''}".rstrip()
            + f" ({view.credit.credit_percent} % of the month's fee) for {missed}."
        )
    return Section(
        provider=view.provider_name,
        timezone=view.calendar.timezone,
        targets=tuple(targets),
        figures=tuple((f.label, f.value, f.detail) for f in view.figures),
        causes=tuple(
            (METRIC_LABELS[metric], label, items)
            for metric, listed in view.causes.items()
            for _cause, label, items in listed
        ),
        breaches=tuple(
            (
                m.subject_label,
                METRIC_LABELS.get(m.metric, m.metric),
                elapsed_text(m, view.calendar),
                PARTY_LABELS.get(m.breach_party, m.breach_party or ""),
                cause_label(m.metric, m.cause),
            )
            for m in view.breaches[:BREACHES_LISTED]
        ),
        more_breaches=view.more_breaches or len(view.breaches) > BREACHES_LISTED,
        credit=credit,
    )


def build(session, client, views: list[MonthView], period: date) -> Report:
    """``client``: the client organisation; ``views``: its engagements' months."""
    return Report(client=client.name, period=period, sections=tuple(section_of(v) for v in views))


def _table(header: list[str], rows: list[tuple], widths: list[float]) -> Table:
    data = [[para(h, "head") for h in header]] + [[para(str(c), "cell") for c in r] for r in rows]
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#cccccc")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def render(report: Report) -> bytes:
    register_fonts()
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=PAGE_SIZE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=f"{report.title} — {report.client}",
        author="Baton",
        creator="Baton",
        invariant=1,
    )
    width = PAGE_SIZE[0] - 2 * MARGIN
    story: list = [para(report.title, "title"), para(report.client, "number"), Spacer(1, 4 * mm)]
    if not report.sections:
        story.append(para("No engagement with a procurement provider: nothing was measured."))
    for section in report.sections:
        story += [
            para(f"{section.provider} (business time in {section.timezone})", "number"),
            Spacer(1, 2 * mm),
        ]
        if section.credit:
            story += [para(section.credit, "body"), Spacer(1, 2 * mm)]
        story.append(
            _table(
                ["Target", "Promise", "Target", "Actual", "Compliance", "Judged", "Breaches", ""],
                list(section.targets),
                [w * width for w in (0.16, 0.25, 0.08, 0.08, 0.1, 0.07, 0.16, 0.1)],
            )
        )
        story += [Spacer(1, 3 * mm), para("The month's figures", "label")]
        story.append(
            _table(
                ["Figure", "Value", "Detail"],
                list(section.figures),
                [w * width for w in (0.3, 0.25, 0.45)],
            )
        )
        if section.causes:
            story += [Spacer(1, 3 * mm), para("By cause", "label")]
            story.append(
                _table(
                    ["Metric", "Cause", "Count"],
                    list(section.causes),
                    [w * width for w in (0.4, 0.45, 0.15)],
                )
            )
        story += [Spacer(1, 3 * mm), para("Breaches", "label")]
        if section.breaches:
            story.append(
                _table(
                    ["Subject", "Metric", "Elapsed", "Whose time", "Cause"],
                    list(section.breaches),
                    [w * width for w in (0.32, 0.2, 0.2, 0.13, 0.15)],
                )
            )
            if section.more_breaches:
                story.append(para("More breaches are listed on the dashboard.", "small"))
        else:
            story.append(para("No breaches this month.", "small"))
        story.append(Spacer(1, 6 * mm))
    story.append(
        para(
            "Compliance counts only the target owner's own time: time waiting on the client"
            " or the supplier stops the provider's clock. Actual counts all the time.",
            "small",
        )
    )
    canvas = numbered_canvas(
        lambda page, pages: f"{report.title} · {report.client} · Page {page} of {pages}", None
    )
    doc.build(story, canvasmaker=canvas)
    return out.getvalue()
