"""Random input against /v1/check: never a 5xx, and every reply matches the OpenAPI document."""

import datetime as dt
import json

import jsonschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postguard.app import create_app
from postguard.openapi import openapi_document
from support import EXAMPLES, POLICY, FeedSite

DOCUMENT = openapi_document()
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
BODIES = st.one_of(
    st.fixed_dictionaries({"text": st.text(max_size=400)}, optional={"site": JSON_VALUES}),
    st.fixed_dictionaries({"text": JSON_VALUES}),
    JSON_VALUES,
)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_matches_document(response, path="/v1/check", method="post"):
    """The reply's status is documented for the endpoint and its body matches that schema."""
    assert response.status_code < 500, response.get_data(as_text=True)
    responses = DOCUMENT["paths"][path][method]["responses"]
    assert str(response.status_code) in responses, response.status_code
    documented = responses[str(response.status_code)]
    if "content" not in documented:  # 204: no body
        assert response.get_data() == b""
        return
    schema = documented["content"]["application/json"]["schema"]
    jsonschema.validate(response.get_json(), {**schema, "components": DOCUMENT["components"]})


@FAST
@given(body=BODIES)
def test_random_json_bodies(app, body):
    assert_matches_document(app.test_client().post("/v1/check", json=body))


@FAST
@given(raw=st.binary(max_size=300), content_type=st.sampled_from(["application/json", "text/plain", ""]))
def test_random_bytes(app, raw, content_type):
    assert_matches_document(app.test_client().post("/v1/check", data=raw, content_type=content_type))


@FAST
@given(text=st.text(min_size=1, max_size=2000))
def test_findings_point_inside_the_text(app, text):
    response = app.test_client().post("/v1/check", json={"text": text})
    assert_matches_document(response)
    if response.status_code == 200:
        units = len(text.encode("utf-16-le")) // 2
        findings = response.get_json()["findings"]
        for finding in findings:
            assert 0 <= finding["offset"] and finding["offset"] + finding["length"] <= units
        ends = [f["offset"] + f["length"] for f in findings]
        assert all(f["offset"] >= end for f, end in zip(findings[1:], ends))


FEEDBACK_BODIES = st.one_of(
    st.fixed_dictionaries(
        {"kind": st.sampled_from(["false_alarm", "missed_risk"])},
        optional={"topic": st.none() | st.sampled_from(["financials", "strategy"]) | JSON_VALUES,
                  "text": st.text(max_size=60) | JSON_VALUES},
    ),
    JSON_VALUES,
)


@FAST
@given(body=FEEDBACK_BODIES)
def test_random_feedback_bodies(app, body):
    response = app.test_client().post("/v1/feedback", json=body)
    assert_matches_document(response, "/v1/feedback")
    valid = True
    try:
        jsonschema.validate(body, {**DOCUMENT["components"]["schemas"]["FeedbackRequest"],
                                   "components": DOCUMENT["components"]})
    except jsonschema.ValidationError:
        valid = False
    if response.status_code == 204:
        assert valid, body


def test_openapi_document_is_served_and_describes_every_endpoint(client):
    served = client.get("/v1/openapi.json").get_json()
    assert served == json.loads(json.dumps(DOCUMENT))
    assert set(served["paths"]) == {
        "/v1/check", "/v1/health", "/v1/policy", "/v1/guidelines", "/v1/feed", "/v1/openapi.json",
        "/v1/feedback"}
    for path in ("/v1/health", "/v1/policy", "/v1/guidelines", "/v1/feed"):
        assert_matches_document(client.get(path), path, "get")


def test_feed_with_items_and_notes_matches_the_document(tmp_path, model_path):
    with FeedSite() as site:
        policy = tmp_path / "policy.toml"
        policy.write_text(
            POLICY.read_text(encoding="utf-8")
            + f'\n[[feeds]]\nurl = "{site.url("press.rss")}"\nofficial = true\n'
            + f'\n[[feeds]]\nurl = "{site.url("broken.xml")}"\n',
            encoding="utf-8",
        )
        app = create_app({"MODEL_PATH": str(model_path), "POLICY_PATH": str(policy), "TESTING": True,
                          "FEED_REFRESH_SECONDS": 0, "FEED_CACHE_PATH": str(tmp_path / "feeds.json")})
        app.extensions["postguard"].feeds.refresh()
    response = app.test_client().get("/v1/feed")
    assert_matches_document(response, "/v1/feed", "get")
    body = response.get_json()
    assert body["items"] and body["notes"]


def test_guidelines_after_a_launch_match_the_document(tmp_path, model_path):
    policy = tmp_path / "policy.toml"
    yesterday = dt.date.today() - dt.timedelta(days=1)
    policy.write_text(POLICY.read_text(encoding="utf-8").replace("until = 2027-03-23", f"until = {yesterday}"),
                      encoding="utf-8")
    app = create_app({"MODEL_PATH": str(model_path), "POLICY_PATH": str(policy), "TESTING": True,
                      "EXAMPLES_PATH": str(EXAMPLES)})
    response = app.test_client().get("/v1/guidelines")
    assert_matches_document(response, "/v1/guidelines", "get")
    assert [launch["term"] for launch in response.get_json()["launches"]] == ["Falke"]
