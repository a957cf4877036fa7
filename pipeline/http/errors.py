"""What a fetch returns (`FetchResult`, with a typed `ErrorKind`) and the exceptions behind it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum


class ErrorKind(StrEnum):
    """Why a fetch failed, as a type the callers branch on (never the message text)."""

    TRANSIENT = "transient"  # timeouts, connection trouble, 408/429/5xx: worth trying later
    ROBOTS_UNAVAILABLE = "robots_unavailable"  # robots.txt unreachable: try again later
    HTTP = "http"  # a final 4xx (or 501/505) answer
    REFUSED = "refused"  # scheme or address refused before anything was sent
    ROBOTS = "robots"  # robots.txt disallows the URL
    TOO_LARGE = "too_large"  # the body passed the byte cap
    REDIRECTS = "redirects"  # too many redirects, or a redirect without a usable location
    BROKEN = "broken"  # the response could not be decoded, or DNS says the host is not there

    @property
    def transient(self) -> bool:
        return self in (ErrorKind.TRANSIENT, ErrorKind.ROBOTS_UNAVAILABLE)


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchResult:
    """What one `Http.get` produced: a response, a 304, or a clear reason why not."""

    url: str
    final_url: str
    status: int  # 0 when no response at all
    headers: dict[str, str]  # lower-cased names, of the final response
    body: bytes  # decoded (decompressed); b"" on 304 and on errors
    etag: str | None
    last_modified: str | None
    fetched_at: datetime  # tz-aware UTC
    elapsed_ms: int
    attempts: int  # 1 + retries; 0 when nothing was sent
    error: str | None  # None on success and on 304; a message for people
    error_kind: ErrorKind | None = None  # set exactly when `error` is

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300 and self.error is None

    @property
    def not_modified(self) -> bool:
        return self.status == 304 and self.error is None

    @property
    def transient(self) -> bool:
        return self.error_kind is not None and self.error_kind.transient


@dataclass(slots=True)
class HttpStats:
    """Counters for one `Http` session (one pass)."""

    requests: int = 0  # requests sent, including robots.txt, redirect hops and retries
    retries: int = 0
    redirects: int = 0
    not_modified: int = 0
    failures: int = 0  # `get` results with an error
    refused: int = 0  # scheme or address refusals
    timeouts: int = 0
    robots_fetched: int = 0
    robots_blocked: int = 0
    bytes_received: int = 0  # decoded body bytes kept

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def status_kind(status: int) -> ErrorKind:
    """The kind of an HTTP error status."""
    if status in (408, 429) or (500 <= status < 600 and status not in (501, 505)):
        return ErrorKind.TRANSIENT
    return ErrorKind.HTTP


class HttpError(Exception):
    """A fetch that cannot succeed as asked; the message is the `FetchResult.error` text."""

    kind = ErrorKind.BROKEN

    def __init__(
        self, message: str, *, status: int = 0, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status  # of the response that caused it, 0 if none
        self.headers = headers or {}


class RequestRefused(HttpError):
    """Refused before any byte was sent."""

    kind = ErrorKind.REFUSED


class SchemeRefused(RequestRefused):
    """Not an http(s) URL."""


class AddressRefused(RequestRefused):
    """The host is, or resolves to, an address the crawler must not reach."""


class RobotsDisallowed(RequestRefused):
    """robots.txt disallows the URL for our user agent."""

    kind = ErrorKind.ROBOTS


class RobotsUnavailable(RobotsDisallowed):
    """robots.txt could not be read (5xx, 429, no answer): nothing on the host is fetched now."""

    kind = ErrorKind.ROBOTS_UNAVAILABLE


class BodyTooLarge(HttpError):
    """The body passed the byte cap on the wire or after decompression."""

    kind = ErrorKind.TOO_LARGE


class TooManyRedirects(HttpError):
    """More redirects than `max_redirects`."""

    kind = ErrorKind.REDIRECTS


class TransientError(HttpError):
    """A timeout or a connection failure; worth another attempt."""

    kind = ErrorKind.TRANSIENT
