"""The one HTTP layer: polite, bounded, SSRF-safe GETs for feeds, pages and robots.txt.

Each hop of a fetch does one job, in this order: check the scheme, resolve the host and refuse
non-public addresses, ask robots.txt, wait for a per-host slot and the per-host delay, send one
request under a wall-clock deadline, read the body under a size cap, then decide: done, retry
(timeouts, connection errors, 429, 5xx) or follow a redirect (each hop checked again).

`Http.get` never raises for network or HTTP trouble; every failure is a `FetchResult` with an
`error`. It raises only on programmer errors (for example, use outside `async with`).

Modules, one per hop: `wire` (target, one request, body under a cap), `addresses` (the address
guard), `robots` (robots.txt per origin), `politeness` (per-host slots, delays, backoff), `client`
(`Http`: the hops in order), `errors` (the result and the exception tree).

Exceptions (raised and caught inside the layer; their text becomes `FetchResult.error`, their
`kind` becomes `FetchResult.error_kind`, which callers branch on):

    HttpError                  base: this fetch cannot succeed as asked
    +-- RequestRefused         refused before anything was sent
    |   +-- SchemeRefused      not http(s), or not a parseable URL
    |   +-- AddressRefused     host resolves to a loopback/private/link-local/... address
    |   +-- RobotsDisallowed   robots.txt forbids the URL
    |       +-- RobotsUnavailable  robots.txt unreachable: retried on a later pass
    +-- BodyTooLarge           more than the byte cap, on the wire or after decompression
    +-- TooManyRedirects       the redirect limit was exceeded
    +-- TransientError         timeouts and connection failures: these are retried
"""

from pipeline.config import HttpConfig
from pipeline.http.addresses import AddressPolicy, IPAddress, address_refusal
from pipeline.http.client import Http
from pipeline.http.errors import (
    AddressRefused,
    BodyTooLarge,
    ErrorKind,
    FetchResult,
    HttpError,
    HttpStats,
    RequestRefused,
    RobotsDisallowed,
    RobotsUnavailable,
    SchemeRefused,
    TooManyRedirects,
    TransientError,
)
from pipeline.http.politeness import backoff_delay, parse_retry_after
from pipeline.http.robots import ROBOTS_MAX_BYTES

__all__ = [
    "ROBOTS_MAX_BYTES",
    "AddressPolicy",
    "AddressRefused",
    "BodyTooLarge",
    "ErrorKind",
    "FetchResult",
    "Http",
    "HttpConfig",
    "HttpError",
    "HttpStats",
    "IPAddress",
    "RequestRefused",
    "RobotsDisallowed",
    "RobotsUnavailable",
    "SchemeRefused",
    "TooManyRedirects",
    "TransientError",
    "address_refusal",
    "backoff_delay",
    "parse_retry_after",
]
