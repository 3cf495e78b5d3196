"""Screen changes to how a post's score is put together, before any evaluation set sees them:
which windows of a post are scored, how the bar rises with the post's length, and how the
false-alarm budget is shared among the topics.

    python bench/screen_post_scoring.py [--seed 0] [--target 0.015]

A fifth of the training material (stratified) is held out. Thresholds are chosen by 5-fold
cross-validation on the rest, as `train_classifier.py` chooses them, once per variant, and each
variant is measured on the held-out fifth: taboo posts found and harmless posts flagged (any
topic), overall and among the company's own examples. Takes two to three minutes on two cores.

Variants (the shipped check is the first):

- sentences + pairs: each sentence, and each pair of neighbours one of which reaches
  `PAIR_FLOOR`; the bar rises with n / 2 for a post of n sentences (`discounted_for_length`)
- + whole post: the post as one more window, with the same bar, or with none
- + triples: three neighbouring sentences as one more window
- pairs always: every pair of neighbours, whatever its sentences score
- length capped at 5: the bar stops rising after five sentences
- length sqrt: the bar rises with sqrt(n / 2) instead of n / 2
- length counts sentences of 3+ (4+) words: n counts only sentences of at least three (four)
  words, so short lines ("Yes I am.", "#officelife") do not raise the bar
- joint budget: the shipped windows, but the thresholds share the false-alarm rate the uniform
  target gives over all topics, each step going to the topic where it finds the most taboo
  posts per false alarm on cross-validation
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed
from sklearn.model_selection import StratifiedKFold, StratifiedShuffleSplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "server"))

from postguard.classifier import PAIR_FLOOR, TYPICAL_POST_SENTENCES, taboo_scores  # noqa: E402
from postguard.examples import load_base_corpus, load_examples  # noqa: E402
from postguard.policy import HARMLESS, load_policy  # noqa: E402
from postguard.text import normalise, split_sentences  # noqa: E402
from postguard.training import (  # noqa: E402
    FOLDS, SEED, THRESHOLD_GRID, choose_thresholds, decide, fit, post_scores,
)

WINDOW_VARIANTS = {
    "sentences + pairs (shipped)": dict(),
    "+ whole post, same bar": dict(whole="discounted"),
    "+ whole post, no bar": dict(whole="plain"),
    "+ triples": dict(triples=True),
    "pairs always": dict(pair_floor=0.0),
    "length capped at 5 sentences": dict(length="capped"),
    "length sqrt": dict(length="sqrt"),
    "length counts sentences of 3+ words": dict(min_words=3),
    "length counts sentences of 4+ words": dict(min_words=4),
}
SHIPPED = "sentences + pairs (shipped)"
# The word counts from which a sentence counts for the bar, as the variants above ask for them.
MIN_WORDS = sorted({options["min_words"] for options in WINDOW_VARIANTS.values() if "min_words" in options})


def length_factor(counts: np.ndarray, rule: str) -> np.ndarray:
    """How many times the odds a window of a post of `counts` sentences needs."""
    counts = np.minimum(counts, 5) if rule == "capped" else counts
    factor = np.maximum(counts, TYPICAL_POST_SENTENCES) / TYPICAL_POST_SENTENCES
    return np.sqrt(factor) if rule == "sqrt" else factor


def variant_scores(pipeline, texts: list[str]) -> dict[str, np.ndarray]:
    """Per variant, each post's best score per label, from one set of predictions."""
    classes = list(pipeline.classes_)
    sentences, owners, counts, wordy = [], [], [], {least: [] for least in MIN_WORDS}
    for index, text in enumerate(texts):
        parts = [normalise(s.text) for s in split_sentences(text)] or [normalise(text)]
        sentences += parts
        owners += [index] * len(parts)
        counts.append(len(parts))
        for least in wordy:
            wordy[least].append(max(1, sum(len(part.split()) >= least for part in parts)))
    counts, owners = np.array(counts), np.array(owners)
    wordy = {least: np.array(found) for least, found in wordy.items()}
    single = pipeline.predict_proba(sentences)
    calm = single[:, classes.index(HARMLESS)]
    pairs, pair_owners, pair_taboo, triples, triple_owners, start = [], [], [], [], [], 0
    for index, count in enumerate(counts):
        window = sentences[start : start + count]
        taboo = 1.0 - calm[start : start + count]
        for first in range(count - 1):
            pairs.append(f"{window[first]} {window[first + 1]}")
            pair_owners.append(index)
            pair_taboo.append(max(taboo[first], taboo[first + 1]))
        for first in range(count - 2):
            triples.append(" ".join(window[first : first + 3]))
            triple_owners.append(index)
        start += count

    def predict(windows: list[str]) -> np.ndarray:
        return pipeline.predict_proba(windows) if windows else np.zeros((0, len(classes)))

    scored = {
        "single": (taboo_scores(single, classes), owners),
        "pair": (taboo_scores(predict(pairs), classes), np.array(pair_owners, dtype=int)),
        "triple": (taboo_scores(predict(triples), classes), np.array(triple_owners, dtype=int)),
        "whole": (taboo_scores(predict([normalise(t) for t in texts]), classes), np.arange(len(texts))),
    }
    pair_taboo = np.array(pair_taboo)
    results = {}
    for name, options in WINDOW_VARIANTS.items():
        rule = options.get("length", "linear")
        counted = wordy[options["min_words"]] if "min_words" in options else counts

        def barred(scores, window_owners):
            factor = length_factor(counted[window_owners], rule)[:, None]
            return scores / (scores + factor * (1.0 - scores))

        kept = pair_taboo >= options.get("pair_floor", PAIR_FLOOR)
        windows = [
            (barred(*scored["single"]), owners),
            (barred(scored["pair"][0][kept], scored["pair"][1][kept]), scored["pair"][1][kept]),
        ]
        if options.get("triples"):
            windows.append((barred(*scored["triple"]), scored["triple"][1]))
        if options.get("whole") == "discounted":
            windows.append((barred(*scored["whole"]), scored["whole"][1]))
        elif options.get("whole") == "plain":
            windows.append(scored["whole"])
        best = np.zeros((len(texts), len(classes)))
        for scores, window_owners in windows:
            np.maximum.at(best, window_owners, scores)
        results[name] = best
    return results


