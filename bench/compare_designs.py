"""Compare classifier designs on the sample company's evaluation set and real third-party text.

    python bench/compare_designs.py [--design NAME ...] [--real-data ../shared/data]
    python bench/compare_designs.py --design NAME --targets 0.01 0.015  # false-alarm targets
    python bench/compare_designs.py --design NAME --cases eval/*.csv     # every evaluation set

Each design is trained the same way (base corpus + model/examples.csv, sentence rounds,
thresholds from 5-fold cross-validation) and measured twice: by that cross-validation (the
measure a choice should rest on) and with the same check the server runs on the evaluation set
and the real text. With `--targets`, each design is instead measured at several false-alarm
targets (as `postguard evaluate --targets` does for the default), so that designs can be
compared at the same false-alarm rate rather than at the same target.
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
from sklearn.base import BaseEstimator, ClassifierMixin  # noqa: E402
from sklearn.calibration import CalibratedClassifierCV  # noqa: E402
from sklearn.decomposition import TruncatedSVD  # noqa: E402
from sklearn.pipeline import FeatureUnion, Pipeline  # noqa: E402
from sklearn.preprocessing import FunctionTransformer, Normalizer  # noqa: E402

from postguard.evaluation import (  # noqa: E402
    checker_of, format_sweep, load_case_sets, measure_checker, row_label, threshold_sweep,
)
from postguard.examples import load_base_corpus, load_examples  # noqa: E402
from postguard.features import (  # noqa: E402
    CompactLinearSVC, char_ngrams, chars_and_words, chars_words_calibrated_svm, chars_words_logistic,
    logistic_regression, word_ngrams,
)
from postguard.policy import HARMLESS, load_policy  # noqa: E402
from postguard.training import train  # noqa: E402

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


def chars_words_calibrated_svms_averaged():
    """The default's SVM, but as three SVMs trained on two thirds each and calibrated on the
    third left out, their probabilities averaged (`ensemble=True`)."""
    svm = CalibratedClassifierCV(CompactLinearSVC(C=0.5, class_weight="balanced"), method="sigmoid", cv=3)
    return Pipeline([("features", chars_and_words()), ("model", svm)])


class TopicAndTabooModels(BaseEstimator, ClassifierMixin):
    """Two logistic regressions on the same features: the usual one over all labels, and one
    that only tells taboo from harmless, so that cues shared by every topic ("not public yet")
    are learned once. P(ok) is the mean of the two models' views; the topics share the rest as
    the first model divides it."""

    def __init__(self, C=10.0):
        self.C = C

    def fit(self, X, y):
        y = np.asarray(y)
        self.topics_ = logistic_regression().set_params(C=self.C).fit(X, y)
        self.taboo_ = logistic_regression().set_params(C=self.C).fit(X, y != HARMLESS)
        self.classes_ = self.topics_.classes_
        self.coef_ = self.topics_.coef_  # explanations read the topic model's weights
        return self

    def predict_proba(self, X):
        probabilities = self.topics_.predict_proba(X)
        harmless = list(self.classes_).index(HARMLESS)
        taboo = (self.taboo_.predict_proba(X)[:, 1] + 1.0 - probabilities[:, harmless]) / 2
        topics = np.delete(np.arange(probabilities.shape[1]), harmless)
        shares = probabilities[:, topics] / np.maximum(probabilities[:, topics].sum(axis=1, keepdims=True), 1e-12)
        combined = np.zeros_like(probabilities)
        combined[:, harmless] = 1.0 - taboo
        combined[:, topics] = shares * taboo[:, None]
        return combined

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def chars_words_topic_and_taboo_logistic():
    return Pipeline([("features", chars_and_words()), ("model", TopicAndTabooModels())])


def chars_words_lsa_logistic():
    """Latent semantic analysis: 300 dimensions of the word n-grams, so that words which share
    contexts in the training text share weight too."""
    latent = Pipeline([("tfidf", word_ngrams(max_df=0.5)), ("svd", TruncatedSVD(300, random_state=0)),
                       ("norm", Normalizer())])
    features = FeatureUnion([("chars", char_ngrams()), ("words", word_ngrams()), ("latent", latent)])
    return Pipeline([("features", features), ("model", logistic_regression())])


DESIGNS = {
    "words + logistic regression": words_logistic,
    "chars + words + logistic regression": chars_words_logistic,
    "chars + words + figure signals + logistic regression": chars_words_signals_logistic,
    "chars + words + three calibrated linear SVMs averaged": chars_words_calibrated_svms_averaged,
    "chars + words + calibrated linear SVM (default)": chars_words_calibrated_svm,
    "chars + words + topic and taboo logistic regressions": chars_words_topic_and_taboo_logistic,
    "chars + words + 300 LSA dimensions + logistic regression": chars_words_lsa_logistic,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real-data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--design", action="append", choices=list(DESIGNS), help="only these designs")
    parser.add_argument("--targets", type=float, nargs="+", metavar="SHARE",
                        help="false-alarm targets per topic to measure each design at")
    parser.add_argument("--cases", type=Path, nargs="+", default=[ROOT / "eval" / "sample_company.csv"],
                        metavar="CSV", help="evaluation sets (default: the first; eval/*.csv for every set)")
    args = parser.parse_args()
    policy = load_policy(ROOT / "model" / "policy.toml")
    examples = load_examples(ROOT / "model" / "examples.csv", policy.topic_ids)
    examples += load_base_corpus(policy.topic_ids)
    case_sets = load_case_sets(args.cases)
    chosen = {name: design for name, design in DESIGNS.items() if not args.design or name in args.design}
    if args.targets:
        for name, design in chosen.items():
            points = threshold_sweep(examples, policy, case_sets, args.real_data, args.targets, design)
            print(f"{name}:\n\n{format_sweep(points)}\n", flush=True)
        return 0
    print("| design | CV recall | CV false alarms | taboo recall | topic accuracy | false alarms "
          "| hard false alarms | evasion recall | tweets flagged | financial news → financials | training s |")
    print("|---" * 11 + "|")
    for name, design in chosen.items():
        started = time.perf_counter()
        result = train(examples, policy, design=design)
        seconds = time.perf_counter() - started
        checker = checker_of(result.classifier, policy)
        for set_name, measured in measure_checker(checker, case_sets, args.real_data).items():
            cells = [result.quality["all"]["taboo_recall"], result.quality["all"]["false_alarm_rate"]]
            cells += [measured.get(key, (None,))[0] for key in (
                "taboo_recall", "topic_accuracy", "false_alarms_harmless", "false_alarms_hard", "evasion_recall",
                "benign_tweets_flag_rate", "financial_news_financials_rate",
            )]
            print(f"| {row_label(name, set_name, case_sets)} | "
                  + " | ".join("–" if c is None else f"{c:.3f}" for c in cells) + f" | {seconds:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
