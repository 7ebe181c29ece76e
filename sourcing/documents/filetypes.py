"""What an uploaded file really is, judged by its bytes, and a safe name for it.

The allow-list is checked on the content (magic numbers), never on the name or
on the Content-Type the browser sent: a program renamed ``drawing.pdf`` is still
a program. The name only refines the label of plain text (CSV, DXF).
"""

from __future__ import annotations

import codecs
import re
import unicodedata
import zipfile
from typing import BinaryIO

SNIFF_BYTES = 64 * 1024

ACCEPTED_LABEL = "PDF, PNG, JPEG, TIFF, Word (.docx), Excel (.xlsx), PowerPoint (.pptx), plain text, CSV, DXF or STEP"

OFFICE_TYPES = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}

EXECUTABLES = (
    (b"\x7fELF", "a Linux program (ELF)"),
    (b"MZ", "a Windows program (EXE/DLL)"),
    (b"\xfe\xed\xfa\xce", "a macOS program (Mach-O)"),
    (b"\xfe\xed\xfa\xcf", "a macOS program (Mach-O)"),
    (b"\xce\xfa\xed\xfe", "a macOS program (Mach-O)"),
    (b"\xcf\xfa\xed\xfe", "a macOS program (Mach-O)"),
    (b"\xca\xfe\xba\xbe", "a macOS or Java program"),
    (b"#!", "a script"),
)

HTML_MARKERS = (b"<!doctype html", b"<html", b"<script", b"<svg", b"<?php")


class RefusedFile(ValueError):
    """The file is not a kind Baton stores; the message names the file."""


def sniff(stream: BinaryIO, filename: str) -> str:
    """The content type of ``stream`` (read from its start; position restored to 0)."""
    stream.seek(0)
    head = stream.read(SNIFF_BYTES)
    stream.seek(0)
    shown = filename or "The file"
    if not head:
        raise RefusedFile(f"'{shown}' is empty.")
    for magic, what in EXECUTABLES:
        if head.startswith(magic):
            raise RefusedFile(
                f"'{shown}' is {what}, not a document. Baton refuses programs and scripts"
                f" whatever their name; upload {ACCEPTED_LABEL}."
            )
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "image/tiff"
    if head.startswith(b"PK\x03\x04"):
        return _office_type(stream, shown)
    text_type = _text_type(head, filename)
    if text_type:
        return text_type
    raise RefusedFile(f"'{shown}' is not a file type Baton accepts. Upload {ACCEPTED_LABEL}.")


def _office_type(stream: BinaryIO, shown: str) -> str:
    try:
        with zipfile.ZipFile(stream) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise RefusedFile(f"'{shown}' looks like a ZIP archive but cannot be read.") from exc
    finally:
        stream.seek(0)
    if "[Content_Types].xml" in names:
        for prefix, content_type in OFFICE_TYPES.items():
            if any(name.startswith(prefix) for name in names):
                return content_type
    raise RefusedFile(
        f"'{shown}' is a ZIP archive, not an Office document. Baton does not store archives;"
        f" upload {ACCEPTED_LABEL}."
    )


def _text_type(head: bytes, filename: str) -> str | None:
    """Plain UTF-8 text without NUL bytes; HTML is refused (it could run in a browser)."""
    if b"\x00" in head:
        return None
    try:
        # An incremental decoder tolerates a character cut at the end of the sample.
        text = codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=False)
    except UnicodeDecodeError:
        return None
    if any(ord(c) < 32 and c not in "\t\r\n\f" for c in text[:4096]):
        return None
    lowered = text.lstrip().lower().encode()
    if lowered.startswith(HTML_MARKERS):
        return None
    stripped = text.lstrip()
    if stripped.startswith("ISO-10303-21;"):
        return "model/step"
    if re.match(r"0\s*\r?\n\s*SECTION\b", stripped):
        return "image/vnd.dxf"
    if filename.lower().endswith(".csv"):
        return "text/csv"
    return "text/plain"


WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$", re.IGNORECASE)
KEEP = set(" -_.,()+&'")


def clean_filename(name: str | None, default: str = "document") -> str:
    """A display and download name: the last path part, Unicode letters and digits
    kept (Zeichnung-Ä1.pdf stays readable), anything that could act as a path,
    control or quoting character replaced, length bounded."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    out = []
    for ch in name:
        category = unicodedata.category(ch)
        group = category[0]
        if group in "LNM" or category == "Pd" or ch in KEEP:
            out.append(ch)
        elif group == "Z":
            out.append(" ")
        else:
            out.append("_")
    cleaned = re.sub(r"\s+", " ", "".join(out)).strip(" .")
    cleaned = re.sub(r"_{2,}", "_", cleaned)
    if not cleaned or set(cleaned) <= {"_", "."}:
        return default
    if WINDOWS_RESERVED.match(cleaned):
        cleaned = "_" + cleaned
    if len(cleaned) > 200:
        stem, dot, ext = cleaned.rpartition(".")
        keep_ext = dot and 0 < len(ext) <= 10
        cleaned = stem[: 199 - len(ext)] + "." + ext if keep_ext else cleaned[:200]
    return cleaned
