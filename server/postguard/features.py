"""The feature design of the classifier: character and word n-gram TF-IDF, logistic regression.

`bench/compare_designs.py` measures this design against the alternatives we tried.
"""

from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline


def char_ngrams(max_df: float = 0.3) -> TfidfVectorizer:
    """Character 2–5-grams inside word boundaries: robust to inflection, compounds, typos, hashtags.

    n-grams in more than `max_df` of the examples (function words, common endings) say more about
    who wrote an example than about its topic, so they are left out.
    """
    return TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 5), min_df=2, max_df=max_df, sublinear_tf=True,
        dtype=np.float32,
    )


def word_ngrams(max_df: float = 0.3) -> TfidfVectorizer:
    """Word 1–2-grams: phrases such as "order intake" or "noch nicht offiziell"."""
    return TfidfVectorizer(
        analyzer="word", ngram_range=(1, 2), min_df=2, max_df=max_df, sublinear_tf=True,
        token_pattern=r"(?u)\b\w+\b", dtype=np.float32,
    )


def logistic_regression() -> LogisticRegression:
    """Multinomial logistic regression; classes balanced so that small topics count."""
    return LogisticRegression(C=10.0, class_weight="balanced", tol=1e-3, max_iter=3000)


def chars_words_logistic() -> Pipeline:
    """Character and word n-grams, TF-IDF, logistic regression (the default)."""
    features = FeatureUnion([("chars", char_ngrams()), ("words", word_ngrams())])
    return Pipeline([("features", features), ("model", logistic_regression())])


DEFAULT_DESIGN = chars_words_logistic
