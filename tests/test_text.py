import pytest
from hypothesis import given, settings, strategies as st

from postguard.text import (
    _normalise_per_character, detect_language, normalise, split_sentences, utf16_length, utf16_span,
)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Wir haben im 3. Quartal 48 Mio. Euro Umsatz gemacht! Toll.", ["Wir haben im 3. Quartal 48 Mio. Euro Umsatz gemacht!", "Toll."]),
        ("Das ist z. B. gut. Und das auch?", ["Das ist z. B. gut.", "Und das auch?"]),
        ("Hello Dr. Smith. Revenue grew 12 %. Yes!!", ["Hello Dr. Smith.", "Revenue grew 12 %.", "Yes!!"]),
        ("Erste Zeile\n\nZweite Zeile", ["Erste Zeile", "Zweite Zeile"]),
        ("  🎉🎉  ", []),
        ("Kein Satzende", ["Kein Satzende"]),
    ],
)
def test_split_sentences(text, expected):
    assert [s.text for s in split_sentences(text)] == expected


def test_sentence_offsets_point_into_the_text():
    text = "  Hallo Welt.   Zweiter Satz!  "
    for sentence in split_sentences(text):
        assert text[sentence.start : sentence.end] == sentence.text


@pytest.mark.parametrize(
    "evasion, plain",
    [
        ("U m s a t z", "umsatz"),
        ("U.m.s.a.t.z", "umsatz"),
        ("Um\u200bsa\u200dtz", "umsatz"),
        ("Umsаtz", "umsatz"),  # Cyrillic а
        ("Ums4tz", "umsatz"),
        ("ｒｅｖｅｎｕｅ", "revenue"),
        ("pr0fit", "profit"),
        ("Umsatz 🚀 plus", "umsatz plus"),
    ],
)
def test_normalise_undoes_evasions(evasion, plain):
    assert normalise(evasion) == plain


def test_normalise_keeps_numbers_and_short_codes():
    assert normalise("Q3 2024: 5G und 12 %") == "q3 2024: 5g und 12 %"


@pytest.mark.parametrize(
    "text, lang",
    [
        ("Danke an alle Kolleginnen und Kollegen für dieses tolle Jahr!", "de"),
        ("Thanks to all my colleagues for an amazing year!", "en"),
        ("🎉🎉🎉", "de"),
    ],
)
def test_detect_language(text, lang):
    assert detect_language(text, default="de") == lang


def test_utf16_counts_astral_characters_twice():
    assert utf16_length("a😀b") == 4
    assert utf16_span("😀 Umsatz", 2, 8) == (3, 6)
    assert utf16_length("Grüße") == 5


# Evasions, invisible characters, emoji sequences and look-alikes, mixed with anything at all.
_TRICKY = st.sampled_from(
    list("Umsatz pr0fit 4013@$ .-_·*\n\t\u00a0\u200b\u200d\u00ad\u2060\ufe0f\ufe0e🎉👍🏽🚀™©аеоßＡｂİΣ")
)


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet=st.one_of(st.characters(), _TRICKY), max_size=60))
def test_normalise_matches_the_per_character_version(text):
    assert normalise(text) == _normalise_per_character(text)
