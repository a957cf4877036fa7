"""Text normalisation shared by the lexicon and the texts it is matched against.

A normalised text is lower-case words: NFKC, casefold, Latin diacritics folded
(Dolmabahçe -> dolmabahce, Turkish ı/İ -> i), ё -> е, and every character that is not a letter
or digit (punctuation, apostrophes, dashes, whitespace) is a word break. Terms go through the
same function, so "cease-fire", "İstanbul'da" and "Russia's" meet their lexicon entries
("cease fire", "istanbul da", "russia s") at word boundaries.

Texts are prepared for the matcher with `prepare`: the same words as UTF-8 bytes, two spaces
between words and at each end.
"""

from __future__ import annotations

import re
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
    # Arabic: hamza forms of alef and alef maqsura as plain alef and ya, short vowels and the
    # tatweel dropped, as most Arabic search normalises (news rarely writes them consistently).
    for ch in "أإآٱ":
        fold[ch] = "ا"
    fold["ى"] = "ي"
    fold["ـ"] = ""
    for cp in range(0x064B, 0x0653):
        fold[chr(cp)] = ""
    fold["\u0670"] = ""
    # Leftover combining marks: the dot casefold leaves on İ, stress accents in Cyrillic.
    for cp in range(0x0300, 0x0370):
        fold[chr(cp)] = ""
    return fold


_FOLD = _build_fold()
_FOLD_RE = re.compile("[" + re.escape("".join(sorted(_FOLD))) + "]")
_WORDS = re.compile(r"[^\W_]+")
# ASCII punctuation and control characters -> space (as \W is on the other path); translate()
# has a fast path for ASCII-to-ASCII tables.
_ASCII_BREAKS = str.maketrans({chr(c): " " for c in range(128) if not chr(c).isalnum()})
# Typographic punctuation common in otherwise-ASCII news text; replacing it keeps the fast path.
_TYPOGRAPHIC = "’‘“”–—…«»•·′″\u00a0\u2009\u202f"


def _fold(match: re.Match[str]) -> str:
    return _FOLD[match.group()]


def _untypeset(text: str) -> str:
    """Typographic punctuation as spaces, so that most news text takes the ASCII paths."""
    if not text.isascii():
        for ch in _TYPOGRAPHIC:
            if ch in text:
                text = text.replace(ch, " ")
    return text


def words(text: str) -> list[str]:
    """The normalised words of a text (the reference `prepare` is tested against)."""
    text = _untypeset(text)
    if text.isascii():
        return text.lower().translate(_ASCII_BREAKS).split()
    return _WORDS.findall(_fold_text(text))


# Bytes: ASCII letters lower-cased, every other ASCII byte except digits a space; bytes >= 0x80
# (UTF-8 of folded non-ASCII letters) pass unchanged.
_ASCII_TABLE = bytes(
    (c + 32 if 65 <= c <= 90 else c if (48 <= c <= 57 or 97 <= c <= 122) else 32)
    for c in range(128)
) + bytes(range(128, 256))
# Non-ASCII characters that are not letters or digits (ASCII ones are left to _ASCII_TABLE).
_NON_ASCII_BREAK = re.compile(r"[^\w\x00-\x7f]")
_NON_ASCII_RUN = re.compile(rb"[\x80-\xff]+")
# UTF-8 run -> its folded UTF-8; texts repeat the same few names ("Zelenskyy", "Türkiye").
_RUNS: dict[bytes, bytes] = {}
_RUNS_MAX = 50_000


def _fold_text(text: str) -> str:
    """NFKC, casefold, diacritics folded, non-ASCII breaks as spaces (ASCII ones left)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _FOLD_RE.sub(_fold, text)
    return _NON_ASCII_BREAK.sub(" ", text)


def _fold_run(match: re.Match[bytes]) -> bytes:
    run = match.group()
    folded = _RUNS.get(run)
    if folded is None:
        if len(_RUNS) >= _RUNS_MAX:
            _RUNS.clear()
        # A run of bytes >= 0x80 is whole UTF-8 characters: ASCII bytes never continue one.
        folded = _RUNS[run] = _fold_text(run.decode("utf-8")).encode("utf-8")
    return folded


def prepare(text: str) -> tuple[bytes, int]:
    """A text as the matcher reads it (b"  w1  w2  ...  wn  "), and its number of words.

    The words are those of `words(text)`, as UTF-8 bytes: translate and split are several
    times cheaper on bytes, and the automaton reads bytes. A text with a few non-ASCII letters
    among ASCII ones (names with diacritics) folds only those runs; one with many (Cyrillic)
    is folded whole.
    """
    text = _untypeset(text)
    if text.isascii():
        data = text.encode("ascii")
    else:
        data = text.encode("utf-8", "replace")  # lone surrogates -> "?", a break
        if (len(data) - len(text)) * 16 < len(text):
            data = _NON_ASCII_RUN.sub(_fold_run, data)
        else:
            data = _fold_text(data.decode("utf-8")).encode("utf-8")
    ws = data.translate(_ASCII_TABLE).split()
    return b"  " + b"  ".join(ws) + b"  ", len(ws)


def normalize(text: str) -> str:
    """Normalised words joined by single spaces."""
    return " ".join(words(text))
