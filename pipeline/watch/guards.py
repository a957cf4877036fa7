"""Process-level guards of the watcher: one watcher per database, stop on a signal.

SIGTERM and SIGINT only ask to stop (a `StopFlag`): the cycle in flight finishes and is merged,
then the loop ends. A lock file beside the database (`<db>.watch.lock`, holding the PID,
`flock`ed) keeps a second watcher off the same database.
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

log = logging.getLogger(__name__)


class WatchLocked(RuntimeError):
    """Another `newsdesk watch` runs on the same database; the message names its PID."""


class StopFlag:
    """Set by a signal handler or a caller; checked between cycles and during sleeps."""

    def __init__(self) -> None:
        self.reason: str | None = None

    def set(self, reason: str = "stop requested") -> None:
        if self.reason is None:
            self.reason = reason

    def is_set(self) -> bool:
        return self.reason is not None

    def sleep(self, seconds: float) -> None:
        """Sleep up to `seconds`, waking within 0.2 s of a stop request."""
        deadline = time.monotonic() + max(0.0, seconds)
        while not self.is_set() and (left := deadline - time.monotonic()) > 0:
            time.sleep(min(0.2, left))


@contextmanager
def watch_lock(db_path: Path) -> Iterator[Path]:
    """Hold `<db>.watch.lock` for the life of the watcher, or raise WatchLocked."""
    path = db_path.with_name(db_path.name + ".watch.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    fh = path.open("a+", encoding="ascii")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.seek(0)
        holder = fh.read().strip() or "unknown"
        fh.close()
        raise WatchLocked(
            f"{db_path}: another `newsdesk watch` is running on this database (PID {holder}); "
            "stop it (SIGTERM) before starting a new one"
        ) from None
    try:
        fh.seek(0)
        fh.truncate()
        fh.write(f"{os.getpid()}\n")
        fh.flush()
        yield path
    finally:
        fh.truncate(0)
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()


@contextmanager
def stop_on_signals(stop: StopFlag) -> Iterator[None]:
    """SIGTERM and SIGINT set `stop` instead of killing the process (main thread only)."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if stop.reason in ("SIGTERM", "SIGINT"):
            # A second signal: exit at once. What was staged READY is merged by the next start.
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        log.info("%s received: pages in flight abandoned, finished work merged, then stop", name)
        stop.set(name)

    previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
