"""Conflict tagger: taxonomy integrity, written examples, metaphors, languages, robustness."""

from __future__ import annotations

import csv
import json
import pickle
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.tagging import Tagger, TaxonomyError, default_dir, evaluate, get_tagger, load_taxonomy
from pipeline.tagging.normalize import normalize, prepare, words
from pipeline.tagging.scoring import feature_vector, linear, sigmoid
from pipeline.tagging.taxonomy import ENTITY_FILES, compute_version

FIXTURES = Path(__file__).parent / "fixtures" / "tagging"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
DEV_SET = SHARED / "labeled" / "conflict_dev.jsonl"

ISTANBUL_TITLE = "Istanbul talks end with prisoner swap but no ceasefire"
ISTANBUL_TEXT = """\
Russian and Ukrainian delegations met at Dolmabahçe Palace in İstanbul on Friday for their first
direct peace talks since 2022. The only concrete result was a prisoner exchange: each side agreed
to free 1,000 prisoners of war. Kyiv again proposed an unconditional 30-day ceasefire, which the
Russian side rejected. Moscow's negotiators insisted on territorial demands, calling for a Ukrainian
withdrawal from the Donetsk, Luhansk, Zaporizhzhia and Kherson regions.
President Volodymyr Zelensky said Vladimir Putin had refused to come in person and urged allies
to prepare tougher sanctions. US Secretary of State Marco Rubio, who met both delegations, said
he was disappointed by the low level of the talks.
"""


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return get_tagger()


