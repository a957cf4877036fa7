"""Which lexicon a text is matched with: its language's, chosen by script, then language.

Every language's terms are matched only against text in that language (German "war" and
"die" are ordinary words, not English war vocabulary); names of places, actors and armed
groups (`aliases` in the entity files, any script) are matched in every lexicon. The rule:

1. Script first: a text whose letters are mostly Cyrillic is matched with the Russian and
   Ukrainian terms together (short texts do not tell them apart; the lexicons are built as a
   pair), mostly Arabic with the Arabic terms, whatever language it was labelled with.
2. Otherwise the given language (ISO 639-1, "de-AT" counts as "de") when it has a lexicon.
3. Otherwise the language whose function words ("der", "und", "les", "ve", "the") are found
   in the title and the start of the body, when no other language's are, or it has at least
   twice the hits of the next; when that leaves it open, letters only one language writes
   (Turkish ı ğ ş, German ß ä ...) count as one hit each, and the same test is made again.
4. Otherwise (a short headline of names and nouns, a language without a lexicon, or no
   clear lead) every lexicon at once: what the tagger did before it knew languages.
"""

from __future__ import annotations

import re
from operator import itemgetter

import ahocorasick_rs

from pipeline.tagging.matcher import count_elements

ALL = "all"
# Lexicon name -> the terms_<lang>.csv languages it matches.
LEXICONS: dict[str, frozenset[str]] = {
    "en": frozenset({"en"}),
    "de": frozenset({"de"}),
    "fr": frozenset({"fr"}),
    "es": frozenset({"es"}),
    "tr": frozenset({"tr"}),
    "ar": frozenset({"ar"}),
    "cyr": frozenset({"ru", "uk"}),
}
_BY_LANGUAGE = {lang: name for name, langs in LEXICONS.items() for lang in langs} | {"be": "cyr"}

# Frequent function words, as normalised (diacritics folded). Only words of one language
# among these six: "de", "la", "en", "que", "es", "des", "an", "on", "al" (as in "al Qaeda")
# and German "war"/"die" are left out, since they would count for two.
_FUNCTION_WORDS = {
    "en": "the of and to is was are were for that with from this have has been by its it be "
    "which who their they he she would not but after said",
    "de": "der das und ist nicht ein eine einen einem einer dem sich auch mit von fur auf bei "
    "nach wie noch uber wird wurde werden sind hat haben zum zur im vom aus oder aber dass nur "
    "als schon seit sie er wir ich",
    "fr": "le les du une est et dans pour qui sur au aux avec ne pas par ce cette sa ses sont il "
    "elle ont ete plus mais leur ou",
    "es": "el los las del y una por con para su sus lo como mas pero fue ha han este esta sobre "
    "tambien",
    "tr": "ve bir bu ile icin olarak olan gibi daha cok sonra kadar ise ancak ama her degil oldu "
    "tarafindan uzere ki etti edildi oldugu ilk iki yilinda veya",
}
# Letters only one of these languages writes (before folding): a hit each when present.
_LETTERS = {"tr": "ığİş", "de": "ßä", "es": "ñ¿¡", "fr": "èêàœ"}
_LETTER_LANG = {letter: lang for lang, letters in _LETTERS.items() for letter in letters}
_LETTER_RE = re.compile("[" + "".join(_LETTER_LANG) + "]")
_WORD_LANGS: list[str] = []
_KEYS: list[bytes] = []
for _lang, _words in _FUNCTION_WORDS.items():
    for _word in sorted(set(_words.split())):
        _WORD_LANGS.append(_lang)
        _KEYS.append(f" {_word} ".encode())
_AUTOMATON = ahocorasick_rs.BytesAhoCorasick(_KEYS)
_FIRST = itemgetter(0)
SAMPLE_BYTES = 400  # of the body: enough function words, a fixed cost on long articles


def script_lexicon(title: bytes, body: bytes) -> str | None:
    """ "cyr" or "ar" when most letters of the prepared texts are Cyrillic or Arabic."""
    if title.isascii() and body.isascii():
        return None
    cyrillic = arabic = 0
    for text in (title, body):
        # UTF-8 lead bytes: D0/D1 Cyrillic (U+0400-047F), D8-DB Arabic (U+0600-06FF).
        cyrillic += text.count(b"\xd0") + text.count(b"\xd1")
        arabic += sum(text.count(lead) for lead in (b"\xd8", b"\xd9", b"\xda", b"\xdb"))
    # Letters: bytes that are not spaces, 2-byte letters counted once.
    letters = len(title) + len(body) - title.count(b" ") - body.count(b" ") - cyrillic - arabic
    if 2 * cyrillic > letters:
        return "cyr"
    if 2 * arabic > letters:
        return "ar"
    return None


def function_word_counts(title: bytes, body: bytes) -> dict[str, int]:
    """Hits of each language's function words in the title and the start of the body (languages
    without a hit are left out)."""
    counts: dict[str, int] = {}
    # One scan of title and body start (prepared texts start and end with a space each);
    # hits counted per language in C.
    matches = _AUTOMATON.find_matches_as_indexes(title + body[:SAMPLE_BYTES])
    count_elements(counts, map(_WORD_LANGS.__getitem__, map(_FIRST, matches)))
    return counts


def add_letter_counts(counts: dict[str, int], raw: str) -> None:
    """Count each language-specific letter in `raw` (text before normalisation) as one hit.

    Folding turns Turkish ı ğ ş, German ß ... into plain Latin letters, so they are read here.
    """
    if raw and not raw.isascii():
        for letter in set(_LETTER_RE.findall(raw)):
            lang = _LETTER_LANG[letter]
            counts[lang] = counts.get(lang, 0) + 1


def _leader(counts: dict[str, int]) -> str | None:
    """The language with hits unopposed, or with at least twice the runner-up's."""
    if not counts:
        return None
    best = max(counts, key=counts.__getitem__)
    second = max((n for lang, n in counts.items() if lang != best), default=0)
    return best if second == 0 or counts[best] >= 2 * second else None


def detect_lexicon(title: bytes, body: bytes, raw_title: str = "", raw_text: str = "") -> str:
    """The lexicon for prepared texts of unknown language (rules 1, 3 and 4 above).

    `raw_title`, `raw_text`: the texts before normalisation, whose letters are read only when
    the function words leave the language open.
    """
    by_script = script_lexicon(title, body)
    if by_script is not None:
        return by_script
    counts = function_word_counts(title, body)
    leader = _leader(counts)
    if leader is None and (raw_title or raw_text):
        add_letter_counts(counts, f"{raw_title} {raw_text[:SAMPLE_BYTES]}")
        leader = _leader(counts)
    return leader or ALL


def choose_lexicon(
    language: str | None, title: bytes, body: bytes, raw_title: str = "", raw_text: str = ""
) -> str:
    """The lexicon for prepared title and body bytes, given the text's language if known.

    `raw_title`, `raw_text`: the texts before normalisation (see `detect_lexicon`).
    """
    if language:
        name = _BY_LANGUAGE.get(language.strip().lower()[:2])
        by_script = script_lexicon(title, body)
        if by_script is not None:
            return by_script
        return name if name is not None else ALL
    return detect_lexicon(title, body, raw_title, raw_text)
