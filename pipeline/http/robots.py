"""robots.txt: fetched once per host through the same HTTP layer, judged with protego (RFC 9309)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from protego import Protego

from pipeline.http.errors import FetchResult

ROBOTS_MAX_BYTES = 500 * 1024  # RFC 9309 2.5: parse at least 500 KiB, ignore the rest

Origin = tuple[str, str, int]  # scheme, host, port: the unit of politeness and robots


class RobotsRules:
    """A host's robots.txt verdict: parsed rules, or allow/disallow everything."""

    __slots__ = ("_allow_all", "_parser", "refusal", "unavailable")

    def __init__(
        self,
        parser: Protego | None,
        *,
        allow_all: bool,
        refusal: str = "blocked by robots.txt",
        unavailable: bool = False,
    ) -> None:
        self._parser = parser
        self._allow_all = allow_all
        self.refusal = refusal  # the error a refused URL reports
        self.unavailable = unavailable  # refused because robots.txt could not be read

    def allows(self, url: str, token: str) -> bool:
        if self._parser is None:
            return self._allow_all
        return bool(self._parser.can_fetch(url, token))


def judge(result: FetchResult) -> RobotsRules:
    """The rules a robots.txt fetch result stands for."""
    if result.ok:
        return RobotsRules(Protego.parse(result.body.decode("utf-8", "replace")), allow_all=True)
    status = result.status
    if status == 429 or status >= 500 or status == 0:
        # Unreachable: assume complete disallow for this pass, and say why.
        why = result.error or f"http {status}"
        return RobotsRules(
            None, allow_all=False, refusal=f"robots.txt unavailable: {why}", unavailable=True
        )
    # 4xx: no rules, crawl freely. 3xx here means the redirect limit was hit:
    # RFC 9309 lets us treat that as unavailable, i.e. allow.
    return RobotsRules(None, allow_all=True)


class RobotsCache:
    """One robots.txt fetch per origin, however many callers wait for it."""

    def __init__(self) -> None:
        self._rules: dict[Origin, RobotsRules] = {}
        self._locks: dict[Origin, asyncio.Lock] = {}

    def get(self, origin: Origin) -> RobotsRules | None:
        return self._rules.get(origin)

    async def rules(
        self, origin: Origin, fetch: Callable[[], Awaitable[FetchResult]]
    ) -> RobotsRules:
        rules = self._rules.get(origin)
        if rules is None:
            async with self._locks.setdefault(origin, asyncio.Lock()):
                rules = self._rules.get(origin)
                if rules is None:
                    rules = judge(await fetch())
                    self._rules[origin] = rules
        return rules
