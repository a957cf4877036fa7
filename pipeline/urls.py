"""Canonical URLs and the ids derived from them."""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import courlan

# Tracking parameters courlan does not know about but feeds commonly append.
_EXTRA_TRACKING = frozenset(
    {
        "at_medium", "at_campaign", "at_custom1", "at_custom2", "at_custom3", "at_custom4",
        "cmpid", "cmp", "ocid", "ito", "icid", "mc_cid", "mc_eid", "smid", "partner",
        "rss", "from", "xtor", "ns_source", "ns_mchannel", "ns_campaign", "taid",
    }
)  # fmt: skip


class UrlError(ValueError):
    """A link that cannot be an article URL (empty, not http(s), no host)."""


def resolve_url(link: str, base: str) -> str:
    """Resolve a possibly relative `link` against the URL of the document that carried it."""
    return urljoin(base, link.strip())


def canonical_url(url: str) -> str:
    """Normalise a URL for identity: lower-case host, no default port, fragment or tracking."""
    raw = url.strip()
    parts = urlsplit(raw)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise UrlError(f"not an http(s) URL: {url!r}")
    normalised = courlan.normalize_url(raw, strict=False, trailing_slash=True)
    parts = urlsplit(normalised)
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in _EXTRA_TRACKING and not k.lower().startswith("utm_")
    ]
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path or "/", urlencode(query), ""))


def article_id(canonical: str) -> str:
    """The article key: a stable hash of its canonical URL."""
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


def host_of(url: str) -> str:
    """`host[:port]` of a URL, lower-cased: the unit of politeness."""
    return urlsplit(url).netloc.lower()