def _rows(path: Path) -> list[dict[str, object]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _csv(name: str) -> list[dict[str, str]]:
    with (default_dir() / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


# --- taxonomy ----------------------------------------------------------------------------------


def test_taxonomy_loads_with_unique_ids_and_known_links() -> None:
    taxonomy = load_taxonomy()
    kinds = {c.kind for c in taxonomy.concepts.values()}
    assert kinds == {"topic", "event", "conflict", "actor", "place", "cue"}
    for filename in ENTITY_FILES:
        rows = _csv(filename)
        ids = [r.get("code") or r["id"] for r in rows]
        assert len(ids) == len(set(ids)), f"duplicate id in {filename}"
    codes = {r["code"] for r in _csv("topics.csv")}
    for row in _csv("topics.csv"):
        assert len(row["code"]) == 8 and row["code"].isdigit()
        assert not row["parent"] or row["parent"] in codes


def test_topics_cover_the_iptc_conflict_subtree_and_related_codes() -> None:
    codes = {r["code"] for r in _csv("topics.csv")}
    subtree = {"16000000", *(str(c) for c in range(20000053, 20000081)), "20001361"}
    assert subtree <= codes
    assert {"20000642", "20000639", "20000105"} <= codes


def test_every_term_is_non_empty_and_every_concept_is_reachable() -> None:
    taxonomy = load_taxonomy()
    assert all(t.text.strip().rstrip("*") for t in taxonomy.terms)
    langs = {p.stem.removeprefix("terms_") for p in default_dir().glob("terms_*.csv")}
    assert {"en", "uk", "ru", "tr"} <= langs
    events = {c.id for c in taxonomy.concepts.values() if c.kind == "event"}
    assert {
        "ceasefire",
        "peace_talks",
        "prisoner_exchange",
        "sanctions",
        "territorial_claims",
        "airstrike_shelling",
        "casualties",
        "humanitarian",
        "mobilisation",
    } <= events
    conflicts = {c.id for c in taxonomy.concepts.values() if c.kind == "conflict"}
    assert {"ru-ua", "il-gaza", "sudan", "myanmar", "drc", "sahel", "yemen", "syria"} <= conflicts


def _copy_taxonomy(tmp_path: Path) -> Path:
    target = tmp_path / "taxonomy"
    shutil.copytree(default_dir(), target)
    return target


@pytest.mark.parametrize(
    ("filename", "old", "new", "message"),
    [
        ("events.csv", "mobilisation,mobilisation", "ceasefire,mobilisation", "duplicate id"),
        ("topics.csv", "20000063,20000062", "20000063,29999999", "unknown parent"),
        ("terms_en.csv", "cue:metaphor,phoney war|", "cue:metaphor,phoney war||", "empty term"),
        ("terms_en.csv", "cue:metaphor,phoney war|", "cue:metaphor,phoney war,x|", "more fields"),
        ("actors.csv", ",ru-ua,leader,putin|", ",xx-yy,leader,putin|", "unknown conflict"),
    ],
)
def test_broken_taxonomy_is_rejected(
    tmp_path: Path, filename: str, old: str, new: str, message: str
) -> None:
    directory = _copy_taxonomy(tmp_path)
    path = directory / filename
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(TaxonomyError, match=message):
        load_taxonomy(directory)


def test_version_changes_when_a_taxonomy_file_changes(tmp_path: Path) -> None:
    directory = _copy_taxonomy(tmp_path)
    before = compute_version(directory)
    assert before == compute_version(default_dir())
    with (directory / "terms_en.csv").open("a", encoding="utf-8") as fh:
        fh.write("event:ceasefire,guns fall silent\n")
    after = compute_version(directory)
    assert after != before
    tagger = Tagger.load(directory)
    assert tagger.version == after
    assert tagger.tag("Guns fall silent along the front", None).events


# --- the Istanbul talks ------------------------------------------------------------------------


def test_istanbul_talks_get_events_conflict_actors_and_places(tagger: Tagger) -> None:
    result = tagger.tag(ISTANBUL_TITLE, ISTANBUL_TEXT, "en")
    assert result.is_conflict
    assert 0.0 <= result.score <= 1.0
    events = {t.value for t in result.events}
    assert {
        "peace talks",
        "ceasefire",
        "prisoner exchange",
        "sanctions",
        "territorial claims",
    } <= events
    assert [t.value for t in result.conflicts] == ["Russia-Ukraine"]
    assert {"Vladimir Putin", "Volodymyr Zelensky", "Marco Rubio"} <= {
        t.value for t in result.actors
    }
    places = {t.value for t in result.places}
    assert {"Istanbul", "Dolmabahce Palace", "Kyiv", "Donetsk", "Zaporizhzhia"} <= places
    topics = {t.code for t in result.topics}
    assert {"20000076", "20000080", "20000642"} <= topics
    assert "title:ceasefire" in result.evidence
    ceasefire = next(t for t in result.events if t.value == "ceasefire")
    assert any(e.startswith("body:ceasefire") for e in ceasefire.evidence)


def test_to_json_has_the_cli_shape(tagger: Tagger) -> None:
    out = tagger.tag(ISTANBUL_TITLE, ISTANBUL_TEXT).to_json("a1")
    assert set(out) == {
        "id",
        "is_conflict",
        "score",
        "topics",
        "events",
        "conflicts",
        "actors",
        "places",
        "evidence",
    }
    assert out["id"] == "a1"
    assert all(isinstance(code, str) and code.isdigit() for code in out["topics"])
    json.dumps(out)


def test_title_hits_weigh_more_than_body_hits(tagger: Tagger) -> None:
    in_title = tagger.tag("Airstrike on Aleppo", "The city council met on Tuesday.")
    in_body = tagger.tag("The city council met on Tuesday", "Airstrike on Aleppo.")
    assert in_title.score > in_body.score


# --- hard negatives and languages --------------------------------------------------------------

FIXTURE_ROWS = _rows(FIXTURES / "labelled.jsonl")


@pytest.mark.parametrize("row", FIXTURE_ROWS, ids=[str(r["id"]) for r in FIXTURE_ROWS])
def test_labelled_fixture(tagger: Tagger, row: dict[str, object]) -> None:
    result = tagger.tag(str(row["title"]), str(row["text"]), str(row["language"]))
    assert result.is_conflict is row["label"], result.evidence


def test_metaphors_are_masked_and_shown_as_such(tagger: Tagger) -> None:
    result = tagger.tag("Supermarkets start a price war", "Battle for the title as rivals clash.")
    assert not result.is_conflict
    assert "title:price war (metaphor)" in result.evidence
    assert not result.topics


@pytest.mark.parametrize(
    ("title", "mask"),
    [
        ("Взрыв газа разрушил подъезд жилого дома", "взрыв газа"),
        ("Пуск ракеты-носителя «Союз» перенесли на неделю", "ракеты носителя"),
        ("Теннисист объяснил удар мячом в сторону судьи", "удар мячом"),
    ],
)
def test_russian_non_military_senses_are_masked(tagger: Tagger, title: str, mask: str) -> None:
    result = tagger.tag(title, None)
    assert not result.is_conflict
    assert f"title:{mask} (metaphor)" in result.evidence
    assert tagger.tag("Ракетный удар по Харькову: погибли трое", None).is_conflict


def test_an_actor_alone_does_not_make_a_story_conflict(tagger: Tagger) -> None:
    result = tagger.tag("Putin opens a gas plant", "Gazprom expects revenue from exports to rise.")
    assert not result.is_conflict
    assert [t.value for t in result.actors] == ["Vladimir Putin"]
    assert not result.conflicts


def test_negated_violence_is_marked(tagger: Tagger) -> None:
    result = tagger.tag("Storm passes", "The storm flooded roads but no casualties were reported.")
    assert not result.is_conflict
    assert "body:casualties (negated)" in result.evidence


def test_negation_of_multiword_terms_looks_before_the_first_word(tagger: Tagger) -> None:
    # The words before "at war", not before "war" ("not at" would miss the negator).
    said = tagger.tag(None, "The minister said the country is not at war with its neighbour.")
    assert any(e.startswith("body:at war") and e.endswith("(negated)") for e in said.evidence)
    plain = tagger.tag(None, "The minister said the country is now at war with its neighbour.")
    assert any(e.startswith("body:at war") and "negated" not in e for e in plain.evidence)


def test_adjacent_terms_are_all_found(tagger: Tagger) -> None:
    # Each term keeps its own separator: "Israeli" must not swallow the space "airstrike" needs.
    evidence = tagger.tag("Israeli airstrike kills five in Gaza", None).evidence
    assert set(evidence) == {"title:israeli", "title:airstrike", "title:kills", "title:gaza"}


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("Удар по Києву", "place", "Kyiv"),
        ("Обстрел Киева", "place", "Kyiv"),
        ("Kiev'e saldırı", "place", "Kyiv"),
        ("Ситуація в Запоріжжі", "place", "Zaporizhzhia"),
        ("Бои под Запорожьем", "place", "Zaporizhzhia"),
        ("Zaporozhye plant", "place", "Zaporizhzhia"),
        ("İSTANBUL'DA görüşme", "place", "Istanbul"),
        ("ISTANBUL talks", "place", "Istanbul"),
        ("Переговоры в Стамбуле", "place", "Istanbul"),
        ("Dolmabahce Sarayı", "place", "Dolmabahce Palace"),
        ("Перемирие объявлено", "event", "ceasefire"),
        ("Перемир'я оголошено", "event", "ceasefire"),
        ("Ateşkese uyulmadı", "event", "ceasefire"),
        ("ATEŞKES ilan edildi", "event", "ceasefire"),
        ("Обмін полоненими", "event", "prisoner exchange"),
        ("Зеленського", "actor", "Volodymyr Zelensky"),
        ("Зелёный свет Путину", "actor", "Vladimir Putin"),
        ("Rusya-Ukrayna savaşında yeni aşama", "place", "Ukraine"),
    ],
)
def test_aliases_and_inflected_forms(tagger: Tagger, text: str, kind: str, value: str) -> None:
    tags = tagger.tag(text, None).tags
    assert (kind, value) in {(t.kind, t.value) for t in tags}, [t.value for t in tags]


