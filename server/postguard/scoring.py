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
from dataclasses import dataclass
from itertools import repeat

import numpy as np
import scipy.sparse as sp
from scipy.special import expit
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline


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
    char_keys: CharGramKeys | None = None  # char_wb blocks: n-grams found with numpy


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
        keys = CharGramKeys.of(vocabulary, max_n) if min_n <= 3 else None
    else:
        grams = _WordGrams(re.compile(vectorizer.token_pattern), min_n, max_n, lower)
        keys = None
    return Block(
        name, offset, len(vocabulary), vectorizer.analyzer, vocabulary, grams,
        idf=vectorizer.idf_, sublinear_tf=vectorizer.sublinear_tf, dtype=vectorizer.dtype,
        char_keys=keys,
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


class CharGramKeys:
    """Finds a char_wb vocabulary's n-grams in many sentences at once, with numpy.

    Each character of the vocabulary's alphabet gets a digit 1..A; an n-gram is the number its
    digits spell in base A + 1, so every n-gram of every length has its own key (no hashing, no
    collisions) and the vocabulary becomes a sorted array of keys. A sentence's chunks are laid
    out as " chunk1  chunk2 " (each padded, pads doubled between chunks): a window is one of the
    sentence's n-grams exactly when it holds no double space and no character outside the alphabet.
    """

    def __init__(self, alphabet: np.ndarray, keys: np.ndarray, columns: np.ndarray, max_n: int):
        self.alphabet, self.keys, self.columns, self.max_n = alphabet, keys, columns, max_n
        self.base = len(alphabet) + 1

    @classmethod
    def of(cls, vocabulary: dict, max_n: int) -> CharGramKeys | None:
        """Keys for a vocabulary, or None when its alphabet is too large for 63-bit keys."""
        grams = list(vocabulary)
        alphabet = np.array(sorted({ord(ch) for ch in "".join(grams)}), dtype=np.uint32)
        base = len(alphabet) + 1
        if base**max_n >= 2**63 or any(len(gram) > max_n for gram in grams):
            return None
        lengths = np.fromiter(map(len, grams), dtype=np.int64, count=len(grams))
        # Right-align every n-gram in max_n slots; the empty slots in front count as digit 0.
        padded = np.frombuffer("".join(g.rjust(max_n) for g in grams).encode("utf-32-le"), dtype=np.uint32)
        digits = (np.searchsorted(alphabet, padded) + 1).reshape(len(grams), max_n)
        digits[np.arange(max_n) < (max_n - lengths)[:, None]] = 0
        keys = np.zeros(len(grams), dtype=np.int64)
        for slot in range(max_n):
            keys = keys * base + digits[:, slot]
        columns = np.fromiter(vocabulary.values(), dtype=np.int64, count=len(grams))
        order = np.argsort(keys)
        return cls(alphabet, keys[order], columns[order], max_n)

    def find(self, sentences: list[str], min_n: int, lower: bool) -> tuple[np.ndarray, np.ndarray]:
        """(sentence index, column) of every vocabulary n-gram occurrence in the sentences."""
        layouts = []
        for text in sentences:
            chunks = (text.lower() if lower else text).split()
            layouts.append(f" {'  '.join(chunks)} " if chunks else "")
        codepoints = np.frombuffer("".join(layouts).encode("utf-32-le"), dtype=np.uint32)
        owner = np.repeat(np.arange(len(sentences)), [len(layout) for layout in layouts])
        place = np.minimum(np.searchsorted(self.alphabet, codepoints), len(self.alphabet) - 1)
        digits = np.where(self.alphabet[place] == codepoints, place + 1, 0).astype(np.int64)
        space = codepoints == 32
        double_space = space[:-1] & space[1:]
        found_sentences, found_columns = [], []
        keys = digits
        valid = digits > 0
        for n in range(1, self.max_n + 1):
            if n > 1:  # extend every window by one character
                keys = keys[:-1] * self.base + digits[n - 1 :]
                valid = valid[:-1] & (digits[n - 1 :] > 0) & ~double_space[n - 2 :]
            if n < min_n or not len(keys):
                continue
            place = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
            hit = valid & (self.keys[place] == keys)
            found_sentences.append(owner[: len(keys)][hit])
            found_columns.append(self.columns[place[hit]])
        if not found_sentences:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return np.concatenate(found_sentences), np.concatenate(found_columns)


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


def block_entries(block: Block, sentences: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(sentence index, union column, tf-idf value) of a block's non-zero features, sorted by
    sentence, then column; values l2-normalised per sentence as TfidfVectorizer does."""
    if block.char_keys is not None:
        owners, columns = block.char_keys.find(sentences, block.grams.min_n, block.grams.lower)
    else:
        owners, columns = _found_in_python(block, sentences)
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
    """Feature rows and label probabilities of normalised sentences, without scikit-learn calls."""

    def __init__(self, blocks: list[Block], model: LogisticRegression):
        self.blocks = blocks
        self.width = sum(block.width for block in blocks)
        # Contiguous transposed weights: a sparse matrix times them is one pass over the rows.
        self.weights = np.ascontiguousarray(model.coef_.T)
        self.intercept = model.intercept_
        self.binary = len(model.classes_) <= 2

    @classmethod
    def of(cls, pipeline: Pipeline, blocks: list[Block]) -> LeanScorer | None:
        """The fast path for a fitted pipeline, or None when it is not one this module reproduces."""
        steps = getattr(pipeline, "named_steps", {})
        features, model = steps.get("features"), steps.get("model")
        if (
            list(steps) != ["features", "model"]
            or type(features) is not FeatureUnion
            or features.transformer_weights
            or type(model) is not LogisticRegression
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
        decision = rows.matrix() @ self.weights + self.intercept
        if self.binary:  # one weight vector, for the second class
            positive = expit(decision[:, 0])
            return np.stack([1 - positive, positive], axis=1)
        decision -= decision.max(axis=1, keepdims=True)
        np.exp(decision, out=decision)
        decision /= decision.sum(axis=1, keepdims=True)
        return decision
