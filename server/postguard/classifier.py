"""The topic classifier: a scikit-learn pipeline over normalised sentences, per-topic
thresholds, and explanations read off the linear model's weights."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from .policy import HARMLESS


def build_pipeline() -> Pipeline:
    """The feature and model design: character and word n-grams into a logistic regression.

    Character n-grams within word boundaries tolerate inflection, compounds, typos and hashtags;
    word 1–2-grams add phrases. Both are linear, so every score splits exactly into word shares.
    """
    return Pipeline(
        [
            (
                "features",
                FeatureUnion(
                    [
                        (
                            "chars",
                            TfidfVectorizer(
                                analyzer="char_wb", ngram_range=(2, 5), min_df=2,
                                sublinear_tf=True, dtype=np.float32,
                            ),
                        ),
                        (
                            "words",
                            TfidfVectorizer(
                                analyzer="word", ngram_range=(1, 2), min_df=2,
                                sublinear_tf=True, token_pattern=r"(?u)\b\w+\b",
                                dtype=np.float32,
                            ),
                        ),
                    ]
                ),
            ),
            ("model", LogisticRegression(C=10.0, class_weight="balanced", tol=1e-3, max_iter=3000)),
        ]
    )


@dataclass(frozen=True)
class Evidence:
    """A word of a sentence and how much it pushed the sentence towards a topic (log-odds)."""

    term: str
    weight: float


@dataclass
class Classifier:
    """A fitted pipeline with the labels it knows and the score each topic must reach to warn."""

    pipeline: Pipeline
    thresholds: dict[str, float]
    labels: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        self.labels = tuple(self.pipeline.classes_)

    @property
    def topics(self) -> tuple[str, ...]:
        return tuple(label for label in self.labels if label != HARMLESS)

    def vectorise(self, sentences: list[str]):
        """The feature rows (sparse) of normalised sentences."""
        return self.pipeline.named_steps["features"].transform(sentences).tocsr()

    def probabilities(self, sentences: list[str], rows=None) -> np.ndarray:
        """Probability of each label (columns in `labels` order) for normalised sentences."""
        if not sentences:
            return np.zeros((0, len(self.labels)))
        rows = self.vectorise(sentences) if rows is None else rows
        return self.pipeline.named_steps["model"].predict_proba(rows)

    def explain(self, sentence: str, topic: str, limit: int = 3, row=None) -> list[Evidence]:
        """The words of a normalised sentence that raised the topic's log-odds against 'ok' most.

        Every feature's share (tf-idf value times the weight difference between the topic and
        'ok') goes to the words it was built from: a character n-gram to the word it lies in,
        a word bigram half to each word. `row` is the sentence's feature row, when already made.
        """
        features = self.pipeline.named_steps["features"]
        model = self.pipeline.named_steps["model"]
        weights = _weights_against_harmless(model, topic)
        row = self.vectorise([sentence]) if row is None else row
        share: dict[str, float] = {}
        offset = 0
        for name, vectorizer in features.transformer_list:
            width = len(vectorizer.vocabulary_)
            start, end = row.indptr[0], row.indptr[1]
            columns = row.indices[start:end]
            in_block = (columns >= offset) & (columns < offset + width)
            contribution = {
                int(col) - offset: float(value) * float(weights[col])
                for col, value in zip(columns[in_block], row.data[start:end][in_block])
            }
            _distribute(sentence, vectorizer, self._feature_names[name], contribution, share, name)
            offset += width
        ranked = sorted(share.items(), key=lambda item: item[1], reverse=True)
        return [Evidence(term, round(weight, 4)) for term, weight in ranked[:limit] if weight > 0]

    @cached_property
    def _feature_names(self) -> dict:
        """Each vectorizer's n-grams by column, looked up once rather than per explanation."""
        features = self.pipeline.named_steps["features"]
        return {name: vectorizer.get_feature_names_out() for name, vectorizer in features.transformer_list}

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_feature_names", None)  # derived; not worth storing in the artifact
        return state


def _weights_against_harmless(model: LogisticRegression, topic: str) -> np.ndarray:
    classes = list(model.classes_)
    coef = model.coef_
    if coef.shape[0] == 1:  # binary problem: one row, for classes_[1]
        row = coef[0] if classes[1] == topic else -coef[0]
        return row
    return coef[classes.index(topic)] - coef[classes.index(HARMLESS)]


_TERM_EDGES = re.compile(r"^[^\w]+|[^\w]+$")


def _distribute(sentence, vectorizer, names, contribution, share, kind) -> None:
    """Spread per-feature contributions over the words of the sentence."""
    if not contribution:
        return
    inverse = {index: names[index] for index in contribution}
    analyse = vectorizer.build_analyzer()
    if kind == "chars":
        # char_wb builds n-grams inside whitespace-separated chunks, so each has its owner(s)
        owners: dict[str, list[str]] = {}
        for chunk in sentence.split():
            for gram in analyse(chunk):
                owners.setdefault(gram, []).append(chunk)
        for index, value in contribution.items():
            chunks = owners.get(inverse[index], [])
            for chunk in chunks:
                _add(share, chunk, value / len(chunks))
    else:
        for index, value in contribution.items():
            words = inverse[index].split()
            for word in words:
                _add(share, word, value / len(words))


def _add(share: dict[str, float], chunk: str, value: float) -> None:
    term = _TERM_EDGES.sub("", chunk)
    if term:
        share[term] = share.get(term, 0.0) + value
