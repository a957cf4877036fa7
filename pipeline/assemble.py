"""Turn a fetched page (or, failing that, the feed's summary) into a tagged Article.

Runs in worker processes: everything here is CPU-bound and picklable in and out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime

from pipeline.dedup import content_hash
from pipeline.extract import Extracted, clean_body, detect_language, extract_html
from pipeline.models import Article, FeedItem, Tagging
from pipeline.tagging import get_tagger

# A page text shorter than this is a stub (video page, paywall teaser): the summary is better.
MIN_PAGE_WORDS = 40


@dataclass(frozen=True, slots=True, kw_only=True)
class PageJob:
    item: FeedItem
    run_id: str
    fetched_at: datetime
    body: bytes | None = None
    final_url: str | None = None
    status: int = 0
    error: str | None = None
    retry: bool = False
    taxonomy_dir: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TagJob:
    """A stored article to tag again (no page, no extraction)."""

    article: Article
    taxonomy_dir: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TextJob:
    """An item whose text was extracted elsewhere (an imported corpus)."""

    item: FeedItem
    text: str
    run_id: str
    fetched_at: datetime
    taxonomy_dir: str | None = None


def process_job(job: PageJob | TagJob | TextJob) -> tuple[Article | None, str]:
    """The work a pool worker does for one item: a page, a stored article, or imported text."""
    if isinstance(job, TagJob):
        return retag_article(job), "retag"
    if isinstance(job, TextJob):
        return assemble_text(job)
    return assemble_article(job)


def assemble_text(job: TextJob) -> tuple[Article | None, str]:
    """Clean, date-check, language-detect and tag text that came without a page."""
    item = job.item
    text = clean_body(job.text, title=item.title)
    if not text.strip():
        return None, "no_text_after_cleanup"
    language = item.language or detect_language(item.title, text)
    article = Article(
        article_id=item.article_id, url=item.url, canonical_url=item.canonical_url,
        feed_url=item.feed_url, outlet=item.outlet, title=item.title, author=item.author,
        published_at=item.published_at, fetched_at=job.fetched_at, language=language,
        text=text, summary=item.summary, word_count=len(text.split()),
        content_hash=content_hash(text), text_source="page", run_id=job.run_id,
        tagging=tag_text(item.title, text, language, job.taxonomy_dir),
        date_source="feed" if item.published_at else "none",
        date_confidence="high" if item.published_at else "none",
    )  # fmt: skip
    return article, "import"


def retag_article(job: TagJob) -> Article:
    a = job.article
    return replace(a, tagging=tag_text(a.title, a.text, a.language, job.taxonomy_dir))


def tag_text(
    title: str | None, text: str, language: str | None, taxonomy_dir: str | None
) -> Tagging:
    tagger = get_tagger(taxonomy_dir)
    result = tagger.tag(title, text, language)
    rows = tuple(
        (t.kind, t.value, t.code, round(t.score, 4), "; ".join(t.evidence)) for t in result.tags
    )
    return Tagging(
        is_conflict=result.is_conflict, score=round(result.score, 4), version=tagger.version,
        rows=rows,
    )  # fmt: skip


def assemble_article(job: PageJob) -> tuple[Article | None, str]:
    """Build the Article for one item; returns (article, outcome) where outcome names the path."""
    item = job.item
    extracted = None
    page_error = job.error
    if job.body is not None and page_error is None:
        extracted = extract_html(
            job.body,
            url=job.final_url or item.url,
            feed_title=item.title,
            feed_published=item.published_at,
            feed_author=item.author,
        )
        if extracted is None:
            page_error = "no readable text on page"
        elif _is_stub(extracted.text, item.summary):
            page_error = "page text shorter than the feed summary"
            extracted = None
    if extracted is not None:
        text, title, source = extracted.text, extracted.title or item.title, "page"
        language = extracted.language or item.language
    elif item.summary:
        text, title, source = item.summary, item.title, "feed_summary"
        language = detect_language(item.title, item.summary) or item.language
    else:
        reason = "no_text" if page_error is None else f"no_text_{_reason_key(page_error)}"
        return None, reason
    date_source, date_confidence = dated(item, extracted)
    article = Article(
        article_id=item.article_id,
        url=item.url,
        canonical_url=item.canonical_url,
        feed_url=item.feed_url,
        outlet=item.outlet,
        title=title,
        # Feed bylines are cleaner than page bylines; page dates fill in undated items.
        author=item.author or (extracted.author if extracted else None),
        published_at=item.published_at or (extracted.published_at if extracted else None),
        fetched_at=job.fetched_at,
        language=language,
        text=text,
        summary=item.summary,
        word_count=len(text.split()),
        content_hash=content_hash(text),
        text_source="page" if source == "page" else "feed_summary",
        run_id=job.run_id,
        sitename=extracted.sitename if extracted else None,
        http_status=job.status or None,
        page_error=None if extracted else page_error,
        page_retry=False if extracted else job.retry,
        tagging=tag_text(title, text, language, job.taxonomy_dir),
        date_source=date_source,
        date_confidence=date_confidence,
    )
    return article, source


def dated(item: FeedItem, extracted: Extracted | None) -> tuple[str, str]:
    """Where the published date came from (feed, page, url, none), and how sure that is."""
    if item.published_at is not None:
        return "feed", "high"
    if extracted is not None and extracted.published_at is not None:
        return extracted.date_source, extracted.date_confidence
    return "none", "none"


def _is_stub(text: str, summary: str | None) -> bool:
    words = len(text.split())
    return words < MIN_PAGE_WORDS and summary is not None and len(summary.split()) > words


def _reason_key(error: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", error.lower().split(":")[0]).strip("_")[:40]
