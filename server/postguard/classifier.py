"""The topic classifier: a scikit-learn pipeline over normalised sentences, per-topic
thresholds, and explanations read off the linear model's weights."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from sklearn.pipeline import Pipeline

from .policy import HARMLESS
from .text import strip_punctuation


def effective_threshold(threshold: float, sensitivity: float) -> float:
    """Sensitivity 2 halves the score a topic must reach; 0.5 doubles it (within 0.05–0.99)."""
    return min(0.99, max(0.05, threshold / sensitivity))


def taboo_scores(probabilities: np.ndarray, labels: list[str]) -> np.ndarray:
    """Turn label probabilities into the scores the thresholds apply to.

    Each row keeps one topic: the most likely one, scored with 1 − P(ok), the probability that
    the sentence is not harmless at all. A sentence torn between two taboo topics is still
    clearly taboo; scoring topics one by one would let it slip under every threshold.
    """
    harmless = labels.index(HARMLESS)
    topics = [column for column in range(len(labels)) if column != harmless]
    scores = np.zeros_like(probabilities)
    if len(probabilities) and topics:
        best = np.asarray(topics)[np.argmax(probabilities[:, topics], axis=1)]
        scores[np.arange(len(probabilities)), best] = 1.0 - probabilities[:, harmless]
    scores[:, harmless] = probabilities[:, harmless]
    return scores


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

    def scores(self, sentences: list[str], rows=None) -> np.ndarray:
        """Taboo scores (see `taboo_scores`) for normalised sentences, in `labels` order."""
        return taboo_scores(self.probabilities(sentences, rows), list(self.labels))

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
        start, end = row.indptr[0], row.indptr[1]
        columns, values = row.indices[start:end], row.data[start:end]
        for name, transformer in features.transformer_list:
            names = self._feature_names[name]
            in_block = (columns >= offset) & (columns < offset + len(names))
            if hasattr(transformer, "vocabulary_"):  # n-grams; signals are not words
                contribution = {
                    int(col) - offset: float(value) * float(weights[col])
                    for col, value in zip(columns[in_block], values[in_block])
                }
                _distribute(sentence, transformer, names, contribution, share, name)
            offset += len(names)
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


def _weights_against_harmless(model, topic: str) -> np.ndarray:
    """The linear weights of `topic` minus those of 'ok' (log-odds of topic against harmless)."""
    classes = list(model.classes_)
    if hasattr(model, "calibrated_classifiers_"):  # a calibrated SVM: average its folds' weights
        coef = np.mean([c.estimator.coef_ for c in model.calibrated_classifiers_], axis=0)
    else:
        coef = model.coef_
    if coef.shape[0] == 1:  # binary problem: one row, for classes_[1]
        row = coef[0] if classes[1] == topic else -coef[0]
        return row
    return coef[classes.index(topic)] - coef[classes.index(HARMLESS)]


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
    term = strip_punctuation(chunk)
    if term:
        share[term] = share.get(term, 0.0) + value
