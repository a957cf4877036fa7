"""Commands on text, with no warehouse: `tag`, `eval-tagger`, `extract`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from pipeline.cli.common import (
    Format,
    UsageError,
    boundary,
    jsonable,
    print_rows,
    read_jsonl,
    settings,
)


def register(app: typer.Typer) -> None:
    app.command("tag")(tag)
    app.command("eval-tagger")(eval_tagger)
    app.command("extract")(extract)
    app.command("similarity")(similarity)


@boundary
def tag(
    source: Annotated[
        str, typer.Argument(help="JSONL file with id, title, text (and language); - for stdin.")
    ] = "-",
) -> None:
    """Tag JSONL records; print one JSON object per record with the verdict and its evidence."""
    from pipeline.tagging import get_tagger

    tagger = get_tagger(settings().taxonomy_dir)
    for n, record in read_jsonl(source):
        title, text = record.get("title"), record.get("text")
        result = tagger.tag(title, text, record.get("language") or record.get("lang"))
        typer.echo(json.dumps(result.to_json(record.get("id", n)), ensure_ascii=False))


def _figure(value: Any) -> Any:
    return "n/a" if value is None else value


@boundary
def eval_tagger(
    source: Annotated[str, typer.Argument(help="Labelled JSONL (title, text, label, source).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Print precision, recall and F1 of the tagger on labelled data, overall and per source."""
    from pipeline.tagging import evaluate, get_tagger

    tagger = get_tagger(settings().taxonomy_dir)
    report = evaluate(tagger, (record for _, record in read_jsonl(source)))
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    columns = ["source", "n", "precision", "recall", "f1", "fp_rate"]
    groups = [("overall", report["overall"])]
    groups += [(f"language {k}", v) for k, v in report.get("by_language", {}).items()]
    groups += list(report["by_source"].items())
    table = [(name, *(_figure(f.get(c)) for c in columns[1:])) for name, f in groups]
    print_rows(columns, table, Format.table)
    typer.echo(f"tagger_version {report['tagger_version']}")


@boundary
def extract(
    paths: Annotated[
        list[Path], typer.Argument(help="HTML or .html.gz files, or folders of them.")
    ],
    url: Annotated[str | None, typer.Option(help="The page URL (helps metadata).")] = None,
) -> None:
    """Extract article text and metadata from saved pages; one JSON object per file on stdout."""
    from pipeline.extract import extract_html, read_html_file

    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            suffixes = (".html", ".htm", ".html.gz")
            files.extend(sorted(p for p in path.rglob("*") if p.name.endswith(suffixes)))
        elif path.exists():
            files.append(path)
        else:
            raise UsageError(f"{path}: no such file or folder")
    for path in files:
        try:
            result = extract_html(read_html_file(path), url=url)
        except OSError as exc:
            typer.echo(f"newsdesk: {path}: cannot read: {exc}", err=True)
            continue
        obj: dict[str, Any] = {"path": str(path), "url": url}
        fields = ("title", "author", "published_at", "language", "sitename", "text")
        for name in fields:
            obj[name] = jsonable(getattr(result, name)) if result else None
        typer.echo(json.dumps(obj, ensure_ascii=False))


@boundary
def similarity(
    source: Annotated[
        str, typer.Argument(help="JSONL pairs (pair_id, text1, text2, title1/2, ...); - for stdin.")
    ] = "-",
) -> None:
    """Score article pairs: similarity in [0, 1] and a same-story decision, one JSON line each."""
    import sys

    from pipeline.linking.pairs import BadLine, score_pairs

    if source != "-" and not Path(source).exists():
        raise UsageError(f"{source}: no such file")

    def report(bad: BadLine) -> None:
        typer.echo(f"newsdesk: {source}: line {bad.line}: skipped: {bad.reason}", err=True)

    stream = sys.stdin if source == "-" else Path(source).open(encoding="utf-8")  # noqa: SIM115
    try:
        for result in score_pairs(stream, on_bad=report):
            typer.echo(result.to_json())
    finally:
        if stream is not sys.stdin:
            stream.close()
