"""The check's fast path: a fitted pipeline's n-gram vocabularies, idf weights and linear model,
applied with plain numpy.

The scikit-learn pipeline stays what is trained, saved and evaluated; this module only reads it.
For any text it gives the feature rows of `pipeline.named_steps["features"].transform` and the
probabilities of `pipeline.predict_proba` (tests/test_scoring.py holds it to that), without the
input validation, joblib dispatch and per-n-gram dictionary updates that cost scikit-learn more
than the arithmetic for a post of a few sentences. Designs it does not know (other vectorizers,
other models) get no fast path: `LeanScorer.of` returns None and the pipeline scores them.
"""

from __future__ import annotations

import re
from array import array
from dataclasses import dataclass
from itertools import repeat

import numpy as np
import scipy.sparse as sp
from scipy.special import expit
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC


@dataclass(frozen=True)
class FeatureRow:
    """The non-zero features of one sentence: ascending column indices and their tf-idf values."""

    columns: np.ndarray
    values: np.ndarray

    def copy(self) -> FeatureRow:
        """A row that owns its arrays (a row of a batch only views the batch's)."""
        return FeatureRow(self.columns.copy(), self.values.copy())


@dataclass(frozen=True)
class FeatureRows:
    """The feature rows of several sentences, laid out as a CSR matrix (indptr, columns, values)."""

    indptr: np.ndarray
    columns: np.ndarray
    values: np.ndarray
    width: int

    def __len__(self) -> int:
        return len(self.indptr) - 1

    def __getitem__(self, index: int) -> FeatureRow:
        start, end = self.indptr[index], self.indptr[index + 1]
        return FeatureRow(self.columns[start:end], self.values[start:end])

    def matrix(self) -> sp.csr_matrix:
        return sp.csr_matrix((self.values, self.columns, self.indptr), shape=(len(self), self.width))

    @classmethod
    def of_matrix(cls, matrix) -> FeatureRows:
        """The rows of a scipy sparse matrix (what the pipeline's feature union makes)."""
        matrix = sp.csr_matrix(matrix)
        matrix.sort_indices()
        return cls(matrix.indptr, matrix.indices, matrix.data, matrix.shape[1])


@dataclass(frozen=True)
class Block:
    """One transformer of the feature union and the columns it fills, [offset, offset + width).

    `vocabulary` and `grams` are set for n-gram vectorizers: the n-gram → column map and a
    function that cuts a text into its n-grams exactly as the vectorizer does.
    """

    name: str
    offset: int
    width: int
    analyzer: str | None = None
    vocabulary: dict | None = None
    grams: object = None
    idf: np.ndarray | None = None  # set when the fast path can score this block
    sublinear_tf: bool = False
    dtype: type = np.float32
    keys: CharGramKeys | WordGramKeys | None = None  # finds the n-grams with numpy, when set


def feature_blocks(features: FeatureUnion) -> list[Block]:
    """Describe each transformer of a fitted feature union, in column order."""
    blocks, offset = [], 0
    for name, transformer in features.transformer_list:
        if hasattr(transformer, "vocabulary_"):
            block = _ngram_block(name, transformer, offset)
        else:  # signals and other dense features: only their width matters here
            block = Block(name, offset, len(transformer.get_feature_names_out()))
        blocks.append(block)
        offset += block.width
    return blocks


def _ngram_block(name: str, vectorizer, offset: int) -> Block:
    vocabulary = vectorizer.vocabulary_
    lean = _lean_vectorizer(vectorizer)
    if not lean:
        return Block(name, offset, len(vocabulary), vectorizer.analyzer, vocabulary, vectorizer.build_analyzer())
    min_n, max_n = vectorizer.ngram_range
    lower = vectorizer.lowercase
    if vectorizer.analyzer == "char_wb":
        grams = _CharWbGrams(min_n, max_n, lower)
        keys = CharGramKeys.of(vocabulary, min_n, max_n, lower)
    else:
        pattern = re.compile(vectorizer.token_pattern)
        grams = _WordGrams(pattern, min_n, max_n, lower)
        keys = WordGramKeys.of(vocabulary, pattern, min_n, max_n, lower)
    return Block(
        name, offset, len(vocabulary), vectorizer.analyzer, vocabulary, grams,
        idf=vectorizer.idf_, sublinear_tf=vectorizer.sublinear_tf, dtype=vectorizer.dtype, keys=keys,
    )


