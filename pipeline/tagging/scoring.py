"""From zone counts to the model's inputs: feature groups, the evidence gate, the linear score."""

from __future__ import annotations

import math

from pipeline.tagging.zones import Zone

# A title hit counts as this many body hits for tag scores and theatre support.
TITLE_WEIGHT = 2.0

# Feature groups that say "this text is about another subject" and those that say "about conflict";
# their balance matters in long texts where a domestic story mentions a war in passing.
OTHER_SUBJECTS = frozenset(
    {
        "sports",
        "business",
        "economy",
        "tech",
        "entertainment",
        "domestic_politics",
        "health",
        "disaster",
        "metaphor",
        "politician",
    }
)
CONFLICT_SUBJECTS = frozenset(
    {
        "war",
        "military",
        "weapons",
        "attack",
        "violence",
        "terror",
        "security_ops",
        "armed_group",
        "conflict_name",
        "conflict_state",
        "theatre_place",
        "leader",
        "org_military",
        "peace",
        "prisoners",
        "territorial",
        "casualties",
        "humanitarian",
        "nuclear",
        "region_state",
        "region_leader",
        "unrest",
    }
)

_SIDE = {f: 1 for f in CONFLICT_SUBJECTS} | {f: -1 for f in OTHER_SUBJECTS}
# (title, body, density) weights of a feature group the model has no weight for.
NO_WEIGHTS = (0.0, 0.0, 0.0)

# Any of these lets the model decide; with none of them a text is not conflict-related.
# Leaders and states that are not at war are left out: "Putin" in an economy story is tagged
# as an actor but cannot by itself make the story conflict-related.
EVIDENCE = (CONFLICT_SUBJECTS | {"sanctions", "attack_weak", "violence_weak"}) - {
    "leader",
    "region_state",
    "region_leader",
}

# feature group -> its title, body and density feature names (built once per group).
_NAMES: dict[str, tuple[str, str, str]] = {}
LOG1P = [math.log1p(n) for n in range(256)]


