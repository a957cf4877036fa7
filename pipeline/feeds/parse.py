"""Feed parsing: RSS, Atom and RDF via feedparser (given bytes, never a URL), and JSON Feed."""

from __future__ import annotations

import calendar
import io
import json
import re
import time
import warnings
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import charset_normalizer
import feedparser

from pipeline.models import Feed, FeedItem, ParsedFeed
from pipeline.urls import UrlError, article_id, canonical_url, resolve_url

_HTML_START = re.compile(
    rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html[\s>]|head[\s>]|body[\s>])", re.I | re.S
)
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_XML_DECL_ENCODING = re.compile(rb"""^(\s*<\?xml[^>]*?encoding\s*=\s*)["'][^"']*["']""")
# An internal DTD subset that declares entities: the way to an entity-expansion bomb. Feeds have
# no use for one, and expat takes over a second to give up on a bomb, blocking the event loop.
_ENTITY_DTD = re.compile(rb"<!DOCTYPE[^\[>]*\[[^\]]*<!ENTITY[^\]]*\]\s*>", re.I | re.S)
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
_UTF8 = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})
_SY_PERIOD_MINUTES = {
    "hourly": 60,
    "daily": 1440,
    "weekly": 10080,
    "monthly": 43200,
    "yearly": 525600,
}


def looks_like_html(body: bytes) -> bool:
    """Whether a body is an HTML page (served where a feed was expected)."""
    head = body[:2048]
    for bom in _BOMS:
        if head.startswith(bom):
            head = head[len(bom) :]
            break
    if head[:2] in (b"<\x00", b"\x00<"):
        head = head.replace(b"\x00", b"")
    return bool(_HTML_START.match(head))


def parse_feed(
    body: bytes,
    feed: Feed,
    *,
    fetched_at: datetime,
    content_type: str | None = None,
    base_url: str | None = None,
    max_items: int = 500,
) -> ParsedFeed:
    """Parse a feed body (bytes, never a URL) into items; errors are recorded, never raised."""
    base = base_url or feed.url
    stripped = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped:
        return ParsedFeed(items=(), error="empty body")
    if stripped[:1] in (b"{", b"[") and not stripped.startswith(b"<"):
        return _parse_json_feed(stripped, feed, base, max_items)
    if looks_like_html(body):
        return ParsedFeed(items=(), error="HTML page served instead of a feed")
    body, content_type = _fix_encoding(body, content_type)
    head, dropped = _ENTITY_DTD.subn(b"", body[:65536], count=1)
    if dropped:
        body = head + body[65536:]
    headers = {"content-location": base}
    if content_type:
        headers["content-type"] = content_type
    try:
        parsed = feedparser.parse(io.BytesIO(body), response_headers=headers, sanitize_html=True)
    except Exception as exc:  # feedparser is meant not to raise; a crash is still just bad input
        return ParsedFeed(items=(), error=f"unparseable feed: {type(exc).__name__}: {exc}")
    entries = list(parsed.get("entries") or [])
    meta = parsed.get("feed") or {}
    version = parsed.get("version") or ""
    error = None
    if parsed.get("bozo"):
        bozo = parsed.get("bozo_exception")
        # A charset override or a missing/odd Content-Type that feedparser recovered from is
        # a remark about the HTTP headers, not a fault of the feed.
        if not isinstance(
            bozo, feedparser.CharacterEncodingOverride | feedparser.NonXMLContentType
        ):
            error = f"malformed feed: {_describe(bozo)}"
    if dropped:
        note = "DTD entity declarations ignored (entity-expansion guard)"
        error = f"{note}; {error}" if error else note
    if not entries and not version:
        return ParsedFeed(items=(), error=error or "not a feed (no RSS/Atom/JSON structure)")
    language = _lang(meta.get("language")) or feed.language
    items = []
    for entry in entries[:max_items]:
        item = _item_from_entry(entry, feed, base, language)
        if item is not None:
            items.append(item)
    return ParsedFeed(
        items=_unique(items), title=meta.get("title"), kind=version or None, error=error,
        ttl_minutes=_minutes(meta.get("ttl")), update_minutes=_update_minutes(meta),
    )  # fmt: skip


def _fix_encoding(body: bytes, content_type: str | None) -> tuple[bytes, str | None]:
    """Re-encode as UTF-8 a body whose bytes contradict what it or its headers declare.

    feedparser trusts the HTTP charset over the bytes (RFC 3023), so UTF-16 without a BOM served
    as "charset=utf-8" fails to parse, and Cyrillic served as UTF-8 becomes cp1252 mojibake.
    """
    if body.startswith(_BOMS):
        return body, content_type
    if body[:2] in (b"<\x00", b"\x00<"):  # UTF-16 without a BOM: "<" is the first character
        text = body.decode("utf-16-le" if body[:1] == b"<" else "utf-16-be", errors="replace")
        return _as_utf8(text), _without_charset(content_type)
    try:
        body.decode("utf-8")
        return body, content_type
    except UnicodeDecodeError:
        pass
    match = _CHARSET.search(content_type or "")
    declared = match.group(1).lower() if match else None
    if declared is None:
        decl = re.match(rb"""\s*<\?xml[^>]*?encoding\s*=\s*["']([\w.:-]+)""", body[:200])
        declared = decl.group(1).decode("ascii").lower() if decl else None
    if declared is not None and declared not in _UTF8:
        return body, content_type  # a non-UTF-8 declaration the bytes may well match: trust it
    best = charset_normalizer.from_bytes(body[: 256 * 1024]).best()
    # No recognisable language means a guess from too little text: leave it to feedparser.
    if best is None or best.coherence == 0 or best.encoding.replace("_", "-") in _UTF8:
        return body, content_type
    return _as_utf8(body.decode(best.encoding, errors="replace")), _without_charset(content_type)


