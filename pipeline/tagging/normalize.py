"""Text normalisation shared by the lexicon and the texts it is matched against.

A normalised text is lower-case words: NFKC, casefold, Latin diacritics folded
(Dolmabahçe -> dolmabahce, Turkish ı/İ -> i), ё -> е, and every run of characters that are not
letters or digits (punctuation, apostrophes, dashes, whitespace) is a word break. Terms go
through the same function, so "cease-fire", "İstanbul'da" and "Russia's" meet their lexicon
entries ("cease fire", "istanbul da", "russia s") at word boundaries.
"""

from __future__ import annotations

import re
import string
import unicodedata


def _build_fold() -> dict[str, str]:
    fold: dict[str, str] = {}
    # Latin letters with diacritics -> base letter (ç -> c, ş -> s, ğ -> g, ö -> o, ü -> u).
    for cp in list(range(0x00C0, 0x0250)) + list(range(0x1E00, 0x1F00)):
        ch = chr(cp)
        decomposed = unicodedata.normalize("NFD", ch)
        base = decomposed[0]
        if len(decomposed) > 1 and base.isascii() and base.isalpha():
            fold[ch] = base.lower()
    fold["ı"] = "i"  # Turkish dotless i: ISTANBUL, İstanbul and ıstanbul all meet at "i"
    fold["ё"] = "е"
    # Modifier-letter apostrophes are letters to Unicode, word breaks to us (Ukrainian мʼясо).
    fold["ʼ"] = " "
    fold["ʹ"] = " "
    # Leftover combining marks: the dot casefold leaves on İ, stress accents in Cyrillic.
    for cp in range(0x0300, 0x0370):
        fold[chr(cp)] = ""
    return fold


_FOLD = _build_fold()
_FOLD_RE = re.compile("[" + re.escape("".join(sorted(_FOLD))) + "]")
_WORDS = re.compile(r"[^\W_]+")
# ASCII punctuation -> space; translate() has a fast path for ASCII-to-ASCII tables.
_ASCII_BREAKS = str.maketrans({c: " " for c in string.punctuation})
# Typographic punctuation common in otherwise-ASCII news text; replacing it keeps the fast path.
_TYPOGRAPHIC = "’‘“”–—…«»•·′″\u00a0\u2009\u202f"


def _fold(match: re.Match[str]) -> str:
    return _FOLD[match.group()]


def words(text: str) -> list[str]:
    """The normalised words of a text."""
    if not text.isascii():
        for ch in _TYPOGRAPHIC:
            if ch in text:
                text = text.replace(ch, " ")
    if text.isascii():
        return text.lower().translate(_ASCII_BREAKS).split()
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _FOLD_RE.sub(_fold, text)
    return _WORDS.findall(text)


def normalize(text: str) -> str:
    """Normalised words joined by single spaces."""
    return " ".join(words(text))