def flagged(scores: np.ndarray, classes: list[str], thresholds: dict[str, float]) -> np.ndarray:
    """Whether the check would warn about each post (under any topic)."""
    return decide(scores, classes, thresholds) != HARMLESS


def joint_thresholds(scores, classes, labels, topic_ids, budget: float) -> dict[str, float]:
    """Share a false-alarm budget (a share of harmless posts, any topic) among the topics: start
    with none flagging, and lower one topic's threshold at a time, each time where it finds the
    most taboo posts per harmless post newly flagged, until the budget is spent."""
    harmless = labels == HARMLESS
    topics = [c for c in classes if c != HARMLESS and c in topic_ids]
    chosen = {topic: np.inf for topic in topics}
    allowed = int(np.floor(budget * harmless.sum() + 1e-9))
    while True:
        now = flagged(scores, classes, chosen)
        used, found = int(now[harmless].sum()), int(now[~harmless].sum())
        best = None
        for topic in topics:
            others = flagged(scores, classes, {t: x for t, x in chosen.items() if t != topic})
            column = scores[:, classes.index(topic)]
            for threshold in THRESHOLD_GRID[::-1]:
                if threshold >= chosen[topic]:
                    continue
                new = others | (column >= threshold)
                cost, gain = int(new[harmless].sum()) - used, int(new[~harmless].sum()) - found
                if used + cost > allowed:
                    break
                if gain > 0 and (best is None or gain / (cost + 0.5) > best[0]):
                    best = (gain / (cost + 0.5), topic, float(threshold))
        if best is None:
            break
        chosen[best[1]] = best[2]
    return {topic: min(threshold, float(THRESHOLD_GRID[-1])) for topic, threshold in chosen.items()}


