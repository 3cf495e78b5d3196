"""Every text the tool shows is friendly and non-judgemental, in German and English, and every
string the extension asks for exists in both languages."""

from __future__ import annotations

import json
import re

import pytest

from postguard.check import _LISTED_NOTE
from postguard.cli import TERMINAL_TEXTS
from postguard.policy import load_policy
from support import POLICY, ROOT

EXTENSION = ROOT / "extension"
LOCALES = {lang: json.loads((EXTENSION / "_locales" / lang / "messages.json").read_text(encoding="utf-8"))
           for lang in ("de", "en")}
# Words that accuse or threaten; the tool points out and explains, it does not judge.
JUDGEMENTAL = re.compile(
    r"violat|forbidden|prohibit|banned|not allowed|illegal|offen[cs]e|breach|misconduct|"
    r"verstoß|verstöß|verboten|untersagt|unzulässig|unerlaubt|regelbruch|fehlverhalten|abmahnung",
    re.IGNORECASE,
)


def policy_texts() -> list[str]:
    policy = load_policy(POLICY)
    texts = [item for lang in ("de", "en") for item in policy.dos[lang] + policy.donts[lang]]
    for topic in policy.topics:
        for field in (topic.title, topic.message, topic.guideline, topic.speakers, topic.alternative):
            texts += field.values()
    return texts


def shown_texts() -> list[str]:
    locale_texts = [entry["message"] for messages in LOCALES.values() for entry in messages.values()]
    server_texts = list(_LISTED_NOTE.values()) + [text for texts in TERMINAL_TEXTS.values() for text in texts.values()]
    return locale_texts + server_texts + policy_texts()


def test_no_text_judges_the_author():
    texts = shown_texts()
    assert len(texts) > 200  # locales, policy and server texts were all found
    judging = [text for text in texts if JUDGEMENTAL.search(text)]
    assert not judging, judging


@pytest.mark.parametrize("text", ["Policy violation detected", "Verstoß gegen die Richtlinie", "Das ist verboten."])
def test_the_tone_check_recognises_judging_words(text):
    assert JUDGEMENTAL.search(text)


def test_both_languages_have_the_same_strings_and_placeholders():
    assert LOCALES["de"].keys() == LOCALES["en"].keys()
    for key, entry in LOCALES["en"].items():
        assert set(entry.get("placeholders", {})) == set(LOCALES["de"][key].get("placeholders", {})), key


def test_every_string_the_extension_asks_for_exists():
    used = set()
    for path in [*EXTENSION.glob("*.js"), *EXTENSION.glob("*.html")]:
        source = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"\bt\(\s*\"(\w+)\"", source))
        used |= set(re.findall(r"data-postguard-i18n(?:-title)?=\"(\w+)\"", source))
        used |= set(re.findall(r"__MSG_(\w+)__", source))
    # practice.js picks its verdict line by name: practice{Agree,Differ}{Fine,BetterNot}
    used |= {f"practice{a}{b}" for a in ("Agree", "Differ") for b in ("Fine", "BetterNot")}
    missing = sorted(used - LOCALES["en"].keys())
    assert not missing, missing
    assert "guidelinesTitle" in used and "askBeforePosting" in used
