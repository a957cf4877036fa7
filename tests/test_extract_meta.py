"""What the feed gives is not looked for again; every date says where it came from."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from pipeline.extract import Extracted, extract_html, parse_html
from pipeline.extract.meta import find_published, url_day

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
BODY = (
    "<p>Delegations from both sides met for two hours in Istanbul on Friday and agreed to swap "
    "one thousand prisoners of war each, the largest exchange since the war began.</p>"
    "<p>Neither side agreed to an unconditional ceasefire, and officials said a further round "
    "of talks would depend on the exchange going ahead as planned next week.</p>"
)


def page(head: str = "", body: str = BODY) -> bytes:
    return f"<html><head>{head}</head><body><article>{body}</article></body></html>".encode()


def extract(html: bytes, **kwargs: object) -> Extracted:
    got = extract_html(html, **kwargs)  # type: ignore[arg-type]
    assert got is not None
    return got


def test_feed_date_wins_and_is_marked_as_the_feeds() -> None:
    feed_time = datetime(2025, 5, 16, 9, 0, tzinfo=UTC)
    html = (FIXTURES / "istanbul_talks_en.html").read_bytes()
    got = extract(html, feed_published=feed_time)
    assert got.published_at == feed_time
    assert (got.date_source, got.date_confidence) == ("feed", "high")


def test_page_metadata_date_is_marked_as_the_pages() -> None:
    got = extract((FIXTURES / "istanbul_talks_en.html").read_bytes())
    assert got.published_at == datetime(2025, 5, 16, 18, 40, tzinfo=UTC)
    assert got.date_source == "page"
    assert got.date_confidence in {"high", "medium"}


def test_date_only_in_the_url_is_marked_as_the_urls() -> None:
    got = extract(page(), url="https://news.example/world/2025/05/16/istanbul-talks")
    assert got.published_at == datetime(2025, 5, 16, tzinfo=UTC)
    assert got.date_source == "url"


def test_page_without_any_date_says_none() -> None:
    got = extract(page(), url="https://news.example/world/istanbul-talks")
    assert got.published_at is None
    assert (got.date_source, got.date_confidence) == ("none", "none")


def test_feed_author_is_kept_over_the_pages() -> None:
    html = (FIXTURES / "istanbul_talks_en.html").read_bytes()
    assert extract(html).author == "Mara Ellison"
    assert extract(html, feed_author="Harbour Post staff").author == "Harbour Post staff"


def test_feed_title_replaces_a_decorated_page_title() -> None:
    html = page("<title>Prisoner swap agreed in Istanbul | Harbour Post</title>")
    got = extract(html, feed_title="Prisoner swap agreed in Istanbul")
    assert got.title == "Prisoner swap agreed in Istanbul"


def test_date_found_on_page_agrees_with_url_day() -> None:
    head = '<meta property="article:published_time" content="2025-05-16T21:40:00+03:00">'
    tree = parse_html(page(head))
    assert tree is not None
    dated = find_published(tree, url="https://news.example/2025/05/16/talks", feed_published=None)
    assert dated.published_at is not None
    assert dated.published_at.date() == datetime(2025, 5, 16).date()
    assert dated.confidence == "high"


def test_url_day_reads_common_path_shapes() -> None:
    assert url_day("https://a.example/2025/05/16/x") == datetime(2025, 5, 16, tzinfo=UTC)
    assert url_day("https://a.example/news/2025-05-16-talks") == datetime(2025, 5, 16, tzinfo=UTC)
    assert url_day("https://a.example/a_20250516.html") == datetime(2025, 5, 16, tzinfo=UTC)
    assert url_day("https://a.example/2025/13/40/x") is None
    assert url_day("https://a.example/id/123456789") is None
    assert url_day(None) is None


def test_parse_html_refuses_empty_input() -> None:
    assert parse_html(b"") is None
    assert parse_html("   ") is None
