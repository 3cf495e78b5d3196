"""The training command comms runs: read the material, train, report, gate, publish."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import sklearn

from .artifact import file_sha256, read_card, save_model
from .examples import (
    MIN_EXAMPLES_PER_TOPIC, Example, ExamplesError, base_corpus_sha256, count_topics,
    load_base_corpus, load_examples,
)
from .config import ConfigError
from .features import DEFAULT_DESIGN, chars_words_logistic
from .paths import ARTIFACT_NAME, EXAMPLES_NAME, POLICY_NAME, default_model_dir
from .policy import HARMLESS, Policy, PolicyError, load_policy
from .report import format_quality
from .training import TrainingResult, model_card, settings_digest, train

# The quality gate: a new model may not lose more than this on the company's own examples.
GATE_MAX_F1_DROP = 0.05
GATE_MAX_FALSE_ALARM_RISE = 0.02
# With a few dozen harmless company examples one post is several percent: a rise counts only
# when at least this many more of them are flagged, not when cross-validation folds shift.
GATE_MIN_EXTRA_FALSE_ALARMS = 3


class GateRefused(RuntimeError):
    """The new model is clearly worse than the published one; the message says by how much."""


@dataclass(frozen=True)
class Material:
    """The files a model is made from, with their hashes."""

    examples: Path
    policy: Path
    base: bool

    def sources(self) -> dict[str, str]:
        sources = {
            "examples": _sha256(self.examples, ExamplesError),
            "policy": _sha256(self.policy, PolicyError),
        }
        if self.base:
            sources["base_corpus"] = base_corpus_sha256()
        return sources


def build_parser() -> argparse.ArgumentParser:
    folder = default_model_dir()
    parser = argparse.ArgumentParser(
        prog="train_classifier.py",
        description="Train Postguard's classifier from the company's examples and policy, "
        "print its quality and publish it with its model card.",
    )
    parser.add_argument("--examples", type=Path, default=folder / EXAMPLES_NAME,
                        help="CSV with columns text,topic (default: %(default)s)")
    parser.add_argument("--policy", type=Path, default=folder / POLICY_NAME,
                        help="policy TOML with the topics (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"where to write the model (default: {ARTIFACT_NAME} beside the policy)")
    parser.add_argument("--no-base", action="store_true",
                        help="train on the company's examples only, without the built-in base corpus")
    parser.add_argument("--force", action="store_true",
                        help="publish even when the quality gate finds the new model clearly worse")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the training command; bad input is one line on stderr and exit status 2."""
    try:
        parser = build_parser()
    except ConfigError as exc:  # the model folder comes from the configuration
        print(f"error: {exc}", file=sys.stderr)
        return 2
    args = parser.parse_args(argv)
    out = args.out or args.policy.parent / ARTIFACT_NAME
    material = Material(examples=args.examples, policy=args.policy, base=not args.no_base)
    try:
        card, quality = train_and_publish(material, out, force=args.force, log=print)
    except (PolicyError, ExamplesError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except GateRefused as exc:
        print(f"not published: {exc} Use --force to publish anyway.", file=sys.stderr)
        return 1
    print(format_quality(quality))
    print(f"\nPublished model {card['version']} to {out}")
    return 0


def train_and_publish(material: Material, out: Path, force: bool = False, log=print):
    """Train from the material, pass the quality gate unless forced, and publish atomically."""
    trained = train_material(material, log=log)
    if not force:
        check_gate(read_card(out), trained.result.quality)
    return save_model(trained.result.classifier, trained.card, out), trained.result.quality


@dataclass(frozen=True)
class Trained:
    """A model trained from material, not yet published: the result, its card and the examples."""

    result: TrainingResult
    card: dict
    policy: Policy
    examples: list[Example]


def train_material(material: Material, log=print, progress=None) -> Trained:
    """Read and validate the material, then train; `progress(done, total)` as in `train`."""
    policy = load_policy(material.policy)
    examples = load_examples(material.examples, policy.topic_ids)
    sources = material.sources()
    if material.base:
        examples = examples + load_base_corpus(policy.topic_ids)
    if count_topics(examples).get(HARMLESS, 0) < MIN_EXAMPLES_PER_TOPIC:
        raise ExamplesError(
            f"{material.examples}: training needs at least {MIN_EXAMPLES_PER_TOPIC} harmless "
            f"('{HARMLESS}') examples; add some or train with the base corpus"
        )
    log(f"Training on {len(examples):,} examples ({'with' if material.base else 'without'} "
        f"the base corpus), {len(policy.topics)} topics ...")
    result = train(examples, policy, progress=progress)
    card = model_card(result.quality, sources, material.base)
    return Trained(result=result, card=card, policy=policy, examples=examples)


def check_gate(previous_card: dict | None, quality: dict) -> None:
    """Refuse a model that is clearly worse on the company's examples than the published one."""
    before = (previous_card or {}).get("quality", {}).get("company")
    after = quality.get("company")
    if not before or not after:
        return
    f1_drop = before["macro_f1"] - after["macro_f1"]
    alarm_rise = (after["false_alarm_rate"] or 0) - (before["false_alarm_rate"] or 0)
    if f1_drop > GATE_MAX_F1_DROP:
        raise GateRefused(
            f"macro F1 on the company's examples fell from {before['macro_f1']:.2f} "
            f"to {after['macro_f1']:.2f}."
        )
    extra_alarms = round(alarm_rise * (after.get("harmless") or 0))
    if alarm_rise > GATE_MAX_FALSE_ALARM_RISE and extra_alarms >= GATE_MIN_EXTRA_FALSE_ALARMS:
        raise GateRefused(
            f"the false-alarm rate on the company's harmless examples rose from "
            f"{before['false_alarm_rate']:.1%} to {after['false_alarm_rate']:.1%}."
        )


def stale_reason(artifact: Path, material: Material) -> str | None:
    """Why the model at `artifact` must be (re)trained from `material`, or None if it is current."""
    card = read_card(artifact)
    if not artifact.is_file() or not isinstance(card, dict):
        return f"no model at {artifact} yet"
    if card.get("sklearn_version") != sklearn.__version__:
        return f"the model was made with scikit-learn {card.get('sklearn_version')}"
    # Cards without a design come from releases whose only design was the logistic regression.
    design = card.get("design", chars_words_logistic.__name__)
    if design != DEFAULT_DESIGN.__name__:
        return f"the model was made with another design ({design})"
    # Cards before the settings were recorded may hold any of them (such as another n-gram minimum).
    if card.get("settings_sha256") != settings_digest():
        return "the model was made with other classifier settings"
    for name, digest in material.sources().items():
        if card.get(f"{name}_sha256") != digest:
            return f"the model was made from other {name.replace('_', ' ')}"
    return None


def published_with_base(artifact: Path) -> bool:
    """Whether the published model was trained with the base corpus (new models are)."""
    card = read_card(artifact)
    return bool(card.get("base_corpus", True)) if isinstance(card, dict) else True


def ensure_model(artifact: Path, material: Material, log=print) -> None:
    """Train and publish the model first when it is missing or made from other material.

    A model that exists but was made from older examples or policy is replaced only through
    the quality gate; when the gate refuses, the published model stays in service.
    """
    reason = stale_reason(artifact, material)
    if not reason:
        return
    log(f"Training the model first: {reason}.")
    replaceable = reason.startswith("the model was made from other")
    try:
        card, _ = train_and_publish(material, artifact, force=not replaceable, log=log)
    except GateRefused as exc:
        log(f"Kept the published model: {exc} Run `python train_classifier.py --force` to replace it.")
        return
    log(f"Model {card['version']} ready.")


def _sha256(path: Path, error: type[ValueError]) -> str:
    try:
        return file_sha256(path)
    except OSError as exc:
        raise error(f"cannot read {path}: {exc.strerror or exc}") from None
