"""Backfill from archives, against a loopback archive, WARC files written here, and sitemaps."""

from __future__ import annotations

import gzip
import io
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipeline.backfill import Window, run_backfill
from pipeline.config import ConfigError, Settings
from pipeline.models import Feed
from pipeline.sources.base import SourceError
from pipeline.sources.wayback import parse_cdx
from pipeline.urls import article_id, canonical_url
from pipeline.warehouse import connect
from tests.archiveserver import ArchiveServer, serve

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
WINDOW = Window(date(2025, 5, 12), date(2025, 5, 14))
TOPICS = [
    "Delegations from Russia and Ukraine met in Istanbul for the first direct talks in three "
    "years, with Turkish mediators hosting the session at the Dolmabahce palace.",
    "Negotiators discussed a ceasefire along the front line and a large prisoner exchange, "
    "while officials in Kyiv warned that sanctions pressure on Moscow must continue.",
    "Diplomats said the meeting lasted less than two hours and ended without agreement on a "
    "truce, although both sides promised to keep channels open for further contacts.",
    "Analysts noted that the talks came after weeks of shelling in the east and a series of "
    "drone strikes on energy infrastructure that left thousands of homes without power.",
]


def article_html(title: str, n: int, *, published: str | None = None) -> bytes:
    paragraphs = "".join(
        f"<p>{TOPICS[(n + k) % len(TOPICS)]} Report {n} paragraph {k}.</p>" for k in range(5)
    )
    meta = f'<meta property="article:published_time" content="{published}">' if published else ""
    return (
        f"<!DOCTYPE html><html><head><title>{title}</title>{meta}</head><body>"
        f"<nav><a href='/'>Home</a> | <a href='/world'>World</a></nav>"
        f"<article><h1>{title}</h1>{paragraphs}</article>"
        f"<footer>Copyright Example Media</footer></body></html>"
    ).encode()


def rss(items: list[tuple[str, str, datetime | None]]) -> bytes:
    """An RSS 2.0 feed of (url, title, published) items; None leaves pubDate out."""
    out = []
    for url, title, published in items:
        date_tag = f"<pubDate>{format_datetime(published)}</pubDate>" if published else ""
        out.append(
            f"<item><title>{title}</title><link>{url}</link>{date_tag}"
            f"<description>Short summary of {title}.</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        "<title>Feed</title><link>https://example.org/</link><description>d</description>"
        + "".join(out)
        + "</channel></rss>"
    ).encode()


def aid(url: str) -> str:
    return article_id(canonical_url(url))


