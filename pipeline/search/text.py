"""Language-aware text analysis for the search index: one analyzer per language group.

A document's title and text go into the fields of its language group (`title_en`, `body_en`,
...), each with its own analyzer, so every article is stemmed in its own language; a query is
analysed once per group and looks in every group. Every script is kept: words are runs of
Unicode letters and digits, and CJK text (no spaces between words) is indexed one character
per token. Accents are folded, then words stemmed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import tantivy

# Languages the tagger knows that Tantivy has a Snowball stemmer for.
# Ukrainian has no stemmer there: it goes to the unstemmed group with every other language.
STEMMED: dict[str, str] = {
    "en": "english",
    "de": "german",
    "fr": "french",
    "es": "spanish",
    "tr": "turkish",
    "ru": "russian",
    "ar": "arabic",
}
# Tantivy ships stop-word lists for these (not Turkish or Arabic).
STOPWORDS = frozenset({"en", "de", "fr", "es", "ru"})
OTHER = "xx"
GROUPS: tuple[str, ...] = (*STEMMED, OTHER)
# Tokens longer than this are junk (URLs glued together, base64): dropped.
MAX_TOKEN_CHARS = 40

# Scripts written without spaces: one token per character (the simple tokenizer would keep a
# whole sentence as one token). Han, kana, Hangul syllables, Thai, Lao, Khmer, Myanmar.
_UNSPACED = (
    "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff\U00020000-\U0002fa1f"
)
_UNSPACED_RUN = re.compile(f"[{_UNSPACED}]+")
_MARK_CHARS = "\u0300-\u036f\u064b-\u065f\u0670\u06d6-\u06ed"
# One pass finds whether a text needs either fix (most texts need none).
_NEEDS_WORK = re.compile(f"[{_MARK_CHARS}{_UNSPACED}İ]")
# Combining marks left after NFC (Arabic harakat, a decomposed accent) would split or change a
# token: removed. A Turkish İ would lowercase to i + a combining dot: read as I.
_MARKS = re.compile(f"[{_MARK_CHARS}]")


def group_of(language: str | None) -> str:
    """The analyzer group of an ISO 639-1 code (`None` and unknown codes: unstemmed)."""
    code = (language or "").split("-")[0].strip().lower()
    return code if code in STEMMED else OTHER


def prepare(text: str) -> str:
    """Text as the tokenizer should see it: marks removed, unspaced scripts one char per token."""
    if not text.isascii() and _NEEDS_WORK.search(text):
        if _MARKS.search(text) or "İ" in text:
            # Compose first so accented letters stay letters (stemmers expect them).
            text = _MARKS.sub("", unicodedata.normalize("NFC", text).replace("İ", "I"))
        if _UNSPACED_RUN.search(text):
            text = _UNSPACED_RUN.sub(lambda m: " ".join(m.group()), text)
    return text


def analyzer(group: str) -> tantivy.TextAnalyzer:
    """The analyzer of one group: words, lowercase, stop words, fold accents, stem."""
    builder = (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(MAX_TOKEN_CHARS))
        .filter(tantivy.Filter.lowercase())
    )
    if group in STOPWORDS:  # the lists are spelled with accents: before folding
        builder = builder.filter(tantivy.Filter.stopword(STEMMED[group]))
    # Folding before stemming: a query typed without accents ("elysee") meets the text's word
    # ("Élysée"); measured on en/de/fr/es/tr word pairs it never does worse than the reverse.
    builder = builder.filter(tantivy.Filter.ascii_fold())
    if group in STEMMED:
        builder = builder.filter(tantivy.Filter.stemmer(STEMMED[group]))
    return builder.build()


def tokenizer_name(group: str) -> str:
    return f"newsdesk_{group}"


def register(index: tantivy.Index) -> None:
    """Register every group's analyzer on an opened index (Tantivy does not persist them)."""
    for group in GROUPS:
        index.register_tokenizer(tokenizer_name(group), analyzer(group))


@dataclass(frozen=True, slots=True)
class QueryTerms:
    """A query analysed for each group: the distinct tokens to look up in that group's fields."""

    by_group: dict[str, tuple[str, ...]]
    words: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not any(self.by_group.values())


_ANALYZERS: dict[str, tantivy.TextAnalyzer] = {}


def analyse_query(q: str) -> QueryTerms:
    """Tokens of `q` per group (for the index) and its folded words (for snippets)."""
    text = prepare(unicodedata.normalize("NFC", q))
    by_group: dict[str, tuple[str, ...]] = {}
    for group in GROUPS:
        if group not in _ANALYZERS:
            _ANALYZERS[group] = analyzer(group)
        by_group[group] = tuple(dict.fromkeys(_ANALYZERS[group].analyze(text)))
    return QueryTerms(by_group=by_group, words=tuple(dict.fromkeys(fold(text).split())))


def fold(text: str) -> str:
    """Lowercase, accents removed, punctuation to spaces: what snippets match words on."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^\w]+", " ", kept)
