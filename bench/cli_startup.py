"""How long `newsdesk --help` and `newsdesk query` take, against importing typer, rich and duckdb.

    .venv/bin/python bench/cli_startup.py [--db data/demo.duckdb] [--runs 5]

Each figure is the best of `--runs` fresh interpreters, measured in the same run as the
baseline (`python -c "import typer, rich, duckdb"`), so the ratios hold on a loaded machine.
Targets (issue 18): --help at most 1.5x the baseline, query at most 2.5x.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def best(cmd: list[str], runs: int, env: dict[str, str]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(cmd, env=env, cwd=ROOT, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=None, help="a warehouse (default: a demo)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDESK_")}
    db = args.db
    if db is None:
        db = Path(tempfile.mkdtemp()) / "demo.duckdb"
        subprocess.run(
            [sys.executable, "-m", "pipeline", "demo", "--db", str(db)],
            env={**env, "NEWSDESK_DEMO_PORT": "18951"}, cwd=ROOT, check=True,
            capture_output=True,
        )  # fmt: skip
    py = sys.executable
    cases = {
        "baseline: import typer, rich, duckdb": [py, "-c", "import typer, rich, duckdb"],
        "newsdesk --help": [py, "-m", "pipeline", "--help"],
        "newsdesk query 'select count(*) from articles'": [
            py,
            "-m",
            "pipeline",
            "--db",
            str(db),
            "query",
            "select count(*) from articles",
        ],
    }
    figures = {name: best(cmd, args.runs, env) for name, cmd in cases.items()}
    base = next(iter(figures.values()))
    for name, seconds in figures.items():
        print(f"{name:<52} {seconds * 1000:7.0f} ms  {seconds / base:4.2f}x")


if __name__ == "__main__":
    main()