def sigmoid(z: float) -> float:
    """The logistic function, without overflow for large |z|."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def share(features: dict[str, int]) -> float | None:
    """(conflict hits - other-subject hits) / both, or None without either."""
    pos = neg = 0
    side = _SIDE.get
    for f, n in features.items():
        s = side(f)
        if s == 1:
            pos += n
        elif s == -1:
            neg += n
    return None if pos + neg == 0 else (pos - neg) / (pos + neg)


def has_conflict_evidence(x: dict[str, float]) -> bool:
    """True when some hit is conflict vocabulary, not only cues for other subjects."""
    return any(k[2:] in EVIDENCE for k in x if k[:2] in {"t:", "b:"})


def has_evidence(t: Zone, b: Zone) -> bool:
    """`has_conflict_evidence(feature_vector(t, b))` without building the vector."""
    return not (EVIDENCE.isdisjoint(t.features) and EVIDENCE.isdisjoint(b.features))


def is_cyrillic(t: Zone, b: Zone) -> bool:
    """True when most letters of title and body together are Cyrillic."""
    letters = t.letters + b.letters
    return letters > 0 and 2 * (t.cyrillic + b.cyrillic) > letters


def _names(feature: str) -> tuple[str, str, str]:
    names = _NAMES.get(feature)
    if names is None:
        names = _NAMES[feature] = ("t:" + feature, "b:" + feature, "d:" + feature)
    return names


def _log1p(n: int) -> float:
    return LOG1P[n] if n < 256 else math.log1p(n)


def feature_vector(t: Zone, b: Zone) -> dict[str, float]:
    """Log counts per feature group for title and body, and densities per 100 words.

    No length feature on purpose: in the dev set short texts are mostly war headlines, and a
    model that learns "short means conflict" would flag every empty-handed brief.
    """
    x: dict[str, float] = {}
    weighted: dict[str, float] = {}
    for f, n in t.features.items():
        x[(_NAMES.get(f) or _names(f))[0]] = _log1p(n)
        weighted[f] = TITLE_WEIGHT * n
    for f, n in b.features.items():
        x[(_NAMES.get(f) or _names(f))[1]] = _log1p(n)
        w = weighted.get(f)
        weighted[f] = 0.0 + n if w is None else w + n
    # Density over the whole text, title hits counted TITLE_WEIGHT times: a hit in a one-line
    # body must not outweigh the same hit in the title.
    per = 100.0 / max(t.words + b.words, 100)
    for f, hits in weighted.items():
        x[_NAMES[f][2]] = min(hits * per, 5.0)
    for name, zone in (("s:title", t), ("s:body", b)):
        balance = share(zone.features)
        if balance is not None:
            x[name] = balance
    return x


def linear(
    weights: dict[str, tuple[float, float, float]],
    share_weights: tuple[float, float],
    t: Zone,
    b: Zone,
) -> float:
    """The weighted sum over `feature_vector(t, b)`, in the same order, without building it.

    Same values, same additions in the same order (features without a weight add 0.0),
    so the score is bit-identical; it saves building a 40-key dict per article.
    `weights`: feature group -> (title, body, density) weights.
    """
    acc = 0.0
    weighted: dict[str, float] = {}
    log1p = LOG1P  # inlined `_log1p`: counts >= 256 are rare enough for math.log1p
    for f, n in t.features.items():
        acc += (weights.get(f) or NO_WEIGHTS)[0] * (log1p[n] if n < 256 else math.log1p(n))
        weighted[f] = TITLE_WEIGHT * n
    for f, n in b.features.items():
        acc += (weights.get(f) or NO_WEIGHTS)[1] * (log1p[n] if n < 256 else math.log1p(n))
        w = weighted.get(f)
        weighted[f] = 0.0 + n if w is None else w + n
    per = 100.0 / max(t.words + b.words, 100)
    for f, hits in weighted.items():
        acc += (weights.get(f) or NO_WEIGHTS)[2] * min(hits * per, 5.0)
    balance = share(t.features)
    if balance is not None:
        acc += share_weights[0] * balance
    balance = share(b.features)
    if balance is not None:
        acc += share_weights[1] * balance
    return acc


# Peace process as a first-class signal (issue 14): talks, ceasefires and prisoner swaps that
# name a side of a war, meetings between two sides or their envoys, and sanctions over a war
# are conflict-related with no violence word at all. Fitted weights cannot learn this from the
# dev sets (few such stories, and "talks" is common elsewhere), so it is a rule on the title.
BELLIGERENT_FEATURES = frozenset(
    {"leader", "conflict_state", "armed_group", "org_military", "theatre_place", "diplomat"}
)
PEACE_FEATURES = frozenset({"peace", "prisoners"})
# "meeting" has no weight anywhere: meetings are common news, evidence only with two sides.
MEETING_FEATURES = PEACE_FEATURES | {"diplomacy", "meeting"}
WAR_FEATURES = frozenset({"war", "conflict_name"})
PEACE_MARGIN = 0.5  # log-odds above the threshold: a clear but not a confident "yes"


def peace_process(t: Zone, b: Zone, belligerents: frozenset[int]) -> bool:
    """True when the title reports a peace process of a war (see PEACE_FEATURES above).

    - a peace or prisoner term and a side of a war (state, leader, group, front place, envoy)
      in the title;
    - a talks/meeting word in the title with two sides (or a side and an envoy) in the title;
    - sanctions in the title and a war named in title or body;
    - a decisive term in the title (`cue:decisive_words`, weightless): the specific names of a
      war's events whatever the words around them (prisoners of war, a prisoner exchange, a
      ceasefire, an air or drone strike); single words that have other senses ("drones",
      "shot down", Russian "сбит", Ukrainian "ракет*") are left out of it.
    """
    title = t.features
    if "decisive" in title:
        return True
    if MEETING_FEATURES.isdisjoint(title) and "sanctions" not in title:
        return False
    in_title = belligerents.intersection(t.concepts)
    if in_title and not PEACE_FEATURES.isdisjoint(title):
        return True
    if not MEETING_FEATURES.isdisjoint(title) and len(in_title) >= 2:
        return True
    if "sanctions" in title:
        return not (WAR_FEATURES.isdisjoint(title) and WAR_FEATURES.isdisjoint(b.features))
    return False
