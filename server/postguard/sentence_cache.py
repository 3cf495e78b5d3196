"""The most recently scored sentences, so that a draft resent after every pause in typing is
scored only where it changed.

The extension sends the whole draft each time; most of its sentences are the ones it sent a
moment ago. Keys are normalised sentences, values what scoring made of them (feature row and
label probabilities). Memory only, bounded, never written anywhere; a newly loaded model comes
with a new, empty cache (see `check.Checker`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict


class SentenceCache:
    """A thread-safe least-recently-used map of at most `size` sentences; size 0 keeps nothing."""

    def __init__(self, size: int):
        self.size = max(0, int(size))
        self._entries: OrderedDict[str, object] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, sentence: str):
        """The entry for a sentence, or None; a hit makes it the most recently used."""
        with self._lock:
            entry = self._entries.get(sentence)
            if entry is not None:
                self._entries.move_to_end(sentence)
            return entry

    def put(self, sentence: str, entry) -> None:
        """Remember an entry, forgetting the least recently used one beyond `size`."""
        if not self.size:
            return
        with self._lock:
            self._entries[sentence] = entry
            self._entries.move_to_end(sentence)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
