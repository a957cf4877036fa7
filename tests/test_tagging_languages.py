"""Language-aware tagging: which lexicon a text gets, false friends, peace processes, per language.

The example texts are written for these tests (none is copied from a news source).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.tagging import Tagger, evaluate, get_tagger
from pipeline.tagging.language import ALL, choose_lexicon
from pipeline.tagging.normalize import prepare


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return get_tagger()


def _lexicon(title: str, text: str = "", language: str | None = None) -> str:
    pt = prepare(title)[0] if title else b""
    pb = prepare(text)[0] if text else b""
    return choose_lexicon(language, pt, pb, title, text)


# --- which lexicon -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "text", "language", "expected"),
    [
        ("Das Wetter war schön", "Die Sonne schien den ganzen Tag über dem See.", None, "de"),
        (
            "La météo",
            "Le soleil brille sur la ville et les enfants jouent dans le parc.",
            None,
            "fr",
        ),
        ("El tiempo", "El sol brilla sobre la ciudad y los niños juegan en el parque.", None, "es"),
        ("Hava durumu", "Bu hafta İstanbul'da hava güneşli ve ılık olacak.", None, "tr"),
        ("The weather", "The sun shone all day over the lake and the town.", None, "en"),
        ("Погода в Москве", "Всю неделю будет солнечно и тепло.", None, "cyr"),
        ("Погода в Києві", "Увесь тиждень буде сонячно і тепло.", None, "cyr"),
        ("الطقس في القاهرة", "يكون الجو مشمسا طوال الأسبوع", None, "ar"),
        # The script wins over a wrong label; a known label wins over function words.
        ("Погода в Москве", "Всю неделю будет солнечно.", "en", "cyr"),
        ("Putin Selenskyj Istanbul", "", "de-AT", "de"),
        # A headline of names and nouns, or a language without a lexicon: every lexicon.
        ("Putin Selenskyj Istanbul", "", None, ALL),
        ("Il tempo è bello oggi", "", "it", ALL),
    ],
)
def test_lexicon_is_chosen_by_script_then_language_then_function_words(
    title: str, text: str, language: str | None, expected: str
) -> None:
    assert _lexicon(title, text, language) == expected


def test_language_specific_letters_decide_a_short_turkish_headline() -> None:
    assert _lexicon("Ateşkes görüşmeleri sürüyor") == "tr"


# --- false friends and metaphors ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "text", "language"),
    [
        ("Das Wetter war schön", "Die Sonne schien, die Kinder spielten im Park.", None),
        ("Die Preise steigen", "Die Inflation war im Mai höher als erwartet.", "de"),
        ("Krieg der Sterne kommt zurück", "Der neue Film startet im Dezember im Kino.", "de"),
        ("Preiskrieg im Lebensmittelhandel", "Die Discounter senken die Preise erneut.", "de"),
        ("Wir kriegen das hin, sagt der Trainer", "Die Mannschaft verlor das Spiel 0:2.", "de"),
        ("Süpermarketlerde fiyat savaşı", "Zincir marketler indirim yarışına girdi.", "tr"),
        ("Bakan, heyeti kabul etti", "Görüşmede ticaret ve yatırım konuşuldu.", "tr"),
        ("Guerre des prix dans la grande distribution", "Les enseignes baissent leurs prix.", "fr"),
        ("Guerra de precios entre aerolíneas", "Las compañías bajan sus tarifas.", "es"),
        ("حرب الأسعار بين شركات الاتصالات", "خفضت الشركات أسعار الباقات", "ar"),
    ],
)
def test_ordinary_words_and_metaphors_are_not_conflict(
    tagger: Tagger, title: str, text: str, language: str | None
) -> None:
    result = tagger.tag(title, text, language)
    assert not result.is_conflict, result.evidence


def test_a_mask_with_the_same_words_as_a_name_overrides_it(tagger: Tagger) -> None:
    # Turkish "kabul" (accepted) is also an English spelling of Kabul.
    turkish = tagger.tag("Bakan, heyeti kabul etti", None, "tr")
    assert "title:kabul (ordinary)" in turkish.evidence
    assert not turkish.places
    english = tagger.tag("Taliban fighters enter Kabul", None, "en")
    assert "Afghanistan" in [t.value for t in english.places]


def test_german_compounds_match_by_open_stem_but_not_the_verb_kriegen(tagger: Tagger) -> None:
    result = tagger.tag("Ermittlungen wegen Kriegsverbrechen in Butscha", None, "de")
    assert "war crime" in [t.value for t in result.topics]
    assert not any("krieg" in e for e in tagger.tag("Sie kriegen mehr Geld", None, "de").evidence)


def test_arabic_terms_match_with_article_and_clitics(tagger: Tagger) -> None:
    result = tagger.tag("غارات على غزة", "وقالت مصادر إن القصف استمر بغزة والحرب مستمرة", "ar")
    assert result.is_conflict
    assert "Gaza" in [t.value for t in result.places]
    assert any("بغزه" in e or "بغزة" in e for e in result.evidence)
    assert any("والحرب" in e for e in result.evidence)


# --- each language, war and calm ----------------------------------------------------------------

WAR = [
    ("de", "Russische Raketenangriffe auf Kiew: mindestens zehn Tote", ""),
    ("de", "Waffenruhe in Gaza gebrochen", "Die israelische Armee meldet erneut Beschuss."),
    ("fr", "Frappes aériennes russes sur Kharkiv, au moins huit morts", ""),
    ("fr", "Attentat terroriste au Burkina Faso", "Des jihadistes ont attaqué une caserne."),
    ("es", "Bombardeos israelíes en Gaza dejan decenas de muertos", ""),
    ("es", "Ataque con drones contra Odesa", "El ejército ruso lanzó misiles durante la noche."),
    ("tr", "Rusya'dan Kiev'e füze saldırısı: 12 ölü", ""),
    ("tr", "Gazze'de ateşkes ihlali", "İsrail ordusu hava saldırısı düzenledi."),
    ("uk", "Росія атакувала Харків балістичними ракетами", "Загинули четверо людей."),
    ("ru", "ВСУ отразили атаку дронов на Одессу", "Ранены трое человек."),
    ("ar", "غارات إسرائيلية على غزة تقتل عشرين شخصا", ""),
    ("ar", "قصف روسي على خاركيف", "قتل ثلاثة مدنيين في هجوم بطائرات مسيرة"),
]
CALM = [
    ("de", "Bayern gewinnt gegen Dortmund", "Die Mannschaft von Trainer Kompany siegte 3:1."),
    ("de", "Neue Studie zu Schlaf und Gesundheit", "Forscher der Universität Wien befragten 2000."),
    ("fr", "Le PSG remporte le championnat", "L'entraîneur a salué la victoire de son équipe."),
    ("fr", "La Bourse de Paris termine en hausse", "Les actions du secteur bancaire progressent."),
    ("es", "El Real Madrid gana la liga", "El entrenador celebró la victoria con los jugadores."),
    ("es", "Sube el precio de la vivienda", "Los alquileres aumentan un cinco por ciento."),
    ("tr", "Galatasaray şampiyonluğa koşuyor", "Teknik direktör maç sonrası açıklama yaptı."),
    ("tr", "Borsa güne yükselişle başladı", "Yatırımcılar faiz kararını bekliyor."),
    ("uk", "Динамо перемогло Шахтар", "Головний тренер похвалив команду після матчу."),
    ("ru", "Зенит обыграл Спартак", "Главный тренер похвалил команду после матча."),
    ("ar", "ريال مدريد يفوز على برشلونة في الدوري", "سجل اللاعب هدفين في المباراة"),
    ("ar", "ارتفاع أسعار النفط في الأسواق العالمية", "قالت الشركة إن الأرباح ارتفعت"),
]


@pytest.mark.parametrize(("language", "title", "text"), WAR)
def test_war_news_is_conflict_in_every_language(
    tagger: Tagger, language: str, title: str, text: str
) -> None:
    for given in (language, None):  # labelled by the pass, or detected
        result = tagger.tag(title, text, given)
        assert result.is_conflict, (given, result.score, result.evidence)


@pytest.mark.parametrize(("language", "title", "text"), CALM)
def test_calm_news_is_not_conflict_in_every_language(
    tagger: Tagger, language: str, title: str, text: str
) -> None:
    for given in (language, None):
        result = tagger.tag(title, text, given)
        assert not result.is_conflict, (given, result.score, result.evidence)


# --- peace process ------------------------------------------------------------------------------

PEACE = [
    ("en", "Aliyev and Pashinyan meet in Abu Dhabi"),
    ("en", "Moscow and Kyiv agree prisoner swap"),
    ("de", "Treffen von Putin und Selenskyj in Istanbul"),
    ("de", "Gefangenenaustausch zwischen Russland und der Ukraine"),
    ("de", "EU beschließt neue Sanktionen wegen des Krieges"),
    ("fr", "Rencontre entre Aliev et Pachinian à Abou Dhabi"),
    ("fr", "Échange de prisonniers entre la Russie et l'Ukraine"),
    ("es", "Reunión entre Putin y Zelenski en Estambul"),
    ("tr", "Putin ve Zelenskiy İstanbul'da görüştü"),
    ("uk", "Зустріч Зеленського і Путіна в Стамбулі"),
    ("ru", "Встреча Алиева и Пашиняна в Абу-Даби"),
    ("ru", "О чем договорился Трамп с Путиным и Зеленским"),
    ("ar", "لقاء بين بوتين وزيلينسكي في إسطنبول"),
]


@pytest.mark.parametrize(("language", "title"), PEACE)
def test_peace_process_without_violence_words_is_conflict(
    tagger: Tagger, language: str, title: str
) -> None:
    result = tagger.tag(title, None, language)
    assert result.is_conflict, (result.score, result.evidence)


@pytest.mark.parametrize(
    ("language", "title", "decisive"),
    [
        ("ru", "Военнопленных держат в исправительной колонии", True),
        ("ru", "Пожар на НПЗ после атаки беспилотников", True),
        ("ru", "Пешеход сбит автомобилем на Тверской", False),
        ("uk", "Тенісистка купила нову ракетку", False),
        ("ru", "Удар по карману: цены на бензин выросли", False),
    ],
)
def test_only_specific_war_terms_decide_alone(
    tagger: Tagger, language: str, title: str, decisive: bool
) -> None:
    assert tagger.tag(title, None, language).is_conflict is decisive


@pytest.mark.parametrize(
    ("language", "title"),
    [
        ("en", "Putin meets Modi in Delhi"),
        ("de", "Merkel trifft Macron in Paris"),
        ("tr", "Erdoğan, Aliyev ile görüştü"),
        ("en", "Congress negotiators reach budget deal"),
    ],
)
def test_a_meeting_needs_two_sides_of_a_war(tagger: Tagger, language: str, title: str) -> None:
    assert not tagger.tag(title, None, language).is_conflict


# --- evaluation ---------------------------------------------------------------------------------


def test_evaluate_reports_per_language_and_set_with_none_for_missing_metrics(
    tagger: Tagger,
) -> None:
    rows = [
        {"id": "a", "title": t, "text": x, "label": True, "language": lang, "set": "mixed"}
        for lang, t, x in WAR
    ] + [
        {"id": "b", "title": t, "text": x, "label": False, "language": lang, "set": "calm"}
        for lang, t, x in CALM
    ]
    report = evaluate(tagger, rows)
    assert set(report["by_language"]) == {"de", "fr", "es", "tr", "uk", "ru", "ar"}
    assert report["by_language"]["de"]["f1"] == 1.0
    calm = report["by_language_set"]["de/calm"]
    assert calm["recall"] is None and calm["f1"] is None and calm["fp_rate"] == 0.0
    unlabelled = evaluate(tagger, [{"title": "The weather was fine", "text": "", "label": 0}])
    assert set(unlabelled["by_language"]) == {"en"}


# Floors a little under the figures measured on the whole sets (held-out and tuning parts
# together; see docs/tagging-multilingual.md for the held-out figures alone).
MULTILINGUAL_FLOORS = {
    "de": {"calm_fp": 0.02, "mixed_f1": 0.85},
    "es": {"calm_fp": 0.02},
    "fr": {"calm_fp": 0.02, "mixed_f1": 0.88},
    "tr": {"calm_fp": 0.02, "mixed_f1": 0.83},
    "uk": {"mixed_f1": 0.85},
}


@pytest.mark.shared
@pytest.mark.parametrize("language", sorted(MULTILINGUAL_FLOORS))
def test_multilingual_sets_floors(tagger: Tagger, shared_data: Path, language: str) -> None:
    path = shared_data / "labeled" / "multilingual" / f"{language}.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    groups = evaluate(tagger, rows)["by_language_set"]
    floors = MULTILINGUAL_FLOORS[language]
    if "calm_fp" in floors:
        assert groups[f"{language}/calm"]["fp_rate"] <= floors["calm_fp"], groups
    if "mixed_f1" in floors:
        assert groups[f"{language}/mixed"]["f1"] >= floors["mixed_f1"], groups
