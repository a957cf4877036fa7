from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.feeds import (
    FeedListError,
    add_feeds,
    load_feeds,
    looks_like_html,
    parse_feed,
    read_opml,
)
from pipeline.models import Feed

NOW = datetime(2025, 5, 16, 12, tzinfo=UTC)
FEED = Feed(url="http://news.test/rss.xml", outlet="Test Outlet", language="en")


def parse(body: bytes, **kw: object) -> object:
    return parse_feed(body, FEED, fetched_at=NOW, **kw)  # type: ignore[arg-type]


RSS2 = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>
<title>Test</title><ttl>15</ttl><language>en-GB</language>
<item><title>Talks open in Istanbul</title><link>http://news.test/a?utm_source=rss</link>
<guid>a-1</guid><pubDate>Fri, 16 May 2025 09:30:00 +0300</pubDate>
<dc:creator>Jane Roe</dc:creator>
<description>&lt;p&gt;Delegations met.&lt;/p&gt;</description></item>
<item><title>No date here</title><link>/b</link></item>
<item><title>Same story again</title><link>http://news.test/a#x</link></item>
</channel></rss>"""


def test_rss2_items_have_canonical_ids_dates_authors_and_relative_links_resolved() -> None:
    parsed = parse(RSS2)
    assert parsed.error is None
    assert parsed.ttl_minutes == 15
    assert [i.url for i in parsed.items] == [
        "http://news.test/a?utm_source=rss",
        "http://news.test/b",
    ]
    first, second = parsed.items
    assert first.canonical_url == "http://news.test/a"
    assert first.published_at == datetime(2025, 5, 16, 6, 30, tzinfo=UTC)
    assert first.author == "Jane Roe"
    assert first.summary == "Delegations met."
    assert first.language == "en"
    assert second.published_at is None


def test_atom_entry_with_link_only_in_id_is_kept() -> None:
    body = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>
    <entry><title>One</title><id>http://news.test/one</id><updated>2025-05-15T10:00:00Z</updated>
    <summary>s</summary></entry>
    <entry><title>Two</title><link href="http://news.test/two"/><id>tag:x,2025:2</id></entry>
    </feed>"""
    parsed = parse(body)
    assert [i.url for i in parsed.items] == ["http://news.test/one", "http://news.test/two"]
    assert parsed.kind == "atom10"


def test_rss1_rdf_and_rss091_parse() -> None:
    rdf = b"""<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    xmlns="http://purl.org/rss/1.0/"><channel rdf:about="http://news.test/"><title>R</title>
    <link>http://news.test/</link><description>d</description></channel>
    <item rdf:about="http://news.test/r1"><title>R1</title><link>http://news.test/r1</link></item>
    </rdf:RDF>"""
    assert [i.url for i in parse(rdf).items] == ["http://news.test/r1"]
    rss091 = b"""<?xml version="1.0"?><rss version="0.91"><channel><title>Old</title>
    <item><title>O1</title><link>http://news.test/o1</link></item></channel></rss>"""
    assert [i.title for i in parse(rss091).items] == ["O1"]


def test_json_feed_1_1() -> None:
    body = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "J",
            "language": "uk",
            "items": [
                {"id": "1", "url": "http://news.test/j1", "title": "J1",
                 "date_published": "2025-05-16T08:00:00+03:00", "authors": [{"name": "Olena"}],
                 "summary": "Переговори"},
                {"id": "2", "title": "no url"},
                "garbage",
            ],
        }
    ).encode()  # fmt: skip
    parsed = parse(body)
    assert parsed.kind == "json"
    (item,) = parsed.items
    assert item.author == "Olena"
    assert item.language == "uk"
    assert item.published_at == datetime(2025, 5, 16, 5, tzinfo=UTC)


def test_json_that_is_not_a_json_feed_is_an_error() -> None:
    assert parse(b'{"hello": 1}').error == "JSON document is not a JSON Feed (no jsonfeed version)"
    assert "malformed JSON feed" in (parse(b'{"version": ').error or "")


def test_html_served_instead_of_a_feed_is_an_error_not_items() -> None:
    body = (
        b"<!DOCTYPE html><html><head><title>403 Request blocked</title></head><body>x</body></html>"
    )
    parsed = parse(body)
    assert parsed.items == ()
    assert parsed.error == "HTML page served instead of a feed"
    assert looks_like_html(b"\xef\xbb\xbf  <html><body>")
    assert not looks_like_html(RSS2)


def test_truncated_feed_yields_recoverable_items_and_an_error() -> None:
    cut = RSS2[: RSS2.index(b"<item><title>No date")] + b"<item><title>Cut"
    parsed = parse(cut)
    assert [i.title for i in parsed.items][:1] == ["Talks open in Istanbul"]
    assert parsed.error is not None and parsed.error.startswith("malformed feed")


