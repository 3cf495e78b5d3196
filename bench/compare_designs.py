"""Compare classifier designs on the sample company's evaluation set and real third-party text.

    python bench/compare_designs.py [--real-data ../shared/data]

Each design is trained the same way (base corpus + model/examples.csv, sentence rounds,
thresholds from 5-fold cross-validation) and measured with the same check the server runs.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "server"))

import re  # noqa: E402

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from sklearn.calibration import CalibratedClassifierCV  # noqa: E402
from sklearn.pipeline import FeatureUnion, Pipeline  # noqa: E402
from sklearn.preprocessing import FunctionTransformer  # noqa: E402
from sklearn.svm import LinearSVC  # noqa: E402

from postguard.evaluation import checker_for, load_cases, measure_checker  # noqa: E402
from postguard.examples import load_base_corpus, load_examples  # noqa: E402
from postguard.features import char_ngrams, chars_words_logistic, logistic_regression, word_ngrams  # noqa: E402
from postguard.policy import load_policy  # noqa: E402

# Amounts with a unit of money or share (normalised text); numbers are matched from their start
# and capped in length so that long digit runs cost linear time.
AMOUNT = re.compile(
    r"(?<![\d.,])\d[\d.,]{0,20}\s?(?:%|prozent|percent|prozentpunkte|percentage points|mio|mrd"
    r"|million|millionen|milliarden|billion|bn|mn|m\b|k\b|tsd|teur|eur|euro|usd|dollar|\$|€|£|chf|sek)"
)
CURRENCY = re.compile(r"€|\$|£|\beur\b|\beuro\b|\busd\b|\bchf\b|\bsek\b")
CHANGE = re.compile(r"(?:from|von)\s+\D{0,6}\d[\d.,]{0,20}.{0,25}?\s(?:to|auf)\s+\D{0,6}\d")


def figure_signals(sentences):
    """Three signals per sentence: amounts (capped at 3, scaled), a currency, a change of a figure."""
    rows = [
        (min(len(AMOUNT.findall(t)), 3) / 3, float(bool(CURRENCY.search(t))), float(bool(CHANGE.search(t))))
        for t in sentences
    ]
    return sp.csr_matrix(np.array(rows, dtype=np.float32).reshape(len(rows), 3))


def signal_names(transformer, input_features):
    return np.array(["signal:amounts", "signal:currency", "signal:change"], dtype=object)


def words_logistic():
    return Pipeline([("features", FeatureUnion([("words", word_ngrams())])), ("model", logistic_regression())])


def chars_words_signals_logistic():
    signals = FunctionTransformer(figure_signals, feature_names_out=signal_names)
    features = FeatureUnion([("chars", char_ngrams()), ("words", word_ngrams()), ("signals", signals)])
    return Pipeline([("features", features), ("model", logistic_regression())])


def chars_words_calibrated_svm():
    svm = CalibratedClassifierCV(LinearSVC(C=0.5, class_weight="balanced"), method="sigmoid", cv=3)
    features = FeatureUnion([("chars", char_ngrams()), ("words", word_ngrams())])
    return Pipeline([("features", features), ("model", svm)])


DESIGNS = {
    "words + logistic regression": words_logistic,
    "chars + words + logistic regression (default)": chars_words_logistic,
    "chars + words + figure signals + logistic regression": chars_words_signals_logistic,
    "chars + words + calibrated linear SVM": chars_words_calibrated_svm,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real-data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--design", action="append", help="only these designs (by name)")
    args = parser.parse_args()
    policy = load_policy(ROOT / "model" / "policy.toml")
    examples = load_examples(ROOT / "model" / "examples.csv", policy.topic_ids)
    examples += load_base_corpus(policy.topic_ids)
    cases = load_cases(ROOT / "eval" / "sample_company.csv")
    print("| design | taboo recall | topic accuracy | false alarms | hard false alarms | evasion recall "
          "| tweets flagged | financial news → financials | training s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, design in DESIGNS.items():
        if args.design and name not in args.design:
            continue
        started = time.perf_counter()
        checker = checker_for(examples, policy, design)
        seconds = time.perf_counter() - started
        measured = measure_checker(checker, cases, args.real_data)
        cells = [measured.get(key, (None,))[0] for key in (
            "taboo_recall", "topic_accuracy", "false_alarms_harmless", "false_alarms_hard", "evasion_recall",
            "benign_tweets_flag_rate", "financial_news_financials_rate",
        )]
        print(f"| {name} | " + " | ".join("–" if c is None else f"{c:.3f}" for c in cells)
              + f" | {seconds:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
