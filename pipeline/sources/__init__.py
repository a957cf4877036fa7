"""Sources: everything the one pass (`pipeline.run`) can ingest.

| source | module | units | what it yields |
|---|---|---|---|
| live feeds | `live` | one per pass | each feed polled (conditional GET); new pages fetched |
| Wayback Machine | `wayback` | one per day | the day's feed captures, then page captures |
| WARC/ARC files | `warc` | one per file | HTML responses in the window, pages in hand |
| news sitemaps | `sitemap` | one per day | entries dated that day; pages fetched |
| stored captures | `captures` | one | newsdesk's own raw captures of stored articles (reprocess) |
| stored articles | `stored` | one | articles to re-tag (retag) |

Each implements `Source` (`base.py`): `http_config(settings)` and `units(env)`. A source never
imports `pipeline.run`; it reports through the events it yields and typed errors.
"""

from pipeline.sources.base import (
    Found,
    Page,
    PassTotals,
    Polled,
    Source,
    SourceEnv,
    SourceError,
    Unit,
    Window,
    day_of,
    parse_day,
)

__all__ = [
    "Found",
    "Page",
    "PassTotals",
    "Polled",
    "Source",
    "SourceEnv",
    "SourceError",
    "Unit",
    "Window",
    "day_of",
    "parse_day",
]