def _lean_vectorizer(vectorizer) -> bool:
    """Whether the fast path reproduces this vectorizer (the settings our designs use)."""
    return (
        type(vectorizer) is TfidfVectorizer
        and vectorizer.analyzer in ("char_wb", "word")
        and vectorizer.input == "content"
        and vectorizer.preprocessor is None
        and vectorizer.tokenizer is None
        and vectorizer.strip_accents is None
        and vectorizer.stop_words is None
        and not vectorizer.binary
        and vectorizer.norm == "l2"
        and vectorizer.use_idf
        and hasattr(vectorizer, "idf_")
        and re.compile(vectorizer.token_pattern).groups <= 1
    )


class _CharWbGrams:
    """Character n-grams inside whitespace-separated chunks, each chunk padded with a space, as
    scikit-learn's analyzer="char_wb" makes them (a chunk shorter than n counts once, whole)."""

    def __init__(self, min_n: int, max_n: int, lower: bool):
        self.min_n, self.max_n, self.lower = min_n, max_n, lower

    def __call__(self, text: str) -> list[str]:
        grams: list[str] = []
        for chunk in (text.lower() if self.lower else text).split():
            padded = f" {chunk} "
            size = len(padded)
            for n in range(self.min_n, self.max_n + 1):
                if n >= size:
                    grams.append(padded)
                    break
                grams.extend([padded[start : start + n] for start in range(size - n + 1)])
        return grams


class _WordGrams:
    """Word n-grams of the tokens `token_pattern` finds, joined by one space, as analyzer="word"."""

    def __init__(self, token_pattern: re.Pattern, min_n: int, max_n: int, lower: bool):
        self.tokens, self.min_n, self.max_n, self.lower = token_pattern.findall, min_n, max_n, lower

    def __call__(self, text: str) -> list[str]:
        tokens = self.tokens(text.lower() if self.lower else text)
        grams = list(tokens) if self.min_n == 1 else []
        for n in range(max(self.min_n, 2), self.max_n + 1):
            grams.extend(map(" ".join, zip(*(tokens[start:] for start in range(n)))))
        return grams


class _GramKeys:
    """Finds a vocabulary's n-grams in many texts at once, with numpy.

    Each unit an n-gram is made of (a character, or a word) gets a digit 1..D; an n-gram is the
    number its digits spell in base D + 1, so every n-gram of every length has its own key (no
    hashing, no collisions) and the vocabulary becomes a sorted array of keys. A text becomes a
    sequence of digits, 0 where a unit is unknown or an n-gram may not cross; the keys of its
    windows of n digits without a 0 are looked up all at once.
    """

    def __init__(self, keys: np.ndarray, columns: np.ndarray, base: int, min_n: int, max_n: int):
        order = np.argsort(keys)
        self.keys, self.columns = keys[order], columns[order]
        self.base, self.min_n, self.max_n = base, min_n, max_n

    @staticmethod
    def fits(digit_count: int, max_n: int) -> bool:
        return (digit_count + 1) ** max_n < 2**63

    @staticmethod
    def spell(digits: np.ndarray, base: int) -> np.ndarray:
        """Keys of n-grams given as rows of digits, right-aligned, 0 in the unused slots in front."""
        keys = np.zeros(len(digits), dtype=np.int64)
        for slot in range(digits.shape[1]):
            keys = keys * base + digits[:, slot]
        return keys

    def lookup(self, digits: np.ndarray, owners: np.ndarray, breaks: np.ndarray | None = None):
        """(owner, column) of every vocabulary n-gram in a digit sequence; `breaks[i]` forbids a
        window to hold both position i and i + 1."""
        found_owners, found_columns = [], []
        keys, valid = digits, digits > 0
        for n in range(1, self.max_n + 1):
            if n > 1:  # extend every window by one unit
                keys = keys[:-1] * self.base + digits[n - 1 :]
                valid = valid[:-1] & (digits[n - 1 :] > 0)
                if breaks is not None:
                    valid &= ~breaks[n - 2 :]
            if n < self.min_n:
                continue
            at = np.flatnonzero(valid)
            place = np.minimum(np.searchsorted(self.keys, keys[at]), len(self.keys) - 1)
            hit = self.keys[place] == keys[at]
            found_owners.append(owners[at[hit]])
            found_columns.append(self.columns[place[hit]])
        if not found_owners:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return np.concatenate(found_owners), np.concatenate(found_columns)