@pytest.mark.parametrize(
    "text",
    [
        "Warsaw rewards its wardens",
        "Moving toward a warm reward",
        "The Kievan Rus chronicle",
        "минута молчания",
        "он мирно спал",
        "çatısı onarıldı",
    ],
)
def test_matches_respect_word_boundaries(tagger: Tagger, text: str) -> None:
    result = tagger.tag(text, None)
    assert not result.is_conflict
    assert not result.events and not result.topics, result.evidence


def test_normalisation_folds_case_diacritics_and_apostrophes() -> None:
    assert normalize("İSTANBUL") == normalize("istanbul") == normalize("Istanbul")
    assert normalize("ıstanbul") == "istanbul"
    assert normalize("Dolmabahçe") == "dolmabahce"
    assert normalize("Ёлка") == "елка"
    assert normalize("м’ясо") == normalize("мʼясо") == normalize("м'ясо") == "м ясо"
    assert normalize("İstanbul'da") == "istanbul da"
    assert normalize("cease-fire  talks\n") == "cease fire talks"
    assert normalize("ﬁghting") == "fighting"


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(
            [*"aZé\u0301İıßﬁ½■\u200b\u00a0’“—-_.,;x\x7f\x00\t Ёёйї ПриветДa ﻻ你Ｆ\ud800", "🤦"]
        ),
        max_size=80,
    )
)
def test_prepared_bytes_are_the_normalised_words(text: str) -> None:
    # prepare() takes shortcuts (bytes, folding only non-ASCII runs); words() is the reference.
    ws = words(text)
    expected = b"  " + b"  ".join(w.encode("utf-8", "replace") for w in ws) + b"  "
    assert prepare(text) == (expected, len(ws))
    long_text = text * 40  # past the "few non-ASCII characters" shortcut's size checks
    ws = words(long_text)
    expected = b"  " + b"  ".join(w.encode("utf-8", "replace") for w in ws) + b"  "
    assert prepare(long_text) == (expected, len(ws))


