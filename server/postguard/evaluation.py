"""Measuring the check on posts it never trained on: the company's evaluation set, a learning
curve over the number of company examples, and real third-party text when it is at hand."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .artifact import Model
from .check import Checker
from .classifier import Classifier
from .examples import Example, load_base_corpus, load_examples
from .features import DEFAULT_DESIGN
from .policy import HARMLESS, Policy
from .training import FOLDS, SEED, choose_thresholds, cross_validated_scores, fit, train

LEARNING_CURVE = (5, 12, 25, 50)
# The name under which the sets' posts are measured together, when there are several sets.
POOLED = "all sets pooled"
# The rates of `measure_cases`, each a (rate, posts) pair that can be pooled.
RATES = ("taboo_recall", "topic_accuracy", "false_alarms_harmless", "false_alarms_hard", "evasion_recall")


@dataclass(frozen=True)
class Case:
    """A labelled post of the evaluation set."""

    text: str
    topic: str
    lang: str
    kind: str  # taboo, harmless, hard (harmless but business-looking) or evasion


def load_cases(path: str | Path) -> list[Case]:
    """Read an evaluation CSV with columns text,topic,lang,kind."""
    with open(path, encoding="utf-8", newline="") as stream:
        return [
            Case(row["text"], row["topic"], row["lang"], row["kind"])
            for row in csv.DictReader(stream)
        ]


def read_texts(path: str | Path) -> list[str]:
    """Read a one-column CSV of texts (header `text`)."""
    with open(path, encoding="utf-8", newline="") as stream:
        return [row["text"] for row in csv.DictReader(stream)]


def checker_for(examples: list[Example], policy: Policy, design=DEFAULT_DESIGN) -> Checker:
    """Train on `examples` and wrap the result in a checker, as the server would use it."""
    return checker_of(train(examples, policy, design=design).classifier, policy)


def checker_of(classifier: Classifier, policy: Policy) -> Checker:
    """A trained classifier wrapped in a checker, as the server would use it."""
    card = {"version": "evaluation", "trained_at": dt.datetime.now(dt.timezone.utc).isoformat()}
    return Checker(Model(classifier=classifier, card=card), policy)


def decided_topic(checker: Checker, text: str) -> str:
    """The topic of the strongest finding, or 'ok' when the check finds nothing."""
    findings = checker.check(text).findings
    if not findings:
        return HARMLESS
    return max(findings, key=lambda finding: finding.score).topic


def measure_cases(checker: Checker, cases: list[Case]) -> dict:
    """Recall, topic accuracy, false alarms and evasion recall on the evaluation set."""
    decided = [decided_topic(checker, case.text) for case in cases]

    def rate(kinds, hit):
        chosen = [(c, d) for c, d in zip(cases, decided) if c.kind in kinds]
        return (sum(hit(c, d) for c, d in chosen) / len(chosen), len(chosen)) if chosen else (None, 0)

    flagged = [(c, d) for c, d in zip(cases, decided) if c.kind in ("taboo", "evasion") and d != HARMLESS]
    return {
        "taboo_recall": rate(("taboo",), lambda c, d: d != HARMLESS),
        "topic_accuracy": (
            sum(c.topic == d for c, d in flagged) / len(flagged) if flagged else None,
            len(flagged),
        ),
        "false_alarms_harmless": rate(("harmless", "hard"), lambda c, d: d != HARMLESS),
        "false_alarms_hard": rate(("hard",), lambda c, d: d != HARMLESS),
        "evasion_recall": rate(("evasion",), lambda c, d: d != HARMLESS),
        "misses": [c.text for c, d in zip(cases, decided) if c.kind in ("taboo", "evasion") and d == HARMLESS],
        "false_alarms": [
            (c.text, d) for c, d in zip(cases, decided) if c.topic == HARMLESS and d != HARMLESS
        ],
    }


def pooled(measured: list[dict]) -> dict:
    """The sets as one: each rate over all their posts together. A set of 120 taboo posts moves
    its recall by 0.8 points per post, so one set alone says little about a point or two; the
    posts of all sets say more. Real-text rates, measured once for all sets, are carried over."""
    result = {}
    for key in RATES:
        posts = sum(m[key][1] for m in measured if m[key][0] is not None)
        hits = sum(round(m[key][0] * m[key][1]) for m in measured if m[key][0] is not None)
        result[key] = (hits / posts if posts else None, posts)
    for key, value in measured[0].items() if measured else ():
        if key not in RATES and key not in ("misses", "false_alarms"):
            result[key] = value
    return result


def with_pooled(per_set: dict[str, dict]) -> dict[str, dict]:
    """`per_set` and, when it holds several sets, their pooled measures under `POOLED`."""
    if len(per_set) < 2:
        return per_set
    return {**per_set, POOLED: pooled(list(per_set.values()))}


def measure_real_text(checker: Checker, data_dir: Path | None) -> dict:
    """Flag rate on real benign German tweets; financials rate on real financial-news sentences.
    Empty when `data_dir` is not given or not there: the third-party data is optional."""
    results = {}
    if data_dir is None or not data_dir.is_dir():
        return results
    tweets = data_dir / "germeval2018_benign_de_tweets.csv"
    if tweets.is_file():
        texts = read_texts(tweets)
        flagged = sum(decided_topic(checker, text) != HARMLESS for text in texts)
        results["benign_tweets_flag_rate"] = (flagged / len(texts), len(texts))
    figures = data_dir / "financial_phrasebank_figures_en.csv"
    if figures.is_file():
        texts = read_texts(figures)
        hits = sum(decided_topic(checker, text) == "financials" for text in texts)
        results["financial_news_financials_rate"] = (hits / len(texts), len(texts))
    return results


def measure_checker(checker: Checker, case_sets: dict[str, list[Case]], data_dir: Path | None) -> dict[str, dict]:
    """Per evaluation set, `measure_cases` with `measure_real_text` (measured once) in one dict."""
    real = measure_real_text(checker, data_dir)
    return {name: {**measure_cases(checker, cases), **real} for name, cases in case_sets.items()}


def learning_curve(
    company: list[Example], base: list[Example], policy: Policy, case_sets: dict[str, list[Case]],
    sizes: tuple[int, ...] = LEARNING_CURVE,
) -> list[tuple[int, dict[str, dict]]]:
    """Quality with the first n company examples per topic (all company harmless posts kept),
    measured on every evaluation set by the same trained checker."""
    points = []
    for size in sizes:
        checker = checker_for(company_subset(company, size) + base, policy)
        points.append((size, with_pooled({name: measure_cases(checker, cases) for name, cases in case_sets.items()})))
    return points


def company_subset(company: list[Example], size: int, rng: np.random.Generator | None = None) -> list[Example]:
    """`size` of the company's examples per topic and all its harmless ones, in file order: the
    first ones, or with `rng` a random draw (how much it matters which ones comms wrote)."""
    chosen: set[int] = set()
    for topic in sorted({example.topic for example in company} - {HARMLESS}):
        members = [i for i, example in enumerate(company) if example.topic == topic]
        if rng is not None:
            members = rng.permutation(members).tolist()
        chosen.update(members[:size])
    return [example for i, example in enumerate(company) if example.topic == HARMLESS or i in chosen]


def threshold_sweep(
    examples: list[Example], policy: Policy, case_sets: dict[str, list[Case]], data_dir: Path | None,
    targets: list[float], design=DEFAULT_DESIGN,
) -> list[tuple[float, dict[str, dict]]]:
    """Quality at several false-alarm targets (share of harmless training posts each topic may
    flag on cross-validation), per evaluation set. One training serves all: the cross-validated
    scores and the fitted model are the same, only the thresholds chosen from them differ, as
    in `train`. Real text, when at hand, is measured once per target and shown with every set."""
    labels = np.array([example.topic for example in examples])
    scores, classes = cross_validated_scores(examples, FOLDS, SEED, design)
    pipeline = fit([example.text for example in examples], labels, design)
    points = []
    for target in targets:
        thresholds = choose_thresholds(scores, classes, labels, policy.topic_ids, target)
        checker = checker_of(Classifier(pipeline=pipeline, thresholds=thresholds), policy)
        points.append((target, with_pooled(measure_checker(checker, case_sets, data_dir))))
    return points


def format_sweep(points: list[tuple[float, dict[str, dict]]]) -> str:
    """The threshold-target tables of docs/quality.md, one per evaluation set."""
    columns = {
        "taboo_recall": "taboo recall",
        "false_alarms_harmless": "false alarms",
        "false_alarms_hard": "hard false alarms",
        "evasion_recall": "evasion recall",
        "benign_tweets_flag_rate": "tweets flagged",
        "financial_news_financials_rate": "financial news → financials",
    }
    blocks = []
    for name in points[0][1] if points else ():
        shown = [key for key in columns if all(key in measured[name] for _, measured in points)]
        lines = [
            f"`{name}`:",
            "",
            "| target per topic | " + " | ".join(columns[key] for key in shown) + " |",
            "|---|" + "---|" * len(shown),
        ]
        for target, measured in points:
            lines.append(f"| {target:.2%} | " + " | ".join(_fmt(measured[name][key][0]) for key in shown) + " |")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def load_case_sets(paths: list[Path]) -> dict[str, list[Case]]:
    """Evaluation sets by file name, in the order given."""
    return {Path(path).name: load_cases(path) for path in paths}


def row_label(name: str, set_name: str, case_sets: dict[str, list[Case]]) -> str:
    """A benchmark table's row name: with the evaluation set's name when several are measured."""
    return name if len(case_sets) == 1 else f"{name}, {set_name}"


def evaluate(
    examples_path: Path, policy: Policy, case_paths: list[Path], data_dir: Path | None,
    curve: bool = True,
) -> dict:
    """Everything the quality document reports, for the shipped material, on every set."""
    company = load_examples(examples_path, policy.topic_ids)
    base = load_base_corpus(policy.topic_ids)
    case_sets = load_case_sets(case_paths)
    checker = checker_for(company + base, policy)
    report = {
        "shipped": with_pooled({name: measure_cases(checker, cases) for name, cases in case_sets.items()}),
        "real_text": measure_real_text(checker, data_dir),
    }
    if curve:
        report["learning_curve"] = learning_curve(company, base, policy, case_sets)
    return report


def format_evaluation(report: dict, show_errors: bool = False) -> str:
    """The evaluation as Markdown tables, ready for docs/quality.md: per evaluation set the
    measures, the learning curve and (on request) the misses and false alarms; then real text."""
    names = {
        "taboo_recall": "recall on taboo posts",
        "topic_accuracy": "topic accuracy among flagged posts",
        "false_alarms_harmless": "false alarms, all harmless posts",
        "false_alarms_hard": "false alarms, hard harmless posts",
        "evasion_recall": "recall on evasions",
        "benign_tweets_flag_rate": "flag rate, real benign German tweets",
        "financial_news_financials_rate": "financials rate, real financial-news sentences",
    }

    def measure_table(measured: dict) -> list[str]:  # a row for each measure with posts behind it
        rows = [(name, *measured[key]) for key, name in names.items() if key in measured and measured[key][1]]
        return ["| measure | value | posts |", "|---|---|---|"] + [
            f"| {name} | {_fmt(value)} | {count} |" for name, value, count in rows
        ]

    blocks = []
    for set_name, shipped in report["shipped"].items():
        lines = [f"`{set_name}`:", ""] + measure_table(shipped)
        if "learning_curve" in report:
            lines += [
                "",
                "| company examples per topic | taboo recall | topic accuracy | false alarms | hard false alarms | evasion recall |",
                "|---|---|---|---|---|---|",
            ]
            for size, per_set in report["learning_curve"]:
                m = per_set[set_name]
                lines.append(
                    f"| {size} | {_fmt(m['taboo_recall'][0])} | {_fmt(m['topic_accuracy'][0])} | "
                    f"{_fmt(m['false_alarms_harmless'][0])} | {_fmt(m['false_alarms_hard'][0])} | "
                    f"{_fmt(m['evasion_recall'][0])} |"
                )
        if show_errors and "misses" in shipped:  # a pooled block has no posts of its own to list
            lines += ["", "Missed taboo posts:"] + [f"- {t[:160]!r}" for t in shipped["misses"]]
            lines += ["", "False alarms:"] + [f"- [{d}] {t[:160]!r}" for t, d in shipped["false_alarms"]]
        blocks.append("\n".join(lines))
    if report.get("real_text"):
        blocks.append("\n".join(["Real third-party text:", ""] + measure_table(report["real_text"])))
    return "\n\n".join(blocks)


def _fmt(value) -> str:
    return "–" if value is None else f"{value:.3f}"
