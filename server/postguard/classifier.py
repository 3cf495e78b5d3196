"""The topic classifier: a scikit-learn pipeline over normalised sentences, per-topic
thresholds, and explanations read off the linear model's weights."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from sklearn.pipeline import Pipeline

from .policy import HARMLESS
from .scoring import Block, FeatureRow, FeatureRows, LeanScorer, calibrated_svms, feature_blocks, occurrences
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


# A pair of neighbouring sentences is scored when one of them is at least this suspicious on its
# own (taboo score, 1 − P(ok)): on the evaluation set no pair of two calmer sentences ever warned
# (measured with the logistic regression), and skipping them leaves about a quarter of the pairs.
PAIR_FLOOR = 0.3


def pairs_worth_scoring(harmless: np.ndarray) -> np.ndarray:
    """Indices i of the pairs (i, i + 1) of consecutive sentences worth scoring, given each
    sentence's P(ok): those in which one sentence's taboo score reaches PAIR_FLOOR."""
    suspicious = (1.0 - np.asarray(harmless)) >= PAIR_FLOOR
    return np.flatnonzero(suspicious[:-1] | suspicious[1:])


# Thresholds are chosen on training posts of about this many sentences (the median). A longer
# post gives a harmless sentence more chances to look risky by chance: on everyday posts written
# blind, most false alarms came from one plain sentence in a long personal post.
TYPICAL_POST_SENTENCES = 2


# A post that links a page where the company publishes (`published`) needs this many times the
# odds before a sentence warns. Chosen on the evaluation sets by treating a pasted link as an
# evasion: even if every taboo post linked a press release, at least 0.90 of them must still warn
# (see docs/quality.md, "Posts that link a published page").
PUBLISHED_LINK_ODDS = 3.0


def discounted_for_length(scores: np.ndarray, sentence_count, odds_bar: float = 1.0) -> np.ndarray:
    """Taboo scores as the thresholds see them in a post of `sentence_count` sentences (a number,
    or one per row): their odds divided by how many times longer than typical the post is, and
    by `odds_bar` (`PUBLISHED_LINK_ODDS` for a post that links a published page).

    A Bonferroni-style correction: a post of 8 sentences needs four times the odds of a typical
    one before a sentence warns, so its chance of a false alarm stays about that of a short post.
    Posts of up to `TYPICAL_POST_SENTENCES` keep their scores.
    """
    scores = np.asarray(scores, dtype=np.float64)
    factor = np.maximum(np.asarray(sentence_count, dtype=np.float64), TYPICAL_POST_SENTENCES)
    factor = factor / TYPICAL_POST_SENTENCES * odds_bar
    if factor.ndim:
        factor = factor[:, None]
    return scores / (scores + factor * (1.0 - scores))


@dataclass(frozen=True)
class Evidence:
    """A word of a sentence and how much it pushed the sentence towards a topic (the linear
    score of the topic against 'ok')."""

    term: str
    weight: float


@dataclass
class Classifier:
    """A fitted pipeline with the labels it knows and the score each topic must reach to warn.

    The pipeline is what is trained and saved; scoring goes through `scoring.LeanScorer`, which
    reads the same fitted numbers, when the design is one it reproduces.
    """

    pipeline: Pipeline
    thresholds: dict[str, float]
    labels: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        self.labels = tuple(self.pipeline.classes_)

    @property
    def topics(self) -> tuple[str, ...]:
        return tuple(label for label in self.labels if label != HARMLESS)

    def prepare(self) -> None:
        """Derive the fast scoring path now, at load, rather than during the first check."""
        _ = self._scorer

    def vectorise(self, sentences: list[str]) -> FeatureRows:
        """The feature rows of normalised sentences."""
        if self._scorer is not None:
            return self._scorer.rows(sentences)
        return FeatureRows.of_matrix(self.pipeline.named_steps["features"].transform(sentences))

    def probabilities(self, sentences: list[str], rows: FeatureRows | None = None) -> np.ndarray:
        """Probability of each label (columns in `labels` order) for normalised sentences."""
        if not sentences:
            return np.zeros((0, len(self.labels)))
        rows = self.vectorise(sentences) if rows is None else rows
        if self._scorer is not None:
            return self._scorer.probabilities(rows)
        return self.pipeline.named_steps["model"].predict_proba(rows.matrix())

    def scores(self, sentences: list[str], rows: FeatureRows | None = None) -> np.ndarray:
        """Taboo scores (see `taboo_scores`) for normalised sentences, in `labels` order."""
        return taboo_scores(self.probabilities(sentences, rows), list(self.labels))

    def explain(self, sentence: str, topic: str, limit: int = 3, row: FeatureRow | None = None) -> list[Evidence]:
        """The words of a normalised sentence that raised the topic's linear score against 'ok' most.

        Every feature's share (tf-idf value times the weight difference between the topic and
        'ok') goes to the words it was built from: a character n-gram to the word it lies in,
        a word bigram half to each word. `row` is the sentence's feature row, when already made.
        """
        row = self.vectorise([sentence])[0] if row is None else row
        model = self.pipeline.named_steps["model"]
        weights = _weights_against_harmless(model, topic, row.columns).astype(np.float64)
        share: dict[str, float] = {}
        for block in self._blocks:
            if block.vocabulary is None:  # signals are not words
                continue
            start, end = np.searchsorted(row.columns, [block.offset, block.offset + block.width])
            values = row.values[start:end].astype(np.float64) * weights[start:end]
            _distribute(sentence, block, row.columns[start:end] - block.offset, values, share)
        ranked = sorted(share.items(), key=lambda item: item[1], reverse=True)
        return [Evidence(term, round(weight, 4)) for term, weight in ranked[:limit] if weight > 0]

    @cached_property
    def _blocks(self) -> list[Block]:
        return feature_blocks(self.pipeline.named_steps["features"])

    @cached_property
    def _scorer(self) -> LeanScorer | None:
        return LeanScorer.of(self.pipeline, self._blocks)

    def __getstate__(self):
        state = dict(self.__dict__)
        for derived in ("_blocks", "_scorer"):
            state.pop(derived, None)  # made from the pipeline; not worth storing in the artifact
        return state


def _weights_against_harmless(model, topic: str, columns: np.ndarray) -> np.ndarray:
    """The linear weights of `topic` minus those of 'ok', for the given feature columns: for a
    logistic regression the log-odds of the topic against harmless; for a calibrated SVM each
    label's margin weights times the slope of its sigmoid, so that a word counts as much as it
    moves that label's probability before normalising."""
    classes = list(model.classes_)
    if hasattr(model, "calibrated_classifiers_"):  # a calibrated SVM: its SVMs' mean weights
        coef = np.mean([
            weights[:, columns] * -slopes[:, None] for weights, _, slopes, _ in calibrated_svms(model)
        ], axis=0)
    else:
        coef = model.coef_[:, columns]
    if coef.shape[0] == 1:  # binary problem: one row, for classes_[1]
        return coef[0] if classes[1] == topic else -coef[0]
    return coef[classes.index(topic)] - coef[classes.index(HARMLESS)]


