"""Text normalisation shared by the lexicon and the texts it is matched against."""

from __future__ import annotations

import re
import unicodedata

# Apostrophes and primes: Ukrainian writes ʼ or ’ inside words, Turkish before case suffixes.
_APOSTROPHES = "’‘ʼʹ`´′＇‛"
# Hyphens and dashes become spaces so "cease-fire" and "cease fire" are one form.
_DASHES = "-‐‑‒–—―−"


def _build_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    # Latin letters with diacritics -> base letter (Dolmabahçe -> dolmabahce, Şam -> sam).
    for cp in list(range(0x00C0, 0x0250)) + list(range(0x1E00, 0x1F00)):
        ch = chr(cp)
        decomposed = unicodedata.normalize("NFD", ch)
        base = decomposed[0]
        if len(decomposed) > 1 and base.isascii() and base.isalpha():
            table[cp] = base.lower()
    table[ord("ı")] = "i"  # Turkish dotless i: ISTANBUL, İstanbul and ıstanbul all meet at "i"
    table[ord("ё")] = "е"
    table[ord("ß")] = "ss"
    for ch in _APOSTROPHES:
        table[ord(ch)] = "'"
    for ch in _DASHES:
        table[ord(ch)] = " "
    # Leftover combining marks: the dot casefold leaves on İ, stress accents in Cyrillic.
    for cp in range(0x0300, 0x0370):
        table[cp] = None
    table[0x00AD] = None  # soft hyphen
    table[0x200B] = None  # zero-width space
    table[0x200C] = None
    table[0x200D] = None
    table[0xFEFF] = None
    return table


_TABLE = _build_table()


def normalize(text: str) -> str:
    """NFKC, casefold, fold Latin diacritics, ё->е, one apostrophe, dashes and runs of space to one space."""
    if text.isascii():
        text = text.lower().replace("-", " ")
    else:
        text = unicodedata.normalize("NFKC", text).casefold().translate(_TABLE)
    return " ".join(text.split())


_NOT_WORD = re.compile(r"[^\w']+")


def tokens(text: str) -> list[str]:
    """Normalised word tokens (used for counting words, not for matching)."""
    return [t for t in _NOT_WORD.split(normalize(text)) if t]
