"""Fonts, styles and page furniture for the purchase-order PDF.

Kept apart from ``pdf.py`` so the document's content (what a supplier reads)
and its typography (how it looks) change independently."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import escape

import reportlab
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph

PAGE_SIZE = A4
MARGIN = 18 * mm
FONT = "BatonSans"
FONT_BOLD = "BatonSans-Bold"

# DejaVu (Debian's fonts-dejavu-core, which `make test` installs) covers Latin
# Extended-A, so Polish and Czech supplier names print; the Vera fonts shipped
# inside ReportLab cover Latin-1 and the euro sign (ź or ě print as boxes), but
# are always there, so a machine without DejaVu still renders a readable order
# instead of failing.
_FONT_CANDIDATES: tuple[tuple[Path, Path], ...] = (
    (
        Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
        Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    ),
    (
        Path("/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf"),
        Path("/usr/share/fonts/dejavu-sans-fonts/DejaVuSans-Bold.ttf"),
    ),
    (
        Path(reportlab.__file__).parent / "fonts" / "Vera.ttf",
        Path(reportlab.__file__).parent / "fonts" / "VeraBd.ttf",
    ),
)

_registered: Path | None = None


def register_fonts() -> Path:
    """Registers the first available font pair once per process; returns the
    regular face's file (the tests and the bench report which one is in use)."""
    global _registered
    if _registered is None:
        regular, bold = next((r, b) for r, b in _FONT_CANDIDATES if r.is_file() and b.is_file())
        pdfmetrics.registerFont(TTFont(FONT, str(regular)))
        pdfmetrics.registerFont(TTFont(FONT_BOLD, str(bold)))
        pdfmetrics.registerFontFamily(
            FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD
        )
        _registered = regular
    return _registered


def _style(name: str, size: float, **extra: object) -> ParagraphStyle:
    settings: dict[str, object] = {"fontName": FONT, "fontSize": size, "leading": size * 1.25}
    return ParagraphStyle(name, **{**settings, **extra})


STYLES: dict[str, ParagraphStyle] = {
    "title": _style("title", 18, fontName=FONT_BOLD, leading=22),
    "number": _style("number", 12, fontName=FONT_BOLD),
    "body": _style("body", 9),
    "small": _style("small", 7.5, textColor=colors.HexColor("#444444")),
    "label": _style("label", 7.5, fontName=FONT_BOLD, textColor=colors.HexColor("#555555")),
    "cell": _style("cell", 8),
    "cell_right": _style("cell_right", 8, alignment=TA_RIGHT),
    "head": _style("head", 8, fontName=FONT_BOLD),
    "head_right": _style("head_right", 8, fontName=FONT_BOLD, alignment=TA_RIGHT),
    "total": _style("total", 10, fontName=FONT_BOLD, alignment=TA_RIGHT),
    "banner": _style(
        "banner",
        14,
        fontName=FONT_BOLD,
        textColor=colors.white,
        backColor=colors.HexColor("#b00020"),
        borderPadding=(4, 6, 4, 6),
        spaceAfter=8,
    ),
}

# Control characters (other than tab and newline) are not text a supplier can
# read, and some of them break ReportLab's paragraph parser.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def markup(text: str) -> str:
    """User text as Paragraph markup: escaped, so `<b>` and `&` print literally,
    with line breaks kept."""
    cleaned = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return escape(cleaned).replace("\n", "<br/>")


def para(text: str, style: str = "body") -> Paragraph:
    return Paragraph(markup(text), STYLES[style])


def para_markup(trusted_markup: str, style: str = "body") -> Paragraph:
    """For markup built here from already escaped parts (labels, bold)."""
    return Paragraph(trusted_markup, STYLES[style])


def numbered_canvas(footer: Callable[[int, int], str], watermark: str | None) -> type[Canvas]:
    """A canvas class that knows the page count when it draws each footer:
    pages are kept until ``save``, then each gets "Page x of y"."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self) -> None:  # noqa: N802 - ReportLab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self._furniture(footer(number, total))
                super().showPage()
            super().save()

        def _furniture(self, text: str) -> None:
            width, _ = PAGE_SIZE
            self.saveState()
            self.setFont(FONT, 7.5)
            self.setFillColor(colors.HexColor("#555555"))
            self.drawRightString(width - MARGIN, 10 * mm, text)
            if watermark:
                self.setFont(FONT_BOLD, 72)
                self.setFillColor(colors.Color(0.7, 0, 0.1, alpha=0.18))
                self.translate(width / 2, PAGE_SIZE[1] / 2)
                self.rotate(40)
                self.drawCentredString(0, 0, watermark)
            self.restoreState()

    return NumberedCanvas
