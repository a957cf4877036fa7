"""Inflection by rule: which word endings may follow a stem marked with `*` in the lexicon.

A lexicon term such as `перемири*` or `ateşkes*` is a stem. It matches where a word starts with
the stem and the rest of that word is an ending the stem's language allows, so matching stays
word-boundary aware without listing every form. Texts and terms are normalised first
(see normalize.py: Turkish ş/ç/ğ/ö/ü/ı fold to s/c/g/o/u/i, ё to е).
"""

from __future__ import annotations

import re
from functools import cache

# Russian and Ukrainian share one set: nouns, adjectives, participles and common verb forms.
_CYR_NOUN = (
    "а я о е и ы у ю ь й і ї є ом ем ой ей ою ею ам ям ами ями ах ях ов ев ью ие ия ии ию ием иям "
    "иями иях ье ья ьи ьем ьям ьями ьях ів їв ові еві єві єю ії ією ій ію ія ці ки ку ці ка ок"
)
_CYR_ADJ = (
    "ый ий ой ая яя ое ее ые ие ого его ому ему ым им ых их ыми ими ую юю ої ім ього ьому ьої "
    "ський ська ське ські ського ському ській ських ськими ская ское ские ского скому ских "
    "ный ная ное ные ного ному ным ных ними ного ної ній ний на не ні них ним ими"
)
_CYR_VERB = (
    "ть ти л ла ло ли ет ют ут ат ят ит ешь ем ете ал ала али ало ял яла яли ил ила или ует уют "
    "ує ують ував увала ували овал овала овали ують ати ать ять ити ить ено ена ены ений ена ені "
    "ан ана ано аны ений енный енные ують ав ала али ено увати уватися"
)
_EN = "s es 's ed d ing er ers"
# Turkish suffixes after folding (i covers i/ı/ü/u harmony pairs only partly: u and o stay).
_TR_MORPHEMES = (
    "ler lar i u si su in un nin nun e a ye ya de da te ta den dan ten tan le la yle yla ne na "
    "nde nda nden ndan ni nu im um imiz umuz iniz unuz leri lari ki dir dur tir tur ci cu ca ce "
    "lik luk li lu siz suz di du ti tu mis mus iyor uyor acak ecek an en yan yen il ul in ildi "
    "uldu mak mek ma me inde unda inden undan ine una ini unu iz uz ip up arak erek"
)


def _alternation(words: str) -> str:
    forms = sorted(set(words.split()), key=len, reverse=True)
    return "|".join(re.escape(f) for f in forms)


_CYR_ENDING = re.compile(
    f"(?:{_alternation(_CYR_NOUN + ' ' + _CYR_ADJ + ' ' + _CYR_VERB)})?(?:ся|сь|ся)?"
)
_EN_ENDING = re.compile(f"(?:{_alternation(_EN)})?")
# Languages whose few endings are expanded into full forms when the automaton is built.
CLOSED_ENDINGS: dict[str, tuple[str, ...]] = {
    "en": ("", "s", "es", "ed", "d", "ing", "er", "ers"),
    "xx": ("", "s", "e", "es", "en", "n", "er", "ern"),
    "de": ("", "s", "e", "es", "en", "n", "er", "ern"),
    "fr": ("", "s", "e", "es", "x"),
    "es": ("", "s", "es", "a", "as", "o", "os"),
}
_TR_ENDING = re.compile(f"(?:{_alternation(_TR_MORPHEMES)}){{0,4}}")
# Latin languages without their own rules (fr, de, es ...): plural and a few endings only.
_LATIN_ENDING = re.compile("(?:s|e|es|en|n|er|ern|n)?")

# Arabic suffixes (feminine, plurals, duals, nisba, possessive pronouns), at most two chained.
_AR_SUFFIXES = "ا ة ه ات ون ين ان تان تين ي ية يه يات يون يين ها هم هما هن كم نا"
_AR_ENDING = re.compile(f"(?:{_alternation(_AR_SUFFIXES)}){{0,2}}")
# Arabic clitics written as one word with what follows: conjunctions, prepositions, article.
_AR_PROCLITICS = ("", "و", "ف", "ب", "ل", "ك", "وب", "ول", "فب", "فل")


def arabic_forms(word: str) -> tuple[str, ...]:
    """A word with the proclitics and article Arabic writes onto it ("غزة" -> "بغزة", "والحرب")."""
    bare = word[2:] if word.startswith("ال") and len(word) > 3 else word
    forms = set()
    for clitic in _AR_PROCLITICS:
        forms.add(clitic + bare)
        # l- + al- is written with one alef dropped: ل + الحرب -> للحرب.
        forms.add(clitic + ("ل" + bare if clitic.endswith("ل") else "ال" + bare))
    return tuple(sorted(forms))


# Open stems ("kriegs+" in a lexicon): German compound heads, any rest of the word allowed.
OPEN = "open"

_BY_LANG: dict[str, re.Pattern[str]] = {
    OPEN: re.compile(r"\S*"),
    "ar": _AR_ENDING,
    "en": _EN_ENDING,
    "ru": _CYR_ENDING,
    "uk": _CYR_ENDING,
    "be": _CYR_ENDING,
    "tr": _TR_ENDING,
}


# Endings generated for a stem inside a multiword term ("войн* в украине"): nouns and adjectives.
_CYR_INNER = (
    "а я о е и ы у ю ь й і ї є ом ем ой ей ою ею ам ям ами ями ах ях ов ев ью ия ии ию ие ий ый "
    "ая ое ые ого его ому ему ым им ых их ими ыми ую ої ій ім ів ові"
)
_INNER: dict[str, tuple[str, ...]] = {
    "ru": tuple(sorted({"", *_CYR_INNER.split()})),
    "en": ("", "s", "es", "'s"),
    "tr": ("", "i", "u", "in", "un", "nin", "nun", "ler", "lar", "leri", "lari", "si", "su"),
}
_INNER["uk"] = _INNER["ru"]


def inner_forms(lang: str, stem: str) -> tuple[str, ...]:
    """Forms of a stem that is not the last word of a multiword term."""
    return tuple(stem + e for e in _INNER.get(lang, ("", "s", "e", "es", "en")))


def script_lang(term: str) -> str:
    """Ending rules for a term whose language is not given: Cyrillic or generic Latin."""
    if any("\u0400" <= ch <= "\u04ff" for ch in term):
        return "ru"
    if any("\u0600" <= ch <= "\u06ff" for ch in term):
        return "ar"
    return "xx"


@cache
def ending_rule(lang: str) -> re.Pattern[str]:
    """The compiled ending pattern for a language code (fullmatch against the rest of a word)."""
    return _BY_LANG.get(lang, _LATIN_ENDING)


def allows(lang: str, rest: str) -> bool:
    """True when `rest` (the word after a stem) is an ending the language's rules allow."""
    return rest == "" or ending_rule(lang).fullmatch(rest) is not None
