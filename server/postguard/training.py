"""Training: fit the classifier on examples, choose per-topic thresholds on cross-validation
and measure the quality comms sees in the report. No files and no printing here."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import numpy as np
import sklearn
from joblib import Parallel, delayed
from sklearn.calibration import CalibratedClassifierCV
from sklearn.model_selection import StratifiedKFold

from .classifier import (
    PAIR_FLOOR, TYPICAL_POST_SENTENCES, Classifier, discounted_for_length, effective_threshold,
    pairs_worth_scoring, taboo_scores,
)
from .features import DEFAULT_DESIGN, logistic_regression
from .examples import Example, count_topics
from .policy import HARMLESS, Policy
from .text import normalise, split_sentences

# Share of harmless training posts each topic may flag on cross-validation when thresholds are
# chosen. The base corpus's harmless side is mostly hard cases (published figures, job ads,
# other companies' news), so 1.5 % there means few false alarms on everyday posts: 1.8 % over
# the first twelve evaluation sets. Real benign tweets must stay flagged at 2 % or below: 1.5 %
# flags 1.8 %. 1.75 % flags 2.0 %, but with base corpus round 7 it finds 8 more taboo posts over
# those sets for 13 more false alarms, so the target is 1.5 % (docs/quality.md). It is a share,
# so more easy harmless examples lower the thresholds it gives: recheck it when the corpus or
# design changes (`postguard evaluate --targets`).
FALSE_ALARM_TARGET_PER_TOPIC = 0.015
# No topic warns below this probability, however quiet it is on harmless posts.
THRESHOLD_FLOOR = 0.35
# Harmless sentences shorter than this add nothing to learn from.
MIN_SENTENCE_WORDS = 3
# Cross-validation that chooses the thresholds: folds, and the shuffle that deals the examples.
FOLDS = 5
SEED = 0
# Below this many training texts every n-gram is kept (min_df 1): with a handful of examples (a
# new topic's first ones, a learning-curve point without the base corpus) the usual minimum
# (`features.MIN_DF`) together with max_df would leave no n-gram at all.
SMALL_MATERIAL = 1_000
# Scores of 1 − P(ok) crowd near 1, so the grid is fine-grained up to 0.995.
THRESHOLD_GRID = np.round(np.arange(THRESHOLD_FLOOR, 0.9951, 0.005), 3)


@dataclass(frozen=True)
class TrainingResult:
    """A fitted classifier and what cross-validation measured about it.

    `decided` holds, per example in the order given, the label the check would have given it
    when it was left out of training (cross-validation): where it differs from the example's
    topic, the model gets the example wrong.
    """

    classifier: Classifier
    quality: dict
    decided: tuple[str, ...] = ()


def train(
    examples: list[Example], policy: Policy, folds: int = FOLDS, seed: int = SEED, design=DEFAULT_DESIGN,
    progress=None,
) -> TrainingResult:
    """Cross-validate to choose thresholds and measure quality, then fit on all examples.

    `design` makes a fresh unfitted pipeline (see `features`); `progress(done, total)`,
    when given, is called after each fold and after the final fit.
    """
    labels = np.array([example.topic for example in examples])
    if len(set(labels)) < 2 or HARMLESS not in labels:
        raise ValueError("training needs harmless ('ok') examples and at least one topic")
    out_of_fold, classes = cross_validated_scores(examples, folds, seed, design, progress)
    thresholds = choose_thresholds(out_of_fold, classes, labels, policy.topic_ids)
    pipeline = fit([e.text for e in examples], labels, design)
    classifier = Classifier(pipeline=pipeline, thresholds=thresholds)
    company = np.array([example.source == "company" for example in examples])
    # Measure with the thresholds the check will apply, the policy's sensitivities included.
    applied = {
        topic: effective_threshold(threshold, policy.topic(topic).sensitivity)
        for topic, threshold in thresholds.items()
    }
    quality = {
        "all": measure(out_of_fold, classes, labels, applied),
        "company": measure(out_of_fold[company], classes, labels[company], applied)
        if company.any()
        else None,
        "folds": folds,
        "examples": count_topics(examples),
        "thresholds": thresholds,
    }
    decided = tuple(str(label) for label in decide(out_of_fold, classes, applied))
    if progress:
        progress(1, 1)
    return TrainingResult(classifier=classifier, quality=quality, decided=decided)


def most_typical_sentence(first, sentences: list[str], label: str) -> list[str]:
    """Round two's pick from a taboo post of several sentences: the one sentence round one finds
    most typical of the post's topic."""
    typical = first.predict_proba(sentences)[:, list(first.classes_).index(label)]
    return [sentences[int(np.argmax(typical))]]


