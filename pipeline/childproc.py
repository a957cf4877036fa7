"""Running one pass in a fresh interpreter: how scheduled tasks start and hear back from it.

The parent pickles a request to the child's stdin (`python -m <module> [args]`); the child
writes a JSON result to the file the request names. Errors the child knows to be deterministic
come back as `{"error_type", "error"}` and are raised again in the parent as that type.
"""

from __future__ import annotations

import json
import logging
import pickle
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

NOISY_LOGGERS = ("httpx", "httpcore", "trafilatura", "htmldate", "courlan")


def setup_child_logging() -> None:
    """Plain log lines on stderr (the task log), without the chattiest libraries."""
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.WARNING)


def run_child(
    argv: Sequence[str],
    payload: dict[str, Any],
    *,
    label: str,
    deterministic: tuple[type[Exception], ...],
) -> dict[str, Any]:
    """Run `python -m argv...` with `payload` (plus the result path) and return its result."""
    with tempfile.TemporaryDirectory(prefix="newsdesk-child-") as tmp:
        result_path = Path(tmp) / "result.json"
        request = {**payload, "result": result_path}
        proc = subprocess.run(
            [sys.executable, "-m", *argv], input=pickle.dumps(request), check=False
        )
        result = json.loads(result_path.read_text(encoding="utf-8")) if result_path.exists() else {}
    if proc.returncode == 0 and "error" not in result:
        return dict(result)
    if "error" in result:
        for kind in deterministic:
            if kind.__name__ == result.get("error_type"):
                raise kind(result["error"])
        raise RuntimeError(f"{label}: {result['error']}")
    raise RuntimeError(
        f"{label}: the child process exited with {proc.returncode}"
        " (its traceback is in the log above)"
    )
