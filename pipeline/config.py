"""Settings from the environment: the only place newsdesk reads `NEWSDESK_*` variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpConfig:
    """Politeness, timeouts and safety limits of the HTTP layer."""

    user_agent: str = "newsdesk/0.1 (+https://github.com/newsdesk/newsdesk; news research crawler)"
    per_host_concurrency: int = 2
    min_host_delay: float = 1.0  # seconds between request starts to one host
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 60.0  # wall clock for one request: headers and the whole body
    max_body_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    retries: int = 3  # extra attempts per fetch, shared by all its redirect hops
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    retry_after_cap: float = 120.0  # a longer Retry-After means "give up now", not "wait"
    respect_robots: bool = True
    allow_private_hosts: bool = False
    # IP addresses reachable although non-public (a loopback test server, an intranet mirror);
    # every other private, loopback or link-local address stays refused.
    trusted_addresses: tuple[str, ...] = ()
    http2: bool = False

    def __post_init__(self) -> None:
        if self.per_host_concurrency < 1:
            raise ValueError("per_host_concurrency must be at least 1")
        if self.max_body_bytes < 1:
            raise ValueError("max_body_bytes must be at least 1")
        if self.max_redirects < 0 or self.retries < 0:
            raise ValueError("max_redirects and retries must not be negative")
        timeouts = (self.connect_timeout, self.read_timeout, self.total_timeout)
        if min(timeouts) <= 0:
            raise ValueError("timeouts must be positive")
        delays = (self.min_host_delay, self.backoff_base, self.backoff_cap, self.retry_after_cap)
        if min(delays) < 0:
            raise ValueError("delays must not be negative")

    @property
    def robots_token(self) -> str:
        """The product token robots.txt groups are matched against (RFC 9309 2.2.1)."""
        return self.user_agent.split("/", 1)[0].strip() or self.user_agent


PROJECT_ROOT = Path(__file__).resolve().parent.parent
SEEDS_DIR = PROJECT_ROOT / "seeds"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable and the cause."""


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name}={raw!r}: expected one of 1/0, true/false, yes/no, on/off")


def _number(env: Mapping[str, str], name: str, default: float, *, minimum: float) -> float:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r}: expected a number") from None
    if value < minimum:
        raise ConfigError(f"{name}={raw!r}: must be at least {minimum:g}")
    return value


def _int(env: Mapping[str, str], name: str, default: int, *, minimum: int) -> int:
    value = _number(env, name, default, minimum=minimum)
    if value != int(value):
        raise ConfigError(f"{name}={env.get(name)!r}: expected a whole number")
    return int(value)


def _url(env: Mapping[str, str], name: str, default: str) -> str:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{name}={raw!r}: expected an http(s) base URL")
    return raw.rstrip("/")


DAILY_BACKFILL_SOURCES = ("wayback", "sitemap")