def _as_utf8(text: str) -> bytes:
    return _XML_DECL_ENCODING.sub(rb'\1"utf-8"', text.encode("utf-8"), count=1)


def _without_charset(content_type: str | None) -> str | None:
    if content_type is None:
        return None
    return content_type.split(";", 1)[0].strip() or None


def _minutes(value: object) -> int | None:
    """A positive whole number of minutes (RSS `ttl`), or None when absent or absurd."""
    number = _int_or_none(value)
    return number if number is not None and 0 < number <= 525_600 else None


def _update_minutes(meta: Mapping[str, Any]) -> int | None:
    """How often the publisher says it updates (`sy:updatePeriod` / `sy:updateFrequency`)."""
    period = meta.get("sy_updateperiod")
    if not isinstance(period, str) or period.strip().lower() not in _SY_PERIOD_MINUTES:
        return None
    frequency = _int_or_none(meta.get("sy_updatefrequency")) or 1
    return max(1, _SY_PERIOD_MINUTES[period.strip().lower()] // max(1, frequency))


def _describe(exc: object) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]


def _int_or_none(value: object) -> int | None:
    try:
        return int(str(value).strip()) if value not in (None, "") else None
    except (ValueError, OverflowError):
        return None


def _lang(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip().lower().replace("_", "-").split("-")[0][:8] or None


def _unique(items: list[FeedItem]) -> tuple[FeedItem, ...]:
    seen: set[str] = set()
    out = []
    for item in items:
        if item.article_id not in seen:
            seen.add(item.article_id)
            out.append(item)
    return tuple(out)


def _struct_to_dt(value: time.struct_time | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None


def _item_from_entry(entry: Any, feed: Feed, base: str, language: str | None) -> FeedItem | None:
    # Some Atom feeds carry the article URL only in <id>; a guid is a permalink unless it says not.
    link = entry.get("link")
    guid = entry.get("id")
    if not link and isinstance(guid, str) and guid.startswith(("http://", "https://", "/")):
        link = guid
    if not link or not isinstance(link, str):
        return None
    try:
        url = resolve_url(link, base)
        canonical = canonical_url(url)
    except (UrlError, ValueError):
        return None
    summary = entry.get("summary") or None
    if summary is None and entry.get("content"):
        summary = entry["content"][0].get("value") or None
    with warnings.catch_warnings():  # feedparser warns about its own updated/published alias
        warnings.simplefilter("ignore", DeprecationWarning)
        published = _struct_to_dt(entry.get("published_parsed") or entry.get("updated_parsed"))
    return FeedItem(
        article_id=article_id(canonical),
        url=url,
        canonical_url=canonical,
        feed_url=feed.url,
        outlet=feed.outlet,
        title=_clean_title(entry.get("title")),
        summary=_html_to_text(summary) if summary else None,
        author=entry.get("author") or None,
        published_at=published,
        guid=guid if isinstance(guid, str) else None,
        language=language,
    )


_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"[ \t\r\f\v]+")


def _html_to_text(html: str) -> str | None:
    import html as html_lib

    text = _TAG.sub(" ", html.replace("</p>", "\n").replace("<br", "\n<br"))
    text = html_lib.unescape(text)
    lines = [_SPACE.sub(" ", line).strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line) or None


def _clean_title(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    text = _html_to_text(value)
    return " ".join(text.split()) if text else None


def _parse_json_feed(body: bytes, feed: Feed, base: str, max_items: int) -> ParsedFeed:
    try:
        data = json.loads(body.decode("utf-8-sig", errors="replace"))
    except json.JSONDecodeError as exc:
        return ParsedFeed(items=(), error=f"malformed JSON feed: {exc}")
    if not isinstance(data, dict) or not str(data.get("version", "")).startswith(
        "https://jsonfeed.org/version/"
    ):
        return ParsedFeed(items=(), error="JSON document is not a JSON Feed (no jsonfeed version)")
    language = _lang(data.get("language")) or feed.language
    raw_items = data.get("items")
    if not isinstance(raw_items, list):
        return ParsedFeed(
            items=(), title=data.get("title"), kind="json", error="JSON Feed has no items list"
        )
    items = []
    for raw in raw_items[:max_items]:
        if not isinstance(raw, dict):
            continue
        link = raw.get("url") or raw.get("external_url")
        if not link and str(raw.get("id", "")).startswith(("http://", "https://")):
            link = raw["id"]  # an id is only a link when it looks like one
        if not isinstance(link, str):
            continue
        try:
            url = resolve_url(link, base)
            canonical = canonical_url(url)
        except (UrlError, ValueError):
            continue
        authors = raw.get("authors") or (
            [raw["author"]] if isinstance(raw.get("author"), dict) else []
        )
        author = (
            ", ".join(a["name"] for a in authors if isinstance(a, dict) and a.get("name")) or None
        )
        summary = raw.get("summary") or raw.get("content_text") or raw.get("content_html")
        items.append(
            FeedItem(
                article_id=article_id(canonical),
                url=url,
                canonical_url=canonical,
                feed_url=feed.url,
                outlet=feed.outlet,
                title=_clean_title(raw.get("title")),
                summary=_html_to_text(summary) if isinstance(summary, str) else None,
                author=author,
                published_at=_iso(raw.get("date_published") or raw.get("date_modified")),
                guid=str(raw.get("id")) if raw.get("id") is not None else None,
                language=_lang(raw.get("language")) or language,
            )
        )
    return ParsedFeed(items=_unique(items), title=data.get("title"), kind="json")


def _iso(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
