"""The check itself: from a post's text to findings an employee can act on.

normalise → split into sentences with offsets → score each sentence, then each pair of
neighbours that neither warns alone → threshold (stricter for long posts) → listed terms →
merge (higher score wins) → explain → UTF-16 offsets.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .artifact import Model
from .classifier import (
    PUBLISHED_LINK_ODDS, discounted_for_length, effective_threshold, pairs_worth_scoring, taboo_scores,
)
from .policy import HARMLESS, ListedTerm, Policy, Topic, listed_term_pattern
from .published import PublishedPages
from .scoring import FeatureRow
from .sentence_cache import SentenceCache
from .text import Sentence, Utf16Offsets, detect_language, normalise, split_sentences, strip_punctuation

EVIDENCE_TERMS = 3
# Sentences are scored in batches of about this many characters, so that a long post needs
# little memory at a time (all 63,206 characters of a Facebook post at once take ~8 MB more
# per request thread).
BATCH_CHARACTERS = 8_192
_LISTED_NOTE = {
    "de": "„{term}“ steht auf der Liste deines Kommunikationsteams.",
    "en": "“{term}” is on your comms team's list.",
}


@dataclass(frozen=True)
class Finding:
    """One risky passage: which topic, where (UTF-16 units), why, and what to do instead."""

    topic: str
    title: str
    score: float
    offset: int
    length: int
    evidence: tuple[str, ...]
    message: str
    guideline: str
    speakers: str
    alternative: str
    contact: dict
    source: str  # "model" or "listed" (a term comms listed in the policy)

    def to_dict(self) -> dict:
        return {
            "topic": self.topic,
            "title": self.title,
            "score": self.score,
            "offset": self.offset,
            "length": self.length,
            "evidence": list(self.evidence),
            "message": self.message,
            "guideline": self.guideline,
            "speakers": self.speakers,
            "alternative": self.alternative,
            "contact": dict(self.contact),
            "source": self.source,
        }


@dataclass(frozen=True)
class CheckResult:
    """The answer to one check: the findings (sorted, never overlapping) and the language."""

    findings: tuple[Finding, ...]
    lang: str
    model: dict

    @property
    def verdict(self) -> str:
        return "warn" if self.findings else "ok"

    def to_dict(self) -> dict:
        return {
            "verdict": self.verdict,
            "findings": [finding.to_dict() for finding in self.findings],
            "lang": self.lang,
            "model": dict(self.model),
        }


@dataclass
class _Hit:
    """A topic found in a run of sentences, before it is explained (Python indices)."""

    topic: str
    score: float
    start: int
    end: int
    first: int  # index of the first sentence in the run
    index: int  # of the last sentence in the run
    sentences: list[str] = field(default_factory=list)  # normalised passages, for the explanation
    rows: list = field(default_factory=list)  # their FeatureRows, or None for listed terms
    listed: str | None = None  # the listed term, when comms' list found it


class Checker:
    """Checks posts against a policy with a trained model.

    `cache_sentences` is how many recently scored sentences to remember (0: none); see
    `sentence_cache`. `published_link_odds` is the bar for posts that link a published page
    (a benchmark varies it).
    """

    def __init__(self, model: Model, policy: Policy, cache_sentences: int = 0,
                 published_link_odds: float = PUBLISHED_LINK_ODDS):
        self.model = model
        self.policy = policy
        self._listed = _compile_listed_terms(policy)
        self._published = PublishedPages(policy.published_pages)
        self._published_link_odds = published_link_odds
        self._thresholds = {
            topic.id: effective_threshold(model.classifier.thresholds[topic.id], topic.sensitivity)
            for topic in policy.topics
            if topic.id in model.classifier.thresholds
        }
        # Per label, the score that warns; labels without a threshold (ok, dropped topics) never do.
        self._limits = np.array([self._thresholds.get(label, np.inf) for label in model.classifier.labels])
        self._cache = SentenceCache(cache_sentences)
        model.classifier.prepare()

    def check(self, text: str, today: dt.date | None = None) -> CheckResult:
        """Find the sentences of `text` that touch a taboo topic and explain each."""
        today = today or dt.date.today()
        lang = detect_language(text, self.policy.default_language)
        sentences = split_sentences(text)
        normalised = [normalise(sentence.text) for sentence in sentences]
        # A link to a page where the company publishes raises the bar; listed terms still warn.
        odds_bar = self._published_link_odds if self._published.linked_in(text) else 1.0
        hits = self._scored(sentences, normalised, odds_bar) + self._listed_hits(sentences, normalised, today)
        merged = _merge(hits)
        offsets = Utf16Offsets(text)
        findings = tuple(self._explain(text, hit, lang, offsets) for hit in merged)
        return CheckResult(findings=findings, lang=lang, model=self.model.info)

    def _scored(self, sentences: list[Sentence], normalised: list[str], odds_bar: float = 1.0) -> list[_Hit]:
        """Each sentence's best topic over its threshold (the first label on a tie), if any; then
        the same for pairs of neighbouring sentences that neither warn alone nor are both calm.

        A pair catches what only the two sentences say together ("The owners met the banks
        again. Something big is coming for all of us."); training chose the thresholds on the
        same sentences and pairs (`training.post_scores`), with the same allowance for length.
        `odds_bar` raises the bar further (a link to a published page).
        """
        singles = [(index, index) for index in range(len(sentences))]
        hits, harmless = self._scored_windows(singles, sentences, normalised, odds_bar)
        warned = {hit.index for hit in hits}
        pairs = [(first, first + 1) for first in pairs_worth_scoring(harmless)
                 if first not in warned and first + 1 not in warned]
        texts = [f"{normalised[first]} {normalised[last]}" for first, last in pairs]
        return hits + self._scored_windows(pairs, sentences, texts, odds_bar)[0]

    def _scored_windows(self, windows: list[tuple[int, int]], sentences: list[Sentence], texts: list[str],
                        odds_bar: float):
        """The hits among windows (first and last sentence) with normalised `texts`, scored in
        batches, and every window's P(ok)."""
        hits, harmless = [], []
        for start, end in _batches(texts, BATCH_CHARACTERS):
            batch_hits, batch_harmless = self._scored_batch(windows[start:end], sentences, texts[start:end], odds_bar)
            hits.extend(batch_hits)
            harmless.append(batch_harmless)
        return hits, np.concatenate(harmless) if harmless else np.zeros(0)

    def _scored_batch(self, windows: list[tuple[int, int]], sentences: list[Sentence], texts: list[str],
                      odds_bar: float):
        labels = self.model.classifier.labels
        rows, probabilities = self._rows_and_probabilities(texts)
        scores = taboo_scores(probabilities, list(labels))
        # The bar rises with the post's length (`discounted_for_length`); the finding keeps the
        # sentence's own score.
        warns = discounted_for_length(scores, len(sentences), odds_bar) >= self._limits
        best = np.where(warns, scores, -np.inf).argmax(axis=1)
        hits = []
        for index in np.flatnonzero(warns.any(axis=1)):
            column, (first, last) = best[index], windows[index]
            hits.append(_Hit(
                labels[column], float(scores[index, column]), sentences[first].start, sentences[last].end,
                first, last, [texts[index]], [rows[index].copy()],
            ))
        return hits, probabilities[:, labels.index(HARMLESS)]

    def _rows_and_probabilities(self, normalised: list[str]) -> tuple[Sequence[FeatureRow], np.ndarray]:
        """Feature rows and label probabilities of the sentences; remembered ones from the cache."""
        classifier = self.model.classifier
        if not self._cache.size:
            rows = classifier.vectorise(normalised)
            return rows, classifier.probabilities(normalised, rows)
        known = {sentence: self._cache.get(sentence) for sentence in normalised}
        missing = [sentence for sentence, entry in known.items() if entry is None]
        if missing:
            rows = classifier.vectorise(missing)
            probabilities = classifier.probabilities(missing, rows)
            for index, sentence in enumerate(missing):
                # Copies: a view would keep the whole batch's arrays alive in the cache.
                known[sentence] = (rows[index].copy(), probabilities[index].copy())
                self._cache.put(sentence, known[sentence])
        entries = [known[sentence] for sentence in normalised]
        return [row for row, _ in entries], np.array([probability for _, probability in entries])

    def _listed_hits(self, sentences, normalised, today: dt.date) -> list[_Hit]:
        # One search per term over all sentences: NUL cannot be part of a match, so no match
        # spans two sentences, and each sentence is searched as if on its own.
        joined = "\0".join(normalised)
        starts = list(itertools.accumulate((len(norm) + 1 for norm in normalised[:-1]), initial=0))
        hits = []
        for topic_id, term, pattern, first_word in self._listed:
            if not term.active(today) or first_word not in joined:  # `in` is far quicker than the regex
                continue
            found = dict.fromkeys(bisect.bisect_right(starts, match.start()) - 1 for match in pattern.finditer(joined))
            for index in found:
                sentence, norm = sentences[index], normalised[index]
                hits.append(_Hit(topic_id, 1.0, sentence.start, sentence.end, index, index, [norm], [None], term.term))
        return hits

    def _explain(self, text: str, hit: _Hit, lang: str, offsets: Utf16Offsets) -> Finding:
        topic: Topic = self.policy.topic(hit.topic)
        message = topic.message[lang]
        if hit.listed:
            evidence = (hit.listed,)
            message = f"{message} {_LISTED_NOTE[lang].format(term=hit.listed)}"
        else:
            evidence = self._evidence(text[hit.start : hit.end], hit)
        offset, length = offsets.span(hit.start, hit.end)
        return Finding(
            topic=topic.id,
            title=topic.title[lang],
            score=round(hit.score, 4),
            offset=offset,
            length=length,
            evidence=evidence,
            message=message,
            guideline=topic.guideline[lang],
            speakers=topic.speakers[lang],
            alternative=topic.alternative[lang],
            contact=topic.contact.to_dict(lang),
            source="listed" if hit.listed else "model",
        )

    def _evidence(self, original: str, hit: _Hit) -> tuple[str, ...]:
        """The strongest words, spelled as the author wrote them where that can be traced."""
        strongest: dict[str, float] = {}
        for norm, row in zip(hit.sentences, hit.rows):
            for item in self.model.classifier.explain(norm, hit.topic, EVIDENCE_TERMS, row):
                strongest[item.term] = max(strongest.get(item.term, 0.0), item.weight)
        ranked = sorted(strongest, key=strongest.get, reverse=True)[:EVIDENCE_TERMS]
        spelled = _original_spellings(original, set(ranked))
        return tuple(spelled.get(term, term) for term in ranked)


def _batches(texts: list[str], characters: int):
    """(start, end) ranges of consecutive texts of about `characters` in all (at least one each)."""
    start, size = 0, 0
    for index, text in enumerate(texts):
        if size and size + len(text) > characters:
            yield start, index
            start, size = index, 0
        size += len(text)
    if start < len(texts):
        yield start, len(texts)


def _merge(hits: list[_Hit]) -> list[_Hit]:
    """Keep the strongest hits that share no sentence, then join neighbouring runs of one topic."""
    taken: set[int] = set()
    kept = []
    for hit in sorted(hits, key=lambda h: (-h.score, h.start)):
        covered = range(hit.first, hit.index + 1)
        if taken.isdisjoint(covered):
            taken.update(covered)
            kept.append(hit)
    merged: list[_Hit] = []
    for hit in sorted(kept, key=lambda h: h.start):
        previous = merged[-1] if merged else None
        if (
            previous
            and previous.topic == hit.topic
            and hit.first == previous.index + 1
            and not (previous.listed or hit.listed)
        ):
            previous.end, previous.index = hit.end, hit.index
            previous.score = max(previous.score, hit.score)
            previous.sentences.extend(hit.sentences)
            previous.rows.extend(hit.rows)
            continue
        merged.append(hit)
    return merged


def _original_spellings(original: str, terms: set[str]) -> dict[str, str]:
    """Map normalised terms to the way the passage first writes them (where it does)."""
    spellings: dict[str, str] = {}
    for chunk in original.split():
        word = strip_punctuation(chunk)
        if word:
            spellings.setdefault(normalise(word), word)
            if terms.issubset(spellings):  # the rest of the passage cannot change the answer
                break
    return spellings


def _compile_listed_terms(policy: Policy) -> list[tuple[str, ListedTerm, re.Pattern, str]]:
    """Each listed term with its topic, its pattern (see `policy.listed_term_pattern`) and the
    first word every match begins with."""
    compiled = []
    for topic in policy.topics:
        for term in topic.terms:
            words = normalise(term.term).split()
            compiled.append((topic.id, term, listed_term_pattern(term.term), words[0] if words else ""))
    return compiled
