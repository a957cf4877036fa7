"""Outlets and units of archive sources: hosts, domains, deterministic run ids."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import date
from urllib.parse import urlsplit

from pipeline.models import Feed


def site_host(url: str) -> str:
    """Host without `www.`: the key outlets and domains are matched on."""
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def outlet_name(feed: Feed) -> str:
    return feed.outlet or site_host(feed.url)


def domain_matches(host: str, domains: Iterable[str]) -> str | None:
    """The entry of `domains` that `host` belongs to (itself or a subdomain), if any."""
    host = host.lower().removeprefix("www.")
    for domain in domains:
        if host == domain or host.endswith("." + domain):
            return domain
    return None


def feed_domains(feeds: Sequence[Feed]) -> dict[str, Feed]:
    """Site domain -> feed, guessed from feed URLs (`feeds.`/`rss.` hosts serve the site)."""
    out: dict[str, Feed] = {}
    for feed in feeds:
        host = site_host(feed.url)
        for prefix in ("feeds.", "feed.", "rss."):
            if host.startswith(prefix) and host.count(".") >= 2:
                host = host[len(prefix) :]
        out.setdefault(host, feed)
    return out


def run_id_for(source: str, day: date | None, key: str) -> str:
    """A deterministic run id: a retried or resumed unit restages the same folder."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:10]
    when = f"{day:%Y%m%d}" if day else "all"
    return f"backfill-{source}-{when}-{digest}"
