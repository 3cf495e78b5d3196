"""The guidelines employees read and practise with: policy texts, the examples comms marked as
shareable (never one naming a listed term before its date), contacts, and launches."""

from __future__ import annotations

import csv
import datetime as dt
import json

import pytest

from postguard.app import create_app
from postguard.examples import ExamplesError, load_examples, parse_examples
from postguard.guidelines import BETTER_NOT, FINE, build_guidelines, example_id, shared_examples
from postguard.policy import load_policy
from support import EXAMPLES, POLICY

TOPICS = ("financials", "strategy", "unreleased_products", "customer_projects")


def shipped_rows() -> list[dict]:
    with open(EXAMPLES, encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def active_terms(today: dt.date) -> list[str]:
    return [term.term for topic in load_policy(POLICY).topics for term in topic.terms if term.active(today)]


def test_guidelines_bring_policy_texts_and_only_shareable_examples(client):
    body = client.get("/v1/guidelines").get_json()
    assert body["company"] and body["contact"]["name"]
    assert body["dos"]["de"] and body["donts"]["en"]
    assert [topic["id"] for topic in body["topics"]] == list(TOPICS)
    for topic in body["topics"]:
        assert topic["guideline"]["de"] and topic["alternative"]["en"] and topic["speakers"]["en"]
        assert "@" in topic["contact"]["email"]  # every topic names its own contact

    shareable = {row["text"] for row in shipped_rows() if row.get("shareable") == "yes"}
    examples = body["examples"]
    assert examples and all(example["text"] in shareable for example in examples)
    assert len({example["id"] for example in examples}) == len(examples)
    for topic_id in TOPICS:  # the shipped material shows each topic from both sides
        verdicts = {example["verdict"] for example in examples if example["topic"] == topic_id}
        assert verdicts == {FINE, BETTER_NOT}, topic_id
    assert any(example["topic"] is None and example["verdict"] == FINE for example in examples)
    assert {example["lang"] for example in examples} == {"de", "en"}


def test_guidelines_never_show_a_listed_term_before_its_date(client):
    served = json.dumps(client.get("/v1/guidelines").get_json(), ensure_ascii=False).lower()
    policy_reply = json.dumps(client.get("/v1/policy").get_json(), ensure_ascii=False).lower()
    for term in active_terms(dt.date.today()):
        assert term.lower() not in served and term.lower() not in policy_reply, term


def test_an_example_naming_a_listed_term_appears_the_day_after_its_until_date():
    policy = load_policy(POLICY)
    falke = policy.topic("unreleased_products").terms[0]
    assert falke.term == "Falke"
    text = "Sneak peek: Falke drove through the whole hall on its own today 🤖 #robotics"
    examples = parse_examples(
        f"text,topic,shareable\n{text},unreleased_products,yes\nSchönes Sommerfest!,ok,yes\n".encode(), policy.topic_ids
    )
    shared = shared_examples(examples, policy)

    on_until = build_guidelines(policy, shared, falke.until).to_dict()
    assert [example["text"] for example in on_until["examples"]] == ["Schönes Sommerfest!"]
    assert on_until["launches"] == []

    day_after = falke.until + dt.timedelta(days=1)
    launched = build_guidelines(policy, shared, day_after).to_dict()
    assert [example["text"] for example in launched["examples"]] == [text, "Schönes Sommerfest!"]
    assert launched["launches"] == [{
        "term": "Falke", "topic": "unreleased_products",
        "title": dict(policy.topic("unreleased_products").title), "since": day_after.isoformat(),
    }]


def test_launches_list_newest_first_and_keep_other_terms_hidden(tmp_path):
    text = POLICY.read_text(encoding="utf-8").replace(
        'term = "FlowLine 4"', 'term = "FlowLine 4"\nuntil = 2026-01-10'
    ).replace('term = "Nordkauf"', 'term = "Nordkauf"\nuntil = 2027-06-30')
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    policy = load_policy(path)
    launches = policy.to_dict(dt.date(2027, 4, 1))["launches"]
    assert [(launch["term"], launch["since"]) for launch in launches] == [
        ("Falke", "2027-03-24"), ("FlowLine 4", "2026-01-11")]
    assert "Nordkauf" not in json.dumps(policy.to_dict(dt.date(2027, 4, 1)))


def test_a_fine_post_is_shown_under_the_topic_it_comes_close_to():
    policy = load_policy(POLICY)
    examples = parse_examples(
        "text,topic,shareable,about\n"
        "Our annual report is out: https://example.org/press,ok,yes,financials\n"
        "What a summer party! Thanks to all of the team,ok,yes,\n"
        "Revenue was EUR 84m,financials,yes,\n"
        "Revenue was EUR 85m,financials,,\n".encode(),
        policy.topic_ids,
    )
    shared = [example.to_dict() for example in shared_examples(examples, policy)]
    assert [(example["topic"], example["verdict"], example["lang"]) for example in shared] == [
        ("financials", FINE, "en"), (None, FINE, "en"), ("financials", BETTER_NOT, "en")]
    assert shared[0]["id"] == example_id("Our annual report is out: https://example.org/press")


@pytest.mark.parametrize(
    "csv_text, fragment",
    [
        ("text,topic,shareable,about\nUmsatz 5 Mio.,financials,yes,strategy\n", "'about' is only for harmless"),
        ("text,topic,shareable,about\nSommerfest,ok,yes,weather\n", "unknown topic 'weather' in 'about'"),
    ],
)
def test_about_column_is_checked(csv_text, fragment):
    with pytest.raises(ExamplesError, match=fragment):
        parse_examples(csv_text.encode(), TOPICS)


def test_example_ids_are_short_and_stable():
    assert example_id("Hallo") == example_id("Hallo") != example_id("Hallo!")
    assert len(example_id("Hallo")) == 12


def test_shipped_examples_still_train_with_the_new_columns():
    examples = load_examples(EXAMPLES, TOPICS)
    assert sum(example.shareable for example in examples) >= 30
    assert all(not example.about or example.topic == "ok" for example in examples)


def test_without_an_examples_file_the_guidelines_have_no_examples_and_checks_go_on(tmp_path, model_path):
    app = create_app({"MODEL_PATH": str(model_path), "POLICY_PATH": str(POLICY), "TESTING": True,
                      "EXAMPLES_PATH": str(tmp_path / "missing.csv")})
    client = app.test_client()
    body = client.get("/v1/guidelines").get_json()
    assert body["examples"] == [] and body["topics"]
    assert client.post("/v1/check", json={"text": "Schönes Sommerfest heute!"}).status_code == 200
