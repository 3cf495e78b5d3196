"""The guidelines employees read and practise with: the policy's texts plus the examples comms
marked as shareable, each labelled "fine" or "better not".

Listed terms are codenames and customers: an example that names one is left out until the
term's date has passed, so the guidelines never reveal what the check keeps quiet about.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from .examples import Example
from .policy import HARMLESS, Policy, listed_term_pattern
from .text import detect_language, normalise

FINE = "fine"
BETTER_NOT = "better_not"


@dataclass(frozen=True)
class SharedExample:
    """An example employees may see: its text, language, topic and whether it is fine to post."""

    id: str  # stable across restarts, so the practice can remember answers
    text: str
    lang: str
    topic: str | None  # the taboo topic; for a fine post the topic it comes close to, if any
    verdict: str  # FINE or BETTER_NOT

    def to_dict(self) -> dict:
        return {"id": self.id, "text": self.text, "lang": self.lang, "topic": self.topic,
                "verdict": self.verdict}


@dataclass(frozen=True)
class Guidelines:
    """Do's and don'ts, topics, contacts and launches from the policy, with shareable examples."""

    policy: Policy
    examples: tuple[SharedExample, ...]
    today: dt.date

    def to_dict(self) -> dict:
        return {
            **self.policy.to_dict(self.today),
            "examples": [example.to_dict() for example in self.examples],
        }


def example_id(text: str) -> str:
    """A short stable id for an example's text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def shared_examples(examples: list[Example], policy: Policy) -> tuple[SharedExample, ...]:
    """The company's shareable examples, labelled; training-only ones are left out."""
    shared = []
    for example in examples:
        if not example.shareable or example.source != "company":
            continue
        harmless = example.topic == HARMLESS
        shared.append(SharedExample(
            id=example_id(example.text),
            text=example.text,
            lang=detect_language(example.text, policy.default_language),
            topic=(example.about or None) if harmless else example.topic,
            verdict=FINE if harmless else BETTER_NOT,
        ))
    return tuple(shared)


def build_guidelines(policy: Policy, examples: tuple[SharedExample, ...], today: dt.date) -> Guidelines:
    """The guidelines as of `today`: examples naming a listed term still in force stay hidden."""
    patterns = [
        listed_term_pattern(term.term)
        for topic in policy.topics for term in topic.terms if term.active(today)
    ]
    visible = tuple(example for example in examples if not _names_any(example.text, patterns))
    return Guidelines(policy=policy, examples=visible, today=today)


def _names_any(text: str, patterns: list) -> bool:
    normalised = normalise(text)
    return any(pattern.search(normalised) for pattern in patterns)
