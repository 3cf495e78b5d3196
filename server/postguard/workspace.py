"""The company's examples file as comms edits it: list, search, add, edit, delete, import, export.

Every write is validated the way training reads the file and replaces it atomically, so the
trainer never sees a half-written or invalid `examples.csv`. An example's id is derived from its
text, so it stays the same while other examples change.
"""

from __future__ import annotations

import csv
import hashlib
import io
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .examples import MAX_EXAMPLE_CHARS, Example, ExamplesError, count_topics, parse_examples
from .files import keep_copy, write_atomically
from .policy import HARMLESS

KEEP_EXAMPLE_COPIES = 10  # earlier files kept before an import replaces them


class WorkspaceError(ValueError):
    """A change comms asked for cannot be made; the message says why and what to do."""

    status = 400


class NotFound(WorkspaceError):
    status = 404


class Conflict(WorkspaceError):
    status = 409


@dataclass(frozen=True)
class ExampleRecord:
    """An example as the workspace shows it, with its id."""

    id: str
    text: str
    topic: str
    shareable: bool

    def to_dict(self) -> dict:
        return {"id": self.id, "text": self.text, "topic": self.topic, "shareable": self.shareable}


def example_ids(texts: list[str]) -> list[str]:
    """Ids from the texts' sha256; a repeated text gets `-2`, `-3`, ... in file order."""
    ids, seen = [], {}
    for text in texts:
        base = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
        seen[base] = seen.get(base, 0) + 1
        ids.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return ids


class ExamplesFile:
    """The examples file beside the policy; `topic_ids` reads the policy's current topics."""

    def __init__(self, path: Path, topic_ids: Callable[[], tuple[str, ...]], copies: Path):
        self.path = Path(path)
        self.topic_ids = topic_ids
        self.copies = Path(copies)
        self._lock = threading.RLock()  # one change at a time: read, change, write

    def records(self) -> list[ExampleRecord]:
        """All examples in file order."""
        examples, _ = self._read()
        return _records(examples)

    def search(self, query: str = "", topic: str | None = None) -> list[ExampleRecord]:
        """Examples whose text contains `query` (any case), of one label when `topic` is given."""
        needle = query.casefold().strip()
        return [
            record for record in self.records()
            if (topic is None or record.topic == topic) and needle in record.text.casefold()
        ]

    def counts(self) -> dict[str, int]:
        """How many examples each label has, every policy topic and `ok` included."""
        examples, _ = self._read()
        counts = count_topics(examples)
        return {label: counts.get(label, 0) for label in (*self.topic_ids(), HARMLESS)}

    def add(self, text: str, topic: str, shareable: bool = False) -> ExampleRecord:
        """Add one example; a text that is already an example is refused."""
        with self._lock:
            examples, with_column = self._read()
            text = self._valid_text(text)
            self._valid_topic(topic)
            self._refuse_duplicate(examples, text)
            examples.append(Example(text=text, topic=topic, shareable=shareable))
            self._write(examples, with_column or shareable)
            return _records(examples)[-1]

    def update(self, example_id: str, text: str | None = None, topic: str | None = None,
               shareable: bool | None = None) -> ExampleRecord:
        """Change an example's text, topic (relabel) or shareable mark."""
        with self._lock:
            examples, with_column = self._read()
            index = self._index(examples, example_id)
            old = examples[index]
            new_text = old.text if text is None else self._valid_text(text)
            if topic is not None:
                self._valid_topic(topic)
            if new_text != old.text:
                self._refuse_duplicate(examples[:index] + examples[index + 1:], new_text)
            examples[index] = Example(
                text=new_text,
                topic=old.topic if topic is None else topic,
                shareable=old.shareable if shareable is None else shareable,
            )
            self._write(examples, with_column or bool(shareable))
            return _records(examples)[index]

    def delete(self, example_id: str) -> None:
        """Remove an example."""
        with self._lock:
            examples, with_column = self._read()
            del examples[self._index(examples, example_id)]
            self._write(examples, with_column)

    def import_csv(self, raw: bytes, replace: bool = False) -> dict:
        """Add (or with `replace`, substitute) the examples of a CSV file after validating all of it.

        Texts already present are skipped when adding. Errors name the line of the imported file.
        """
        with self._lock:
            imported = parse_examples(raw, self.topic_ids(), name="the imported file")
            examples, with_column = ([], False) if replace else self._read()
            present = {example.text for example in examples}
            added = skipped = 0
            for example in imported:
                if example.text in present:
                    skipped += 1
                    continue
                present.add(example.text)
                examples.append(example)
                added += 1
            if replace:
                keep_copy(self.path, self.copies, KEEP_EXAMPLE_COPIES)
            has_column = b"shareable" in raw.split(b"\n", 1)[0]
            self._write(examples, with_column or has_column)
            return {"added": added, "skipped": skipped, "total": len(examples)}

    def export_csv(self) -> bytes:
        """The examples file as it is (UTF-8 CSV)."""
        try:
            return self.path.read_bytes()
        except OSError as exc:
            raise WorkspaceError(f"cannot read {self.path.name}: {exc.strerror or exc}") from None

    # ---- reading and writing ---------------------------------------------------------------

    def _read(self) -> tuple[list[Example], bool]:
        """The examples and whether the file has the `shareable` column."""
        if not self.path.exists():
            return [], False
        raw = self.export_csv()
        try:
            examples = parse_examples(raw, self.topic_ids(), name=self.path.name)
        except ExamplesError as exc:
            if "no examples below the header" in str(exc):
                return [], False
            raise Conflict(f"{exc}; fix the file or import a corrected one (replace)") from None
        header = raw.decode("utf-8-sig").split("\n", 1)[0]
        return examples, "shareable" in header

    def _write(self, examples: list[Example], with_column: bool) -> None:
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, lineterminator="\n")
        # The shareable column appears only once comms uses it: the file stays as simple as it was.
        writer.writerow(["text", "topic", "shareable"] if with_column else ["text", "topic"])
        for example in examples:
            row = [example.text, example.topic]
            writer.writerow(row + ["yes" if example.shareable else ""] if with_column else row)
        data = buffer.getvalue().encode("utf-8")
        if examples:  # the same validation training applies, before anything is replaced
            parse_examples(data, self.topic_ids(), name=self.path.name)
        write_atomically(self.path, data)

    def _index(self, examples: list[Example], example_id: str) -> int:
        ids = example_ids([example.text for example in examples])
        try:
            return ids.index(example_id)
        except ValueError:
            raise NotFound(f"no example with id {example_id!r}; it may have been changed meanwhile") from None

    def _valid_text(self, text: str) -> str:
        text = text.strip()
        if not text:
            raise WorkspaceError("the example's text is empty")
        if len(text) > MAX_EXAMPLE_CHARS:
            raise WorkspaceError(f"an example may have at most {MAX_EXAMPLE_CHARS:,} characters")
        return text

    def _valid_topic(self, topic: str) -> None:
        allowed = (*self.topic_ids(), HARMLESS)
        if topic not in allowed:
            raise WorkspaceError(f"unknown topic {topic!r}; use one of {', '.join(allowed)}")

    @staticmethod
    def _refuse_duplicate(examples: list[Example], text: str) -> None:
        for example in examples:
            if example.text == text:
                raise Conflict(f"this text is already an example (topic '{example.topic}')")


def _records(examples: list[Example]) -> list[ExampleRecord]:
    ids = example_ids([example.text for example in examples])
    return [
        ExampleRecord(id=example_id, text=example.text, topic=example.topic, shareable=example.shareable)
        for example_id, example in zip(ids, examples)
    ]