def _sources(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    raw = (env.get(name) or "").strip()
    if raw.lower() in ("", "none", "off"):
        return ()
    names = tuple(dict.fromkeys(s.strip().lower() for s in raw.split(",") if s.strip()))
    if "warc" in names:
        raise ConfigError(
            f"{name}={raw!r}: warc needs files; run `newsdesk backfill --source warc`"
        )
    unknown = [s for s in names if s not in DAILY_BACKFILL_SOURCES]
    if unknown:
        raise ConfigError(
            f"{name}={raw!r}: unknown source {unknown[0]!r}; expected some of wayback, sitemap"
        )
    return names


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Everything a pass needs to know, resolved once per run."""

    db_path: Path = Path("data/newsdesk.duckdb")
    data_dir: Path = Path("data")
    feeds_path: Path = SEEDS_DIR / "feeds.csv"
    taxonomy_dir: Path = SEEDS_DIR / "taxonomy"
    http: HttpConfig = field(default_factory=HttpConfig)
    workers: int = max(1, os.cpu_count() or 1)
    concurrency: int = 16
    queue_size: int = 64
    batch_size: int = 500
    max_items_per_feed: int = 200
    lock_wait_seconds: float = 30.0
    write_warc: bool = True
    wayback_url: str = "https://web.archive.org"
    wayback_min_interval: float = 1.0  # seconds between requests to the archive host
    wayback_retries: int = 5  # extra attempts on 429/503/timeouts, with backoff and Retry-After
    backfill_sources: tuple[str, ...] = ()  # what `newsdesk_daily` backfills past days from
    watch_min_interval: float = 300.0  # `newsdesk watch`: polling interval bounds per feed, seconds
    watch_max_interval: float = 86400.0
    demo_port: int = 18801  # `newsdesk demo`: outlets on 127.0.0.1:demo_port, +1, +2, ...

    @property
    def staging_dir(self) -> Path:
        return self.data_dir / "staging"

    @property
    def raw_dir(self) -> Path:
        return self.data_dir / "raw"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from `NEWSDESK_*` variables (os.environ by default)."""
        env = os.environ if env is None else env
        data_dir = Path(env.get("NEWSDESK_DATA_DIR") or "data")
        http = HttpConfig(
            user_agent=env.get("NEWSDESK_USER_AGENT") or HttpConfig().user_agent,
            per_host_concurrency=_int(env, "NEWSDESK_PER_HOST_CONCURRENCY", 2, minimum=1),
            min_host_delay=_number(env, "NEWSDESK_MIN_HOST_DELAY", 1.0, minimum=0),
            connect_timeout=_number(env, "NEWSDESK_CONNECT_TIMEOUT", 10.0, minimum=0.01),
            read_timeout=_number(env, "NEWSDESK_READ_TIMEOUT", 20.0, minimum=0.01),
            total_timeout=_number(env, "NEWSDESK_TOTAL_TIMEOUT", 60.0, minimum=0.01),
            max_body_bytes=_int(env, "NEWSDESK_MAX_BODY_BYTES", 10 * 1024 * 1024, minimum=1024),
            max_redirects=_int(env, "NEWSDESK_MAX_REDIRECTS", 5, minimum=0),
            retries=_int(env, "NEWSDESK_RETRIES", 3, minimum=0),
            respect_robots=_bool(env, "NEWSDESK_RESPECT_ROBOTS", True),
            allow_private_hosts=_bool(env, "NEWSDESK_ALLOW_PRIVATE_HOSTS", False),
            http2=_bool(env, "NEWSDESK_HTTP2", False),
        )
        settings = cls(
            db_path=Path(env.get("NEWSDESK_DB") or data_dir / "newsdesk.duckdb"),
            data_dir=data_dir,
            feeds_path=Path(env.get("NEWSDESK_FEEDS") or SEEDS_DIR / "feeds.csv"),
            taxonomy_dir=Path(env.get("NEWSDESK_TAXONOMY") or SEEDS_DIR / "taxonomy"),
            http=http,
            workers=_int(env, "NEWSDESK_WORKERS", max(1, os.cpu_count() or 1), minimum=1),
            concurrency=_int(env, "NEWSDESK_CONCURRENCY", 16, minimum=1),
            queue_size=_int(env, "NEWSDESK_QUEUE_SIZE", 64, minimum=1),
            batch_size=_int(env, "NEWSDESK_BATCH_SIZE", 500, minimum=1),
            max_items_per_feed=_int(env, "NEWSDESK_MAX_ITEMS_PER_FEED", 200, minimum=1),
            lock_wait_seconds=_number(env, "NEWSDESK_LOCK_WAIT", 30.0, minimum=0),
            write_warc=_bool(env, "NEWSDESK_WRITE_WARC", True),
            wayback_url=_url(env, "NEWSDESK_WAYBACK_URL", "https://web.archive.org"),
            wayback_min_interval=_number(env, "NEWSDESK_WAYBACK_MIN_INTERVAL", 1.0, minimum=0),
            wayback_retries=_int(env, "NEWSDESK_WAYBACK_RETRIES", 5, minimum=0),
            backfill_sources=_sources(env, "NEWSDESK_BACKFILL_SOURCES"),
            watch_min_interval=_number(env, "NEWSDESK_WATCH_MIN_INTERVAL", 300.0, minimum=0.1),
            watch_max_interval=_number(env, "NEWSDESK_WATCH_MAX_INTERVAL", 86400.0, minimum=0.1),
            demo_port=_int(env, "NEWSDESK_DEMO_PORT", 18801, minimum=1024),
        )
        return replace(settings, **overrides) if overrides else settings