def _distribute(sentence: str, block: Block, columns: np.ndarray, values: np.ndarray, share: dict) -> None:
    """Spread the contributions of a block's features (its columns, ascending) over the words."""
    if not len(columns):
        return
    if block.analyzer == "char_wb":
        # char_wb builds n-grams inside whitespace-separated chunks, so each has its owner(s);
        # an n-gram found in several places gives each occurrence an equal part.
        chunks = sentence.split()
        owners, found = occurrences(block, chunks)
        place = np.minimum(np.searchsorted(columns, found), len(columns) - 1)
        known = columns[place] == found  # always, for the sentence's own row
        owners, found, place = owners[known], found[known], place[known]
        _, each, times = np.unique(found, return_inverse=True, return_counts=True)
        parts = np.bincount(owners, weights=values[place] / times[each], minlength=len(chunks))
        owned = np.bincount(owners, minlength=len(chunks)) > 0
        for chunk, part, has in zip(chunks, parts.tolist(), owned.tolist()):
            if has:
                _add(share, chunk, part)
    else:
        lookup = block.vocabulary.get
        names = {lookup(gram): gram for gram in block.grams(sentence)}
        by_word: dict[str, float] = {}  # summed first: a word is in many n-grams
        for column, value in zip(columns.tolist(), values.tolist()):
            words = names[column].split()
            for word in words:
                by_word[word] = by_word.get(word, 0.0) + value / len(words)
        for word, value in by_word.items():
            _add(share, word, value)


def _add(share: dict[str, float], chunk: str, value: float) -> None:
    term = strip_punctuation(chunk)
    if term:
        share[term] = share.get(term, 0.0) + value
