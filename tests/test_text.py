import pytest

from postguard.text import detect_language, normalise, split_sentences, utf16_length, utf16_span


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
        ("Daumen 👍🏽 hoch", "daumen hoch"),  # skin-tone modifier
        ("Herz ❤️ voll", "herz voll"),  # variation selector
        ("Ums\u00adatz", "umsatz"),  # soft hyphen
        ("Word\u2060joiner", "wordjoiner"),
        ("ΑΒΓ КАК", "abγ kak"),  # upper-case look-alikes are lowered first
        ("Straße", "strasse"),
        ("™ und ©", "tm und"),  # NFKC spells out ™; © is a symbol
        ("Umsatz\u00a0\u00a0 plus\n", "umsatz plus"),
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

