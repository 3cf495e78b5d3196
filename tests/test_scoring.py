"""The fast scoring path gives what the scikit-learn pipeline gives: same n-grams, same feature
rows, same probabilities, for any text; designs it does not know are left to the pipeline."""

from collections import Counter
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from postguard.classifier import Classifier
from postguard.features import CompactLinearSVC, char_ngrams, logistic_regression, word_ngrams
from postguard.scoring import FeatureRows, block_entries
from postguard.text import normalise, split_sentences
from test_check import HARMLESS, TABOO

TEXTS = [
    *[text for _, _, text in TABOO],
    *[text for _, text in HARMLESS],
    "Unser Umsatz lag bei 48 Mio. Euro 🚀🚀, 12 % über Plan!",
    "Ums4tz U m s a t z Umsаtz ｒｅｖｅｎｕｅ pr0fit",  # evasions, before and after normalising
    "Grüße aus Köln 👋🏽😀! Schönes Wochenende euch allen 🎉",
    "Thanks team!!! #proud @everyone https://example.com/press?id=42",
    "Ein Wort: Donaudampfschifffahrtsgesellschaftskapitän.",
    "收入增长 12% — Выручка выросла",  # letters the vocabulary has never seen
    "a", "I", "ok", "?", "!!!", "🎉", "   ", "", "\t\n", "x  y\u00a0z\u2003w",
]


def sentences_of(texts):
    """The texts as they are, and the normalised sentences the check scores."""
    return list(texts) + [normalise(s.text) for text in texts for s in split_sentences(text)]


def assert_same_rows(classifier, sentences):
    lean = classifier.vectorise(sentences).matrix()
    reference = classifier.pipeline.named_steps["features"].transform(sentences).tocsr()
    reference.sort_indices()
    assert lean.shape == reference.shape
    assert np.array_equal(lean.indptr, reference.indptr)
    assert np.array_equal(lean.indices, reference.indices)
    assert np.allclose(lean.data, reference.data, rtol=1e-5, atol=1e-7)


@pytest.fixture(scope="module")
def classifier(checker):
    classifier = checker.model.classifier
    assert classifier._scorer is not None, "the default design should have the fast path"
    return classifier


def test_rows_and_probabilities_match_the_pipeline(classifier):
    sentences = sentences_of(TEXTS)
    assert_same_rows(classifier, sentences)
    lean = classifier.probabilities(sentences)
    # scikit-learn sums the float32 weights in float32, the fast path in float64
    assert np.allclose(lean, classifier.pipeline.predict_proba(sentences), rtol=1e-5, atol=1e-5)


def test_each_sentence_scores_the_same_alone_and_in_a_batch(classifier):
    sentences = sentences_of(TEXTS)
    together = classifier.probabilities(sentences)
    alone = np.vstack([classifier.probabilities([sentence]) for sentence in sentences])
    assert np.allclose(together, alone, rtol=1e-5, atol=1e-6)


def test_no_sentences_no_rows(classifier):
    assert len(classifier.vectorise([])) == 0
    assert classifier.probabilities([]).shape == (0, len(classifier.labels))


_ANY_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(exclude_categories=("Cs",)),
        st.sampled_from(list("umsatz revenue 48 mio. € % äöüß ÄÖÜ \t\n\u00a0\u2003\u200b🎉👍🏽收ы#@-_.")),
    ),
    max_size=80,
)


@settings(max_examples=300, deadline=None)
@given(_ANY_TEXT)
def test_ngrams_are_the_vectorizers_own(classifier, text):
    for block in classifier._blocks:
        vectorizer = dict(classifier.pipeline.named_steps["features"].transformer_list)[block.name]
        assert Counter(block.grams(text)) == Counter(vectorizer.build_analyzer()(text))


@settings(max_examples=100, deadline=None)
@given(st.lists(_ANY_TEXT, min_size=1, max_size=4))
def test_rows_match_the_pipeline_for_any_text(classifier, texts):
    assert_same_rows(classifier, texts + [normalise(text) for text in texts])


@pytest.mark.parametrize("analyzer", ["char_wb", "word"])
def test_ngrams_found_one_sentence_at_a_time_match_numpy(classifier, analyzer):
    """The plain-Python counting (used when a vocabulary cannot be turned into keys) agrees too."""
    (block,) = [b for b in classifier._blocks if b.analyzer == analyzer]
    assert block.keys is not None
    sentences = sentences_of(TEXTS)
    with_numpy = block_entries(block, sentences)
    one_by_one = block_entries(replace(block, keys=None), sentences)
    assert np.array_equal(with_numpy[0], one_by_one[0])
    assert np.array_equal(with_numpy[1], one_by_one[1])
    assert np.allclose(with_numpy[2], one_by_one[2])


