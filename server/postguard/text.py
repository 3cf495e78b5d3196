"""Text handling for the check: sentences with offsets, normalisation against evasions,
language detection and UTF-16 offsets. Plain functions, no model and no Flask."""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass

# --- sentences -------------------------------------------------------------------------------

# Abbreviations after which a period does not end a sentence (lower-case, without the period).
_ABBREVIATIONS = frozenset(
    """
    z.b d.h u.a bzw ca co ggf inkl evtl etc usw vgl nr str dr prof mio mrd tsd abs ff
    jan feb mär apr jun jul aug sep sept okt nov dez mo di mi do fr sa so
    mr mrs ms st e.g i.e vs approx inc ltd corp dept est fig no jr sr mn bn
    """.split()
)

# A sentence ends at ., !, ?, … (repeated, with closing quotes/brackets), or at a line break.
_BOUNDARY = re.compile(r"""[.!?…]+["'”’»)\]]*(?=\s)|\n+""")
_WORD_BEFORE = re.compile(r"(\S+)$")


@dataclass(frozen=True)
class Sentence:
    """A sentence of the post: its text and where it starts and ends (Python indices)."""

    start: int
    end: int
    text: str


def _ends_sentence(text: str, match: re.Match) -> bool:
    if match.group().startswith("\n"):
        return True
    if not match.group().startswith("."):
        return True
    # Only the word right before the period matters: look back a short window, not the whole text.
    word = _WORD_BEFORE.search(text, max(0, match.start() - 64), match.start())
    if not word:
        return True
    token = word.group(1).lower().lstrip("([\"'„“")
    if token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha()):
        return False
    # German ordinals ("im 3. Quartal", "am 12. Mai") and dotted dates ("1.4.")
    if re.fullmatch(r"\d{1,2}(\.\d{1,2})?", token):
        return False
    return True


def split_sentences(text: str) -> list[Sentence]:
    """Split a post into sentences, keeping their offsets and dropping surrounding whitespace."""
    sentences: list[Sentence] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        if not _ends_sentence(text, match):
            continue
        _append_trimmed(sentences, text, start, match.end())
        start = match.end()
    _append_trimmed(sentences, text, start, len(text))
    return sentences