def test_fused_score_equals_the_feature_vector_score(tagger: Tagger) -> None:
    # tag() scores without building the feature dict; features() is what the model was fit on.
    rows = [*FIXTURE_ROWS, {"title": ISTANBUL_TITLE, "text": ISTANBUL_TEXT}]
    for row in rows:
        title, text = str(row.get("title") or ""), str(row.get("text") or "")
        t, b, _ = tagger.zones(title, text)
        bias, weights, share_weights = tagger._main
        fused = sigmoid(bias + linear(weights, share_weights, t, b))
        assert fused == tagger._score(feature_vector(t, b))


def test_cyrillic_offsets_apply_only_to_mostly_cyrillic_text(tagger: Tagger) -> None:
    english = tagger.tag(ISTANBUL_TITLE, ISTANBUL_TEXT)
    assert english.score == round(tagger._score(tagger.features(ISTANBUL_TITLE, ISTANBUL_TEXT)), 4)
    title, text = "Переговоры в Стамбуле", "Делегации обсудили перемирие и обмен пленными."
    base, x, lexicon = tagger.model_inputs(title, text)
    assert lexicon == "cyr"
    quoted = "Delegates discussed a ceasefire («перемирие») and an exchange of prisoners of war."
    assert tagger.model_inputs("Talks in Istanbul", quoted)[2] != "cyr"
    offsets = {k[4:]: v for k, v in tagger._model.weights.items() if k.startswith("cyr:")}
    assert offsets
    # The fused per-lexicon sum equals main log-odds plus the offsets over the feature dict.
    expected = base + offsets["__bias__"] + sum(v * offsets.get(k, 0.0) for k, v in x.items())
    t, b, _ = tagger.zones(title, text)
    assert tagger._z(t, b, "cyr") == pytest.approx(expected, abs=1e-9)
    assert tagger.tag(title, text).score == round(sigmoid(tagger._z(t, b, "cyr")), 4)
    assert sigmoid(base) != sigmoid(tagger._z(t, b, "cyr"))


# --- robustness and reproducibility ------------------------------------------------------------


def test_tagging_is_deterministic(tagger: Tagger) -> None:
    first = tagger.tag(ISTANBUL_TITLE, ISTANBUL_TEXT)
    fresh = Tagger.load()
    assert fresh.tag(ISTANBUL_TITLE, ISTANBUL_TEXT) == first
    assert tagger.tag(ISTANBUL_TITLE, ISTANBUL_TEXT) == first