def test_explaining_with_the_checks_row_or_without_gives_the_same_words(classifier):
    sentence = normalise(TABOO[0][2])
    row = classifier.vectorise([sentence])[0]
    assert classifier.explain(sentence, "financials", row=row) == classifier.explain(sentence, "financials")
    assert classifier.explain(sentence, "financials")


def _fit(design, labels=("ok", "financials", "strategy")):
    texts = [text for _, topic, text in TABOO if topic in labels] * 2
    texts += [text for _, text in HARMLESS] * 2
    targets = [topic for _, topic, _ in TABOO if topic in labels] * 2 + ["ok"] * (2 * len(HARMLESS))
    pipeline = design().fit([normalise(text) for text in texts], targets)
    return Classifier(pipeline=pipeline, thresholds={})


def _chars_words():
    features = FeatureUnion([("chars", char_ngrams(max_df=1.0)), ("words", word_ngrams(max_df=1.0))])
    return Pipeline([("features", features), ("model", logistic_regression())])


def test_a_binary_model_scores_like_the_pipeline():
    classifier = _fit(_chars_words, labels=("ok", "financials"))
    assert classifier._scorer is not None and classifier.labels == ("financials", "ok")
    sentences = sentences_of(TEXTS)
    assert_same_rows(classifier, sentences)
    assert np.allclose(
        classifier.probabilities(sentences), classifier.pipeline.predict_proba(sentences), atol=1e-5
    )


def _chars_words_with(model):
    return lambda: Pipeline([("features", _chars_words().named_steps["features"]), ("model", model)])


@pytest.mark.parametrize(
    "model",
    [
        logistic_regression(),  # the softmax of the former default
        CalibratedClassifierCV(CompactLinearSVC(), method="sigmoid", cv=2, ensemble=True),  # SVMs averaged
    ],
    ids=["logistic regression", "two calibrated SVMs"],
)
def test_other_linear_models_over_several_labels_score_like_the_pipeline(model):
    classifier = _fit(_chars_words_with(model))
    assert classifier._scorer is not None and len(classifier.labels) == 3
    sentences = sentences_of(TEXTS)
    assert np.allclose(
        classifier.probabilities(sentences), classifier.pipeline.predict_proba(sentences), rtol=1e-5, atol=1e-5
    )


def test_a_calibrated_svm_for_two_labels_is_left_to_the_pipeline():
    model = CalibratedClassifierCV(CompactLinearSVC(), method="sigmoid", cv=2, ensemble=False)
    classifier = _fit(_chars_words_with(model), labels=("ok", "financials"))
    assert classifier._scorer is None
    sentences = sentences_of(TEXTS)
    assert np.allclose(classifier.probabilities(sentences), classifier.pipeline.predict_proba(sentences))


@pytest.mark.parametrize("ngram_range", [(1, 1), (1, 3), (2, 3)])
def test_word_ngrams_of_mixed_lengths_get_the_pipelines_rows(ngram_range):
    """Word keys are right-aligned n-grams of several lengths in one array: each must be found."""

    def words_only():
        words = TfidfVectorizer(analyzer="word", ngram_range=ngram_range, token_pattern=r"(?u)\b\w+\b",
                                sublinear_tf=True, dtype=np.float32)
        return Pipeline([("features", FeatureUnion([("words", words)])), ("model", logistic_regression())])

    classifier = _fit(words_only)
    (block,) = classifier._blocks
    assert block.keys is not None
    assert_same_rows(classifier, sentences_of(TEXTS))


def test_a_design_without_a_fast_path_is_scored_and_explained_by_the_pipeline():
    def binary_words():
        words = TfidfVectorizer(analyzer="word", binary=True, min_df=1)
        return Pipeline([("features", FeatureUnion([("words", words)])), ("model", LogisticRegression())])

    classifier = _fit(binary_words)
    assert classifier._scorer is None
    sentences = sentences_of(TEXTS)
    assert np.allclose(classifier.probabilities(sentences), classifier.pipeline.predict_proba(sentences))
    rows = classifier.vectorise(sentences)
    assert isinstance(rows, FeatureRows) and len(rows) == len(sentences)
    evidence = classifier.explain(normalise(TABOO[0][2]), "financials")
    assert evidence and all(item.weight > 0 for item in evidence)


def test_the_fast_path_is_not_saved_with_the_model(classifier):
    classifier.prepare()
    state = classifier.__getstate__()
    assert set(state) == {"pipeline", "thresholds", "labels"}