def _append_trimmed(sentences: list[Sentence], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if _ALNUMERIC.search(text, start, end):
        sentences.append(Sentence(start, end, text[start:end]))


# A letter or digit: what str.isalnum() accepts (regex \w is exactly that, plus "_").
_ALNUMERIC = re.compile(r"[^\W_]")


# --- normalisation ---------------------------------------------------------------------------

# Letters from other scripts that look like Latin ones (the usual homoglyph evasions).
_HOMOGLYPHS = str.maketrans(
    {
        "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o",
        "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j",
        "ѕ": "s", "ԁ": "d", "ɡ": "g", "ո": "n", "ս": "u", "ν": "v", "α": "a", "β": "b",
        "ε": "e", "ι": "i", "κ": "k", "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x",
        "ß": "ss",  # not a homoglyph: one spelling for "Straße" and "Strasse"
    }
)
# Digits and signs used for letters inside words ("Ums4tz", "pr0fit", "r3venue").
_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
# (The lookbehind comes after the first digit so that the regex engine can skip to digits.)
_LEET_IN_WORD = re.compile(r"[013457@$](?<=[a-zäöü].)[013457@$]*(?=[a-zäöü])")
# Letters separated by single spaces, dots, hyphens or underscores: "U m s a t z", "U.m.s.a.t.z".
_SPACED_LETTERS = re.compile(r"(?<![\w])(?:[^\W\d_][ .\-_·*]){2,}[^\W\d_](?![\w])")
_SEPARATORS = re.compile(r"[ .\-_·*]")


def normalise(text: str) -> str:
    """Undo common evasions and unify spelling so that features see the words behind them.

    Full-width and other compatibility forms become plain letters (NFKC), invisible characters
    are dropped, look-alike letters from other scripts become Latin, spaced or dotted letters
    are joined, digits standing in for letters are read as letters, emoji and other symbols
    become spaces, and everything is lower-cased.
    """
    text = unicodedata.normalize("NFKC", text)
    # Only non-ASCII characters can be invisible, symbols or look-alikes: ASCII runs are skipped.
    plain = text.isascii()
    if not plain:
        text = _NON_ASCII.sub(lambda run: run.group().translate(_VISIBLE), text)
    text = text.lower()
    if not plain:
        text = _NON_ASCII.sub(lambda run: run.group().translate(_HOMOGLYPHS), text)
    text = _SPACED_LETTERS.sub(lambda m: _SEPARATORS.sub("", m.group()), text)
    text = _LEET_IN_WORD.sub(lambda m: "".join(_LEET[c] for c in m.group()), text)
    return " ".join(text.split())


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


class _VisibleCharacters(dict):
    """A str.translate table that drops format characters (zero-width spaces, joiners, soft
    hyphens) and turns emoji and other symbols into spaces; filled as characters are first seen.

    Symbols are category So, plus the variation selectors and skin-tone modifiers of emoji
    sequences (Mn and Sk). At most `limit` characters are remembered, so odd input cannot make
    the table grow without bound; the rest are looked up each time.
    """

    limit = 50_000

    def __missing__(self, codepoint: int):
        ch = chr(codepoint)
        category = unicodedata.category(ch)
        if category == "Cf":
            kept = None
        elif category == "So" or ch in "\ufe0f\ufe0e" or "\U0001f3fb" <= ch <= "\U0001f3ff":
            kept = " "
        else:
            kept = codepoint
        if len(self) < self.limit:
            self[codepoint] = kept
        return kept


_VISIBLE = _VisibleCharacters()


_WORD_EDGES = re.compile(r"^[^\w]+|[^\w]+$")


def strip_punctuation(chunk: str) -> str:
    """A whitespace-separated chunk without the punctuation around it: "(Umsatz)," → "Umsatz"."""
    return _WORD_EDGES.sub("", chunk)


# --- language --------------------------------------------------------------------------------

_GERMAN = frozenset(
    """
    und der die das ist nicht ich wir ein eine einen mit für auf den dem des von zu im ist sind
    war waren haben hat auch es sich wie bei aus nach noch nur so schon mehr unser unsere unseren
    heute jetzt aber oder wenn dass diese dieser dieses als um sehr ihr euch mein meine danke
    neue neuen wird werden wurde kann können team allen über
    """.split()
)
_ENGLISH = frozenset(
    """
    the and is are was were not we our ours you your i my me a an of to in on for with at by from
    this that these those it its be been have has had will would can could just about more so
    very today new thanks all what who how when there their they than into over
    """.split()
)
_WORDS = re.compile(r"[a-zäöüß]+")


def detect_language(text: str, default: str = "de") -> str:
    """Tell German from English by counting common function words; ties go to `default`."""
    lowered = text.lower()
    words = _WORDS.findall(lowered)
    german = sum(word in _GERMAN for word in words) + 2 * sum(map(lowered.count, "äöüß"))
    english = sum(word in _ENGLISH for word in words)
    if german > english:
        return "de"
    if english > german:
        return "en"
    return default


# --- offsets ---------------------------------------------------------------------------------


# Characters outside the Basic Multilingual Plane take two UTF-16 units.
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def utf16_length(text: str) -> int:
    """Length of `text` in UTF-16 code units, as JavaScript counts it."""
    return len(text) + len(_ASTRAL.findall(text))


class Utf16Offsets:
    """Converts Python (code point) spans of one text to UTF-16 offsets, with one pass over it."""

    def __init__(self, text: str):
        self._astral = [match.start() for match in _ASTRAL.finditer(text)]

    def offset(self, index: int) -> int:
        return index + bisect.bisect_left(self._astral, index)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """(offset, length) in UTF-16 units of the span start:end."""
        offset = self.offset(start)
        return offset, self.offset(end) - offset


def utf16_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Convert a Python (code point) span of `text` to a UTF-16 (offset, length)."""
    return Utf16Offsets(text).span(start, end)