def fit(texts: list[str], labels: np.ndarray, design=DEFAULT_DESIGN, pick_from_taboo=most_typical_sentence):
    """Fit the pipeline in two rounds so that it learns sentences, which is what the check scores.

    Round one learns from whole posts. Round two adds every sentence of the harmless posts as
    harmless, and from each taboo post of several sentences what `pick_from_taboo` takes: the
    one sentence round one finds most typical of its topic. The chatty rest of a taboo post
    ("Thanks, team!") then no longer teaches the model that thanks are taboo
    (`bench/screen_training.py` screens other picks).
    """
    first = pipeline_for(design, labels).fit([normalise(text) for text in texts], labels)
    inputs, targets = [], []
    for text, label in zip(texts, labels):
        inputs.append(normalise(text))
        targets.append(label)
        sentences = [normalise(s.text) for s in split_sentences(text)]
        if len(sentences) < 2:
            continue
        if label == HARMLESS:
            kept = [s for s in sentences if len(s.split()) >= MIN_SENTENCE_WORDS]
        else:
            kept = pick_from_taboo(first, sentences, label)
        inputs.extend(kept)
        targets.extend([label] * len(kept))
    return pipeline_for(design, np.array(targets)).fit(inputs, np.array(targets))


def pipeline_for(design, labels: np.ndarray):
    """A fresh pipeline of `design` for these labels. Small material keeps every n-gram
    (`SMALL_MATERIAL`). A calibrated model needs each label in every calibration fold: when a
    label has fewer examples than the folds (a learning-curve point that keeps a quarter of a
    topic's five examples), it calibrates on fewer folds, and with a single example, which no
    fold split can hold, the logistic regression on the same features takes its place."""
    pipeline = design()
    features = pipeline.named_steps.get("features")
    if len(labels) < SMALL_MATERIAL and features is not None:
        for _, transformer in features.transformer_list:
            if "min_df" in transformer.get_params():
                transformer.set_params(min_df=1)
    model = pipeline.named_steps.get("model")
    if not isinstance(model, CalibratedClassifierCV):
        return pipeline
    folds = 5 if model.cv is None else getattr(model.cv, "n_splits", model.cv)  # None: scikit-learn's 5
    smallest = int(np.unique(labels, return_counts=True)[1].min())
    if isinstance(folds, int) and smallest < folds:
        if smallest >= 2:
            pipeline.set_params(model__cv=smallest)
        else:
            pipeline.set_params(model=logistic_regression())
    return pipeline


def post_scores(classifier_pipeline, classes, texts: list[str]) -> np.ndarray:
    """Score posts as the check does: the highest taboo score of any sentence, or of any pair of
    neighbouring sentences worth scoring (`classifier.pairs_worth_scoring`), per label, as the
    thresholds see it in a post of that length (`classifier.discounted_for_length`)."""
    sentences, owners, counts = [], [], []
    for index, text in enumerate(texts):
        parts = [normalise(s.text) for s in split_sentences(text)] or [normalise(text)]
        sentences.extend(parts)
        owners.extend([index] * len(parts))
        counts.append(len(parts))
    probabilities = classifier_pipeline.predict_proba(sentences)
    harmless = probabilities[:, list(classes).index(HARMLESS)]
    pairs, pair_owners, start = [], [], 0
    for index, count in enumerate(counts):
        window = sentences[start : start + count]
        for first in pairs_worth_scoring(harmless[start : start + count]):
            pairs.append(f"{window[first]} {window[first + 1]}")
            pair_owners.append(index)
        start += count
    if pairs:
        probabilities = np.vstack([probabilities, classifier_pipeline.predict_proba(pairs)])
        owners.extend(pair_owners)
    owners = np.array(owners)
    window_scores = discounted_for_length(taboo_scores(probabilities, list(classes)), np.array(counts)[owners])
    scores = np.zeros((len(texts), len(classes)))
    np.maximum.at(scores, owners, window_scores)
    return scores


def cross_validated_scores(
    examples: list[Example], folds: int, seed: int, design=DEFAULT_DESIGN, progress=None
) -> tuple[np.ndarray, list[str]]:
    """Out-of-fold post scores from stratified k-fold cross-validation.

    `progress(done, total)` counts finished folds plus the final fit that follows them.
    """
    labels = np.array([example.topic for example in examples])
    texts = [example.text for example in examples]
    classes = sorted(set(labels))
    smallest = min(count_topics(examples).values())
    splitter = StratifiedKFold(n_splits=min(folds, smallest), shuffle=True, random_state=seed)
    def one_fold(train_index, test_index):
        pipeline = fit([texts[i] for i in train_index], labels[train_index], design)
        return pipeline.classes_, post_scores(pipeline, list(pipeline.classes_), [texts[i] for i in test_index])

    folds_split = list(splitter.split(texts, labels))
    # Folds are independent: use every core (training runs on the employee's or comms' machine).
    results = Parallel(n_jobs=-1, return_as="generator")(
        delayed(one_fold)(tr, te) for tr, te in folds_split
    )
    scores = np.zeros((len(examples), len(classes)))
    for done, ((_, test_index), (fold_classes, fold_scores)) in enumerate(zip(folds_split, results), 1):
        scores[np.ix_(test_index, [classes.index(c) for c in fold_classes])] = fold_scores
        if progress:
            progress(done, len(folds_split) + 1)
    return scores, classes


