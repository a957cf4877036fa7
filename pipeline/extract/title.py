"""The clean headline: the feed's when the page only decorates it, else the page's sans site."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

from pipeline.extract.clean import _BYLINE, _SPACE, _TITLE_SEPARATOR, _WORD, _key

_ARTICLES = ("the", "die", "der", "das", "le", "la", "les", "el", "il")
_TRANSLITERATE = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_NOT_ALNUM = re.compile(r"[\W_]+")
# A longer "site name" is a page title that leaked into og:site_name.
_MAX_SITENAME = 60
_HOST_NOISE = {"www", "m", "amp", "edition", "news", "com", "net", "org", "co"}


def _fold(text: str) -> set[str]:
    """Letters and digits only, casefolded, with and without German transliteration."""
    out = set()
    for variant in (text.casefold(), text.casefold().translate(_TRANSLITERATE)):
        plain = "".join(
            ch for ch in unicodedata.normalize("NFKD", variant) if not unicodedata.combining(ch)
        )
        out.add(_NOT_ALNUM.sub("", plain))
    out.discard("")
    return out


def _site_keys(sitename: str | None, url: str | None = None) -> set[str]:
    """Ways a site writes its own name: "DIE WELT", "welt.de", "Deutsche Welle" as "DW"."""
    keys: set[str] = set()
    if sitename and len(sitename) <= _MAX_SITENAME:
        keys |= _fold(sitename)
        words = _WORD.findall(sitename.casefold())
        if words and words[0] in _ARTICLES and len(words) > 1:
            keys |= _fold(" ".join(words[1:]))
        if len(words) > 1:
            keys.add("".join(w[0] for w in words))
        if "." in sitename:  # "Golem.de", "Globalnews.ca"
            keys |= _fold(sitename.rsplit(".", 1)[0])
    if url:
        host = urlsplit(url).hostname or ""
        labels = [label for label in host.split(".")[:-1] if label not in _HOST_NOISE]
        for label in labels:
            keys |= _fold(label)
    return {key for key in keys if len(key) >= 2}


def _is_site(segment: str, keys: set[str]) -> bool:
    folded = _fold(segment)
    if "." in segment:  # "MDR.DE", "Globalnews.ca"
        folded |= _fold(segment.rsplit(".", 1)[0])
    for key in folded:
        for site in keys:
            short, long = sorted((key, site), key=len)
            # "Golem.de" for golem, but not "Kate Moss on the VOGUE cover" for vogue
            if short == long or (len(short) >= 4 and short in long and 2 * len(short) >= len(long)):
                return True
    words = _WORD.findall(segment.casefold())
    return len(words) > 1 and "".join(w[0] for w in words) in keys


def _is_tail_noise(segment: str) -> bool:
    """A date or a byline after the headline: "16 May 2025", "by Cristina Laila"."""
    digits = sum(ch.isdigit() for ch in segment)
    if len(segment) <= 30 and digits >= 2 and sum(ch.isalpha() for ch in segment) <= 12:
        return True
    return _BYLINE.fullmatch(segment) is not None


def _title_from_page(page: str, feed: str, keys: set[str]) -> str:
    segments = _TITLE_SEPARATOR.split(page)
    if feed:
        feed_key = _key(feed)
        if _key(page) == feed_key:
            return page
        for k in range(1, len(segments)):
            # "Title | Site", "Title - Site - date" or "Site: Title" around the feed's headline
            if feed_key in (_key(" ".join(segments[:k])), _key(" ".join(segments[k:]))):
                return feed
    if len(segments) < 2 or not keys:
        return page
    head, tail = 0, len(segments)
    while tail - head > 1 and (
        _is_site(segments[tail - 1], keys) or _is_tail_noise(segments[tail - 1])
    ):
        tail -= 1
    if tail == len(segments):
        while tail - head > 1 and _is_site(segments[head], keys):
            head += 1
    elif not any(_is_site(s, keys) for s in segments[tail:]):
        return page  # only a date went: keep the page title whole
    if (head, tail) == (0, len(segments)):
        return page
    # Cut the raw string at the segments dropped, so the headline's own punctuation survives.
    cut = page
    for segment in reversed(segments[tail:]):
        cut = cut[: max(cut.rfind(segment), 0)]
    for segment in segments[:head]:
        cut = cut[cut.find(segment) + len(segment) :]
    return cut.strip(" |–—•·»*:-：｜") or page


def _choose_title(page_title: str | None, feed_title: str | None, keys: set[str]) -> str | None:
    page = _SPACE.sub(" ", page_title).strip() if page_title else ""
    feed = _SPACE.sub(" ", feed_title).strip() if feed_title else ""
    if not page:
        return feed or None
    return _title_from_page(page, feed, keys)


def choose_title(
    page_title: str | None, feed_title: str | None, sitename: str | None
) -> str | None:
    """Pick the clean headline: the feed's when the page only decorates it, else the page's."""
    return _choose_title(page_title, feed_title, _site_keys(sitename))