class CharGramKeys(_GramKeys):
    """char_wb n-grams: the digits are characters. A text's chunks are laid out as
    " chunk1  chunk2 " (each padded, the pads doubled between chunks): a window is one of the
    text's n-grams exactly when it holds no double space (and no unknown character)."""

    def __init__(self, table: np.ndarray, lower: bool, **keys):
        super().__init__(**keys)
        self.table, self.lower = table, lower

    @classmethod
    def of(cls, vocabulary: dict, min_n: int, max_n: int, lower: bool) -> CharGramKeys | None:
        """Keys for a vocabulary, or None when its alphabet is too large for 63-bit keys."""
        grams = list(vocabulary)
        alphabet = np.array(sorted({ord(ch) for ch in "".join(grams)}), dtype=np.int64)
        # A chunk shorter than min_n would count once, whole: windows cannot say that.
        if min_n > 3 or not cls.fits(len(alphabet), max_n) or any(len(g) > max_n for g in grams):
            return None
        table = np.zeros(alphabet[-1] + 2, dtype=np.int64)  # code point → digit; the last: unknown
        table[alphabet] = np.arange(1, len(alphabet) + 1)
        lengths = np.fromiter(map(len, grams), dtype=np.int64, count=len(grams))
        text = "".join(gram.rjust(max_n) for gram in grams)
        digits = table[np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)].reshape(len(grams), max_n)
        digits[np.arange(max_n) < (max_n - lengths)[:, None]] = 0
        columns = np.fromiter(vocabulary.values(), dtype=np.int32, count=len(grams))
        return cls(
            table, lower, keys=cls.spell(digits, len(alphabet) + 1), columns=columns,
            base=len(alphabet) + 1, min_n=min_n, max_n=max_n,
        )

    def find(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(text index, column) of every vocabulary n-gram occurrence in the texts (given the
        chunks of a sentence as texts, it tells which chunk each n-gram lies in)."""
        layouts = []
        for text in texts:
            chunks = (text.lower() if self.lower else text).split()
            layouts.append(f" {'  '.join(chunks)} " if chunks else "")
        codepoints = np.frombuffer("".join(layouts).encode("utf-32-le"), dtype=np.uint32)
        owners = np.repeat(np.arange(len(texts)), [len(layout) for layout in layouts])
        digits = self.table[np.minimum(codepoints, len(self.table) - 1)]
        space = codepoints == 32
        # Layouts end and start with a space, so no window crosses from one text to the next.
        return self.lookup(digits, owners, breaks=space[:-1] & space[1:])


class WordGramKeys(_GramKeys):
    """Word n-grams: the digits are the words of the vocabulary. A text's words are followed by
    an unknown word, so that no window crosses from one text to the next."""

    def __init__(self, words: dict, tokens, lower: bool, **keys):
        super().__init__(**keys)
        self.words, self.tokens, self.lower = words, tokens, lower

    @classmethod
    def of(cls, vocabulary: dict, token_pattern: re.Pattern, min_n: int, max_n: int, lower: bool):
        """Keys for a vocabulary, or None when its n-grams cannot be told apart into words."""
        # One flat array of word digits and one of n-gram lengths, not a list per n-gram: the
        # lists of a large vocabulary would briefly take more memory than the whole model.
        words: dict[str, int] = {}
        flat, counts = array("q"), array("q")
        for gram in vocabulary:
            parts = gram.split(" ")
            counts.append(len(parts))
            flat.extend(words.setdefault(word, len(words) + 1) for word in parts)
        lengths = np.frombuffer(counts, dtype=np.int64)
        if (
            not cls.fits(len(words), max_n)
            or not ((min_n <= lengths) & (lengths <= max_n)).all()
            or not all(token_pattern.fullmatch(word) for word in words)
        ):
            return None
        # Right-aligned: an n-gram's word number i goes to slot max_n - length + i of its row.
        rows = np.repeat(np.arange(len(lengths)), lengths)
        starts = np.cumsum(lengths) - lengths
        slots = max_n - lengths[rows] + np.arange(len(rows)) - starts[rows]
        digits = np.zeros((len(lengths), max_n), dtype=np.int64)
        digits[rows, slots] = np.frombuffer(flat, dtype=np.int64)
        columns = np.fromiter(vocabulary.values(), dtype=np.int32, count=len(lengths))
        return cls(
            words, token_pattern.findall, lower, keys=cls.spell(digits, len(words) + 1),
            columns=columns, base=len(words) + 1, min_n=min_n, max_n=max_n,
        )

    def find(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(text index, column) of every vocabulary n-gram occurrence in the texts."""
        tokens: list = []
        counts = []
        for text in texts:
            found = self.tokens(text.lower() if self.lower else text)
            tokens.extend(found)
            tokens.append(None)  # not a word: ends the text's windows
            counts.append(len(found) + 1)
        digits = np.fromiter(map(self.words.get, tokens, repeat(0)), dtype=np.int64, count=len(tokens))
        return self.lookup(digits, np.repeat(np.arange(len(texts)), counts))


def _found_in_python(block: Block, sentences: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(sentence index, column) of every vocabulary n-gram occurrence, one sentence at a time."""
    lookup = block.vocabulary.get
    owners: list[int] = []
    columns: list[int] = []
    for index, text in enumerate(sentences):
        found = [column for column in map(lookup, block.grams(text)) if column is not None]
        columns.extend(found)
        owners.extend(repeat(index, len(found)))
    return np.asarray(owners, dtype=np.int64), np.asarray(columns, dtype=np.int64)


def occurrences(block: Block, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(text index, block column) of every occurrence of the block's n-grams in the texts."""
    if block.keys is not None:
        return block.keys.find(texts)
    return _found_in_python(block, texts)


def block_entries(block: Block, sentences: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(sentence index, union column, tf-idf value) of a block's non-zero features, sorted by
    sentence, then column; values l2-normalised per sentence as TfidfVectorizer does."""
    owners, columns = occurrences(block, sentences)
    cells, counts = np.unique(owners * block.width + columns, return_counts=True)
    owners, columns = cells // block.width, cells % block.width
    values = counts.astype(block.dtype)
    if block.sublinear_tf:
        np.log(values, out=values)
        values += 1.0
    values *= block.idf[columns]
    norms = np.sqrt(np.bincount(owners, weights=values.astype(np.float64) ** 2, minlength=len(sentences)))
    values /= norms[owners]  # a sentence with entries has a positive norm
    return owners, columns + block.offset, values


class LeanScorer:
    """Feature rows and label probabilities of normalised sentences, without scikit-learn calls.

    It reproduces two models: a logistic regression (softmax of the linear scores, or a
    sigmoid for two labels), and a linear SVM calibrated with sigmoids (`CalibratedClassifierCV`,
    more than two labels): each label's margin through its own sigmoid, normalised over the
    labels and averaged over the calibrated SVMs.
    """

    def __init__(self, blocks: list[Block], model: LogisticRegression | CalibratedClassifierCV):
        self.blocks = blocks
        self.width = sum(block.width for block in blocks)
        self.binary = len(model.classes_) <= 2
        if isinstance(model, CalibratedClassifierCV):
            self.calibrated = calibrated_svms(model)
        else:
            self.calibrated = None
            self.weights = model.coef_  # one row per class (for a binary model: one row, the second class)
            self.intercept = model.intercept_

    @classmethod
    def of(cls, pipeline: Pipeline, blocks: list[Block]) -> LeanScorer | None:
        """The fast path for a fitted pipeline, or None when it is not one this module reproduces."""
        steps = getattr(pipeline, "named_steps", {})
        features, model = steps.get("features"), steps.get("model")
        if (
            list(steps) != ["features", "model"]
            or type(features) is not FeatureUnion
            or features.transformer_weights
            or not (type(model) is LogisticRegression or _is_calibrated_linear_svm(model))
            or not all(block.idf is not None for block in blocks)
        ):
            return None
        return cls(blocks, model)

    def rows(self, sentences: list[str]) -> FeatureRows:
        """The sentences' feature rows, as `features.transform(sentences)` would make them."""
        parts = [block_entries(block, sentences) for block in self.blocks]
        owners = np.concatenate([part[0] for part in parts])
        # Blocks come in column order and each is sorted by sentence, then column: a stable sort
        # by sentence keeps every row's columns ascending.
        order = np.argsort(owners, kind="stable")
        columns = np.concatenate([part[1] for part in parts])[order].astype(np.int32)
        values = np.concatenate([part[2] for part in parts])[order]
        indptr = np.zeros(len(sentences) + 1, dtype=np.int32)
        np.cumsum(np.bincount(owners, minlength=len(sentences)), out=indptr[1:])
        return FeatureRows(indptr, columns, values, self.width)

    def probabilities(self, rows: FeatureRows) -> np.ndarray:
        """Label probabilities (columns in the model's class order), as `predict_proba` gives them."""
        if self.calibrated is not None:
            return self._calibrated_probabilities(rows)
        decision = _linear_scores(self.weights, self.intercept, rows)
        if self.binary:  # one weight vector, for the second class
            positive = expit(decision[:, 0])
            return np.stack([1 - positive, positive], axis=1)
        decision -= decision.max(axis=1, keepdims=True)
        np.exp(decision, out=decision)
        decision /= decision.sum(axis=1, keepdims=True)
        return decision

    def _calibrated_probabilities(self, rows: FeatureRows) -> np.ndarray:
        total = None
        for weights, intercept, slopes, offsets in self.calibrated:
            probabilities = expit(-(_linear_scores(weights, intercept, rows) * slopes + offsets))
            sums = probabilities.sum(axis=1, keepdims=True)
            # where every sigmoid gives 0, scikit-learn falls back to the uniform distribution
            uniform = np.full_like(probabilities, 1.0 / probabilities.shape[1])
            probabilities = np.divide(probabilities, sums, out=uniform, where=sums != 0)
            probabilities[(1.0 < probabilities) & (probabilities <= 1.0 + 1e-5)] = 1.0
            total = probabilities if total is None else total + probabilities
        return total / len(self.calibrated)


def calibrated_svms(model: CalibratedClassifierCV) -> list[tuple[np.ndarray, ...]]:
    """(weights, intercepts, sigmoid slopes, sigmoid offsets) of each calibrated linear SVM: a
    label's margin m becomes 1 / (1 + exp(slope · m + offset)) before normalising."""
    return [
        (c.estimator.coef_, c.estimator.intercept_,
         np.array([sigmoid.a_ for sigmoid in c.calibrators]),
         np.array([sigmoid.b_ for sigmoid in c.calibrators]))
        for c in model.calibrated_classifiers_
    ]


def _linear_scores(weights: np.ndarray, intercept: np.ndarray, rows: FeatureRows) -> np.ndarray:
    """The sparse rows times the weights plus the intercept, one column per weight row (what
    scipy's product does, without building a scipy matrix for every batch)."""
    contributions = weights[:, rows.columns].T * rows.values[:, None].astype(np.float64)
    decision = np.zeros((len(rows), len(weights)))
    filled = rows.indptr[:-1] < rows.indptr[1:]
    if filled.any():
        decision[filled] = np.add.reduceat(contributions, rows.indptr[:-1][filled], axis=0)
    decision += intercept
    return decision


def _is_calibrated_linear_svm(model) -> bool:
    """A `CalibratedClassifierCV` with sigmoids over linear SVMs, for more than two labels."""
    return (
        type(model) is CalibratedClassifierCV
        and model.method == "sigmoid"
        and len(model.classes_) > 2
        and all(
            isinstance(c.estimator, LinearSVC)
            and list(c.estimator.classes_) == list(model.classes_)
            and len(c.calibrators) == len(model.classes_)
            for c in model.calibrated_classifiers_
        )
    )
