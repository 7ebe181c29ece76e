"""Small specification files for the demo: one-page PDFs written by hand, and CSV.

No PDF library is installed (and none is needed for three pages of text), so
``text_pdf`` writes the few objects a PDF needs itself: catalog, page tree,
one page, the standard Helvetica font, a content stream and the cross-reference
table with exact byte offsets. Any PDF reader opens the result.
"""

from __future__ import annotations

from collections.abc import Sequence

PAGE_WIDTH, PAGE_HEIGHT = 595, 842  # A4 in points
MARGIN = 56


def _pdf_text(text: str) -> str:
    """A PDF literal string: the standard fonts know Latin-1, and \\ ( ) are escaped."""
    safe = text.encode("latin-1", "replace").decode("latin-1")
    return "(" + safe.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def text_pdf(title: str, lines: Sequence[str]) -> bytes:
    """A one-page A4 PDF: ``title`` in bold, then ``lines`` of body text."""
    content = [
        "BT",
        f"/F2 16 Tf {MARGIN} {PAGE_HEIGHT - MARGIN - 16} Td",
        f"{_pdf_text(title)} Tj",
        "/F1 10 Tf 14 TL",
        "0 -28 Td",
    ]
    content += [f"{_pdf_text(line)} Tj T*" for line in lines]
    content.append("ET")
    stream = "\n".join(content).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}]"
            " /Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> /Contents 6 0 R >>"
        ).encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Title " + _pdf_text(title).encode("latin-1") + b" /Producer (Baton demo) >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n" % (len(objects) + 1)
    out += b"0000000000 65535 f \n"
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\n" % (
        len(objects) + 1,
        len(objects),
    )
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def housing_spec(revision: int) -> bytes:
    """Acme's machining specification for the cobot arm housing, revisions 1 and 2."""
    wall = "3.0 mm" if revision == 1 else "3.5 mm (raised after the FEA review, see change note)"
    return text_pdf(
        f"SPEC-AH200 rev {revision} - Cobot arm housing AH-200",
        [
            "Acme Robotics - machining specification",
            "",
            "Material: EN AW-6082 T6 aluminium, certificate 3.1 to EN 10204 with each lot.",
            f"Nominal wall thickness: {wall}.",
            "General tolerances: ISO 2768-mK. Bearing seats H7, Ra 0.8.",
            "Finish: hard anodised, 25 um, black. No anodising inside the bearing seats.",
            "Marking: part number and lot code, laser engraved on the inner flange.",
            "First article inspection report (AS9102 form) with the first delivery.",
            "Packaging: individually bagged, 12 per returnable crate.",
        ],
    )


def harness_spec() -> bytes:
    return text_pdf(
        "SPEC-WH7 rev 1 - Wiring harness WH-7, base unit",
        [
            "Acme Robotics - cable assembly specification",
            "",
            "Workmanship to IPC/WHMA-A-620, class 2.",
            "Conductors: 0.5 mm2 tinned copper, halogen-free insulation, -40 to +105 C.",
            "Connectors: M12 A-coded 8-pole at the motor end, Molex Micro-Fit at the board end.",
            "Every harness 100 % continuity and 500 V insulation tested; record with the lot.",
            "Label: part number, revision and date code on a heat-shrink sleeve.",
        ],
    )


def servo_parameters() -> bytes:
    """A parameter sheet as CSV: the allow-list takes plain text and CSV too."""
    rows = [
        "parameter,value,unit,note",
        "rated_power,400,W,",
        "rated_torque,1.27,Nm,",
        "peak_torque,3.8,Nm,3 s max",
        "rated_speed,3000,rpm,",
        "encoder,23,bit,absolute multi-turn",
        "fieldbus,EtherCAT,,CiA 402 profile",
        "protection,IP65,,shaft seal included",
    ]
    return ("\n".join(rows) + "\n").encode()


def bushing_spec() -> bytes:
    return (
        b"SPEC-TB36 rev 1 - Transformer bushing, 36 kV\n"
        b"Globex Energy - technical specification\n\n"
        b"Standard: IEC 60137. Rated voltage 36 kV, rated current 1250 A.\n"
        b"Insulation: resin-impregnated paper, porcelain housing, creepage 31 mm/kV.\n"
        b"Routine tests per IEC 60137 clause 9 with each unit; test reports in English.\n"
    )
