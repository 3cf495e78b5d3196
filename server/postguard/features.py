"""The feature design of the classifier: character and word n-gram TF-IDF, a linear SVM with
calibrated probabilities.

`bench/compare_designs.py` measures this design against the alternatives we tried.
"""

from __future__ import annotations

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC


# An n-gram must occur in at least this many training texts. The second training round adds
# each harmless post's sentences beside the post (`training.fit`), so an n-gram of one post
# already counts twice: 3 keeps what at least two posts use, and halves the vocabulary (and the
# server's memory for it) with cross-validated recall a little higher than with 2.
MIN_DF = 3
# The seed liblinear shuffles with (see `calibrated_linear_svm`).
SVM_SEED = 0


def char_ngrams(max_df: float = 0.3) -> TfidfVectorizer:
    """Character 2–5-grams inside word boundaries: robust to inflection, compounds, typos, hashtags.

    n-grams in more than `max_df` of the examples (function words, common endings) say more about
    who wrote an example than about its topic, so they are left out.
    """
    return TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 5), min_df=MIN_DF, max_df=max_df, sublinear_tf=True,
        dtype=np.float32,
    )


def word_ngrams(max_df: float = 0.3) -> TfidfVectorizer:
    """Word 1–2-grams: phrases such as "order intake" or "noch nicht offiziell"."""
    return TfidfVectorizer(
        analyzer="word", ngram_range=(1, 2), min_df=MIN_DF, max_df=max_df, sublinear_tf=True,
        token_pattern=r"(?u)\b\w+\b", dtype=np.float32,
    )


def logistic_regression() -> LogisticRegression:
    """Multinomial logistic regression; classes balanced so that small topics count."""
    return LogisticRegression(C=10.0, class_weight="balanced", tol=1e-3, max_iter=3000)


class CompactLinearSVC(LinearSVC):
    """A linear SVM that keeps its weights in float32, like the features: half the memory of
    the float64 weights liblinear returns, for scores that differ by less than 1e-5."""

    def fit(self, X, y, sample_weight=None):
        super().fit(X, y, sample_weight=sample_weight)
        self.coef_ = self.coef_.astype(np.float32)
        return self


def calibrated_linear_svm() -> CalibratedClassifierCV:
    """A linear SVM (one against the rest per label, classes balanced) with probabilities from
    sigmoids fitted on 3-fold cross-validated margins.

    `ensemble=False`: one SVM trained on all examples scores, the folds only calibrate it. It
    ranked taboo posts better than the average of three SVMs trained on two thirds each
    (docs/quality.md), and it is one weight matrix to keep and to explain.

    `random_state`: liblinear shuffles the examples while it solves; with a fixed seed the same
    material always trains the same model, instead of one that differs in the fifth decimal
    from run to run (which can move a post that sits exactly on a threshold).
    """
    svm = CompactLinearSVC(C=0.5, class_weight="balanced", random_state=SVM_SEED)
    return CalibratedClassifierCV(svm, method="sigmoid", cv=3, ensemble=False)


def chars_and_words() -> FeatureUnion:
    """The features every design here starts from: character and word n-gram TF-IDF."""
    return FeatureUnion([("chars", char_ngrams()), ("words", word_ngrams())])


def chars_words_logistic() -> Pipeline:
    """Character and word n-grams, TF-IDF, logistic regression."""
    return Pipeline([("features", chars_and_words()), ("model", logistic_regression())])


def chars_words_calibrated_svm() -> Pipeline:
    """Character and word n-grams, TF-IDF, calibrated linear SVM (the default)."""
    return Pipeline([("features", chars_and_words()), ("model", calibrated_linear_svm())])


DEFAULT_DESIGN = chars_words_calibrated_svm
