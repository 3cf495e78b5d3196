"""The quality measurement behind docs/quality.md: the threshold-target sweep, and the evaluation
set kept apart from the base corpus."""

import re

import numpy as np
import pytest

from support import POLICY, ROOT
from postguard.cli import run
from postguard.evaluation import (
    POOLED, Case, company_subset, format_evaluation, format_sweep, load_cases, pooled, threshold_sweep,
)
from postguard.examples import Example, load_base_corpus
from postguard.policy import load_policy
from postguard.text import normalise

TOPICS = ("financials", "strategy", "unreleased_products", "customer_projects")
WORDS = {
    "financials": "revenue profit quarter margin",
    "strategy": "closing site merger restructuring",
    "unreleased_products": "prototype launch codename secret",
    "customer_projects": "customer contract rollout client",
}


def small_material():
    examples = [
        Example(f"Our {WORDS[topic]} news number {n} for {topic.replace('_', ' ')}", topic)
        for topic in TOPICS
        for n in range(8)
    ]
    examples += [Example(f"Lovely summer party number {n} with the team and cake", "ok") for n in range(20)]
    cases = [Case(f"The {WORDS[topic]} is here", topic, "en", "taboo") for topic in TOPICS]
    cases += [Case("What a lovely summer party with cake", "ok", "en", "harmless"),
              Case("Cake for the team in the second quarter", "ok", "en", "hard")]
    return examples, cases


def test_sweep_measures_every_target_from_one_training():
    examples, cases = small_material()
    policy = load_policy(POLICY)
    points = threshold_sweep(examples, policy, {"small.csv": cases}, None, [0.001, 0.5])
    assert [target for target, _ in points] == [0.001, 0.5]
    strict, loose = points[0][1]["small.csv"], points[1][1]["small.csv"]
    # A looser target never raises a threshold: it finds at least as much, warns at least as often.
    assert loose["taboo_recall"][0] >= strict["taboo_recall"][0]
    assert loose["false_alarms_harmless"][0] >= strict["false_alarms_harmless"][0]
    assert strict["taboo_recall"][1] == len(TOPICS)  # every taboo case was measured
    table = format_sweep(points).splitlines()
    assert table[0] == "`small.csv`:"
    assert table[2].startswith("| target per topic | taboo recall | false alarms |")
    assert table[4].startswith("| 0.10% | ") and table[5].startswith("| 50.00% | ")
    assert "tweets flagged" not in table[2]  # no real text given, no column for it


def test_pooled_measures_add_the_sets_posts_together():
    first = {"taboo_recall": (0.5, 2), "topic_accuracy": (1.0, 1), "false_alarms_harmless": (0.0, 3),
             "false_alarms_hard": (0.0, 1), "evasion_recall": (1.0, 2), "misses": ["a"], "false_alarms": [],
             "benign_tweets_flag_rate": (0.01, 1000)}
    second = {**first, "taboo_recall": (1.0, 4), "topic_accuracy": (0.75, 4),
              "false_alarms_harmless": (1 / 3, 3), "evasion_recall": (None, 0), "misses": ["b"]}
    both = pooled([first, second])
    assert both["taboo_recall"] == (5 / 6, 6)  # 1 of 2 and 4 of 4, not the mean of 0.5 and 1.0
    assert both["topic_accuracy"] == (4 / 5, 5)
    assert both["false_alarms_harmless"] == (1 / 6, 6)
    assert both["evasion_recall"] == (1.0, 2)  # a set without evasions adds none
    assert both["benign_tweets_flag_rate"] == (0.01, 1000)  # real text is measured once for all sets
    assert "misses" not in both


def test_several_sets_are_also_measured_pooled():
    examples, cases = small_material()
    points = threshold_sweep(examples, load_policy(POLICY), {"a.csv": cases, "b.csv": cases[:3]}, None, [0.5])
    measured = points[0][1]
    assert list(measured) == ["a.csv", "b.csv", POOLED]
    recall = measured[POOLED]["taboo_recall"]
    assert recall[1] == len(TOPICS) + 3
    assert recall[0] == pytest.approx(
        (measured["a.csv"]["taboo_recall"][0] * len(TOPICS) + measured["b.csv"]["taboo_recall"][0] * 3) / recall[1])
    assert f"`{POOLED}`:" in format_sweep(points)


