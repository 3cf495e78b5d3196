"""How much the thresholds depend on the shuffle of the cross-validation folds, and whether
pooling several shuffles would change what the check finds.

    python bench/threshold_stability.py [--seeds 0 1 2 3] [--real-data ../shared/data] [--cases eval/*.csv]

The shipped model is trained once (base corpus + model/examples.csv). Out-of-fold scores are
then made with each fold seed; thresholds are chosen from each seed's scores alone and from all
of them pooled (every example scored once per seed), and each set of thresholds is applied to
the same fitted pipeline on the evaluation set and the real text.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "server"))

import numpy as np  # noqa: E402

from postguard.classifier import Classifier  # noqa: E402
from postguard.evaluation import checker_of, load_case_sets, measure_checker, row_label  # noqa: E402
from postguard.examples import load_base_corpus, load_examples  # noqa: E402
from postguard.policy import load_policy  # noqa: E402
from postguard.training import FOLDS, choose_thresholds, cross_validated_scores, fit, measure  # noqa: E402

MEASURES = ("taboo_recall", "false_alarms_harmless", "false_alarms_hard", "benign_tweets_flag_rate",
            "financial_news_financials_rate")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3], help="fold shuffles")
    parser.add_argument("--real-data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--cases", type=Path, nargs="+", default=[ROOT / "eval" / "sample_company.csv"],
                        metavar="CSV", help="evaluation sets (default: the first; eval/*.csv for every set)")
    args = parser.parse_args()
    policy = load_policy(ROOT / "model" / "policy.toml")
    examples = load_examples(ROOT / "model" / "examples.csv", policy.topic_ids)
    examples += load_base_corpus(policy.topic_ids)
    labels = np.array([example.topic for example in examples])
    case_sets = load_case_sets(args.cases)
    pipeline = fit([example.text for example in examples], labels)

    scores, classes = {}, None
    for seed in args.seeds:
        scores[seed], classes = cross_validated_scores(examples, FOLDS, seed)
    runs = {f"seed {seed}": [scores[seed]] for seed in args.seeds}
    runs["pooled"] = list(scores.values())

    topics = [topic for topic in classes if topic in policy.topic_ids]
    header = ["thresholds from", *topics, "CV recall", "CV false alarms", "taboo recall", "false alarms",
              "hard false alarms", "tweets flagged", "financial news → financials"]
    print("| " + " | ".join(header) + " |")
    print("|---" * len(header) + "|")
    for name, chosen_from in runs.items():
        thresholds = choose_thresholds(np.vstack(chosen_from), classes, np.tile(labels, len(chosen_from)),
                                       policy.topic_ids)
        # Cross-validated quality of these thresholds, averaged over every seed's folds.
        cv = [measure(scores[seed], classes, labels, thresholds) for seed in args.seeds]
        classifier = Classifier(pipeline=pipeline, thresholds=thresholds)
        checker = checker_of(classifier, policy)
        for set_name, measured in measure_checker(checker, case_sets, args.real_data).items():
            cells = [f"{thresholds[topic]:.3f}" for topic in topics]
            cells += [f"{np.mean([m['taboo_recall'] for m in cv]):.3f}",
                      f"{np.mean([m['false_alarm_rate'] for m in cv]):.3f}"]
            cells += ["–" if measured.get(key) is None else f"{measured[key][0]:.3f}" for key in MEASURES]
            print(f"| {row_label(name, set_name, case_sets)} | " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