@dataclass(frozen=True)
class HeldOutFifth:
    """The training material split as every screen splits it: a stratified fifth held out, the
    rest for cross-validation and fitting; `held_company` marks the company's own examples."""

    train_texts: list[str]
    train_labels: np.ndarray
    held_texts: list[str]
    held_labels: np.ndarray
    held_company: np.ndarray
    classes: list[str]

    def header(self, target: float, seed: int, extra: str = "") -> str:
        """What was held out, and the head of the results table (`extra`: more columns)."""
        taboo, company = self.held_labels != HARMLESS, self.held_company
        return (f"Held out: {taboo.sum()} taboo posts ({(taboo & company).sum()} the company's), "
                f"{(~taboo).sum()} harmless ({(~taboo & company).sum()} the company's); target {target:.2%} "
                f"per topic, seed {seed}.\n\n"
                f"| variant | thresholds | taboo found | false alarms | company taboo found | company false alarms |{extra}\n"
                f"|---|---|---|---|---|---|{'---|' * extra.count('|')}")

    def row(self, name: str, thresholds: dict[str, float], hit: np.ndarray) -> str:
        """One variant's row: its thresholds, and what it flags (`hit`, per held-out post)."""
        taboo, company = self.held_labels != HARMLESS, self.held_company
        shown = ", ".join(f"{topic} {threshold:.3f}" for topic, threshold in sorted(thresholds.items()))
        return (f"| {name} | {shown} | {hit[taboo].sum()} ({hit[taboo].mean():.3f}) | {hit[~taboo].sum()} "
                f"({hit[~taboo].mean():.4f}) | {hit[taboo & company].sum()} | {hit[~taboo & company].sum()} |")


def held_out_fifth(policy, seed: int) -> HeldOutFifth:
    """The company's examples and the base corpus, a stratified fifth held out (`seed`)."""
    examples = load_examples(ROOT / "model" / "examples.csv", policy.topic_ids) + load_base_corpus(policy.topic_ids)
    texts = [e.text for e in examples]
    labels = np.array([e.topic for e in examples])
    company = np.array([e.source == "company" for e in examples])
    train, held = next(StratifiedShuffleSplit(1, test_size=0.2, random_state=seed).split(texts, labels))
    return HeldOutFifth(
        train_texts=[texts[i] for i in train], train_labels=labels[train], held_texts=[texts[i] for i in held],
        held_labels=labels[held], held_company=company[held], classes=sorted(set(labels)),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="which fifth is held out")
    parser.add_argument("--target", type=float, default=0.015, help="false-alarm target per topic")
    parser.add_argument("--policy", type=Path, default=ROOT / "model" / "policy.toml")
    args = parser.parse_args()
    started = time.perf_counter()
    policy = load_policy(args.policy)
    split = held_out_fifth(policy, args.seed)
    train_texts, train_labels, held_texts, classes = split.train_texts, split.train_labels, split.held_texts, split.classes

    # Out-of-fold scores on the train part, as `training.cross_validated_scores` deals them.
    folds = list(StratifiedKFold(FOLDS, shuffle=True, random_state=SEED).split(train_texts, train_labels))

    def one_fold(fold_train, fold_test):
        pipeline = fit([train_texts[i] for i in fold_train], train_labels[fold_train])
        return list(pipeline.classes_), variant_scores(pipeline, [train_texts[i] for i in fold_test])

    out_of_fold = {name: np.zeros((len(train_texts), len(classes))) for name in WINDOW_VARIANTS}
    for (_, fold_test), (fold_classes, scores) in zip(folds, Parallel(n_jobs=-1)(delayed(one_fold)(*f) for f in folds)):
        for name in WINDOW_VARIANTS:
            out_of_fold[name][np.ix_(fold_test, [classes.index(c) for c in fold_classes])] = scores[name]
    final = fit(train_texts, train_labels)
    held_scores = variant_scores(final, held_texts)
    # The first variant must be what the check does.
    assert np.allclose(held_scores[SHIPPED], post_scores(final, classes, held_texts))

    topic_ids = tuple(policy.topic_ids)
    shipped = choose_thresholds(out_of_fold[SHIPPED], classes, train_labels, topic_ids, target=args.target)
    budget = float(np.mean(flagged(out_of_fold[SHIPPED], classes, shipped)[train_labels == HARMLESS]))
    choices = {name: (name, choose_thresholds(out_of_fold[name], classes, train_labels, topic_ids, target=args.target))
               for name in WINDOW_VARIANTS}
    joint = joint_thresholds(out_of_fold[SHIPPED], classes, train_labels, topic_ids, budget)
    choices["joint budget"] = (SHIPPED, joint)

    print(split.header(args.target, args.seed))
    for name, (windows, thresholds) in choices.items():
        print(split.row(name, thresholds, flagged(held_scores[windows], classes, thresholds)))
    print(f"\n{time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
