"""`python -m pipeline` is the `newsdesk` command."""

from pipeline.cli import main

main()
