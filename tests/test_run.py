"""Whole passes against real loopback servers into real DuckDB files."""

from __future__ import annotations

import gzip
import json
from concurrent.futures import Executor
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from pipeline.config import Settings
from pipeline.demo import DEMO_DIR, serve_corpus
from pipeline.models import Feed, RunReport
from pipeline.run import merge_and_update, new_run_id, run_once, stage_pass
from pipeline.warehouse import connect

NOW = datetime(2025, 5, 20, 12, tzinfo=UTC)
EXPECTED = json.loads((DEMO_DIR / "expected.json").read_text())


def rows(db: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with connect(db, read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def one(db: Path, sql: str) -> Any:
    return rows(db, sql)[0][0]


def run(settings: Settings, feeds: list[Feed], pool: Executor) -> Any:
    import asyncio

    run_id = new_run_id(NOW)
    report = asyncio.run(stage_pass(settings, feeds=feeds, run_id=run_id, now=NOW, pool=pool))
    merge_and_update(settings.db_path, settings.staging_dir)
    return report


def test_demo_pass_stores_each_distinct_article_once_and_obeys_robots(
    settings: Settings, pool: Executor
) -> None:
    with serve_corpus() as corpus:
        report = run(settings, corpus.feeds, pool)
        db = settings.db_path
        assert one(db, "SELECT count(*) FROM articles") == EXPECTED["articles_stored"]
        assert (
            one(db, "SELECT count(DISTINCT canonical_url) FROM articles")
            == EXPECTED["articles_stored"]
        )
        fallback = one(db, "SELECT count(*) FROM articles WHERE text_source = 'feed_summary'")
        assert fallback == EXPECTED["feed_summary_fallbacks"]
        assert report.feeds_total == EXPECTED["feeds_total"]
        assert (
            one(db, "SELECT count(*) FROM feed_fetches WHERE error IS NOT NULL")
            == EXPECTED["feeds_error"]
        )
        for url in EXPECTED["robots_blocked_urls"]:
            path = "/" + url.split("}}", 1)[-1].lstrip("/") if "}}" in url else url
            assert not any(p == path for _, p, _ in corpus.requests), (
                f"robots-disallowed {path} fetched"
            )
        # Boilerplate never reaches the warehouse.
        leaks = one(
            db,
            "SELECT count(*) FROM articles WHERE text ILIKE '%What''s Your Reaction%'"
            " OR text ILIKE '%Subscribe to our newsletter%'",
        )
        assert leaks == 0
        before = rows(db, "SELECT article_id, content_hash FROM articles ORDER BY 1")
        requests_before = len(corpus.requests)

        # Second pass against unchanged feeds: conditional requests, 304s, nothing new.
        again = run(settings, corpus.feeds, pool)
        assert again.feeds_not_modified >= EXPECTED["feeds_ok"] - 1
        assert again.items_new == 0
        assert rows(db, "SELECT article_id, content_hash FROM articles ORDER BY 1") == before
        statuses = [s for _, p, s in corpus.requests[requests_before:] if p != "/robots.txt"]
        assert statuses.count(304) >= EXPECTED["feeds_ok"] - 1
        assert one(db, "SELECT count(*) FROM runs") == 2


def test_demo_pass_tags_conflict_and_non_conflict_stories(
    settings: Settings, pool: Executor
) -> None:
    with serve_corpus() as corpus:
        run(settings, corpus.feeds, pool)
    db = settings.db_path
    conflict = {
        r[0].rsplit("/", 1)[-1]: r[1]
        for r in rows(db, "SELECT url, is_conflict FROM articles WHERE text_source = 'page'")
    }
    wanted = {Path(f).name for f in EXPECTED["conflict_article_files"]}
    unwanted = {Path(f).name for f in EXPECTED["non_conflict_article_files"]}
    tp = sum(1 for name, flag in conflict.items() if name in wanted and flag)
    fp = sum(1 for name, flag in conflict.items() if name in unwanted and flag)
    assert tp >= 0.9 * len(wanted & conflict.keys())
    assert fp <= 0.1 * max(1, len(unwanted & conflict.keys()))
    assert one(db, "SELECT count(*) FROM article_tags") > 0
    assert one(db, "SELECT count(DISTINCT tagger_version) FROM articles") == 1


def write_feed(path: Path, items: list[tuple[str, str]]) -> None:
    body = "".join(
        f"<item><title>{t}</title><link>{link}</link><description>Summary of {t}.</description>"
        "<pubDate>Fri, 16 May 2025 09:30:00 GMT</pubDate></item>"
        for link, t in items
    )
    path.write_text(
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>S</title>'
        f"{body}</channel></rss>"
    )


ARTICLE = """<html><head><title>{title} | Small Site</title></head><body>
<nav>Home World Sport</nav><article><h1>{title}</h1>
<p>{title}. Negotiators from both delegations met on Friday for the first direct talks in years,
officials said, and agreed to continue the discussions next week in the same format.</p>
<p>The meeting lasted nearly two hours. Diplomats described the atmosphere as businesslike
and said both sides had presented written proposals covering a ceasefire and an exchange of
prisoners, although major differences remained on territory and on security guarantees.</p>
<p>Observers cautioned that previous rounds had produced little, but noted that the agreement
to meet again was itself a modest sign of progress after months of stalemate.</p>
</article><div class="share">Share this article</div>
<footer>(c) Small Site</footer></body></html>"""


def small_corpus(root: Path, n: int) -> None:
    site = root / "site"
    (site / "a").mkdir(parents=True)
    (root / "feeds.csv").write_text(
        "outlet,slug,path,country,language\nSmall Site,site,/rss.xml,gb,en\n"
    )
    (site / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    for i in range(n):
        (site / "a" / f"{i}.html").write_text(ARTICLE.format(title=f"Story number {i}"))
    write_feed(
        site / "rss.xml", [(f"{{{{base}}}}/a/{i}.html", f"Story number {i}") for i in range(n)]
    )


def test_a_later_version_of_a_feed_adds_exactly_the_new_items(
    tmp_path: Path, settings: Settings, pool: Executor
) -> None:
    root = tmp_path / "corpus"
    small_corpus(root, 5)
    with serve_corpus(root) as corpus:
        run(settings, corpus.feeds, pool)
        assert one(settings.db_path, "SELECT count(*) FROM articles") == 5
        for i in (5, 6):
            (root / "site" / "a" / f"{i}.html").write_text(
                ARTICLE.format(title=f"Story number {i}")
            )
        write_feed(
            root / "site" / "rss.xml",
            [(f"{{{{base}}}}/a/{i}.html?utm_source=rss", f"Story number {i}") for i in range(7)],
        )
        requests_before = len(corpus.requests)
        report = run(settings, corpus.feeds, pool)
        assert report.items_new == 2
        assert one(settings.db_path, "SELECT count(*) FROM articles") == 7
        pages = sorted(p for _, p, _ in corpus.requests[requests_before:] if p.startswith("/a/"))
        assert pages == ["/a/5.html", "/a/6.html"]  # stored items are not fetched again


def test_run_once_writes_raw_captures_and_reprocess_reextracts_without_network(
    tmp_path: Path, settings: Settings, pool: Executor
) -> None:
    from pipeline.archive import read_captures, warc_files
    from pipeline.run import run_source
    from pipeline.sources.captures import CapturesSource

    root = tmp_path / "corpus"
    small_corpus(root, 3)
    with serve_corpus(root) as corpus:
        report, loaded = run_once(settings, feeds=corpus.feeds, now=NOW)
    assert report.articles_inserted == 3 and loaded[0].inserted == 3
    files = warc_files([settings.raw_dir])
    kinds = sorted(c.kind for f in files for c in read_captures(f))
    assert kinds.count("page") == 3 and kinds.count("feed") == 1
    with connect(settings.db_path) as con:
        con.execute("UPDATE articles SET text = 'damaged', word_count = 1")
    # The servers are gone: reprocess must work from the WARC files alone.
    again = run_source(settings, CapturesSource(now=NOW), now=NOW, pool=pool).report
    assert again.articles_staged == 3 and again.articles_updated == 3
    assert one(settings.db_path, "SELECT count(*) FROM articles WHERE text = 'damaged'") == 0
    assert one(settings.db_path, "SELECT count(*) FROM articles") == 3


# --- hostile outlet: every bad input becomes a recorded outcome ------------------------------

GOOD = ARTICLE.format(title="A perfectly good story")


def rss(items: str, decl: str = '<?xml version="1.0" encoding="utf-8"?>') -> str:
    return f'{decl}<rss version="2.0"><channel><title>H</title>{items}</channel></rss>'


def item(link: str, title: str = "T", extra: str = "") -> str:
    return (
        f"<item><title>{title}</title><link>{link}</link>"
        f"<description>Summary {title}.</description>{extra}</item>"
    )


@pytest.fixture
def hostile(httpserver: HTTPServer) -> HTTPServer:
    srv = httpserver
    srv.no_handler_status_code = 404
    srv.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /private/\n")
    page = lambda body, ctype="text/html; charset=utf-8": (body, ctype)  # noqa: E731
    pages = {
        "/p/good.html": page(GOOD),
        "/p/cp1251.html": page(
            ARTICLE.format(title="Переговори в Стамбулі тривали дві години").encode("cp1251"),
            "text/html; charset=windows-1251",
        ),
        "/p/nocharset.html": page(
            GOOD.replace("perfectly good", "charsetless").encode("utf-8"), "text/html"
        ),
        "/p/bomb.html": page(gzip.compress(b"<p>" + b"a" * (40 * 1024 * 1024))),
        "/private/secret.html": page(GOOD),
    }
    for path, (body, ctype) in pages.items():
        if path == "/p/bomb.html":
            srv.expect_request(path).respond_with_response(
                Response(body, headers={"Content-Encoding": "gzip", "Content-Type": ctype})
            )
        else:
            srv.expect_request(path).respond_with_data(body, content_type=ctype)
    srv.expect_request("/p/gone.html").respond_with_data("gone", status=410)
    srv.expect_request("/p/missing.html").respond_with_data("nope", status=404)
    srv.expect_request("/p/error.html").respond_with_data("boom", status=500)
    throttled = {"n": 0}

    def throttle(request: Request) -> Response:
        throttled["n"] += 1
        if throttled["n"] == 1:
            return Response("slow down", status=429, headers={"Retry-After": "0"})
        return Response(ARTICLE.format(title="Throttled then served"), content_type="text/html")

    srv.expect_request("/p/throttled.html").respond_with_handler(throttle)
    b = srv.url_for("")
    feeds = {
        "/ok.xml": rss(
            item(f"{b}p/good.html", "Good")
            + item(f"{b}p/good.html?utm_source=x", "Good again (dup link)")
            + item("/p/cp1251.html", "Relative cp1251")
            + item(f"{b}p/nocharset.html", "No charset", "<guid>dup-guid</guid>")
            + item(f"{b}p/throttled.html", "Throttled", "<guid>dup-guid</guid>")
            + item(f"{b}p/gone.html", "Gone")
            + item(f"{b}p/missing.html", "Missing")
            + item(f"{b}p/error.html", "Server error")
            + item(f"{b}p/bomb.html", "Bomb")
            + item(f"{b}private/secret.html", "Robots says no")
        ),
        "/entities.xml": rss(item(f"{b}p/good.html", "Undefined&nbsp;entity&mdash;here")),
        "/utf16.xml": rss(
            item(f"{b}p/u16.html", "Ukraine: Київ"), '<?xml version="1.0" encoding="utf-16"?>'
        ),
        "/truncated.xml": rss(item(f"{b}p/t1.html", "T1") + item(f"{b}p/t2.html", "T2"))[:-40],
        "/html.xml": "<!DOCTYPE html><html><body>403 Request blocked</body></html>",
    }
    for path, text in feeds.items():
        data = text.encode("utf-16") if "utf16" in path else text.encode("utf-8")
        if path == "/utf16.xml":
            data = b"\xff\xfe" + text.encode("utf-16-le")
        srv.expect_request(path).respond_with_data(data, content_type="application/xml")
    srv.expect_request("/dead.xml").respond_with_data("down", status=503)
    return srv


def test_hostile_outlet_every_fault_is_recorded_and_nothing_crashes(
    hostile: HTTPServer, settings: Settings, pool: Executor
) -> None:
    settings = replace(settings, http=replace(settings.http, max_body_bytes=2 * 1024 * 1024))
    names = ["ok", "entities", "utf16", "truncated", "html", "dead"]
    feeds = [Feed(url=hostile.url_for(f"/{n}.xml"), outlet="Hostile") for n in names]
    report = run(settings, feeds, pool)
    db = settings.db_path
    fetches = dict(rows(db, "SELECT feed_url, coalesce(error, outcome) FROM feed_fetches"))
    by_name = {n: fetches[hostile.url_for(f"/{n}.xml")] for n in names}
    assert by_name["ok"] == "ok"
    assert by_name["html"] == "HTML page served instead of a feed"
    assert by_name["dead"].startswith("http 503") or "503" in by_name["dead"]
    assert by_name["truncated"].startswith("malformed feed")
    assert by_name["entities"].startswith("malformed feed")

    articles = {r[0].split("/")[-1].split("?")[0]: r[1:] for r in rows(
        db, "SELECT url, text_source, page_error, page_retry, title FROM articles"
    )}  # fmt: skip
    assert articles["good.html"][0] == "page"
    assert articles["throttled.html"][0] == "page"  # 429 with Retry-After, then served
    assert articles["nocharset.html"][0] == "page"
    assert articles["cp1251.html"][0] == "page"
    assert "Стамбулі" in (articles["cp1251.html"][3] or "")
    for name, retry in [("gone.html", False), ("missing.html", False), ("error.html", True)]:
        source, error, page_retry, _ = articles[name]
        assert (source, page_retry) == ("feed_summary", retry), name
        assert error and error.startswith("http"), name
    assert articles["bomb.html"][0] == "feed_summary"
    assert "exceeds" in (articles["bomb.html"][1] or "")
    assert "robots" in (articles["secret.html"][1] or "")
    assert not any(r.path == "/private/secret.html" for r, _ in hostile.log)
    # duplicate link and duplicate GUID: still one row per distinct URL
    assert one(db, "SELECT count(*) FROM articles") == one(
        db, "SELECT count(DISTINCT canonical_url) FROM articles"
    )
    no_text = sum(n for reason, n in report.skipped.items() if reason.startswith("no_text"))
    assert no_text == 1  # the truncated feed's last item lost its summary and its page is 404
    assert report.items_new == len(articles) + no_text

    # A rerun adds nothing and loses nothing; the transient failure is retried.
    before = one(db, "SELECT count(*) FROM articles")
    run(settings, feeds, pool)
    assert one(db, "SELECT count(*) FROM articles") == before
    assert sum(1 for r, _ in hostile.log if r.path == "/p/error.html") == 2 * (
        settings.http.retries + 1
    )
    assert sum(1 for r, _ in hostile.log if r.path == "/p/missing.html") == 1


def test_retag_touches_only_outdated_articles_and_keeps_tags_a_set(
    tmp_path: Path, settings: Settings, pool: Executor
) -> None:
    from pipeline.run import run_source
    from pipeline.sources.stored import StoredSource

    def retag() -> RunReport:
        return run_source(settings, StoredSource(now=NOW), now=NOW, pool=pool).report

    root = tmp_path / "corpus"
    small_corpus(root, 4)
    with serve_corpus(root) as corpus:
        run(settings, corpus.feeds, pool)
    db = settings.db_path
    tags_before = rows(db, "SELECT * FROM article_tags ORDER BY ALL")
    assert tags_before
    assert retag().articles_staged == 0  # nothing outdated
    with connect(db) as con:
        con.execute(
            "UPDATE articles SET tagger_version = 'old', is_conflict = NULL"
            " WHERE url LIKE '%/a/1.html'"
        )
    report = retag()
    assert (report.articles_staged, report.articles_updated) == (1, 1)
    assert rows(db, "SELECT * FROM article_tags ORDER BY ALL") == tags_before
    assert one(db, "SELECT count(*) FROM articles WHERE is_conflict IS NULL") == 0
    assert one(db, "SELECT count(*) FROM articles") == 4


def test_tag_cli_reads_jsonl_and_names_a_bad_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from pipeline.cli import app

    good = tmp_path / "in.jsonl"
    good.write_text(
        json.dumps({"id": 7, "title": "Ceasefire talks in Istanbul", "text": "Prisoner exchange."})
        + "\n"
        + json.dumps({"id": 8, "title": "Cup final", "text": "A battle for the title."})
        + "\n"
    )
    result = CliRunner().invoke(app, ["tag", str(good)])
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(o["id"], o["is_conflict"]) for o in out] == [(7, True), (8, False)]
    assert set(out[0]) >= {"score", "topics", "events", "conflicts", "actors", "places", "evidence"}
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1, "title": "x", "text": "y"}\n{oops\n')
    result = CliRunner().invoke(app, ["tag", str(bad)])
    assert result.exit_code == 2 and "bad.jsonl: line 2: not JSON" in result.output