def learning_curve(
    examples: list[Example], policy: Policy, thresholds: dict[str, float],
    fractions: tuple[float, ...] = (0.25, 0.5, 0.75), folds: int = 3, seed: int = 0,
    design=DEFAULT_DESIGN, progress=None, final: dict | None = None,
) -> list[dict]:
    """Quality on the company's examples when training sees only part of them.

    For each fraction, k-fold cross-validation trains on that share of the company's taboo
    examples per topic (harmless and base examples all kept) and scores the left-out fold with
    the final model's `thresholds`. Each point says how many company examples per topic training
    saw on average: a curve still rising at its end says more examples would help. `final`, the
    quality `train` measured, adds the point with all examples.
    """
    labels = np.array([example.topic for example in examples])
    texts = [example.text for example in examples]
    company = np.array([example.source == "company" for example in examples])
    taboo_company = company & (labels != HARMLESS)
    smallest = min(count_topics(examples).values())
    splitter = StratifiedKFold(n_splits=max(2, min(folds, smallest)), shuffle=True, random_state=seed)
    folds_split = list(splitter.split(texts, labels))
    rng = np.random.default_rng(seed)
    applied = {
        topic: effective_threshold(threshold, policy.topic(topic).sensitivity)
        for topic, threshold in thresholds.items()
        if topic in policy.topic_ids
    }

    def subsample(train_index, fraction):
        kept = [i for i in train_index if not taboo_company[i]]
        seen = {}
        for topic in sorted(set(labels[train_index][taboo_company[train_index]])):
            members = [i for i in train_index if taboo_company[i] and labels[i] == topic]
            take = max(1, round(fraction * len(members)))
            kept.extend(rng.permutation(members)[:take].tolist())
            seen[topic] = take
        return sorted(kept), seen

    jobs = []
    for fraction in fractions:
        for train_index, test_index in folds_split:
            kept, seen = subsample(train_index, fraction)
            jobs.append((fraction, kept, test_index, seen))

    def one_job(kept, test_index):
        pipeline = fit([texts[i] for i in kept], labels[kept], design)
        return pipeline.classes_, post_scores(pipeline, list(pipeline.classes_), [texts[i] for i in test_index])

    results = Parallel(n_jobs=-1, return_as="generator")(
        delayed(one_job)(kept, test_index) for _, kept, test_index, _ in jobs
    )
    classes = sorted(set(labels))
    scores = {fraction: np.zeros((len(examples), len(classes))) for fraction in fractions}
    seen_per_fraction: dict[float, list[float]] = {fraction: [] for fraction in fractions}
    for done, ((fraction, _, test_index, seen), (fold_classes, fold_scores)) in enumerate(zip(jobs, results), 1):
        columns = [classes.index(c) for c in fold_classes]
        scores[fraction][np.ix_(test_index, columns)] = fold_scores
        if seen:
            seen_per_fraction[fraction].append(float(np.mean(list(seen.values()))))
        if progress:
            progress(done, len(jobs))
    mask = company if company.any() else np.ones(len(labels), dtype=bool)
    points = []
    for fraction in fractions:
        measured = measure(scores[fraction][mask], classes, labels[mask], applied)
        points.append({
            "fraction": fraction,
            "examples_per_topic": round(float(np.mean(seen_per_fraction[fraction] or [0.0])), 1),
            "macro_f1": measured["macro_f1"],
            "false_alarm_rate": measured["false_alarm_rate"],
        })
    if final:
        measured = final.get("company") or final["all"]
        per_topic = [int(np.sum(taboo_company & (labels == t))) for t in applied]
        share = (final["folds"] - 1) / final["folds"]  # what each fold of `train` trained on
        points.append({
            "fraction": 1.0,
            "examples_per_topic": round(float(np.mean(per_topic)) * share, 1) if per_topic else 0.0,
            "macro_f1": measured["macro_f1"],
            "false_alarm_rate": measured["false_alarm_rate"],
        })
    return points


