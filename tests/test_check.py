"""What the check finds: a table of posts it never trained on, offsets, listed terms, evidence."""

import datetime as dt

import pytest

from support import assert_finding, utf16_slice
from postguard.text import normalise

TABOO = [
    # financials
    ("de", "financials", "Intern schon durch: Unser Auftragseingang lag im Oktober bei 27 Mio. Euro, gut 15 % über Plan."),
    ("en", "financials", "Between us, our operating margin slipped to 4.1% this quarter and revenue came in at €62M."),
    # strategy
    ("de", "strategy", "Die Geschäftsführung hat beschlossen, das Werk in Minden Ende nächsten Jahres zu schließen, offiziell wird das erst im Januar verkündet."),
    ("en", "strategy", "Leadership has decided to acquire a Dutch software start-up; the deal should be signed before the announcement next month."),
    # unreleased products
    ("de", "unreleased_products", "Psst: Im Frühjahr bringen wir einen neuen Roboter auf den Markt, der Pakete komplett selbstständig sortiert. Der Prototyp läuft schon!"),
    ("en", "unreleased_products", "Sneak peek: our next-generation scanner launches in March with twice the range, the prototype already passed its first field test."),
    # customer projects
    ("de", "customer_projects", "Bei unserem Kunden Stadtwerke Lemgo geht das neue Lager erst im Mai live, weil die Steuerung noch Fehler hat."),
    ("en", "customer_projects", "Our client Harbor Foods signed a €4.5M contract with us yesterday, and their logistics director said our rival was far too expensive."),
]

HARMLESS = [
    ("de", "Heute war unser Sommerfest, danke an alle fürs Mitfeiern! 🎉"),
    ("de", "Ich freue mich riesig: Nach drei Jahren Ausbildung bin ich jetzt Mechatroniker! 🛠️ #Ausbildung"),
    ("de", "Beim Firmenlauf sind wir mit 42 Kolleginnen und Kollegen 5 km gelaufen und haben 3.000 € für das Kinderhospiz gesammelt. 🏃"),
    ("de", "Wir suchen eine Projektleiterin oder einen Projektleiter in Bielefeld – bewerbt euch gern über unsere Karriereseite!"),
    ("en", "So proud of my team today, thanks for all the support this year! 🙌"),
    ("en", "Just finished my first half marathon in 1:58 and raised $800 for the children's hospital 🏅"),
    ("en", "Our new conveyor is officially available as of today, here is the press release: https://example.com/press"),
    ("en", "Great panel on the talent shortage in engineering at the trade fair today, lots of food for thought. #manufacturing"),
]


@pytest.mark.parametrize("lang, topic, text", TABOO)
def test_taboo_posts_are_flagged_with_the_right_topic(checker, lang, topic, text):
    result = checker.check(text).to_dict()
    assert result["verdict"] == "warn"
    assert result["lang"] == lang
    assert [f["topic"] for f in result["findings"]] == [topic]
    assert_finding(result["findings"][0], topic, text)


@pytest.mark.parametrize("lang, text", HARMLESS)
def test_everyday_posts_are_not_flagged(checker, lang, text):
    result = checker.check(text).to_dict()
    assert result["findings"] == [], result["findings"]
    assert result["verdict"] == "ok"
    assert result["lang"] == lang


def test_texts_follow_the_posts_language(checker):
    german = checker.check(TABOO[0][2]).findings[0]
    english = checker.check(TABOO[1][2]).findings[0]
    assert german.title == "Finanzkennzahlen" and english.title == "Financial figures"
    assert german.guideline.startswith("Wirtschaftliche") and english.guideline.startswith("Economic")


def test_offsets_count_utf16_units_with_emoji_and_umlauts(checker):
    taboo = "Unser Umsatz lag im dritten Quartal bei 48 Millionen Euro, die Marge bei 9 %."
    text = "Grüße aus Köln 👋🏽😀! Schönes Wochenende euch allen 🎉.\n" + taboo
    (finding,) = checker.check(text).findings
    assert utf16_slice(text, finding.offset, finding.length) == taboo
    python_start = text.index(taboo)
    assert finding.offset > python_start  # the emoji before it are two UTF-16 units each


def test_long_harmless_post_with_one_taboo_sentence_in_the_middle(checker):
    before = (
        "Was für ein Jahr! Ich bin jetzt seit fünf Jahren im Team und jeden Tag lerne ich etwas Neues. "
        "Unsere Azubis haben beim Sommerfest gegrillt, und beim Firmenlauf waren wir so viele wie nie. "
    ) * 3
    taboo = "Übrigens schließen wir im Frühjahr unseren Standort in Herford und verlagern die Montage nach Tschechien."
    after = " Danke an alle für die tolle Zusammenarbeit, ich freue mich auf das nächste Jahr! 🎉" * 3
    text = before + taboo + after
    result = checker.check(text)
    assert [f.topic for f in result.findings] == ["strategy"]
    (finding,) = result.findings
    assert utf16_slice(text, finding.offset, finding.length) == taboo


