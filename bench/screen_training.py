"""Screen changes to how the model is trained, before any evaluation set sees them: settings of
the linear SVM and its n-grams, and what the second training round takes from a taboo post.

    python bench/screen_training.py [--seed 0] [--target 0.015] [--only NAME ...]

A fifth of the training material (stratified) is held out, as in `bench/screen_post_scoring.py`.
For each variant, thresholds are chosen by 5-fold cross-validation on the rest, as
`train_classifier.py` chooses them, the model is fitted on the rest, and the check, unchanged,
scores the held-out fifth: taboo posts found and harmless posts flagged (any topic), overall and
among the company's own examples. About two and a half minutes per variant on two cores.

Variants (the shipped training is the first):

- C: the SVM's regularisation (0.5 shipped); smaller is smoother
- words 1–3, chars 1–5, chars 2–6: the n-gram ranges (words 1–2 and chars 2–5 shipped)
- taboo sentence + pair: round two takes from a taboo post its most typical sentence, as
  shipped, and also its most typical pair of neighbouring sentences, the window the check
  scores when a hint is spread over two sentences
- two taboo sentences: round two takes the two most typical sentences of a taboo post
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed
from sklearn.model_selection import StratifiedKFold

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "server"))

from postguard.features import chars_words_calibrated_svm  # noqa: E402
from postguard.policy import HARMLESS, load_policy  # noqa: E402
from postguard.training import (  # noqa: E402
    FOLDS, SEED, choose_thresholds, decide, fit, most_typical_sentence, post_scores,
)
# The held-out fifth and its table, as the post-scoring screen has them (this folder is on the path).
from screen_post_scoring import held_out_fifth  # noqa: E402


def design(**changes):
    """The shipped design with parameters of its parts changed, named as scikit-learn names
    nested parameters ("features__words__ngram_range", "model__estimator__C")."""
    return lambda: chars_words_calibrated_svm().set_params(**changes)


def also_typical_pair(first, sentences: list[str], label: str) -> list[str]:
    """The most typical sentence, and the most typical pair of neighbouring sentences."""
    pairs = [f"{a} {b}" for a, b in zip(sentences, sentences[1:])]
    typical = first.predict_proba(pairs)[:, list(first.classes_).index(label)]
    return most_typical_sentence(first, sentences, label) + [pairs[int(np.argmax(typical))]]


def two_most_typical(first, sentences: list[str], label: str) -> list[str]:
    """The two sentences round one finds most typical of the post's topic."""
    typical = first.predict_proba(sentences)[:, list(first.classes_).index(label)]
    return [sentences[i] for i in np.argsort(-typical)[:2]]


def fit_taking(pick):
    """`training.fit` with round two taking `pick` from each taboo post of several sentences."""
    return lambda texts, labels, design: fit(texts, labels, design, pick_from_taboo=pick)


SHIPPED = "shipped (C 0.5, words 1–2, chars 2–5, one taboo sentence)"
VARIANTS = {
    SHIPPED: (fit, chars_words_calibrated_svm),
    "C 0.25": (fit, design(model__estimator__C=0.25)),
    "C 1": (fit, design(model__estimator__C=1.0)),
    "words 1–3": (fit, design(features__words__ngram_range=(1, 3))),
    "chars 1–5": (fit, design(features__chars__ngram_range=(1, 5))),
    "chars 2–6": (fit, design(features__chars__ngram_range=(2, 6))),
    "taboo sentence + pair": (fit_taking(also_typical_pair), chars_words_calibrated_svm),
    "two taboo sentences": (fit_taking(two_most_typical), chars_words_calibrated_svm),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="which fifth is held out")
    parser.add_argument("--target", type=float, default=0.015, help="false-alarm target per topic")
    parser.add_argument("--only", action="append", choices=list(VARIANTS), help="screen only these")
    parser.add_argument("--policy", type=Path, default=ROOT / "model" / "policy.toml")
    args = parser.parse_args()
    policy = load_policy(args.policy)
    split = held_out_fifth(policy, args.seed)
    train_texts, train_labels, classes = split.train_texts, split.train_labels, split.classes
    topic_ids = tuple(policy.topic_ids)
    folds = list(StratifiedKFold(FOLDS, shuffle=True, random_state=SEED).split(train_texts, train_labels))
    print(split.header(args.target, args.seed, extra=" final fit s |"))
    for name in args.only or VARIANTS:
        fitter, variant_design = VARIANTS[name]

        def scored(fit_index, score_index):
            pipeline = fitter([train_texts[i] for i in fit_index], train_labels[fit_index], variant_design)
            return list(pipeline.classes_), post_scores(pipeline, list(pipeline.classes_),
                                                        [train_texts[i] for i in score_index])

        out_of_fold = np.zeros((len(train_texts), len(classes)))
        for (_, fold_test), (fold_classes, scores) in zip(
            folds, Parallel(n_jobs=-1)(delayed(scored)(*fold) for fold in folds)
        ):
            out_of_fold[np.ix_(fold_test, [classes.index(c) for c in fold_classes])] = scores
        thresholds = choose_thresholds(out_of_fold, classes, train_labels, topic_ids, target=args.target)
        started = time.perf_counter()
        final = fitter(train_texts, train_labels, variant_design)
        seconds = time.perf_counter() - started
        hit = decide(post_scores(final, classes, split.held_texts), classes, thresholds) != HARMLESS
        print(f"{split.row(name, thresholds, hit)} {seconds:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