def test_tagger_pickles_for_worker_processes(tagger: Tagger) -> None:
    clone = pickle.loads(pickle.dumps(tagger))
    assert clone.version == tagger.version
    assert clone.tag(ISTANBUL_TITLE, ISTANBUL_TEXT) == tagger.tag(ISTANBUL_TITLE, ISTANBUL_TEXT)


def test_empty_and_missing_input(tagger: Tagger) -> None:
    for title, text in [(None, None), ("", ""), ("   ", "\n\n")]:
        result = tagger.tag(title, text)
        assert not result.is_conflict and not result.tags and not result.evidence


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300), st.one_of(st.none(), st.text(max_size=600)))
def test_never_raises_on_arbitrary_unicode(title: str, text: str | None) -> None:
    result = get_tagger().tag(title, text)
    assert 0.0 <= result.score <= 1.0
    json.dumps(result.to_json("x"))


# --- evaluation --------------------------------------------------------------------------------


def test_evaluate_reports_overall_and_per_source(tagger: Tagger) -> None:
    report = evaluate(tagger, FIXTURE_ROWS)
    assert set(report["by_source"]) == {"fixture-en", "fixture-ru", "fixture-uk", "fixture-tr"}
    assert report["overall"]["n"] == len(FIXTURE_ROWS)
    assert report["by_source"]["fixture-ru"]["f1"] >= 0.85
    assert report["tagger_version"] == tagger.version


# Floors a little under the full-set figures measured when the weights were fitted
# (see bench/eval_tagger.py; cross-validated figures are in docs and the closing note).
DEV_FLOORS = {
    "abp": {"f1": 0.94},
    "ruwa": {"recall": 0.95},
    "satp": {"recall": 0.975},
    "ag": {"fp_rate_max": 0.015},
    "bbc": {"fp_rate_max": 0.01},
}


@pytest.mark.shared
@pytest.mark.skipif(not DEV_SET.exists(), reason="../shared/data is not available")
def test_dev_set_floors(tagger: Tagger) -> None:
    report = evaluate(tagger, _rows(DEV_SET))
    for source, floors in DEV_FLOORS.items():
        figures = report["by_source"][source]
        for name, floor in floors.items():
            if name == "fp_rate_max":
                assert figures["fp_rate"] <= floor, (source, figures)
            else:
                assert figures[name] >= floor, (source, name, figures)


def test_russian_headlines_and_ledes(tagger: Tagger) -> None:
    """80 Russian headlines + ledes written after the lexicon was (40 war, 40 other incl. the
    metaphors "война с наркотиками", "ценовая война", "шпионская война", "битва за ...").

    Not tuned on: it measures the lexicon, it does not shape it. The issue's bar on held-out
    independent outlets is F1 >= 0.85 (a plain Russian keyword rule reaches 0.82).
    """
    rows = _rows(FIXTURES / "ru_headlines.jsonl")
    report = evaluate(tagger, rows)
    overall = report["overall"]
    assert overall["f1"] >= 0.85, report
    assert report["by_source"]["ru-war"]["recall"] >= 0.9, report
    assert report["by_source"]["ru-other"]["fp_rate"] <= 0.2, report


def test_per_process_caches_are_bounded(monkeypatch: pytest.MonkeyPatch, tagger: Tagger) -> None:
    # Evidence strings and folded non-ASCII runs are cached per process; a worker that tags
    # millions of articles must not grow without bound.
    from pipeline.tagging import evidence as evidence_module
    from pipeline.tagging import normalize as normalize_module

    monkeypatch.setattr(evidence_module, "_ITEMS", {"title": {}, "body": {}})
    monkeypatch.setattr(evidence_module, "_ITEMS_MAX", 2)
    monkeypatch.setattr(normalize_module, "_RUNS", {})
    monkeypatch.setattr(normalize_module, "_RUNS_MAX", 5)
    body = "A ceasefire in Gaza, an airstrike near Kyiv, troops in Sudan, talks in Istanbul."
    for i in range(40):  # a different non-ASCII letter each time: a new run to fold
        tagger.tag(None, f"{body} Caf{chr(0x100 + i)} number {i}.")
    assert 0 < len(evidence_module._ITEMS["body"]) <= 2
    assert 0 < len(normalize_module._RUNS) <= 5
