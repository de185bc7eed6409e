"""Files for upload tests: valid PDFs and images made with pypdf and Pillow, and hostile ones
(polyglots, header-only, active content, bombs, EICAR) made to look as valid as possible."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    TextStringObject,
)

# The EICAR anti-virus test string: harmless, and detected by every scanner as a test virus.
# Built in two pieces so that this source file is not itself reported by a scanner.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
PAGE_TEXT = b"BT /F1 12 Tf 72 720 Td (Pathology report) Tj ET\n"


def pdf(content: bytes = PAGE_TEXT, *, pages: int = 1, title: str = "") -> bytes:
    """Return a valid PDF whose pages draw `content` (kept uncompressed, so its bytes show)."""
    writer = PdfWriter()
    for _ in range(pages):
        page = writer.add_blank_page(612, 792)
        stream = DecodedStreamObject()
        stream.set_data(content)
        page.replace_contents(stream)
    if title:
        writer.add_metadata({"/Title": title})
    return _written(writer)


def _written(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def image(fmt: str = "PNG", size: tuple[int, int] = (32, 24), **options: object) -> bytes:
    """Return a valid image in `fmt` (a small gradient, so that it is not all one byte)."""
    picture = Image.new("RGB", size)
    picture.putdata(
        [(x * 8 % 256, y * 8 % 256, 128) for y in range(size[1]) for x in range(size[0])]
    )
    out = io.BytesIO()
    picture.save(out, fmt, **options)
    return out.getvalue()


PDF = pdf()
PNG = image("PNG")
JPEG = image("JPEG", quality=90)

# Refused: a PDF header and nothing, or in front of something else.
HEADER_ONLY_PDF = b"%PDF-1.7\n%%EOF\n"
HEADER_ON_A_PROGRAM = b"%PDF-1.4\n" + b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 64
# The minimal fake the tests used before uploads were parsed: no pages, no cross-reference.
FAKE_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
# A whole, valid PDF that is also a web page when a browser sniffs it.
POLYGLOT_PDF = pdf(b"% <html><body><script>alert(document.cookie)</script></body></html>\n")
# A valid PDF and a web page after its end.
PDF_THEN_HTML = PDF + b"<!DOCTYPE html><IFRAME src=https://example.org/>"
EICAR_PDF = pdf(b"% " + EICAR + b"\n")


def pdf_with_javascript() -> bytes:
    """A valid PDF that runs a script when opened (the document-level /JavaScript name tree)."""
    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    script = _dictionary({"/S": "/JavaScript", "/JS": "app.alert('hello');"})
    names = DictionaryObject({NameObject("/Names"): ArrayObject([TextStringObject("x"), script])})
    writer.root_object[NameObject("/Names")] = DictionaryObject({NameObject("/JavaScript"): names})
    return _written(writer)


def pdf_with_open_action(action: dict[str, object]) -> bytes:
    """A valid PDF whose catalog has the OpenAction `action` (names as /Names, text as str)."""
    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    writer.root_object[NameObject("/OpenAction")] = _dictionary(action)
    return _written(writer)


def pdf_with_attachment() -> bytes:
    """A valid PDF carrying an attached file (/EmbeddedFiles)."""
    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    writer.add_attachment("notes.txt", b"attached")
    return _written(writer)


def pdf_with_page_action() -> bytes:
    """A valid PDF whose page runs an action when it is opened (/AA)."""
    writer = PdfWriter()
    page = writer.add_blank_page(612, 792)
    page[NameObject("/AA")] = _dictionary({"/O": {"/S": "/JavaScript", "/JS": "app.alert(1)"}})
    return _written(writer)


def _dictionary(values: dict[str, object]) -> DictionaryObject:
    result = DictionaryObject()
    for key, value in values.items():
        if isinstance(value, dict):
            result[NameObject(key)] = _dictionary(value)
        elif isinstance(value, str) and value.startswith("/"):
            result[NameObject(key)] = NameObject(value)
        else:
            result[NameObject(key)] = TextStringObject(str(value))
    return result


def raw_pdf(*objects: bytes, root: int = 1) -> bytes:
    """Return a PDF made of `objects` (numbered from 1) with an exact cross-reference table:
    for files pypdf's writer will not make (escaped names, objects no page uses)."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        root,
        xref,
    )
    return bytes(out)


