"""What every `newsdesk` command module shares: the one-line failure and settings from env."""

from __future__ import annotations

from typing import Any, NoReturn

import typer

from pipeline.config import ConfigError, Settings


def fail(message: str, code: int = 2) -> NoReturn:
    """Print `newsdesk: <message>` on stderr and exit (2: could not run at all)."""
    typer.echo(f"newsdesk: {message}", err=True)
    raise typer.Exit(code)


def settings(**overrides: Any) -> Settings:
    """Settings from the environment, or a one-line error naming the bad variable."""
    try:
        return Settings.from_env(**overrides)
    except ConfigError as exc:
        fail(str(exc))