def test_findings_are_sorted_and_never_overlap(checker):
    text = " ".join(t for _, _, t in TABOO)
    findings = checker.check(text).findings
    assert len(findings) >= 4
    ends = [f.offset + f.length for f in findings]
    assert all(f.offset >= end for f, end in zip(findings[1:], ends))
    assert [f.offset for f in findings] == sorted(f.offset for f in findings)


@pytest.mark.parametrize(
    "text",
    [
        "Falke ist fertig und ich darf noch nichts sagen 😇",
        "F a l k e kommt!",
        "Fаlkes erste Runde durch die Halle",  # Cyrillic а, inflected
        "nordkauf wird sich freuen",
    ],
)
def test_listed_terms_flag_regardless_of_case_inflection_and_evasion(checker, text):
    findings = checker.check(text).findings
    assert findings and findings[0].source == "listed"
    assert "Kommunikationsteams" in findings[0].message or "comms team" in findings[0].message


def test_listed_term_is_allowed_after_its_until_date(checker):
    text = "Falke ist fertig und ich darf noch nichts sagen 😇"
    before = checker.check(text, today=dt.date(2027, 3, 23)).findings
    after = checker.check(text, today=dt.date(2027, 3, 24)).findings
    assert any(f.source == "listed" for f in before)
    assert not any(f.source == "listed" for f in after)


@pytest.mark.parametrize("lang, topic, text", TABOO)
def test_removing_the_evidence_lowers_the_score(checker, lang, topic, text):
    (finding,) = checker.check(text).findings
    classifier = checker.model.classifier
    passage = utf16_slice(text, finding.offset, finding.length)
    stripped = passage
    for term in finding.evidence:
        stripped = stripped.replace(term, " ")
    # A finding's score is the passage's taboo score: 1 − P(ok) (classifier.taboo_scores).
    before, after = (
        1.0 - classifier.probabilities([normalise(part)])[0, classifier.labels.index("ok")]
        for part in (passage, stripped)
    )
    assert finding.topic == topic and before == pytest.approx(finding.score, abs=1e-3)
    assert after < before, (finding.evidence, before, after)


def test_listed_terms_are_found_in_any_sentence_but_never_across_two(checker):
    text = "Schönes Wochenende euch allen! Nordkauf wird sich freuen.\nGrüße an Hohenfels\nBrauerei-Tour war toll"
    listed = [f for f in checker.check(text).findings if f.source == "listed"]
    assert [utf16_slice(text, f.offset, f.length) for f in listed] == ["Nordkauf wird sich freuen."]


def test_a_long_post_scored_in_batches_gets_the_findings_of_one_batch(checker, monkeypatch):
    import postguard.check as check_module

    filler = "Danke an alle, die beim Sommerfest mitgeholfen haben, es war ein toller Tag. " * 80
    text = filler + TABOO[0][2] + " " + filler + TABOO[5][2] + " " + filler
    assert len(text) > 2 * check_module.BATCH_CHARACTERS  # three batches or more
    in_batches = checker.check(text).to_dict()
    monkeypatch.setattr(check_module, "BATCH_CHARACTERS", 10**9)
    assert checker.check(text).to_dict() == in_batches
    assert [f["topic"] for f in in_batches["findings"]] == ["financials", "unreleased_products"]


def _hit(topic, score, first, last, listed=None):
    from postguard.check import _Hit

    return _Hit(topic, score, start=first * 10, end=last * 10 + 9, first=first, index=last,
                sentences=[f"s{first}-{last}"], rows=[None], listed=listed)


def test_merge_keeps_the_strongest_hits_that_share_no_sentence_and_joins_neighbours():
    from postguard.check import _merge

    hits = [
        _hit("strategy", 0.91, 0, 0),
        _hit("financials", 0.95, 0, 1),  # a pair, stronger than sentence 0 alone: it wins both
        _hit("financials", 0.90, 2, 2),  # the next sentence, same topic: joined to the pair
        _hit("strategy", 0.97, 4, 5),
        _hit("customer_projects", 0.99, 5, 6),  # overlaps the pair before it and is stronger
        _hit("customer_projects", 1.0, 8, 8, listed="Nordkauf"),
        _hit("customer_projects", 0.85, 9, 9),  # listed hits are never joined
    ]
    merged = _merge(hits)
    assert [(h.topic, h.first, h.index, h.score) for h in merged] == [
        ("financials", 0, 2, 0.95),
        ("customer_projects", 5, 6, 0.99),
        ("customer_projects", 8, 8, 1.0),
        ("customer_projects", 9, 9, 0.85),
    ]
    assert merged[0].sentences == ["s0-1", "s2-2"]


