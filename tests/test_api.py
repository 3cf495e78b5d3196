"""The HTTP contract: endpoints, the one error shape, and who may call."""

import json

import pytest

from postguard.app import create_app
from postguard.artifact import ModelError
from support import POLICY, assert_error

def test_health_reports_the_model(client, model_path):
    response = client.get("/v1/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["model"]["version"] and body["model"]["trained_at"]


def test_policy_lists_topics_and_general_contact(client):
    body = client.get("/v1/policy").get_json()
    assert [t["id"] for t in body["topics"]] == [
        "financials", "strategy", "unreleased_products", "customer_projects"
    ]
    for topic in body["topics"]:
        assert topic["title"]["de"] and topic["title"]["en"]
        assert topic["guideline"]["de"] and topic["alternative"]["en"]
        assert "@" in topic["contact"]["email"]
    assert body["contact"]["name"]
    assert body["dos"]["de"] and body["donts"]["en"]


def test_check_ok_for_an_everyday_post(client):
    response = client.post("/v1/check", json={"text": "Heute war unser Sommerfest, danke an alle fürs Mitfeiern! 🎉", "site": "linkedin"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["verdict"] == "ok" and body["findings"] == []
    assert body["lang"] == "de"
    assert body["model"]["version"]


def test_check_warns_with_the_full_shape(client):
    text = "Wir haben im dritten Quartal 48 Millionen Euro Umsatz gemacht, 12 % mehr als geplant."
    body = client.post("/v1/check", json={"text": text}).get_json()
    assert body["verdict"] == "warn"
    (finding,) = body["findings"]
    assert set(finding) >= {
        "topic", "title", "score", "offset", "length", "evidence", "message", "guideline",
        "alternative", "contact",
    }
    assert finding["topic"] == "financials"
    assert finding["title"] == "Finanzkennzahlen"
    assert 0 < finding["score"] <= 1
    assert set(finding["contact"]) >= {"name", "email", "url"}


@pytest.mark.parametrize(
    "kwargs, status, fragment",
    [
        ({"data": "{\"text\": ", "content_type": "application/json"}, 400, "not valid JSON"),
        ({"data": b"\xff\xfe{}", "content_type": "application/json"}, 400, "UTF-8"),
        ({"json": ["text"]}, 400, "JSON object"),
        ({"json": {}}, 400, "'text' must be a non-empty string"),
        ({"json": {"text": 42}}, 400, "'text' must be a non-empty string"),
        ({"json": {"text": "   "}}, 400, "'text' must be a non-empty string"),
        ({"json": {"text": "hallo", "site": 7}}, 400, "'site'"),
        ({"data": "{\"text\": \"\\ud800 x\"}", "content_type": "application/json"}, 400, "surrogate"),
        ({"data": "text=hallo", "content_type": "application/x-www-form-urlencoded"}, 415, "JSON"),
        ({"json": {"text": "a" * 100_001}}, 413, "100,000 characters"),
        ({"data": "[" * 100_000, "content_type": "application/json"}, 400, "JSON"),
        ({"data": "{\"text\": " + "9" * 5000 + "}", "content_type": "application/json"}, 400, "JSON"),
    ],
)
def test_check_rejects_bad_input(client, kwargs, status, fragment):
    assert_error(client.post("/v1/check", **kwargs), status, fragment)


def test_body_larger_than_the_limit_is_413(client):
    body = json.dumps({"text": "x" * (2 * 1024 * 1024)})
    response = client.post("/v1/check", data=body, content_type="application/json")
    assert_error(response, 413, "1,048,576 bytes")


def test_policy_does_not_reveal_listed_terms(client):
    body = client.get("/v1/policy").get_data(as_text=True)
    assert "Falke" not in body and "SortMaster" not in body


def test_unknown_path_and_wrong_method(client):
    assert_error(client.get("/v1/nothing"), 404)
    response = client.get("/v1/check")
    assert_error(response, 405)
    assert "POST" in response.headers["Allow"]


def test_factory_without_model_fails_with_the_fix(tmp_path):
    with pytest.raises(ModelError, match="train_classifier.py"):
        create_app({"MODEL_PATH": str(tmp_path / "missing.joblib"), "POLICY_PATH": str(POLICY)})


def test_factory_can_start_without_model_and_answers_503(tmp_path):
    app = create_app({"MODEL_PATH": str(tmp_path / "missing.joblib"), "POLICY_PATH": str(POLICY),
                      "REQUIRE_MODEL": False})
    client = app.test_client()
    assert_error(client.get("/v1/health"), 503, "no model")
    assert_error(client.post("/v1/check", json={"text": "Hallo"}), 503, "no model")
    assert client.get("/v1/policy").status_code == 200


def test_factory_reads_prefixed_environment(monkeypatch, model_path):
    monkeypatch.setenv("POSTGUARD_MAX_TEXT_CHARS", "50")
    app = create_app({"MODEL_PATH": str(model_path), "POLICY_PATH": str(POLICY)})
    assert app.config["MAX_TEXT_CHARS"] == 50
    assert_error(app.test_client().post("/v1/check", json={"text": "x" * 51}), 413, "50 characters")


def test_no_post_text_reaches_any_log(client, caplog):
    marker = "Zebrafisch-4711 Umsatz 48 Millionen"
    caplog.set_level("DEBUG")
    client.post("/v1/check", json={"text": marker})
    client.post("/v1/check", json={"text": marker, "site": 7})
    client.post("/v1/check", data=marker, content_type="text/plain")
    client.post("/v1/check", json={"text": marker}, headers={"Origin": "https://evil.example"})
    assert "Zebrafisch" not in caplog.text
