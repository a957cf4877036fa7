"""Conflict tagger: IPTC-aligned topics, event types, theatres, actors and places, with evidence."""

from pipeline.tagging.evaluate import evaluate
from pipeline.tagging.tagger import Tag, Tagger, TagResult, get_tagger
from pipeline.tagging.taxonomy import TaxonomyError, default_dir, load_taxonomy

__all__ = [
    "Tag",
    "TagResult",
    "Tagger",
    "TaxonomyError",
    "default_dir",
    "evaluate",
    "get_tagger",
    "load_taxonomy",
]