_PAGE_OBJECTS = (
    b"<< /Type /Catalog /Pages 2 0 R >>",
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
)
# Valid by hand, as a check of raw_pdf itself.
RAW_PDF = raw_pdf(*_PAGE_OBJECTS)
# "/J#61vaScript" is /JavaScript with one letter written as hex, as the PDF syntax allows.
ESCAPED_JAVASCRIPT_PDF = raw_pdf(
    b"<< /Type /Catalog /Pages 2 0 R /Names << /J#61vaScript 4 0 R >> >>",
    *_PAGE_OBJECTS[1:],
    b"<< /Names [(x) << /S /J#61vaScript /J#53 (app.alert(1)) >>] >>",
)
# An object that no page uses still names a script.
ORPHAN_SCRIPT_PDF = raw_pdf(*_PAGE_OBJECTS, b"<< /S /Jav#61Script /J#53 (app.alert(1)) >>")
LINK_TO_SCRIPT_PDF = raw_pdf(
    *_PAGE_OBJECTS[:2],
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Annots [4 0 R] >>",
    b"<< /Type /Annot /Subtype /Link /Rect [0 0 100 100] "
    b"/A << /S /URI /URI (  JavaScript:alert(1)) >> >>",
)
NO_PAGES_PDF = raw_pdf(
    b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"
)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack("!I", len(data)) + kind + data + struct.pack("!I", zlib.crc32(kind + data))


def png_bomb(width: int, height: int) -> bytes:
    """A valid greyscale PNG of width x height black pixels: a few kilobytes per 100 MB."""
    compressor = zlib.compressobj(9)
    row = b"\x00" * (width + 1)  # Filter byte, then one byte per pixel.
    body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack("!IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", body)
        + _png_chunk(b"IEND", b"")
    )


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height but whose data holds one row."""
    header = struct.pack("!IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 16))
        + _png_chunk(b"IEND", b"")
    )


def png_with_text(text: bytes) -> bytes:
    """A valid PNG carrying `text` in a tEXt chunk (where a polyglot hides its markup)."""
    chunk = _png_chunk(b"tEXt", b"Comment\x00" + text)
    return PNG[:33] + chunk + PNG[33:]  # After the 8-byte signature and the IHDR chunk.


def pdf_with_object_stream(hidden: bytes) -> bytes:
    """A PDF 1.5 whose object 5, used by nothing, sits compressed in an object stream (so its
    bytes never show in the file), with a cross-reference stream listing it."""
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number, body in enumerate(_PAGE_OBJECTS, start=1):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    index = b"5 0 "
    packed = zlib.compress(index + hidden)
    offsets[4] = len(out)
    out += b"4 0 obj\n<< /Type /ObjStm /N 1 /First %d /Length %d /Filter /FlateDecode >>\n" % (
        len(index),
        len(packed),
    )
    out += b"stream\n" + packed + b"\nendstream\nendobj\n"
    offsets[6] = len(out)
    rows = [(0, 0, 65535)] + [(1, offsets[n], 0) for n in (1, 2, 3, 4)]
    rows += [(2, 4, 0), (1, offsets[6], 0)]  # Object 5: in stream 4, at index 0.
    table = zlib.compress(b"".join(struct.pack("!BIH", *row) for row in rows))
    out += b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length %d " % len(table)
    out += b"/Filter /FlateDecode >>\nstream\n" + table + b"\nendstream\nendobj\n"
    out += b"startxref\n%d\n%%%%EOF\n" % offsets[6]
    return bytes(out)


def encrypted_pdf(user_password: str, algorithm: str = "AES-256") -> bytes:
    """PDF encrypted with an owner password and `user_password` ("" opens without one: only
    printing or copying is restricted, as many record systems export)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(PDF)))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm=algorithm)
    return _written(writer)
