"""Article text and metadata from one HTML page: trafilatura plus newsdesk's own cleanup.

Modules: `decode` (bytes to text), `core` (parse once, body, the `Extracted` record), `clean`
(boilerplate lines), `title` (headline vs site name), `meta` (head metadata, date and its
source, language). See docs/extraction.md for the measurements behind each choice.
"""

from pipeline.extract.clean import clean_body
from pipeline.extract.core import (
    FALLBACK_OPTIONS,
    MIN_TEXT_CHARS,
    MIN_TEXT_WORDS,
    PRIMARY_OPTIONS,
    Extracted,
    extract_body,
    extract_html,
    parse_html,
)
from pipeline.extract.decode import decode_html, read_html_file
from pipeline.extract.meta import DATE_FORMAT, detect_language, parse_published
from pipeline.extract.title import choose_title

__all__ = [
    "DATE_FORMAT",
    "FALLBACK_OPTIONS",
    "MIN_TEXT_CHARS",
    "MIN_TEXT_WORDS",
    "PRIMARY_OPTIONS",
    "Extracted",
    "choose_title",
    "clean_body",
    "decode_html",
    "detect_language",
    "extract_body",
    "extract_html",
    "parse_html",
    "parse_published",
    "read_html_file",
]
