"""HTML bytes to text: byte-order marks, UTF-16 sniffing, UTF-8, the declared charset, a guess."""

from __future__ import annotations

import codecs
import gzip
import re
from pathlib import Path

from trafilatura.utils import decode_file

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+)""", re.I)
XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
# WHATWG: these labels mean windows-1252 in browsers, and pages are written for browsers.
_LATIN1_LABELS = {"iso8859-1", "latin-1", "ascii", "us-ascii", "iso-8859-1", "latin1"}
# Cyrillic or Greek bytes read as windows-1252 come out as runs of À-ÿ; real Western text has a
# few accents among plain letters. Above this share of letters the declared charset is a lie.
_MAX_LATIN1_ACCENT_SHARE = 0.2


def _declared_charset(head: bytes) -> str | None:
    match = _META_CHARSET.search(head)
    if match is None:
        return None
    try:
        name = codecs.lookup(match.group(1).decode("ascii")).name
    except (LookupError, UnicodeDecodeError):
        return None
    if name in _LATIN1_LABELS:
        return "cp1252"
    # A UTF-16 label read through ASCII-compatible bytes is a lie by construction; UTF-7 is
    # banned from HTML because it smuggles markup.
    return None if name.startswith(("utf-16", "utf-32", "utf-7")) else name


def _looks_misdeclared(text: str, encoding: str) -> bool:
    """Text decoded with a Western single-byte charset that is really another script."""
    if encoding not in {"cp1252", "iso8859-15", "latin-1"}:
        return False
    letters = sum(ch.isalpha() for ch in text)
    accents = sum("\u00c0" <= ch <= "\u00ff" for ch in text)
    return letters > 0 and accents / letters > _MAX_LATIN1_ACCENT_SHARE


_UTF16_MARKUP = (
    ("utf-16-le", b"<\x00", b" \x00\t\x00\r\x00\n\x00"),
    ("utf-16-be", b"\x00<", b"\x00 \x00\t\x00\r\x00\n"),
)


def _sniff_utf16(head: bytes) -> str | None:
    """UTF-16 without a BOM: markup starts with "<" as a UTF-16 code unit, and is mostly ASCII.

    The first non-blank code unit decides (a page in Cyrillic or Greek has few NUL bytes in its
    text, but its first "<" is still "<\\0" or "\\0<"); the NUL share is the fallback for pages
    that begin with text.
    """
    sample = head[:512]
    if len(sample) < 8:
        return None
    for encoding, lt, blanks in _UTF16_MARKUP:
        units = {blanks[i : i + 2] for i in range(0, len(blanks), 2)}
        i = 0
        while i + 2 <= len(sample) and sample[i : i + 2] in units:
            i += 2
        if sample[i : i + 2] == lt:
            return encoding
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    half = len(sample) // 2
    if odd > 0.6 * half and even < 0.1 * half:
        return "utf-16-le"
    if even > 0.6 * half and odd < 0.1 * half:
        return "utf-16-be"
    return None


def decode_html(data: bytes) -> str:
    """Bytes to text: BOM, then UTF-16 sniffing, valid UTF-8, the meta charset, a guess."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace")
    head = data[:4096]
    utf16 = _sniff_utf16(head)
    if utf16 is not None:
        return data.decode(utf16, errors="replace")
    try:
        # Valid UTF-8 with non-ASCII bytes is UTF-8 whatever the page declares.
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = _declared_charset(head)
    if declared is not None:
        try:
            text = data.decode(declared)
        except (UnicodeDecodeError, LookupError):
            pass
        else:
            if not _looks_misdeclared(text, declared):
                return text
    # trafilatura's guesser: charset detection, then UTF-8 with replacement characters.
    guessed: str = decode_file(data)
    return guessed


def read_html_file(path: Path) -> bytes:
    """Raw bytes of a saved page, gunzipped when the name ends in .gz."""
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data
