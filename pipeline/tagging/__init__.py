"""Conflict tagger: IPTC-aligned topics, event types, theatres, actors and places, with evidence.

What is tagged (taxonomy in seeds/taxonomy, all CSV):
- topics.csv: IPTC Media Topics (the 16000000 "conflict, war and peace" subtree plus diplomacy
  20000639, economic sanction 20000642, war crime 20000105 and their parents);
- events.csv: event types users filter on (ceasefire, peace talks, prisoner exchange, sanctions,
  territorial claims, airstrike/shelling, casualties, humanitarian corridor/aid, mobilisation),
  each implying IPTC codes;
- conflicts.csv, actors.csv, places.csv: theatres and the states, leaders, armed groups, cities
  and regions linked to them, with aliases and transliterations in an `aliases` column;
- cues.csv: evidence that is not a tag: war/military/weapons vocabulary, and the other subjects
  (sports, business, tech, entertainment, domestic politics, health, disasters) that pull a score
  down; `metaphor` phrases ("price war", "battle for the title") hide the words they cover;
- terms_<lang>.csv: surface forms per language (en, de, fr, es, tr, uk, ru, ar), one row per
  concept, `|`-separated; a trailing `*` marks a stem inflected by rule (morph.py), a `*`
  inside a multiword term inflects that word too, a trailing `+` is an open compound head;
- model.csv: logistic-regression weights over feature groups and the `is_conflict` threshold,
  plus offsets per lexicon ("cyr:", "de:" ...), fitted by bench/eval_tagger.py; never edited
  by hand.

A text is matched only with its language's terms plus the names (language.py: script, then the
given language, then function words, else every lexicon); see docs/tagging-multilingual.md.

Extending: add terms to a terms_<lang>.csv row (or a new terms_<lang>.csv file: the language
code is the file suffix), add a place or actor row with its aliases, or a metaphor phrase to
`cue:metaphor`; run the tests (they reject duplicate ids, unknown parents or links, empty terms
and stray commas), then `bench/eval_tagger.py cv` and `fit --write` against the dev set (for
another language `fit-languages`, on the tuning split only). Any
change to these files changes `Tagger.version`, so `retag` picks the stored articles up again.

Use `get_tagger()` once per process (it is cached per directory and rebuilt when a file
changes); a Tagger pickles as a reference to its directory, so process pools stay cheap.
"""

from pipeline.tagging.evaluate import evaluate
from pipeline.tagging.result import Tag, TagResult
from pipeline.tagging.tagger import Tagger, get_tagger
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
