from __future__ import annotations

import pytest

from pipeline.urls import UrlError, article_id, canonical_url, host_of, resolve_url


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTP://Example.COM:80/a/b/?utm_source=rss&id=3#frag", "http://example.com/a/b/?id=3"),
        ("https://www.ex.com:443/Path?b=2&a=1&fbclid=x", "https://www.ex.com/Path?a=1&b=2"),
        ("https://ex.com/a?at_medium=RSS&at_campaign=K", "https://ex.com/a"),
        ("https://ex.com", "https://ex.com/"),
        ("http://127.0.0.1:8080/x?utm_medium=feed", "http://127.0.0.1:8080/x"),
    ],
)
def test_canonical_url_strips_tracking_fragments_and_default_ports(raw: str, expected: str) -> None:
    assert canonical_url(raw) == expected
    assert canonical_url(expected) == expected


def test_path_case_is_kept_because_paths_are_case_sensitive() -> None:
    assert canonical_url("https://ex.com/News/A") != canonical_url("https://ex.com/news/a")


def test_same_story_via_two_tracking_links_has_one_id() -> None:
    a = article_id(canonical_url("https://ex.com/story?utm_source=rss"))
    b = article_id(canonical_url("https://EX.com:443/story#comments"))
    assert a == b
    assert len(a) == 32


@pytest.mark.parametrize(
    "bad", ["", "mailto:x@y.z", "javascript:alert(1)", "ftp://ex.com/a", "/rel"]
)
def test_non_http_links_are_refused_with_the_link_named(bad: str) -> None:
    with pytest.raises(UrlError, match="not an http"):
        canonical_url(bad)


def test_relative_links_resolve_against_the_feed() -> None:
    assert (
        resolve_url("articles/a.html", "http://h:1/feeds/rss.xml")
        == "http://h:1/feeds/articles/a.html"
    )
    assert resolve_url("/a.html", "http://h:1/feeds/rss.xml") == "http://h:1/a.html"
    assert host_of("http://H:1/x") == "h:1"