def rows(db: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with connect(db, read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def coverage(db: Path, source: str) -> dict[tuple[str, str], tuple[int, int, int, int]]:
    return {
        (str(day), outlet): (captures, found, stored, missing)
        for day, outlet, captures, found, stored, missing in rows(
            db,
            "SELECT day, outlet, captures, items_found, articles_stored, pages_missing"
            " FROM coverage_days WHERE source = ? ORDER BY 1, 2",
            [source],
        )
    }


# --- CDX parsing ------------------------------------------------------------------------------


def test_cdx_json_with_header_and_field_selection_is_read_by_name() -> None:
    body = (
        b'[["timestamp","original","statuscode","digest"],'
        b'["20250512080000","https://a.example/rss","200","AAA"],'
        b'["20250512090000","https://a.example/rss","200","AAA"],'
        b'["20250512100000","https://a.example/rss","404","BBB"],'
        b'["2025051208","https://a.example/rss","200","CCC"]]'
    )
    answer = parse_cdx(body)
    assert [(r.timestamp, r.digest) for r in answer.rows] == [
        ("20250512080000", "AAA"),  # the same digest again is collapsed; the 404 is dropped
        ("20250512080000", "CCC"),  # a short timestamp is padded
    ]
    assert answer.malformed == 0


def test_cdx_plain_lines_with_bad_timestamps_and_garbage_are_counted_and_skipped() -> None:
    body = (
        b"com,cnn)/ 20100215131836 http://www.cnn.com/ text/html 200 T6CD 24186\n"
        b"com,cnn)/ 20000012170449 http://www.cnn.com/ text/html 200 RT4W 6566\n"
        b"com,cnn)/ 20000800241623 http://www.cnn.com/ text/html 200 PAJW 6177\n"
        b'gov,epa)/"data:image/jpeg;base64,/9j/4aaq\n'
        b"com,cnn)/ 20100217150314 http://www.cnn.com:80/ text/html 200 3Y4O -\n"
    )
    answer = parse_cdx(body)
    assert [r.timestamp for r in answer.rows] == ["20100215131836", "20100217150314"]
    assert answer.malformed == 3
    assert parse_cdx(b"[]").rows == () and parse_cdx(b"").rows == ()


@pytest.mark.shared
def test_recorded_malformed_cdx_files_parse_without_error(shared_data: Path) -> None:
    folder = shared_data / "wayback" / "edgi-cassettes" / "src" / "wayback" / "tests" / "test_files"
    for name in ("malformed_cdx.txt", "bad_timestamp_cdx.txt", "zero_length_cdx.txt"):
        answer = parse_cdx((folder / name).read_bytes())
        assert all(r.captured_at.year >= 1996 for r in answer.rows), name
    assert parse_cdx((folder / "bad_timestamp_cdx.txt").read_bytes()).malformed >= 2


# --- Wayback ----------------------------------------------------------------------------------

NEWS = "https://news.example.org/rss.xml"
UNDATED = "https://undated.example.com/feed.xml"


def n_url(slug: str) -> str:
    return f"https://news.example.org/2025/05/{slug}"


@dataclass
class Wayback:
    archive: ArchiveServer
    settings: Settings
    feeds: list[Feed]
    expected: set[str]


def build_archive(archive: ArchiveServer) -> set[str]:
    """Captures for 12-14 May 2025; returns the article ids a backfill must store."""
    t = lambda d, h, m=0: datetime(2025, 5, d, h, m, tzinfo=UTC)  # noqa: E731
    a0 = (n_url("a0"), "Overnight shelling before the talks", t(11, 20))  # before the window
    a1 = (n_url("a1?utm_source=rss"), "Delegations arrive in Istanbul", t(12, 7))
    a2 = (n_url("a2"), "Talks end without a truce", t(12, 18))
    a3 = (n_url("a3"), "Prisoner exchange agreed", t(13, 20))
    a4 = (n_url("a4"), "Sanctions debate continues", t(13, 21, 30))
    morning = rss([a1, a0])
    archive.add_capture(NEWS, "20250512080000", morning)
    archive.add_capture(NEWS, "20250512140000", morning)  # same digest: collapsed
    archive.add_capture(NEWS, "20250512200000", rss([a2, a1]))
    archive.add_capture(  # an error page archived where the feed should be
        NEWS, "20250513090000", b"<html><body>503 Service Unavailable</body></html>",
        content_type="text/html",
    )  # fmt: skip
    archive.add_capture(NEWS, "20250513210000", rss([a4, a3, a2]))
    # 14 May: no capture at all.
    archive.add_capture(
        n_url("a1"), "20250512073000", article_html(a1[1], 1), content_type="text/html"
    )
    archive.add_capture(
        n_url("a2"), "20250512183000", article_html(a2[1], 2), content_type="text/html"
    )
    # a3: never archived. a4: the archive holds only an error page.
    archive.add_capture(
        n_url("a4"), "20250513213000", b"<html><body>Not found</body></html>",
        status=404, content_type="text/html",
    )  # fmt: skip
    b1 = ("https://undated.example.com/b1", "Undated story one", None)
    b2 = ("https://undated.example.com/b2", "Undated story two", None)
    archive.add_capture(UNDATED, "20250513120000", rss([b1, b2]))
    for n, (url, title, _) in enumerate([b1, b2], start=5):
        archive.add_capture(url, "20250513120500", article_html(title, n), content_type="text/html")
    return {aid(u) for u, _, _ in (a1, a2, a3, a4, b1, b2)}


@pytest.fixture
def wayback(settings: Settings) -> Iterator[Wayback]:
    archive = ArchiveServer()
    expected = build_archive(archive)
    feeds = [Feed(url=NEWS, outlet="Example News"), Feed(url=UNDATED, outlet="Undated Daily")]
    with serve(archive):
        yield Wayback(
            archive,
            replace(
                settings, wayback_url=archive.base, wayback_min_interval=0.0, wayback_retries=2
            ),
            feeds, expected,
        )  # fmt: skip


def test_wayback_backfill_stores_the_window_items_once_and_reports_coverage_per_day(
    wayback: Wayback, pool: Any
) -> None:
    archive, settings = wayback.archive, wayback.settings
    archive.fail_next(429, 1, "/cdx/")  # the archive asks us to slow down once
    report = run_backfill(
        settings, window=WINDOW, source="wayback", feeds=wayback.feeds, now=NOW, pool=pool
    )
    db = settings.db_path
    stored = {r[0]: r[1:] for r in rows(db, "SELECT article_id, text_source, page_error, "
                                            "published_at FROM articles")}  # fmt: skip
    assert set(stored) == wayback.expected
    assert report.articles_inserted == len(wayback.expected)
    # Pages the archive never held, or held only as an error page, keep the feed summary.
    for slug in ("a3", "a4"):
        text_source, page_error, _ = stored[aid(n_url(slug))]
        assert text_source == "feed_summary" and page_error
    assert stored[aid(n_url("a1"))][0] == "page"
    # Undated items are dated by their capture.
    assert stored[aid("https://undated.example.com/b1")][2] is not None
    assert report.skipped["capture_not_a_feed"] == 1
    assert report.skipped["outside_window"] >= 1
    assert coverage(db, "wayback") == {
        ("2025-05-12", "Example News"): (2, 2, 2, 0),
        ("2025-05-12", "Undated Daily"): (0, 0, 0, 0),
        ("2025-05-13", "Example News"): (2, 2, 2, 2),
        ("2025-05-13", "Undated Daily"): (1, 2, 2, 0),
        ("2025-05-14", "Example News"): (0, 0, 0, 0),
        ("2025-05-14", "Undated Daily"): (0, 0, 0, 0),
    }
    assert rows(db, "SELECT DISTINCT source FROM runs") == [("wayback",)]
    assert 429 in [s for _, p, s in archive.requests if p.startswith("/cdx/")]

    # A rerun finds every (feed, day) checkpointed: no archive request, no new row.
    before = len(archive.requests)
    snapshot = rows(db, "SELECT * FROM articles ORDER BY article_id")
    again = run_backfill(
        settings, window=WINDOW, source="wayback", feeds=wayback.feeds, now=NOW, pool=pool
    )
    assert len(archive.requests) == before and again.units_resumed == 6
    assert rows(db, "SELECT * FROM articles ORDER BY article_id") == snapshot
    # Even a forced rerun that reads everything again adds nothing and counts the same.
    redo = run_backfill(
        settings, window=WINDOW, source="wayback", feeds=wayback.feeds, now=NOW, pool=pool,
        redo=True,
    )  # fmt: skip
    assert redo.articles_inserted == 0 and len(archive.requests) > before
    assert rows(db, "SELECT count(*) FROM articles")[0][0] == len(wayback.expected)
    assert coverage(db, "wayback")[("2025-05-13", "Example News")] == (2, 2, 2, 2)


def test_wayback_backfill_that_failed_midway_resumes_with_only_the_missing_day(
    wayback: Wayback, pool: Any
) -> None:
    archive, settings = wayback.archive, wayback.settings
    day13 = "/cdx/search/cdx?url=https%3A%2F%2Fnews.example.org%2Frss.xml&from=20250513"
    archive.fail_next(503, 3, day13)  # down for one (feed, day) until the retries run out
    first = run_backfill(
        settings, window=WINDOW, source="wayback", feeds=wayback.feeds, now=NOW, pool=pool
    )
    assert first.units_failed == 1 and first.skipped["cdx_failed"] == 1
    missing = {aid(n_url("a3")), aid(n_url("a4"))}
    stored = {r[0] for r in rows(settings.db_path, "SELECT article_id FROM articles")}
    assert stored == wayback.expected - missing
    assert rows(
        settings.db_path,
        "SELECT errors FROM coverage_days WHERE day = '2025-05-13' AND outlet = 'Example News'",
    ) == [(1,)]

    before = len(archive.requests)
    second = run_backfill(
        settings, window=WINDOW, source="wayback", feeds=wayback.feeds, now=NOW, pool=pool
    )
    cdx_again = [p for _, p, _ in archive.requests[before:] if p.startswith("/cdx/")]
    assert len(cdx_again) == 1 and cdx_again[0].startswith(day13)
    assert second.units_resumed == 5
    stored = {r[0] for r in rows(settings.db_path, "SELECT article_id FROM articles")}
    assert stored == wayback.expected
    assert coverage(settings.db_path, "wayback")[("2025-05-13", "Example News")] == (2, 2, 2, 2)


def test_wayback_requests_are_spaced_by_the_archive_interval(wayback: Wayback, pool: Any) -> None:
    settings = replace(wayback.settings, wayback_min_interval=0.25)
    run_backfill(
        settings, window=Window(date(2025, 5, 13), date(2025, 5, 14)), source="wayback",
        feeds=[wayback.feeds[1]], now=NOW, pool=pool,
    )  # fmt: skip
    starts = [t for t, _, _ in wayback.archive.requests]
    assert len(starts) >= 5  # two CDX queries, one feed capture, two pages
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= 0.2


def test_a_story_seen_live_and_again_in_the_archive_is_one_row(
    settings: Settings, pool: Any
) -> None:
    from pipeline.run import run_once

    site, archive = ArchiveServer(), ArchiveServer()
    with serve(site), serve(archive):
        live_url, archived_url = f"{site.base}/news/live-1", f"{site.base}/news/old-2"
        published = datetime(2025, 5, 13, 9, tzinfo=UTC)
        site.site["/feed.xml"] = (200, "application/rss+xml",
                                  rss([(live_url, "Talks in Istanbul", published)]))  # fmt: skip
        site.site["/news/live-1"] = (200, "text/html", article_html("Talks in Istanbul", 1))
        feed = Feed(url=f"{site.base}/feed.xml", outlet="Loopback Times")
        report, _ = run_once(settings, feeds=[feed], now=NOW)
        assert report.articles_inserted == 1
        archive.add_capture(
            feed.url, "20250513100000",
            rss([(live_url + "?utm_medium=feed", "Talks in Istanbul", published),
                 (archived_url, "Earlier story", published)]),
        )  # fmt: skip
        archive.add_capture(archived_url, "20250513090000", article_html("Earlier story", 2),
                            content_type="text/html")  # fmt: skip
        run_backfill(
            replace(settings, wayback_url=archive.base, wayback_min_interval=0.0),
            window=Window(date(2025, 5, 13), date(2025, 5, 13)), source="wayback",
            feeds=[feed], now=NOW, pool=pool,
        )  # fmt: skip
    articles = dict(rows(settings.db_path, "SELECT article_id, run_id FROM articles"))
    assert set(articles) == {aid(live_url), aid(archived_url)}
    assert not articles[aid(live_url)].startswith("backfill-")  # the live row was kept as is
    assert coverage(settings.db_path, "wayback") == {("2025-05-13", "Loopback Times"): (1, 2, 2, 0)}


# --- WARC -------------------------------------------------------------------------------------


def warc_record(
    writer: WARCWriter, url: str, when: str, body: bytes, *, status: str = "200 OK",
    ctype: str = "text/html; charset=utf-8",
) -> None:  # fmt: skip
    headers = StatusAndHeaders(status, [("Content-Type", ctype)], protocol="HTTP/1.1")
    record = writer.create_warc_record(
        url, "response", payload=io.BytesIO(body), http_headers=headers,
        warc_headers_dict={"WARC-Date": when},
    )  # fmt: skip
    writer.write_record(record)


def write_warc(path: Path, *, gz: bool) -> set[str]:
    """A CC-NEWS-like file; returns the ids a backfill of alpha.example for 12-14 May stores."""
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=gz)
    writer.write_record(writer.create_warcinfo_record(path.name, {"software": "test"}))
    a = "https://www.alpha.example/2025/05/12/a"
    warc_record(writer, a, "2025-05-12T10:00:00Z", article_html("Alpha A", 1))
    warc_record(writer, "https://alpha.example/2025/05/13/b", "2025-05-13T11:00:00Z",
                article_html("Alpha B", 2))  # fmt: skip
    warc_record(writer, "https://beta.example/x", "2025-05-12T12:00:00Z", article_html("Beta", 3))
    warc_record(writer, "https://alpha.example/old", "2025-05-01T08:00:00Z",
                article_html("Old", 4))  # fmt: skip
    late = "https://alpha.example/late"  # crawled in June, published in the window
    warc_record(writer, late, "2025-06-01T08:00:00Z",
                article_html("Late", 5, published="2025-05-13T08:00:00+00:00"))  # fmt: skip
    warc_record(writer, "https://alpha.example/feed.xml", "2025-05-12T09:00:00Z",
                rss([(a, "Alpha A", None)]), ctype="application/rss+xml")  # fmt: skip
    warc_record(writer, "https://alpha.example/gone", "2025-05-12T09:00:00Z",
                b"<html><body>Not found</body></html>", status="404 Not Found")  # fmt: skip
    warc_record(writer, a + "?utm_source=x", "2025-05-12T13:00:00Z", article_html("Alpha A", 1))
    cut_at = len(buffer.getvalue())
    warc_record(writer, "https://alpha.example/2025/05/14/cut", "2025-05-14T10:00:00Z",
                article_html("Cut short", 6))  # fmt: skip
    data = buffer.getvalue()
    path.write_bytes(data[: cut_at + (len(data) - cut_at) * 2 // 3])  # a truncated last record
    return {aid(a), aid("https://alpha.example/2025/05/13/b"), aid(late)}


@pytest.mark.parametrize("gz", [True, False], ids=["gzip", "plain"])
def test_warc_backfill_keeps_the_outlets_pages_in_the_window_and_skips_a_truncated_record(
    settings: Settings, pool: Any, tmp_path: Path, gz: bool
) -> None:
    path = tmp_path / ("cc-news.warc.gz" if gz else "cc-news.warc")
    expected = write_warc(path, gz=gz)
    feeds = [Feed(url="https://feeds.alpha.example/rss", outlet="Alpha")]
    report = run_backfill(
        settings, window=WINDOW, source="warc", warc=[path], feeds=feeds, now=NOW, pool=pool
    )
    db = settings.db_path
    assert {r[0] for r in rows(db, "SELECT article_id FROM articles")} == expected
    assert report.skipped["warc_truncated_record"] == 1
    assert report.skipped["warc_other_outlet"] == 1
    assert report.skipped["warc_not_html_200"] >= 2
    assert rows(db, "SELECT outlet, count(*) FROM articles GROUP BY 1") == [("Alpha", 3)]
    assert coverage(db, "warc") == {
        ("2025-05-12", "Alpha"): (2, 1, 1, 0),  # two captures of one story
        ("2025-05-13", "Alpha"): (2, 2, 2, 0),
    }
    again = run_backfill(
        settings, window=WINDOW, source="warc", warc=[path], feeds=feeds, now=NOW, pool=pool
    )
    assert again.units_resumed == 1 and again.articles_staged == 0
    redo = run_backfill(
        settings, window=WINDOW, source="warc", warc=[path], feeds=feeds, now=NOW, pool=pool,
        redo=True,
    )  # fmt: skip
    assert redo.articles_inserted == 0
    assert rows(db, "SELECT count(*) FROM articles")[0][0] == len(expected)
    # --domains picks outlets without a feed list.
    beta = run_backfill(
        settings, window=WINDOW, source="warc", warc=[path], domains=["beta.example"], now=NOW,
        pool=pool, redo=True,
    )  # fmt: skip
    assert beta.articles_inserted == 1


def test_warc_reading_keeps_memory_flat_as_the_file_grows(tmp_path: Path) -> None:
    import tracemalloc

    from pipeline.sources.warc import iter_records

    def peak(records: int) -> int:
        path = tmp_path / f"big-{records}.warc.gz"
        with path.open("wb") as fh:
            writer = WARCWriter(fh, gzip=True)
            for n in range(records):
                warc_record(writer, f"https://alpha.example/{n}", "2025-05-12T10:00:00Z",
                            article_html(f"Story {n}", n))  # fmt: skip
        tracemalloc.start()
        count = sum(1 for _ in iter_records(path, max_body=1 << 20))
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert count == records
        return top

    small, large = peak(200), peak(2000)
    assert large < small * 1.5 + 200_000


def test_newsdesks_own_raw_captures_backfill_the_same_articles(
    settings: Settings, pool: Any, tmp_path: Path
) -> None:
    from pipeline.run import run_once

    site = ArchiveServer()
    with serve(site):
        published = datetime(2025, 5, 12, 9, tzinfo=UTC)
        items = [(f"{site.base}/news/{n}", f"Story {n}", published) for n in range(3)]
        site.site["/feed.xml"] = (200, "application/rss+xml", rss(items))
        for n, (_url, title, _) in enumerate(items):
            site.site[f"/news/{n}"] = (200, "text/html", article_html(title, n))
        run_once(settings, feeds=[Feed(url=f"{site.base}/feed.xml", outlet="Own")], now=NOW)
    live = {r[0] for r in rows(settings.db_path, "SELECT article_id FROM articles")}
    fresh = replace(settings, db_path=tmp_path / "fresh.duckdb", data_dir=tmp_path / "fresh")
    today = datetime.now(UTC).date()  # the raw captures carry the real time they were fetched
    run_backfill(
        fresh, window=Window(today, today), source="warc",
        warc=[settings.raw_dir], now=NOW, pool=pool,
    )  # fmt: skip
    assert {r[0] for r in rows(fresh.db_path, "SELECT article_id FROM articles")} == live
    assert len(live) == 3


# --- sitemaps ---------------------------------------------------------------------------------


def test_sitemap_backfill_follows_robots_indexes_and_news_sitemaps_to_the_window(
    settings: Settings, pool: Any
) -> None:
    site = ArchiveServer()
    with serve(site):
        base = site.base
        robots = f"User-agent: *\nAllow: /\nSitemap: {base}/index.xml\n"
        site.site["/robots.txt"] = (200, "text/plain", robots.encode())
        site.site["/index.xml"] = (200, "application/xml", (
            '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<sitemap><loc>{base}/news.xml</loc><lastmod>2025-05-14</lastmod></sitemap>"
            f"<sitemap><loc>{base}/pages.xml.gz</loc></sitemap>"
            f"<sitemap><loc>{base}/old.xml</loc><lastmod>2024-01-01</lastmod></sitemap>"
            "</sitemapindex>").encode())  # fmt: skip
        site.site["/news.xml"] = (200, "application/xml", (
            '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
            f"<url><loc>{base}/n1</loc><news:news><news:publication><news:name>S</news:name>"
            "<news:language>en</news:language></news:publication>"
            "<news:publication_date>2025-05-12T08:00:00+00:00</news:publication_date>"
            "<news:title>Talks open in Istanbul</news:title></news:news></url>"
            f"<url><loc>{base}/n2</loc><news:news><news:publication_date>2025-05-13T10:00:00Z"
            "</news:publication_date><news:title>Ceasefire stalls</news:title></news:news></url>"
            f"<url><loc>{base}/n3</loc><news:news><news:publication_date>2025-05-20"
            "</news:publication_date></news:news></url>"
            f"<url><loc>{base}/n4</loc></url>"
            "</urlset>").encode())  # fmt: skip
        site.site["/pages.xml.gz"] = (200, "application/octet-stream", gzip.compress((
            '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<url><loc>{base}/p1</loc><lastmod>2025-05-13</lastmod></url>"
            f"<url><loc>{base}/p2</loc><lastmod>2025-04-01</lastmod></url>"
            "</urlset>").encode()))  # fmt: skip
        site.site["/n1"] = (200, "text/html", article_html("Talks open in Istanbul", 1))
        site.site["/p1"] = (200, "text/html", article_html("Background page", 2))
        # n2's page is gone: it has no summary to fall back on, so it counts as missing.
        feeds = [Feed(url=f"{base}/feed.xml", outlet="Site")]
        report = run_backfill(
            settings, window=WINDOW, source="sitemap", feeds=feeds, now=NOW, pool=pool
        )
        assert not site.paths("/old.xml")  # its lastmod predates the window
    db = settings.db_path
    assert {r[0] for r in rows(db, "SELECT article_id FROM articles")} == {
        aid(f"{base}/n1"),
        aid(f"{base}/p1"),
    }
    assert report.skipped["sitemap_entry_undated"] == 1
    assert coverage(db, "sitemap") == {
        ("2025-05-12", "Site"): (1, 1, 1, 0),
        ("2025-05-13", "Site"): (2, 2, 1, 1),
        ("2025-05-14", "Site"): (0, 0, 0, 0),
    }
    assert rows(db, "SELECT title FROM articles WHERE article_id = ?", [aid(f"{base}/n1")]) == [
        ("Talks open in Istanbul",)
    ]


# --- CLI, settings, scheduled task ------------------------------------------------------------


def test_cli_rejects_bad_dates_and_missing_warc_files_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from pipeline.cli import app

    monkeypatch.setenv("NEWSDESK_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()
    cases = [
        (["--from", "2025-13-01", "--to", "2025-05-20"], "--from '2025-13-01'"),
        (["--from", "2025-05-20", "--to", "2025-05-12"], "is before --from"),
        (
            [
                "--from",
                "2025-05-12",
                "--to",
                "2025-05-20",
                "--source",
                "warc",
                "--warc",
                str(tmp_path / "none.warc.gz"),
            ],
            "no such file",
        ),
        (["--from", "2025-05-12", "--to", "2025-05-20", "--source", "warc"], "needs --warc"),
    ]
    for args, message in cases:
        result = runner.invoke(app, ["backfill", *args])
        assert result.exit_code == 2, result.output
        assert message in result.output and len(result.output.strip().splitlines()) == 1


def test_cli_backfills_a_warc_file_and_prints_coverage_per_day(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from pipeline.cli import app

    path = tmp_path / "news.warc.gz"
    expected = write_warc(path, gz=True)
    monkeypatch.setenv("NEWSDESK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("NEWSDESK_WORKERS", "1")
    args = ["backfill", "--from", "2025-05-12", "--to", "2025-05-14", "--source", "warc",
            "--warc", str(tmp_path / "*.warc.gz"), "--domains", "alpha.example"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "2025-05-13 alpha.example: found 2, stored 2, pages missing 0" in result.output
    db = tmp_path / "data" / "newsdesk.duckdb"
    assert {r[0] for r in rows(db, "SELECT article_id FROM articles")} == expected


def test_archive_settings_are_validated() -> None:
    assert Settings.from_env(env={}).wayback_url == "https://web.archive.org"
    assert Settings.from_env(env={}).wayback_min_interval == 1.0
    env = {"NEWSDESK_BACKFILL_SOURCES": "wayback, sitemap"}
    assert Settings.from_env(env=env).backfill_sources == ("wayback", "sitemap")
    for name, value, message in [
        ("NEWSDESK_WAYBACK_URL", "ftp://archive", "http(s) base URL"),
        ("NEWSDESK_WAYBACK_MIN_INTERVAL", "-1", "at least 0"),
        ("NEWSDESK_BACKFILL_SOURCES", "wayback,archive.today", "unknown source"),
        ("NEWSDESK_BACKFILL_SOURCES", "warc", "warc needs files"),
    ]:
        with pytest.raises(ConfigError, match=name) as info:
            Settings.from_env(env={name: value})
        assert message in str(info.value)
    with pytest.raises(SourceError, match="before"):
        Window(date(2025, 5, 20), date(2025, 5, 12))


def test_daily_archive_task_stages_the_past_day_for_the_loader(wayback: Wayback) -> None:
    from pipeline.tasks import daily_archive, load

    settings = replace(wayback.settings, backfill_sources=("wayback",), workers=1)
    from pipeline.feeds import write_csv

    feeds_file = settings.data_dir / "feeds.csv"
    feeds_file.parent.mkdir(parents=True, exist_ok=True)
    write_csv(feeds_file, wayback.feeds)
    settings = replace(settings, feeds_path=feeds_file)
    start, end = datetime(2025, 5, 13, tzinfo=UTC), datetime(2025, 5, 14, tzinfo=UTC)
    out = daily_archive(settings, start=start, end=end, now=NOW)
    assert out["status"] == "backfilled" and out["wayback"]["units_done"] == 1
    assert not settings.db_path.exists()  # staged only: the load task merges
    loaded = load(settings)
    assert loaded["inserted"] == out["articles_staged"] > 0
    assert set(coverage(settings.db_path, "wayback")) == {
        ("2025-05-13", "Example News"), ("2025-05-13", "Undated Daily"),
    }  # fmt: skip
    # Not configured: recorded, nothing fetched.
    quiet = daily_archive(replace(settings, backfill_sources=()), start=start, end=end, now=NOW)
    assert quiet["status"] == "no_archive_sources"


# --- real archived feeds (../shared), through the shared Wayback stand-in ---------------------


@pytest.mark.shared
def test_a_week_of_real_archived_feed_captures_is_stored_once_per_item(
    shared_data: Path, settings: Settings, pool: Any
) -> None:
    import importlib.util

    import feedparser

    spec = importlib.util.spec_from_file_location(
        "shared_wayback", shared_data.parent / "tools" / "wayback.py"
    )
    assert spec is not None and spec.loader is not None
    wb = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(wb)
    archive = wb.Archive()
    feeds = []
    for outlet in ("nytimes", "smh", "rnz"):
        url = f"https://feeds.{outlet}.example/rss.xml"
        archive.add(url, shared_data / "feeds" / "real" / "headlines-2020" / outlet)
        feeds.append(Feed(url=url, outlet=outlet))
    window = Window(date(2020, 8, 10), date(2020, 8, 16))
    # What the captures in the window hold, read with feedparser alone.
    expected: dict[str, str] = {}
    for feed in feeds:
        for stamp, path in archive.captures[wb.key(feed.url)]:
            captured = datetime.strptime(stamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
            if not window.contains(captured):
                continue
            for entry in feedparser.parse(path.read_bytes()).entries:
                parsed = entry.get("published_parsed") or entry.get("updated_parsed")
                when = datetime(*parsed[:6], tzinfo=UTC) if parsed else captured
                if window.contains(when) and entry.get("link"):
                    expected.setdefault(aid(entry["link"]), str(when.date()))
    server, base = wb.start(archive)
    try:
        run_backfill(
            replace(settings, wayback_url=base, wayback_min_interval=0.0),
            window=window, source="wayback", feeds=feeds, now=NOW, pool=pool,
        )  # fmt: skip
    finally:
        server.shutdown()
    stored = {r[0] for r in rows(settings.db_path, "SELECT article_id FROM articles")}
    assert stored == set(expected) and len(stored) > 20
    per_day = dict(rows(settings.db_path, "SELECT day::VARCHAR, sum(items_found) FROM "
                                          "coverage_days GROUP BY 1"))  # fmt: skip
    for day in {d for d in expected.values()}:
        assert per_day[day] == sum(1 for d in expected.values() if d == day)