def choose_thresholds(
    scores: np.ndarray, classes: list[str], labels: np.ndarray, topic_ids: tuple[str, ...],
    target: float = FALSE_ALARM_TARGET_PER_TOPIC,
) -> dict[str, float]:
    """Per topic, the lowest threshold that flags at most `target` of the harmless posts."""
    harmless = labels == HARMLESS
    thresholds = {}
    for topic in classes:
        if topic == HARMLESS or topic not in topic_ids:
            continue
        column = scores[harmless, classes.index(topic)]
        chosen = THRESHOLD_GRID[-1]
        for threshold in THRESHOLD_GRID:
            if np.mean(column >= threshold) <= target:
                chosen = threshold
                break
        thresholds[topic] = float(chosen)
    return thresholds


def decide(scores: np.ndarray, classes: list[str], thresholds: dict[str, float]) -> np.ndarray:
    """The label the check would give each post: the top topic over its threshold, else 'ok'."""
    decided = np.full(len(scores), HARMLESS, dtype=object)
    best = np.zeros(len(scores))
    for topic, threshold in thresholds.items():
        column = scores[:, classes.index(topic)]
        wins = (column >= threshold) & (column > best)
        decided[wins] = topic
        best[wins] = column[wins]
    return decided


def measure(
    scores: np.ndarray, classes: list[str], labels: np.ndarray, thresholds: dict[str, float]
) -> dict:
    """Per-topic precision, recall and F1, the false-alarm rate and the confusion matrix."""
    decided = decide(scores, classes, thresholds)
    topics = list(thresholds)
    per_topic = {}
    for topic in topics:
        true_positive = int(np.sum((decided == topic) & (labels == topic)))
        predicted = int(np.sum(decided == topic))
        actual = int(np.sum(labels == topic))
        precision = true_positive / predicted if predicted else 0.0
        recall = true_positive / actual if actual else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_topic[topic] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": actual,
        }
    harmless = labels == HARMLESS
    taboo = ~harmless
    order = [HARMLESS, *topics]
    confusion = [[int(np.sum((labels == a) & (decided == p))) for p in order] for a in order]
    return {
        "topics": per_topic,
        "macro_f1": round(float(np.mean([m["f1"] for m in per_topic.values()])), 4),
        "false_alarm_rate": round(float(np.mean(decided[harmless] != HARMLESS)), 4)
        if harmless.any()
        else None,
        "taboo_recall": round(float(np.mean(decided[taboo] != HARMLESS)), 4) if taboo.any() else None,
        "harmless": int(harmless.sum()),
        "confusion": {"labels": order, "matrix": confusion},
    }


def settings_digest(design=DEFAULT_DESIGN) -> str:
    """A fingerprint of every setting that shapes a trained model beyond its material: the
    design's parameters (n-gram ranges, `min_df`, C, ...) and the training constants above.
    A model whose card holds another one was made by other code and is retrained."""
    settings = {name: _setting(value) for name, value in design().get_params(deep=True).items()}
    settings.update(
        false_alarm_target=FALSE_ALARM_TARGET_PER_TOPIC, threshold_floor=THRESHOLD_FLOOR,
        min_sentence_words=MIN_SENTENCE_WORDS, folds=FOLDS, seed=SEED, small_material=SMALL_MATERIAL,
        pair_floor=PAIR_FLOOR, typical_post_sentences=TYPICAL_POST_SENTENCES,
    )
    text = "\n".join(f"{name}={settings[name]}" for name in sorted(settings))
    return hashlib.sha256(text.encode()).hexdigest()


def _setting(value) -> str:
    """A parameter as text; an estimator, or a list of named ones, by its class names (its own
    parameters are listed beside it by `get_params(deep=True)`)."""
    if hasattr(value, "get_params"):
        return type(value).__qualname__
    if isinstance(value, (list, tuple)) and any(isinstance(item, tuple) for item in value):
        return repr([(name, _setting(step)) for name, step in value])
    return repr(value)


def model_card(
    quality: dict, sources: dict[str, str], base: bool, now: dt.datetime | None = None
) -> dict:
    """The papers that travel with a model (the artifact's sha256 is added when it is saved)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    fingerprint = hashlib.sha256("".join(sorted(sources.values())).encode()).hexdigest()[:8]
    return {
        "version": f"{now:%Y%m%d-%H%M%S}-{fingerprint}",
        "trained_at": now.isoformat(timespec="seconds"),
        "sklearn_version": sklearn.__version__,
        "design": DEFAULT_DESIGN.__name__,
        "settings_sha256": settings_digest(),
        "base_corpus": base,
        **{f"{name}_sha256": digest for name, digest in sources.items()},
        "quality": quality,
    }
