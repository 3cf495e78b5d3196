"""The policy file comms edits: what it accepts and the one-line reasons it refuses."""

import datetime as dt

import pytest

from support import POLICY
from postguard.policy import PolicyError, load_policy


def test_shipped_policy_has_the_four_topics_in_both_languages():
    policy = load_policy(POLICY)
    assert policy.topic_ids == ("financials", "strategy", "unreleased_products", "customer_projects")
    for topic in policy.topics:
        for lang in ("de", "en"):
            assert topic.title[lang] and topic.guideline[lang] and topic.alternative[lang]
            assert topic.speakers[lang] and topic.message[lang]
        assert "@" in topic.contact.email and topic.contact.url.startswith("https://")
    assert policy.dos["de"] and policy.donts["en"] and policy.contact.name
    falke = policy.topic("unreleased_products").terms[0]
    assert falke.term == "Falke" and falke.until == dt.date(2027, 3, 23)


def with_topic(tmp_path, topic_lines: str):
    text = POLICY.read_text(encoding="utf-8").split("[[topics]]")[0] + "[[topics]]\n" + topic_lines
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


TOPIC = """id = "leaks"
title = { de = "Lecks", en = "Leaks" }
message = { de = "m", en = "m" }
guideline = { de = "g", en = "g" }
speakers = { de = "s", en = "s" }
alternative = { de = "a", en = "a" }
contact = { name = "N", email = "n@example.org" }
"""


def test_a_company_can_define_its_own_topic(tmp_path):
    policy = load_policy(with_topic(tmp_path, TOPIC + 'terms = [{ term = "Nebula", until = 2027-01-01T09:00:00 }]\n'))
    assert policy.topic_ids == ("leaks",)
    assert policy.topic("leaks").terms[0].until == dt.date(2027, 1, 1)  # a date-time counts as its day


@pytest.mark.parametrize(
    "change, fragment",
    [
        (lambda t: t.replace('id = "leaks"', 'id = "ok"'), "'id'"),
        (lambda t: t.replace('title = { de = "Lecks", en = "Leaks" }', 'title = { de = "Lecks" }'), "'title'"),
        (lambda t: t + 'terms = [{ term = "🚀🚀" }]\n', "two letters or digits"),
        (lambda t: t + 'terms = 5\n', "'terms'"),
        (lambda t: t + 'sensitivity = 9\n', "'sensitivity'"),
        (lambda t: t + 'terms = [{ term = "Nebula", until = "soon" }]\n', "'until'"),
        (lambda t: t.replace("contact = ", "contakt = "), "contact"),
    ],
)
def test_bad_topics_are_refused_with_the_field(tmp_path, change, fragment):
    with pytest.raises(PolicyError, match=fragment.replace("(", r"\(")):
        load_policy(with_topic(tmp_path, change(TOPIC)))


def test_not_toml_is_refused(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text("company = ", encoding="utf-8")
    with pytest.raises(PolicyError, match="not valid TOML"):
        load_policy(path)
