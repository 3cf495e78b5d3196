"""Anonymous feedback from employees: "This is fine" on a warning, "a missed risk" from the popup.

Only counts are kept, per topic, kind and ISO week: no time of day, no address, no browser, no
person. A text is kept only when the employee chose to share it, and then with its week, kind
and topic alone. Statistics below `MIN_COUNT` are not shown, so that a count cannot point at
one person.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import secrets
import threading
from pathlib import Path

try:  # one lock across the worker processes of a central server (POSIX)
    import fcntl
except ImportError:  # Windows: one server process per machine, the thread lock suffices
    fcntl = None

from .files import write_atomically

KINDS = ("false_alarm", "missed_risk")
MIN_COUNT = 5
MAX_SHARED = 500  # shared texts waiting for comms; the oldest go first beyond this
COUNTS_NAME = "feedback.json"
LOCK_NAME = "feedback.lock"
SHARED_NAME = "feedback-shared.json"
_NO_TOPIC = ""


class FeedbackNotFound(LookupError):
    """No shared text with that id (comms may have handled it already)."""


def iso_week(day: dt.date) -> str:
    """The ISO week of a day, like 2026-W07: the finest time a report is kept with."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


class FeedbackStore:
    """Counts and shared texts, each in a JSON file in the model folder."""

    def __init__(self, folder: Path):
        self.counts_path = Path(folder) / COUNTS_NAME
        self.shared_path = Path(folder) / SHARED_NAME
        self.lock_path = Path(folder) / LOCK_NAME
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def _locked(self):
        """Read-modify-write without losing a report to another thread or worker process."""
        with self._lock:
            if fcntl is None:
                yield
                return
            with open(self.lock_path, "a") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)

    def record(self, kind: str, topic: str | None, text: str | None = None, today: dt.date | None = None) -> None:
        """Count one report; keep its text only when the employee shared it."""
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        week = iso_week(today or dt.date.today())
        with self._locked():
            if text:  # first the text, so that a report once counted is complete
                shared = _read(self.shared_path, [])
                shared.append({"id": secrets.token_hex(6), "week": week, "kind": kind,
                               "topic": topic, "text": text})
                _write(self.shared_path, shared[-MAX_SHARED:])
            counts = _read(self.counts_path, {})
            by_topic = counts.setdefault(week, {}).setdefault(topic or _NO_TOPIC, {})
            by_topic[kind] = by_topic.get(kind, 0) + 1
            _write(self.counts_path, counts)

    def statistics(self, minimum: int = MIN_COUNT) -> dict:
        """Counts per week, topic and kind, and totals per topic and kind; those below `minimum` left out."""
        with self._locked():
            counts = _read(self.counts_path, {})
        weeks, totals = [], {}
        for week in sorted(counts, reverse=True):
            for topic, kinds in sorted(counts[week].items()):
                for kind, count in sorted(kinds.items()):
                    if count < minimum:
                        # left out of the totals too: a total next to the shown weeks would
                        # reveal the small count
                        continue
                    weeks.append({"week": week, "topic": topic or None, "kind": kind, "count": count})
                    totals[(topic, kind)] = totals.get((topic, kind), 0) + count
        return {
            "minimum": minimum,
            "weeks": weeks,
            "totals": [
                {"topic": topic or None, "kind": kind, "count": count}
                for (topic, kind), count in sorted(totals.items())
            ],
        }

    def shared(self) -> list[dict]:
        """The shared texts, newest first."""
        with self._locked():
            return list(reversed(_read(self.shared_path, [])))

    def take(self, shared_id: str) -> dict:
        """Remove a shared text and return it (comms turned it into an example or discarded it)."""
        with self._locked():
            shared = _read(self.shared_path, [])
            for index, entry in enumerate(shared):
                if entry.get("id") == shared_id:
                    del shared[index]
                    _write(self.shared_path, shared)
                    return entry
        raise FeedbackNotFound(f"no shared text with id {shared_id!r}; it may have been handled already")

    def peek(self, shared_id: str) -> dict:
        """A shared text, left in place."""
        for entry in self.shared():
            if entry.get("id") == shared_id:
                return entry
        raise FeedbackNotFound(f"no shared text with id {shared_id!r}; it may have been handled already")


def _read(path: Path, empty):
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return empty
    return data if isinstance(data, type(empty)) else empty


def _write(path: Path, data) -> None:
    write_atomically(path, json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8"))