def test_undefined_entity_is_recorded_and_items_survive() -> None:
    body = RSS2.replace(b"Talks open", b"Talks&nbsp;open")
    parsed = parse(body)
    assert parsed.items
    assert parsed.error is not None


@pytest.mark.parametrize(
    "encode",
    [
        lambda s: b"\xef\xbb\xbf" + s.encode("utf-8"),
        lambda s: s.replace('encoding="utf-8"', 'encoding="utf-16"').encode("utf-16"),
        lambda s: s.replace('encoding="utf-8"', 'encoding="windows-1251"').encode("cp1251"),
    ],
    ids=["utf8-bom", "utf16-bom", "cp1251"],
)
def test_encodings_decode_to_the_same_title(encode: object) -> None:
    text = RSS2.decode().replace("Talks open in Istanbul", "Переговори у Стамбулі")
    parsed = parse(encode(text))  # type: ignore[operator]
    assert parsed.items[0].title == "Переговори у Стамбулі"


def test_charset_from_http_header_is_used_when_the_document_has_none() -> None:
    text = RSS2.decode().replace('<?xml version="1.0" encoding="utf-8"?>', "")
    text = text.replace("Talks open in Istanbul", "Görüşmeler İstanbul'da")
    parsed = parse(
        text.encode("iso-8859-9"), content_type="application/rss+xml; charset=iso-8859-9"
    )
    assert parsed.items[0].title == "Görüşmeler İstanbul'da"


def test_empty_and_garbage_bodies_are_errors() -> None:
    assert parse(b"").error == "empty body"
    garbage = parse(b"\x00\xff\x13 not xml at all")
    assert garbage.items == () and garbage.error


def test_max_items_caps_a_huge_feed() -> None:
    items = "".join(f"<item><link>http://news.test/{n}</link></item>" for n in range(50))
    body = f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>'.encode()
    assert len(parse(body, max_items=10).items) == 10


def test_entity_expansion_bomb_does_not_blow_up() -> None:
    entities = "".join(f'<!ENTITY l{n} "{("&l" + str(n - 1) + ";") * 10}">' for n in range(1, 10))
    bomb = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY l0 "lol">{entities}]>'
        '<rss version="2.0"><channel><item><title>&l9;</title>'
        "<link>http://news.test/x</link></item></channel></rss>"
    )
    parsed = parse(bomb.encode())
    assert all(len(item.title or "") < 1_000_000 for item in parsed.items)


# --- registry ---------------------------------------------------------------------------------


def test_csv_registry_requires_a_url_header(tmp_path: Path) -> None:
    path = tmp_path / "feeds.csv"
    path.write_text("outlet,link\nA,http://a.test/rss\n")
    with pytest.raises(FeedListError, match=r"feeds.csv: line 1: header must name a 'url' column"):
        load_feeds(path)


def test_csv_registry_names_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "feeds.csv"
    path.write_text("url,outlet\nhttp://a.test/rss,A\nftp://b.test/rss,B\n")
    with pytest.raises(FeedListError, match="line 3: not an http"):
        load_feeds(path)


def test_csv_registry_dedupes_and_reads_optional_columns(tmp_path: Path) -> None:
    path = tmp_path / "feeds.csv"
    path.write_text(
        "\ufeffURL,outlet,language\nhttp://a.test/rss,A,en\nhttp://A.test/rss?utm_source=x,A2,\n\n"
    )
    assert load_feeds(path) == [Feed(url="http://a.test/rss", outlet="A", language="en")]


def test_missing_feed_list_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FeedListError, match=r"nope\.csv: feed list not found"):
        load_feeds(tmp_path / "nope.csv")


def test_opml_import_then_add_keeps_one_row_per_feed(tmp_path: Path) -> None:
    opml = tmp_path / "subs.opml"
    opml.write_text(
        """<?xml version="1.0"?><opml version="2.0"><head/><body>
        <outline text="News"><outline text="A" title="Outlet A" type="rss" xmlUrl="http://a.test/rss"/>
        <outline text="B" xmlUrl="http://b.test/atom"/></outline></body></opml>"""
    )
    assert [f.outlet for f in read_opml(opml)] == ["Outlet A", "B"]
    csv_path = tmp_path / "feeds.csv"
    assert add_feeds(csv_path, read_opml(opml)) == 2
    assert add_feeds(csv_path, read_opml(opml)) == 0
    assert add_feeds(csv_path, [Feed(url="http://c.test/rss")]) == 1
    assert [f.url for f in load_feeds(csv_path)] == [
        "http://a.test/rss", "http://b.test/atom", "http://c.test/rss"
    ]  # fmt: skip


def test_repo_feed_list_has_at_least_30_real_outlets() -> None:
    from pipeline.config import SEEDS_DIR

    feeds = load_feeds(SEEDS_DIR / "feeds.csv")
    assert len(feeds) >= 30
    assert len({f.outlet for f in feeds}) >= 30
    assert all(f.language and f.country for f in feeds)
