"""Language-light text features for linking: folded words, names, numbers, the lead.

Names are capitalised words that do not open a sentence, folded to ASCII where a script allows it
(accents dropped, Cyrillic and Greek transliterated), so "Selenskyj"/"Zelensky" still share most of
their character trigrams and "Kyiv"/"Київ" meet.
"""

from __future__ import annotations

import re
import unicodedata

# Cyrillic (Russian, Ukrainian, Belarusian, Serbian letters) and Greek to Latin, one scheme each:
# what matters is that both sides of a pair are folded the same way.
_TRANSLIT = str.maketrans(
    {
        **dict(
            zip(
                "абвгдеёжзийклмнопрстуфхцчшщъыьэюяєіїґўђјљњћџ",
                [
                    "a",
                    "b",
                    "v",
                    "g",
                    "d",
                    "e",
                    "e",
                    "zh",
                    "z",
                    "i",
                    "i",
                    "k",
                    "l",
                    "m",
                    "n",
                    "o",
                    "p",
                    "r",
                    "s",
                    "t",
                    "u",
                    "f",
                    "kh",
                    "ts",
                    "ch",
                    "sh",
                    "shch",
                    "",
                    "y",
                    "",
                    "e",
                    "yu",
                    "ya",
                    "ye",
                    "i",
                    "yi",
                    "g",
                    "u",
                    "dj",
                    "j",
                    "lj",
                    "nj",
                    "c",
                    "dz",
                ],
                strict=True,
            )
        ),
        **dict(
            zip(
                "αβγδεζηθικλμνξοπρστυφχψωάέήίόύώς",
                [
                    "a",
                    "b",
                    "g",
                    "d",
                    "e",
                    "z",
                    "i",
                    "th",
                    "i",
                    "k",
                    "l",
                    "m",
                    "n",
                    "x",
                    "o",
                    "p",
                    "r",
                    "s",
                    "t",
                    "y",
                    "f",
                    "ch",
                    "ps",
                    "o",
                    "a",
                    "e",
                    "i",
                    "i",
                    "o",
                    "y",
                    "o",
                    "s",
                ],
                strict=True,
            )
        ),
    }
)
_WORD = re.compile(r"\w+", re.UNICODE)
_NAME = re.compile(r"[^\W\d_][\w'’-]*", re.UNICODE)
_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")
_SENTENCE_END = frozenset(".!?:;\"'«»“”\n")
LEAD_CHARS = 600  # the embedded part: title and lead (measured in bench/pairs_eval.py)


def fold(text: str) -> str:
    """Case-folded, accent-free, Cyrillic/Greek transliterated text."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return plain.translate(_TRANSLIT)


def words(text: str) -> list[str]:
    """Folded word tokens (any script)."""
    return _WORD.findall(fold(text))


def names(text: str) -> frozenset[str]:
    """Folded capitalised words that do not open a sentence (likely names), 3+ letters."""
    found: set[str] = set()
    for match in _NAME.finditer(text):
        token = match.group()
        if len(token) < 3 or not token[0].isupper() or (token.isupper() and len(token) > 6):
            continue
        before = text[: match.start()].rstrip(" \t")
        # The first word of a sentence is capitalised whatever it is.
        if not before or before[-1] in _SENTENCE_END:
            continue
        found.add(fold(token).strip("'’-"))
    return frozenset(found)


def numbers(text: str) -> frozenset[str]:
    """Numbers of two or more digits, separators removed (years, tolls, amounts)."""
    out = set()
    for match in _NUMBER.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if len(digits) >= 2:
            out.add(digits)
    return frozenset(out)


def trigrams(items: frozenset[str]) -> frozenset[str]:
    """Character trigrams of each item, padded, so spelling variants across languages overlap."""
    out: set[str] = set()
    for item in items:
        padded = f" {item} "
        out.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return frozenset(out)


def lead(text: str, *, title: str | None = None, chars: int = LEAD_CHARS) -> str:
    """Title and the opening of the text, cut at a word boundary near `chars`."""
    body = " ".join(text.split())
    if title and not body.startswith(title.strip()):
        body = f"{title.strip()}. {body}"
    if len(body) <= chars:
        return body
    cut = body.rfind(" ", 0, chars)
    return body[: cut if cut > chars // 2 else chars]
