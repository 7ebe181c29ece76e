"""The content-type allow-list judged on bytes, and safe file names."""

from __future__ import annotations

import io
import zipfile

import pytest

from baton.sourcing.documents.filetypes import RefusedFile, clean_filename, sniff


def office(folder: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(f"{folder}document.xml", "<x/>")
    return out.getvalue()


def plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("payload.exe", b"MZ")
    return out.getvalue()


@pytest.mark.parametrize(
    ("content", "name", "expected"),
    [
        (b"%PDF-1.4\n...", "a.bin", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n....", "photo.pdf", "image/png"),
        (b"\xff\xd8\xff\xe0..JFIF", "x", "image/jpeg"),
        (b"II*\x00....", "scan.tif", "image/tiff"),
        (b"MM\x00*....", "scan.tif", "image/tiff"),
        (
            office("word/"),
            "spec.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            office("xl/"),
            "bom.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (b"item,qty\nA-1,3\n", "bom.csv", "text/csv"),
        ("Prüfbericht: bestanden\n".encode(), "report.txt", "text/plain"),
        (b"\xef\xbb\xbfa;b\n1;2\n", "list.csv", "text/csv"),
        (b"  0\nSECTION\n  2\nHEADER\n", "part.dxf", "image/vnd.dxf"),
        (b"ISO-10303-21;\nHEADER;\n", "part.step", "model/step"),
    ],
)
def test_allowed_types_are_recognised_by_content(content, name, expected):
    assert sniff(io.BytesIO(content), name) == expected


@pytest.mark.parametrize(
    ("content", "name", "words"),
    [
        (b"\x7fELF\x02\x01", "drawing.pdf", "Linux program"),
        (b"MZ\x90\x00", "spec.docx", "Windows program"),
        (b"\xcf\xfa\xed\xfe\x07", "photo.png", "macOS program"),
        (b"#!/usr/bin/env python\nprint(1)\n", "notes.txt", "script"),
        (b"<!DOCTYPE html><script>alert(1)</script>", "page.txt", "not a file type"),
        (plain_zip(), "archive.xlsx", "ZIP archive, not an Office document"),
        (b"\x00\x01\x02\x03binary", "blob.pdf", "not a file type"),
        (b"", "empty.pdf", "is empty"),
    ],
)
def test_refused_content_is_named_in_the_message(content, name, words):
    with pytest.raises(RefusedFile) as refused:
        sniff(io.BytesIO(content), name)
    assert name in str(refused.value)
    assert words in str(refused.value)


def test_sniffing_leaves_the_stream_at_its_start():
    stream = io.BytesIO(office("word/"))
    sniff(stream, "a.docx")
    assert stream.tell() == 0


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\spec.pdf", "spec.pdf"),
        ("Zeichnung Ä-1 (rev B).pdf", "Zeichnung Ä-1 (rev B).pdf"),
        ("図面_第2版.pdf", "図面_第2版.pdf"),
        ('a"b<script>.pdf', "a_b_script_.pdf"),
        ("line\r\nbreak.pdf", "line_break.pdf"),
        ("CON.txt", "_CON.txt"),
        ("...", "document"),
        ("", "document"),
        ("x" * 300 + ".pdf", "x" * 196 + ".pdf"),
    ],
)
def test_file_names_are_made_safe_but_stay_readable(given, expected):
    assert clean_filename(given) == expected