@pytest.mark.parametrize("share", ["0", "1", "1.5", "-0.1", "often"])
def test_evaluate_refuses_a_target_that_is_no_share(share, capsys):
    with pytest.raises(SystemExit) as exit_:
        run(["evaluate", "--targets", share])
    assert exit_.value.code == 2
    assert "must be a share between 0 and 1" in capsys.readouterr().err


# Eight words in a row: long enough that everyday phrases ("thank you to all our customers")
# do not count, short enough to catch a sentence copied with a name changed.
SHARED_RUN = 8


def word_runs(text: str, length: int = SHARED_RUN) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", normalise(text))
    return {tuple(words[i : i + length]) for i in range(len(words) - length + 1)}


@pytest.mark.parametrize(
    "evaluation_set", sorted(str(path.relative_to(ROOT / "eval")) for path in (ROOT / "eval").rglob("*.csv"))
)
def test_base_corpus_repeats_no_passage_of_the_evaluation_sets(evaluation_set):
    # An evaluation set measures posts the model never saw: a base post that repeats one of
    # its passages would make the reported quality a memory test.
    cases = load_cases(ROOT / "eval" / evaluation_set)
    evaluated = set().union(*(word_runs(case.text) for case in cases))
    base = load_base_corpus(load_policy(POLICY).topic_ids)
    repeated = [example.text[:80] for example in base if word_runs(example.text) & evaluated]
    assert len(base) > 5_000 and len(evaluated) > 4_000  # both sides were read
    assert repeated == []


def test_evaluate_without_evaluation_sets_says_where_it_looked(tmp_path, monkeypatch, capsys):
    # An installed package has no eval/ folder beside it: say so instead of measuring nothing.
    monkeypatch.setattr("postguard.cli.EVALUATION_SETS", tmp_path)
    assert run(["evaluate", "--no-curve"]) == 2
    assert f"no evaluation sets in {tmp_path}" in capsys.readouterr().err


def test_evaluate_report_has_a_table_per_evaluation_set():
    case = {"taboo_recall": (0.5, 2), "topic_accuracy": (1.0, 1), "false_alarms_harmless": (0.0, 3),
            "false_alarms_hard": (0.0, 1), "evasion_recall": (None, 0), "misses": ["missed"],
            "false_alarms": []}
    both = pooled([case, {**case, "taboo_recall": (1.0, 2)}])
    report = {
        "shipped": {"first.csv": case, "second.csv": {**case, "taboo_recall": (1.0, 2)}, POOLED: both},
        "learning_curve": [(5, {"first.csv": case, "second.csv": case, POOLED: both})],
        "real_text": {"benign_tweets_flag_rate": (0.01, 1000)},
    }
    text = format_evaluation(report, show_errors=True)
    together = text.split(f"`{POOLED}`:")[1].split("Real")[0]
    assert "| recall on taboo posts | 0.750 | 4 |" in together
    assert "Missed taboo posts" not in together  # the sets' own lists are not repeated
    first, second, real = text.split("\n\n`")[0], text.split("`second.csv`:")[1].split("Real")[0], text.split("Real third-party text:")[1]
    assert "| recall on taboo posts | 0.500 | 2 |" in first and "- 'missed'" in first
    assert "| recall on taboo posts | 1.000 | 2 |" in second
    assert "recall on evasions" not in second  # a set without evasions gets no row for them
    assert "| 5 | 0.500 | 1.000 | 0.000 | 0.000 | – |" in second
    assert "| flag rate, real benign German tweets | 0.010 | 1000 |" in real


def test_a_learning_curve_point_keeps_n_examples_per_topic_and_every_harmless_one():
    examples, _ = small_material()
    first = company_subset(examples, 3)
    assert [e.text for e in first if e.topic == "strategy"] == [
        f"Our {WORDS['strategy']} news number {n} for strategy" for n in range(3)
    ]
    draws = [company_subset(examples, 3, np.random.default_rng(seed)) for seed in range(4)]
    for subset in [first, *draws]:
        assert {t: sum(e.topic == t for e in subset) for t in TOPICS} == dict.fromkeys(TOPICS, 3)
        assert sum(e.topic == "ok" for e in subset) == 20
        assert [e for e in examples if e in subset] == subset  # file order kept
    assert len({tuple(e.text for e in subset) for subset in draws}) > 1  # draws differ
