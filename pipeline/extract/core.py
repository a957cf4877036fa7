"""Article text and metadata from one HTML page: parsed once, trafilatura, then our cleanup."""

from __future__ import annotations

import unicodedata
from copy import deepcopy
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import trafilatura
from lxml import etree  # type: ignore[import-untyped]
from lxml.html import HtmlElement  # type: ignore[import-untyped]
from trafilatura.utils import load_html

from pipeline.extract.clean import _WORD, clean_body
from pipeline.extract.decode import XML_DECLARATION, decode_html
from pipeline.extract.meta import clean_meta, detect_language, find_published, page_meta
from pipeline.extract.title import _choose_title, _site_keys

# Chosen by body F1 on 338 real pages with ground truth (bench/extract_eval.py --sweep; bag-of-
# words F1, fundus-pages / fundus-eval, all with this module's cleanup on top):
#   balanced, fallback on, no tables   0.958 / 0.962   <- chosen
#   same with tables                   0.958 / 0.956   (tables are rarely article text)
#   favor_precision                    0.953 / 0.953   favor_recall  0.955 / 0.951
#   fast (no readability/justext)      0.947 / 0.951   about 1.4x faster, not worth 0.011
# Comments are never article text here.
TRAFILATURA_OPTIONS: dict[str, Any] = {
    "include_comments": False,
    "include_tables": False,
    "fast": False,
    "favor_precision": False,
    "favor_recall": False,
}
# Below this much cleaned body a page is not an article worth storing (words: split on spaces
# and punctuation, so CJK sentences count too while a run of mojibake does not).
MIN_TEXT_CHARS = 100
MIN_TEXT_WORDS = 8
_PARSE_ERRORS = (ValueError, TypeError, LookupError, RecursionError, etree.LxmlError)


@dataclass(frozen=True, slots=True, kw_only=True)
class Extracted:
    """What one page yielded: cleaned body text, metadata, and where the date came from."""

    title: str | None
    author: str | None
    published_at: datetime | None
    language: str | None
    sitename: str | None
    text: str
    # "feed", "page", "url" or "none"; confidence "high", "medium" or "none".
    date_source: str = "none"
    date_confidence: str = "none"


def parse_html(html: bytes | str) -> HtmlElement | None:
    """Decode and parse a page once; None when there is nothing to parse."""
    source = decode_html(html) if isinstance(html, bytes) else html
    # lxml refuses str input that still carries an encoding declaration.
    source = XML_DECLARATION.sub("", source, count=1)
    if not source.strip():
        return None
    try:
        tree = load_html(source)
    except _PARSE_ERRORS:
        return None
    return tree if tree is not None and len(tree) else None


def _trafilatura_text(tree: HtmlElement, url: str | None, **options: Any) -> str:
    """Body text of trafilatura run on a copy of the tree (it prunes what it is given)."""
    try:
        document = trafilatura.bare_extraction(
            deepcopy(tree), url=url, with_metadata=False, **{**TRAFILATURA_OPTIONS, **options}
        )
    except _PARSE_ERRORS:
        return ""
    if document is None or isinstance(document, dict):
        return ""
    return unicodedata.normalize("NFC", document.text or "")


def extract_body(tree: HtmlElement, *, url: str | None, title: str | None) -> str:
    """Cleaned article text of a parsed page."""
    return clean_body(_trafilatura_text(tree, url), title=title)


def extract_html(
    html: bytes | str,
    *,
    url: str | None = None,
    feed_title: str | None = None,
    feed_published: datetime | None = None,
    feed_author: str | None = None,
) -> Extracted | None:
    """Extract article text and metadata from one HTML page; None when no usable text.

    What the feed already gives (title, published time, author) is not looked for again on
    the page, except the page title, which is only used to reconcile with the feed's.
    """
    tree = parse_html(html)
    if tree is None:
        return None
    try:
        meta = page_meta(tree, url=url, need_author=feed_author is None)
        dated = find_published(tree, url=url or meta.url, feed_published=feed_published)
    except _PARSE_ERRORS:
        return None
    keys = _site_keys(meta.sitename, url or meta.url)
    title = _choose_title(meta.title, clean_meta(feed_title), keys)
    text = extract_body(tree, url=url, title=title)
    if len(text) < MIN_TEXT_CHARS or len(_WORD.findall(text)) < MIN_TEXT_WORDS:
        return None
    return Extracted(
        title=title,
        author=clean_meta(feed_author) or meta.author,
        published_at=dated.published_at,
        language=detect_language(title, text),
        sitename=meta.sitename,
        text=text,
        date_source=dated.source,
        date_confidence=dated.confidence,
    )
