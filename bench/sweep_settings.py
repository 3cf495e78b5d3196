"""Sweep settings of the default design: cross-validated quality beside the evaluation set's.

    python bench/sweep_settings.py [--seed 0] [--only "C 3" ...] [--real-data ../shared/data] [--cases eval/*.csv]

Each setting changes one thing of `features.chars_words_logistic` (the default design until
6 December 2026, when the calibrated linear SVM replaced it) and is trained as the shipped model
is (base corpus + model/examples.csv, sentence rounds, thresholds from 5-fold cross-validation
with the given fold seed). A choice between settings should rest on the
cross-validated columns; the evaluation set and the real text only confirm it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "server"))

from postguard.evaluation import checker_of, load_case_sets, measure_checker, row_label  # noqa: E402
from postguard.examples import load_base_corpus, load_examples  # noqa: E402
from postguard.features import chars_words_logistic  # noqa: E402
from postguard.policy import load_policy  # noqa: E402
from postguard.training import train  # noqa: E402


def design(**changes):
    """The logistic-regression design with some parameters of its parts changed, named as
    scikit-learn names nested parameters ("features__chars__max_df", "model__C")."""
    return lambda: chars_words_logistic().set_params(**changes)


def both(name: str, value):
    """One parameter changed alike in the character and the word n-grams."""
    return {f"features__chars__{name}": value, f"features__words__{name}": value}


SETTINGS = {
    "default": design(),
    "C 30": design(model__C=30.0),
    "C 3": design(model__C=3.0),
    "chars 1–5": design(features__chars__ngram_range=(1, 5)),
    "chars 2–6": design(features__chars__ngram_range=(2, 6)),
    "chars 3–5": design(features__chars__ngram_range=(3, 5)),
    "words 1–3": design(features__words__ngram_range=(1, 3)),
    "max_df 0.4": design(**both("max_df", 0.4)),
    "max_df 0.5": design(**both("max_df", 0.5)),
    "max_df 0.7": design(**both("max_df", 0.7)),
    "max_df 1.0": design(**both("max_df", 1.0)),
    "max_df 0.5 for chars only": design(features__chars__max_df=0.5),
    "max_df 0.5 for words only": design(features__words__max_df=0.5),
    "min_df 1": design(**both("min_df", 1)),
    "classes not balanced": design(model__class_weight=None),
    "plain tf (not sublinear)": design(**both("sublinear_tf", False)),
}

COLUMNS = ("CV recall", "CV false alarms", "CV company recall", "CV company false alarms", "taboo recall",
           "false alarms", "hard false alarms", "evasion recall", "tweets flagged",
           "financial news → financials")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="shuffle of the cross-validation folds")
    parser.add_argument("--only", action="append", choices=list(SETTINGS), help="only these settings")
    parser.add_argument("--real-data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--cases", type=Path, nargs="+", default=[ROOT / "eval" / "sample_company.csv"],
                        metavar="CSV", help="evaluation sets (default: the first; eval/*.csv for every set)")
    args = parser.parse_args()
    policy = load_policy(ROOT / "model" / "policy.toml")
    examples = load_examples(ROOT / "model" / "examples.csv", policy.topic_ids)
    examples += load_base_corpus(policy.topic_ids)
    case_sets = load_case_sets(args.cases)
    print(f"| setting (fold seed {args.seed}) | " + " | ".join(COLUMNS) + " |")
    print("|---" * (len(COLUMNS) + 1) + "|")
    for name, make in SETTINGS.items():
        if args.only and name not in args.only:
            continue
        result = train(examples, policy, seed=args.seed, design=make)
        cv, company = result.quality["all"], result.quality["company"]
        checker = checker_of(result.classifier, policy)
        for set_name, measured in measure_checker(checker, case_sets, args.real_data).items():
            cells = [cv["taboo_recall"], cv["false_alarm_rate"], company["taboo_recall"], company["false_alarm_rate"]]
            cells += [measured.get(key, (None,))[0] for key in (
                "taboo_recall", "false_alarms_harmless", "false_alarms_hard", "evasion_recall",
                "benign_tweets_flag_rate", "financial_news_financials_rate",
            )]
            print(f"| {row_label(name, set_name, case_sets)} | "
                  + " | ".join("–" if cell is None else f"{cell:.3f}" for cell in cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