def test_only_pairs_with_a_suspicious_sentence_are_scored():
    import numpy as np

    from postguard.classifier import PAIR_FLOOR, pairs_worth_scoring

    calm, suspicious = 1.0 - PAIR_FLOOR / 2, 1.0 - PAIR_FLOOR  # P(ok) of each sentence
    assert pairs_worth_scoring(np.array([calm, calm, suspicious, calm, calm, calm])).tolist() == [1, 2]
    assert pairs_worth_scoring(np.array([calm])).tolist() == []


def test_a_pair_finding_spans_both_sentences_and_its_evidence_is_in_them(checker, monkeypatch):
    """Sentences that warn only together are reported as one passage covering both."""
    import numpy as np

    import postguard.classifier as classifier_module
    from postguard.classifier import discounted_for_length

    first = "Die Eigentümer haben sich wieder mit den Banken getroffen."
    second = "Es kommt etwas Großes auf uns alle zu, mehr darf ich noch nicht sagen."
    text = f"Heute war ein guter Tag im Büro. {first} {second} Schönes Wochenende!"
    classifier = checker.model.classifier
    column = classifier.labels.index("strategy")
    singles = classifier.scores([normalise(first), normalise(second)])[:, column]
    together = classifier.scores([f"{normalise(first)} {normalise(second)}"])[0, column]
    assert together > singles.max()  # read together, the two say more than either alone
    # Thresholds for this test: strategy warns between the sentences' scores and the pair's, as
    # the thresholds see them in a post of four sentences.
    limits = np.full_like(checker._limits, np.inf)
    limits[column] = discounted_for_length((singles.max() + together) / 2, 4)
    monkeypatch.setattr(checker, "_limits", limits)
    monkeypatch.setattr(classifier_module, "PAIR_FLOOR", 0.0)  # score every pair
    findings = checker.check(text).findings
    assert [f.topic for f in findings] == ["strategy"]
    assert utf16_slice(text, findings[0].offset, findings[0].length) == f"{first} {second}"
    assert findings[0].evidence and all(term.lower() in f"{first} {second}".lower() for term in findings[0].evidence)


def test_a_long_post_needs_higher_odds_before_a_sentence_warns():
    import numpy as np

    from postguard.classifier import TYPICAL_POST_SENTENCES, discounted_for_length

    scores = np.array([[0.2, 0.8], [0.5, 0.5], [0.9, 0.1]])
    assert np.allclose(discounted_for_length(scores, TYPICAL_POST_SENTENCES), scores)
    assert np.allclose(discounted_for_length(scores, 1), scores)  # short posts are not eased
    odds = lambda p: p / (1 - p)
    assert np.allclose(odds(discounted_for_length(0.8, 4 * TYPICAL_POST_SENTENCES)), odds(0.8) / 4)
    per_row = discounted_for_length(scores, np.array([1, 2 * TYPICAL_POST_SENTENCES, 3 * TYPICAL_POST_SENTENCES]))
    assert np.allclose(odds(per_row), odds(scores) / np.array([[1], [2], [3]]))


def test_a_borderline_sentence_warns_alone_but_not_among_many_calm_ones(checker, monkeypatch):
    """The same sentence and score: alone it warns; in a long everyday post the bar is higher."""
    import numpy as np

    import postguard.classifier as classifier_module
    from postguard.classifier import discounted_for_length

    risky = "Unser Auftragseingang lag im dritten Quartal bei 48 Millionen Euro."
    calm = [
        "Heute war unser Sommerfest.", "Das Wetter hat gehalten.", "Die Azubis haben gegrillt.",
        "Es gab Kuchen von der Kantine.", "Danach haben wir Fußball gespielt.", "Ich bin stolz auf das Team.",
        "Nächste Woche geht es weiter.", "Bis bald!", "Schönes Wochenende euch allen.",
    ]
    classifier = checker.model.classifier
    column = classifier.labels.index("financials")
    score = classifier.scores([normalise(risky)])[0, column]
    long_post = 1 + len(calm)
    # The threshold for this test lies between the score as a short and as a long post sees it.
    limits = np.full_like(checker._limits, np.inf)
    limits[column] = (score + discounted_for_length(score, long_post)) / 2
    monkeypatch.setattr(checker, "_limits", limits)
    monkeypatch.setattr(classifier_module, "PAIR_FLOOR", 1.1)  # no pairs: the sentence alone counts
    assert [f.topic for f in checker.check(risky).findings] == ["financials"]
    assert checker.check(" ".join([risky, *calm])).findings == ()
    # A bar just under the sentence's score as the long post sees it: then it warns there too.
    limits[column] = np.nextafter(discounted_for_length(score, long_post), 0)
    assert [f.topic for f in checker.check(" ".join([risky, *calm])).findings] == ["financials"]
