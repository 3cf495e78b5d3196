"""Training examples: the company's `examples.csv` and the base corpus shipped with the package."""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .policy import HARMLESS

MIN_EXAMPLES_PER_TOPIC = 5
MAX_EXAMPLE_CHARS = 20_000
SHAREABLE_VALUES = {"yes": True, "ja": True, "no": False, "nein": False, "": False}
# The base corpus covers the four taboo topics of the guide.
BASE_TOPICS = ("financials", "strategy", "unreleased_products", "customer_projects")


class ExamplesError(ValueError):
    """The examples file cannot be used; the message names the file, line and fix."""


@dataclass(frozen=True)
class Example:
    """One post and its label: a topic id, or `ok` for a harmless post."""

    text: str
    topic: str
    source: str = "company"  # "company" or "base"
    shareable: bool = False  # comms allows showing it to employees (guidelines, practice)
    about: str = ""  # a harmless post's nearest topic: shown there as "fine to post"


def load_examples(path: str | Path, topic_ids: tuple[str, ...]) -> list[Example]:
    """Read and validate the company's examples (`text,topic` CSV) against the policy's topics."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ExamplesError(f"cannot read examples {path}: {exc.strerror or exc}") from None
    examples = parse_examples(raw, topic_ids, name=str(path))
    counts = count_topics(examples)
    too_few = [t for t in topic_ids if counts.get(t, 0) < MIN_EXAMPLES_PER_TOPIC]
    if too_few:
        listing = ", ".join(f"'{t}' has {counts.get(t, 0)}" for t in too_few)
        raise ExamplesError(
            f"{path}: each topic needs at least {MIN_EXAMPLES_PER_TOPIC} examples; {listing}"
        )
    return examples


def parse_examples(
    raw: bytes, topic_ids: tuple[str, ...], name: str = "examples", source: str = "company"
) -> list[Example]:
    """Parse `text,topic[,shareable,about]` CSV bytes; errors name the line (as a spreadsheet counts it).

    The optional `shareable` column says `yes` for examples employees may see in the guidelines
    and the practice; empty or `no` keeps an example for training only. The optional `about`
    column names, for a harmless (`ok`) example, the topic it comes close to without touching
    it, so the guidelines can show it under that topic as an example of what is fine.
    """
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ExamplesError(f"{name}: not UTF-8 (byte {exc.start}); save it as UTF-8") from None
    reader = csv.DictReader(io.StringIO(content, newline=""))
    columns = [c.strip() for c in (reader.fieldnames or [])]
    missing = [c for c in ("text", "topic") if c not in columns]
    if missing:
        raise ExamplesError(
            f"{name}: missing column {', '.join(repr(c) for c in missing)}; "
            "the header must be 'text,topic'"
        )
    reader.fieldnames = columns
    allowed = set(topic_ids) | {HARMLESS}
    examples = []
    try:
        for row in reader:
            line = reader.line_num
            text = (row.get("text") or "").strip()
            topic = (row.get("topic") or "").strip()
            if not text:
                raise ExamplesError(f"{name}, line {line}: empty text")
            if len(text) > MAX_EXAMPLE_CHARS:
                raise ExamplesError(
                    f"{name}, line {line}: text longer than {MAX_EXAMPLE_CHARS:,} characters"
                )
            if topic not in allowed:
                raise ExamplesError(
                    f"{name}, line {line}: unknown topic {topic!r}; "
                    f"use one of {', '.join(sorted(allowed))}"
                )
            shareable = (row.get("shareable") or "").strip().lower()
            if shareable not in SHAREABLE_VALUES:
                raise ExamplesError(
                    f"{name}, line {line}: shareable must be 'yes', 'no' or empty, not {shareable!r}"
                )
            about = (row.get("about") or "").strip()
            if about and topic != HARMLESS:
                raise ExamplesError(
                    f"{name}, line {line}: 'about' is only for harmless ('{HARMLESS}') examples; "
                    "leave it empty here"
                )
            if about and about not in topic_ids:
                raise ExamplesError(
                    f"{name}, line {line}: unknown topic {about!r} in 'about'; "
                    f"use one of {', '.join(sorted(topic_ids))}"
                )
            examples.append(
                Example(text=text, topic=topic, source=source,
                        shareable=SHAREABLE_VALUES[shareable], about=about)
            )
    except csv.Error as exc:
        raise ExamplesError(f"{name}, line {reader.line_num}: {exc}") from None
    if not examples:
        raise ExamplesError(f"{name}: no examples below the header")
    return examples


def load_base_corpus(topic_ids: tuple[str, ...]) -> list[Example]:
    """The company-agnostic corpus in the package, restricted to the policy's topics.

    Base examples of a topic the company removed are left out rather than called harmless:
    the company allows the topic, but the texts are still not typical harmless posts.
    """
    examples = []
    for entry in sorted(_corpus_files(), key=lambda f: f.name):
        rows = parse_examples(entry.read_bytes(), BASE_TOPICS, name=entry.name, source="base")
        examples.extend(e for e in rows if e.topic == HARMLESS or e.topic in topic_ids)
    return examples


def base_corpus_sha256() -> str:
    """A hash over the base corpus files, so a model card can tell which corpus it was made from."""
    digest = hashlib.sha256()
    for entry in sorted(_corpus_files(), key=lambda f: f.name):
        digest.update(entry.name.encode())
        digest.update(entry.read_bytes())
    return digest.hexdigest()


def count_topics(examples: list[Example]) -> dict[str, int]:
    """How many examples each label has."""
    counts: dict[str, int] = {}
    for example in examples:
        counts[example.topic] = counts.get(example.topic, 0) + 1
    return counts


def _corpus_files():
    folder = resources.files("postguard") / "corpus"
    return [entry for entry in folder.iterdir() if entry.name.endswith(".csv")]
