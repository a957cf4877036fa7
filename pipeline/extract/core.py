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

# Measured with bench/extract_eval.py (AEB shingle F1, tune split, all with our cleanup; the
# figures per set are in docs/extraction.md). A fast precision pass with tables is the first try:
# on the sets most like today's news sites (Fundus, chaos-news, big9) it matches or beats the
# full cascade and trafilatura's favor_precision, at a fraction of the cost. When its text looks
# wrong (under 600 characters, or under 8% of the page's visible text: a teaser, a headline or
# a caption instead of the story), or when the page is laid out in tables (most paragraphs inside
# <td>: the 2008-era pages of L3S and zh, where precision mode loses whole bodies), the balanced
# cascade with readability/justext runs instead (about a quarter of the dev pages, few of today's).
# Tables stay out of the fallback's text: there they are layout, not article. Comments are never
# article text here.
PRIMARY_OPTIONS: dict[str, Any] = {
    "include_comments": False,
    "include_tables": True,
    "fast": True,
    "favor_precision": True,
}
FALLBACK_OPTIONS: dict[str, Any] = {
    "include_comments": False,
    "include_tables": False,
    "fast": False,
}
MIN_PRIMARY_CHARS = 600
MIN_PRIMARY_SHARE = 0.08
MAX_PARAGRAPHS_IN_CELLS = 0.5
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


def _trafilatura_text(tree: HtmlElement, url: str | None, options: dict[str, Any]) -> str:
    """Body text of trafilatura run on a copy of the tree (it prunes what it is given)."""
    try:
        document = trafilatura.bare_extraction(
            deepcopy(tree), url=url, with_metadata=False, **options
        )
    except _PARSE_ERRORS:
        return ""
    if document is None or isinstance(document, dict):
        return ""
    return unicodedata.normalize("NFC", document.text or "")


def _table_layout(tree: HtmlElement) -> bool:
    """Most paragraphs sit inside table cells: a page laid out with tables."""
    paragraphs = float(tree.xpath("count(//p)"))
    return (
        paragraphs > 0
        and float(tree.xpath("count(//td//p)")) > MAX_PARAGRAPHS_IN_CELLS * paragraphs
    )


def _visible_chars(tree: HtmlElement) -> int:
    """Characters of text in the body outside scripts and styles.

    Two C-level passes (about 2 ms a page) where trafilatura's html2txt cleans a copy (about 40).
    """
    body = tree.find("body")
    root = tree if body is None else body
    hidden = sum(len(el.text or "") for el in root.iter("script", "style", "noscript"))
    return len(root.text_content()) - hidden


def _looks_wrong(text: str, tree: HtmlElement) -> bool:
    """Too short to be the story, absolutely or against the page's visible text."""
    return len(text) < MIN_PRIMARY_CHARS or len(text) < MIN_PRIMARY_SHARE * _visible_chars(tree)


def extract_body(tree: HtmlElement, *, url: str | None, title: str | None) -> str:
    """Cleaned article text of a parsed page: the fast pass, or the cascade when it looks wrong."""
    if _table_layout(tree):
        return clean_body(_trafilatura_text(tree, url, FALLBACK_OPTIONS), title=title)
    first = clean_body(_trafilatura_text(tree, url, PRIMARY_OPTIONS), title=title)
    if not _looks_wrong(first, tree):
        return first
    return clean_body(_trafilatura_text(tree, url, FALLBACK_OPTIONS), title=title) or first


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
