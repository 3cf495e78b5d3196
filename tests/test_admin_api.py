"""The comms workspace's JSON API under /v1/admin/: every endpoint, its 401, and the whole loop
of adding examples, training, publishing and seeing /v1/check change."""

import csv
import io
import json
import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postguard.admin import WORKSPACE_OFF
from postguard.admin_auth import set_password
from postguard.app import create_app
from postguard.cli import run
from postguard.config import DEV_EXTENSION_ID
from postguard.examples import load_examples
from postguard.policy import load_policy
from postguard.trainer import Material, train_and_publish
from postguard.policy_editor import policy_document
from support import NEW_RISK, NEW_RISK_EXAMPLES, POLICY, TOPICS, write_small_material

PASSWORD = "a long enough password"
EXTENSION = f"chrome-extension://{DEV_EXTENSION_ID}"

# Every admin endpoint but /login, with a body where it needs one.
PROTECTED = [
    ("post", "/v1/admin/logout", None),
    ("get", "/v1/admin/overview", None),
    ("get", "/v1/admin/examples", None),
    ("post", "/v1/admin/examples", {"text": "x", "topic": "ok"}),
    ("patch", "/v1/admin/examples/abc", {"topic": "ok"}),
    ("delete", "/v1/admin/examples/abc", None),
    ("post", "/v1/admin/examples/import", None),
    ("get", "/v1/admin/examples/export", None),
    ("get", "/v1/admin/policy", None),
    ("put", "/v1/admin/policy", {"policy": {}}),
    ("post", "/v1/admin/policy/versions/policy-1.toml/restore", None),
    ("post", "/v1/admin/training", {}),
    ("get", "/v1/admin/training", None),
    ("post", "/v1/admin/publish", {}),
    ("get", "/v1/admin/models", None),
    ("post", "/v1/admin/models/v1/restore", None),
    ("post", "/v1/admin/try", {"text": "Hallo"}),
    ("get", "/v1/admin/feedback", None),
    ("post", "/v1/admin/feedback/abc/example", {"topic": "ok"}),
    ("delete", "/v1/admin/feedback/abc", None),
]


@pytest.fixture(scope="module")
def small_model(tmp_path_factory):
    """A model folder trained (without the base corpus) from the small material."""
    folder = tmp_path_factory.mktemp("small")
    artifact = write_small_material(folder)
    material = Material(folder / "examples.csv", folder / "policy.toml", base=False)
    train_and_publish(material, artifact, force=True, log=lambda _: None)
    return folder


@pytest.fixture
def folder(tmp_path, small_model):
    """A fresh copy of the model folder with an admin password, for one test to change."""
    copy = tmp_path / "model"
    shutil.copytree(small_model, copy)
    set_password(copy, PASSWORD)
    return copy


@pytest.fixture
def admin_app(folder):
    return create_app({"MODEL_PATH": str(folder / "postguard.joblib"), "TESTING": True,
                       "MODEL_RELOAD_SECONDS": -1})


@pytest.fixture
def signed_in(admin_app):
    client = admin_app.test_client()
    assert client.post("/v1/admin/login", json={"password": PASSWORD}).status_code == 200
    return client


def assert_error(response, status: int, fragment: str = ""):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error", "message"}, body
    assert fragment in body["message"], body


def train(client, app) -> dict:
    """Start a training, wait for it and return the status with the candidate."""
    started = client.post("/v1/admin/training", json={})
    assert started.status_code == 202, started.get_json()
    app.extensions["postguard_admin"].jobs.wait(timeout=300)
    status = client.get("/v1/admin/training").get_json()
    assert status["job"]["state"] == "done", status["job"]
    return status


def verdict(client, text):
    return client.post("/v1/check", json={"text": text}).get_json()


# ---- access ----------------------------------------------------------------------------------

@pytest.mark.parametrize("method, path, body", PROTECTED, ids=[f"{m} {p}" for m, p, _ in PROTECTED])
def test_every_admin_endpoint_answers_401_without_a_session(admin_app, method, path, body):
    client = admin_app.test_client()
    kwargs = {"json": body} if body is not None else {}
    response = getattr(client, method)(path, **kwargs)
    assert_error(response, 401, "sign in")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = getattr(client, method)(path, headers={"Authorization": "Bearer not-a-token"}, **kwargs)
    assert_error(wrong, 401)


def test_sign_in_sets_a_strict_http_only_cookie_and_a_bearer_token_works(admin_app):
    client = admin_app.test_client()
    assert_error(client.post("/v1/admin/login", json={"password": "wrong password"}), 401, "wrong password")
    assert_error(client.post("/v1/admin/login", json={"password": 42}), 400, "'password'")
    response = client.post("/v1/admin/login", json={"password": PASSWORD})
    assert response.status_code == 200
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert client.get("/v1/admin/overview").status_code == 200

    bearer = admin_app.test_client()
    headers = {"Authorization": f"Bearer {response.get_json()['token']}"}
    assert bearer.get("/v1/admin/overview", headers=headers).status_code == 200

    assert client.post("/v1/admin/logout").status_code == 204
    assert_error(client.get("/v1/admin/overview"), 401)
    assert_error(bearer.get("/v1/admin/overview", headers=headers), 401)


def test_a_new_password_ends_open_sessions(signed_in, folder):
    assert signed_in.get("/v1/admin/overview").status_code == 200
    set_password(folder, "another long password")
    assert_error(signed_in.get("/v1/admin/overview"), 401)


def test_guessing_is_slowed_down(admin_app):
    client = admin_app.test_client()
    for _ in range(10):
        assert client.post("/v1/admin/login", json={"password": "guess guess"}).status_code == 401
    assert_error(client.post("/v1/admin/login", json={"password": PASSWORD}), 429, "too many")


def test_without_a_password_the_page_says_how_to_set_one(tmp_path, small_model):
    copy = tmp_path / "model"
    shutil.copytree(small_model, copy)
    app = create_app({"MODEL_PATH": str(copy / "postguard.joblib"), "MODEL_RELOAD_SECONDS": -1})
    client = app.test_client()
    page = client.get("/admin")
    assert page.status_code == 200 and b"postguard admin" in page.data
    assert_error(client.post("/v1/admin/login", json={"password": "anything at all"}), 403, "postguard admin")


def test_page_is_served_with_a_strict_content_security_policy(admin_app):
    client = admin_app.test_client()
    page = client.get("/admin")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"
    assert b'id="sign-in-form"' in page.data
    with client.get("/admin/static/admin.js") as script:  # static files stream: close them
        assert script.status_code == 200 and b"/v1/admin" in script.data
    with client.get("/admin/static/admin.css") as style:
        assert style.status_code == 200


@pytest.mark.parametrize("method, path", [("get", "/admin"), ("get", "/v1/admin/overview"), ("post", "/v1/admin/login")])
def test_workspace_answers_only_this_computer(admin_app, method, path):
    client = admin_app.test_client()
    response = getattr(client, method)(path, json={"password": PASSWORD}, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert_error(response, 403, "POSTGUARD_ADMIN_REMOTE")


def test_remote_workspace_when_configured(folder):
    app = create_app({"MODEL_PATH": str(folder / "postguard.joblib"), "MODEL_RELOAD_SECONDS": -1,
                      "ADMIN_REMOTE": True})
    client = app.test_client()
    assert client.get("/admin", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200


def test_workspace_refuses_other_origins_and_gets_no_cors(admin_app):
    client = admin_app.test_client()
    same = client.post("/v1/admin/login", json={"password": PASSWORD}, headers={"Origin": "http://localhost"})
    assert same.status_code == 200
    assert_error(client.post("/v1/admin/login", json={"password": PASSWORD},
                             headers={"Origin": "https://evil.example"}), 403, "origin")
    extension = client.get("/v1/admin/overview", headers={"Origin": EXTENSION})
    assert "Access-Control-Allow-Origin" not in extension.headers
    public = client.get("/v1/health", headers={"Origin": EXTENSION})
    assert public.headers["Access-Control-Allow-Origin"] == EXTENSION


# ---- examples --------------------------------------------------------------------------------

def test_overview_lists_topics_counts_and_model(signed_in):
    overview = signed_in.get("/v1/admin/overview").get_json()
    assert [topic["id"] for topic in overview["topics"]] == list(TOPICS)
    assert overview["counts"] == {**{topic: 6 for topic in TOPICS}, "ok": 12}
    assert overview["model"]["version"] and overview["policy_in_service"] is True


def test_list_search_and_filter_examples(signed_in):
    every = signed_in.get("/v1/admin/examples").get_json()
    assert len(every["examples"]) == 36
    assert set(every["examples"][0]) == {"id", "text", "topic", "shareable"}
    found = signed_in.get("/v1/admin/examples?q=SUMMER PARTY").get_json()["examples"]
    assert len(found) == 12 and all(e["topic"] == "ok" for e in found)
    strategy = signed_in.get("/v1/admin/examples?topic=strategy&q=number 3").get_json()["examples"]
    assert [e["text"] for e in strategy] == ["strategy example number 3 about strategy"]


def test_add_edit_mark_and_delete_an_example(signed_in, folder):
    added = signed_in.post("/v1/admin/examples", json={"text": f"  {NEW_RISK}  ", "topic": "strategy"})
    assert added.status_code == 201
    example = added.get_json()["example"]
    assert example["text"] == NEW_RISK and example["shareable"] is False

    marked = signed_in.patch(f"/v1/admin/examples/{example['id']}", json={"shareable": True}).get_json()["example"]
    assert marked["shareable"] is True and marked["id"] == example["id"]
    relabelled = signed_in.patch(f"/v1/admin/examples/{example['id']}", json={"topic": "ok"}).get_json()["example"]
    assert relabelled["topic"] == "ok"
    edited = signed_in.patch(f"/v1/admin/examples/{example['id']}", json={"text": NEW_RISK + " Endlich!"})
    new_id = edited.get_json()["example"]["id"]
    assert new_id != example["id"]

    rows = list(csv.DictReader(io.StringIO((folder / "examples.csv").read_text(encoding="utf-8"))))
    assert rows[-1] == {"text": NEW_RISK + " Endlich!", "topic": "ok", "shareable": "yes"}
    written = load_examples(folder / "examples.csv", load_policy(folder / "policy.toml").topic_ids)
    assert written[-1].shareable is True

    assert signed_in.delete(f"/v1/admin/examples/{new_id}").status_code == 204
    assert_error(signed_in.delete(f"/v1/admin/examples/{new_id}"), 404, "no example")
    assert len(signed_in.get("/v1/admin/examples").get_json()["examples"]) == 36


@pytest.mark.parametrize(
    "body, status, fragment",
    [
        ({"text": "", "topic": "ok"}, 400, "'text' must be a non-empty string"),
        ({"text": 7, "topic": "ok"}, 400, "'text'"),
        ({"text": "Hallo", "topic": "weather"}, 400, "unknown topic 'weather'"),
        ({"text": "Hallo", "topic": "ok", "shareable": "yes"}, 400, "'shareable' must be true or false"),
        ({"text": "strategy example number 1 about strategy", "topic": "ok"}, 409, "already an example"),
        ({"text": "x" * 20_001, "topic": "ok"}, 400, "at most 20,000 characters"),
    ],
)
def test_bad_examples_are_refused_and_the_file_stays(signed_in, folder, body, status, fragment):
    before = (folder / "examples.csv").read_bytes()
    assert_error(signed_in.post("/v1/admin/examples", json=body), status, fragment)
    assert (folder / "examples.csv").read_bytes() == before


def test_lone_surrogate_and_non_json_are_refused(signed_in):
    raw = '{"text": "\\ud800 x", "topic": "ok"}'
    assert_error(signed_in.post("/v1/admin/examples", data=raw, content_type="application/json"), 400, "surrogate")
    assert_error(signed_in.post("/v1/admin/examples", data="text=x", content_type="text/plain"), 415)
    assert_error(signed_in.patch("/v1/admin/examples/abc", json={"colour": "red"}), 400, "send one or more")


def test_import_adds_new_texts_and_skips_known_ones(signed_in):
    data = "text,topic,shareable\n" + "\n".join(f'"{text}",strategy,yes' for text in NEW_RISK_EXAMPLES)
    data += "\nstrategy example number 1 about strategy,strategy,\n"
    result = signed_in.post("/v1/admin/examples/import?mode=add", data=data.encode(), content_type="text/csv")
    assert result.get_json() == {"added": 6, "skipped": 1, "total": 42}
    listed = signed_in.get("/v1/admin/examples?q=Tarifverhandlungen").get_json()["examples"]
    assert len(listed) == 6 and all(e["shareable"] for e in listed)


@pytest.mark.parametrize(
    "data, fragment",
    [
        ("text,topic\nHallo,ok\nWetter,weather\n", "the imported file, line 3: unknown topic 'weather'"),
        ("text,label\nHallo,ok\n", "missing column 'topic'"),
        ('text,topic\nHallo,ok\n"",ok\n', "line 3: empty text"),
        ("text,topic,shareable\nHallo,ok,perhaps\n", "line 2: shareable must be"),
    ],
)
def test_import_errors_name_the_line_and_change_nothing(signed_in, folder, data, fragment):
    before = (folder / "examples.csv").read_bytes()
    response = signed_in.post("/v1/admin/examples/import", data=data.encode(), content_type="text/csv")
    assert_error(response, 400, fragment)
    assert (folder / "examples.csv").read_bytes() == before


def test_import_replace_keeps_a_copy_and_export_returns_the_file(signed_in, folder):
    data = "text,topic\n" + "\n".join(f"Harmless line {n},ok" for n in range(5)) + "\n"
    assert_error(signed_in.post("/v1/admin/examples/import?mode=everything", data=data, content_type="text/csv"), 400, "'mode'")
    result = signed_in.post("/v1/admin/examples/import?mode=replace", data=data.encode(), content_type="text/csv").get_json()
    assert result == {"added": 5, "skipped": 0, "total": 5}
    copies = list((folder / "versions").glob("examples-*.csv"))
    assert len(copies) == 1 and b"financials example number 0" in copies[0].read_bytes()
    exported = signed_in.get("/v1/admin/examples/export")
    assert exported.mimetype == "text/csv" and "attachment" in exported.headers["Content-Disposition"]
    assert exported.data == (folder / "examples.csv").read_bytes()
    assert [row["topic"] for row in csv.DictReader(io.StringIO(exported.data.decode()))] == ["ok"] * 5


def test_a_broken_examples_file_is_reported_and_can_be_replaced(signed_in, folder):
    (folder / "examples.csv").write_text("text,topic\nHallo,weather\n", encoding="utf-8")
    overview = signed_in.get("/v1/admin/overview")
    assert overview.status_code == 200 and "line 2: unknown topic 'weather'" in overview.get_json()["examples_problem"]
    assert_error(signed_in.get("/v1/admin/examples"), 409, "import a corrected one")
    assert_error(signed_in.post("/v1/admin/examples", json={"text": "Hallo", "topic": "ok"}), 409)
    fixed = "text,topic\n" + "\n".join(f"Harmless line {n},ok" for n in range(3)) + "\n"
    response = signed_in.post("/v1/admin/examples/import?mode=replace", data=fixed.encode(), content_type="text/csv")
    assert response.get_json()["total"] == 3
    assert signed_in.get("/v1/admin/overview").get_json()["examples_problem"] == ""


# ---- policy ----------------------------------------------------------------------------------

def test_policy_edit_is_validated_kept_and_served_at_once(signed_in, folder):
    original = (folder / "policy.toml").read_text(encoding="utf-8")
    document = signed_in.get("/v1/admin/policy").get_json()
    assert document["in_service"] is True and document["versions"] == []
    policy = document["policy"]
    assert policy["topics"][2]["terms"][0] == {"term": "Falke", "until": "2027-03-23"}

    policy["topics"][0]["guideline"]["de"] = "Zahlen nennt nur die Geschäftsführung."
    policy["topics"][2]["terms"].append({"term": "Projekt Kranich", "until": "2028-01-31"})
    saved = signed_in.put("/v1/admin/policy", json={"policy": policy})
    assert saved.status_code == 200, saved.get_json()
    assert saved.get_json()["in_service"] is True and len(saved.get_json()["versions"]) == 1

    text = (folder / "policy.toml").read_text(encoding="utf-8")
    assert "# launch at LogiMAT" in text and "Projekt Kranich" in text  # comments stay
    assert (folder / "versions" / saved.get_json()["versions"][0]["name"]).read_text(encoding="utf-8") == original
    served = signed_in.get("/v1/policy").get_json()
    assert served["topics"][0]["guideline"]["de"] == "Zahlen nennt nur die Geschäftsführung."
    finding = verdict(signed_in, "Bald kommt Projekt Kranich auf den Markt.")["findings"][0]
    assert finding["topic"] == "unreleased_products" and finding["source"] == "listed"

    restored = signed_in.post(f"/v1/admin/policy/versions/{saved.get_json()['versions'][0]['name']}/restore")
    assert restored.status_code == 200
    assert (folder / "policy.toml").read_text(encoding="utf-8") == original
    assert verdict(signed_in, "Bald kommt Projekt Kranich auf den Markt.")["verdict"] == "ok"


@pytest.mark.parametrize(
    "change, status, fragment",
    [
        (lambda p: p["topics"][1]["title"].update(en=""), 400, "'title' needs a text for each of de, en"),
        (lambda p: p["topics"][2]["terms"].append({"term": "X1", "until": "soon"}), 400, "'until' must be a date"),
        (lambda p: p["topics"].pop(0), 409, "'financials' still has examples"),
        (lambda p: p.update(default_language="fr"), 400, "'default_language'"),
        (lambda p: p["topics"][1].update(id="Strategy!"), 400, "'id' must be"),
    ],
)
def test_invalid_policy_is_refused_and_the_file_stays(signed_in, folder, change, status, fragment):
    before = (folder / "policy.toml").read_bytes()
    policy = signed_in.get("/v1/admin/policy").get_json()["policy"]
    change(policy)
    assert_error(signed_in.put("/v1/admin/policy", json={"policy": policy}), status, fragment)
    assert (folder / "policy.toml").read_bytes() == before
    assert_error(signed_in.put("/v1/admin/policy", json={"policy": "all of it"}), 400, "'policy' must be an object")
    assert_error(signed_in.post("/v1/admin/policy/versions/..%2Fpolicy.toml/restore"), 404)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**20), 10**20) | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=10,
)


def _places(value, path=()):
    yield path
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _places(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _places(inner, (*path, index))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_any_policy_edit_is_saved_or_refused_never_a_server_error(signed_in, folder, data):
    shutil.copy(POLICY, folder / "policy.toml")  # each example starts from the shipped policy
    policy = policy_document(POLICY)
    places = list(_places(policy))[1:]
    *parents, last = data.draw(st.sampled_from(places))
    target = policy
    for key in parents:
        target = target[key]
    target[last] = data.draw(JSON_VALUES)
    response = signed_in.put("/v1/admin/policy", json={"policy": policy})
    assert response.status_code in (200, 400, 409), response.get_json()
    load_policy(folder / "policy.toml")  # whatever happened, the file is a valid policy


def test_new_topic_waits_for_a_model_that_knows_it(signed_in, admin_app, folder):
    policy = signed_in.get("/v1/admin/policy").get_json()["policy"]
    texts = {"de": "Tarife", "en": "Wages"}
    policy["topics"].append({"id": "wages", "title": texts, "message": texts, "guideline": texts,
                             "speakers": texts, "alternative": texts,
                             "contact": {"name": "Personalabteilung", "email": "hr@example.org", "url": ""}})
    saved = signed_in.put("/v1/admin/policy", json={"policy": policy}).get_json()
    assert saved["in_service"] is False and "wages" not in [t["id"] for t in signed_in.get("/v1/policy").get_json()["topics"]]
    assert "examples" in saved["note"]
    assert signed_in.get("/v1/admin/overview").get_json()["counts"]["wages"] == 0

    for text in NEW_RISK_EXAMPLES:
        assert signed_in.post("/v1/admin/examples", json={"text": text, "topic": "wages"}).status_code == 201
    train(signed_in, admin_app)
    assert signed_in.post("/v1/admin/publish", json={}).status_code == 200
    assert "wages" in [t["id"] for t in signed_in.get("/v1/policy").get_json()["topics"]]
    assert verdict(signed_in, NEW_RISK)["findings"][0]["topic"] == "wages"


# ---- training, publishing, versions ----------------------------------------------------------

def test_add_examples_train_publish_and_check_changes(signed_in, admin_app, folder):
    assert verdict(signed_in, NEW_RISK)["verdict"] == "ok"
    before = signed_in.get("/v1/health").get_json()["model"]["version"]
    assert_error(signed_in.post("/v1/admin/publish", json={}), 409, "train one first")
    for text in NEW_RISK_EXAMPLES:
        assert signed_in.post("/v1/admin/examples", json={"text": text, "topic": "strategy"}).status_code == 201

    status = train(signed_in, admin_app)
    assert status["job"]["progress"] == 1.0 and status["job"]["base_corpus"] is False
    candidate = status["candidate"]
    company = candidate["quality"]["company"]
    assert set(company["topics"]) == set(TOPICS)
    assert {"precision", "recall", "f1", "support"} <= set(company["topics"]["strategy"])
    assert company["confusion"]["labels"] == ["ok", *sorted(TOPICS)] and company["false_alarm_rate"] is not None
    curve = candidate["report"]["learning_curve"]
    assert [point["fraction"] for point in curve] == [0.25, 0.5, 0.75, 1.0]
    assert all(0 <= point["macro_f1"] <= 1 for point in curve)
    assert curve[0]["examples_per_topic"] < curve[-1]["examples_per_topic"]
    assert candidate["gate"] is None
    # Nothing changes for employees before publishing.
    assert verdict(signed_in, NEW_RISK)["verdict"] == "ok"
    tried = signed_in.post("/v1/admin/try", json={"text": NEW_RISK, "model": "candidate"}).get_json()
    assert tried["findings"][0]["topic"] == "strategy"

    published = signed_in.post("/v1/admin/publish", json={})
    assert published.status_code == 200
    version = published.get_json()["model"]["version"]
    assert signed_in.get("/v1/health").get_json()["model"]["version"] == version != before
    finding = verdict(signed_in, NEW_RISK)["findings"][0]
    assert finding["topic"] == "strategy" and finding["guideline"]
    assert signed_in.post("/v1/admin/try", json={"text": NEW_RISK}).get_json()["verdict"] == "warn"

    versions = signed_in.get("/v1/admin/models").get_json()["versions"]
    assert [v["version"] for v in versions] == [version, before]
    assert [v["current"] for v in versions] == [True, False]
    assert (folder / "versions" / version / "examples.csv").is_file()

    restored = signed_in.post(f"/v1/admin/models/{before}/restore")
    assert restored.status_code == 200 and restored.get_json()["model"]["version"] == before
    assert signed_in.get("/v1/health").get_json()["model"]["version"] == before
    assert verdict(signed_in, NEW_RISK)["verdict"] == "ok"
    assert_error(signed_in.post("/v1/admin/models/nothing-here/restore"), 404, "no kept model version")
    assert_error(signed_in.post("/v1/admin/models/..%2F..%2Fetc/restore"), 404)


def test_report_lists_mistakes_with_one_click_fixes(signed_in, admin_app):
    assert train(signed_in, admin_app)["candidate"]["report"]["mistakes"] == []
    # A strategy post labelled harmless confuses the model about strategy.
    wrong = signed_in.post("/v1/admin/examples", json={"text": "strategy example number 9 about strategy", "topic": "ok"})
    wrong_id = wrong.get_json()["example"]["id"]
    report = train(signed_in, admin_app)["candidate"]["report"]
    assert report["mistakes"] and report["mistakes_total"] == len(report["mistakes"])
    examples = {e["id"]: e for e in signed_in.get("/v1/admin/examples").get_json()["examples"]}
    for mistake in report["mistakes"]:
        assert examples[mistake["id"]]["topic"] == mistake["topic"] != mistake["decided"]
        assert examples[mistake["id"]]["text"] == mistake["text"]

    first, second = report["mistakes"][:2]
    relabelled = signed_in.patch(f"/v1/admin/examples/{first['id']}", json={"topic": first["decided"]})
    assert relabelled.get_json()["example"]["topic"] == first["decided"]
    assert signed_in.delete(f"/v1/admin/examples/{second['id']}").status_code == 204
    examples = {e["id"]: e for e in signed_in.get("/v1/admin/examples").get_json()["examples"]}
    assert examples[first["id"]]["topic"] == first["decided"] and second["id"] not in examples

    signed_in.patch(f"/v1/admin/examples/{first['id']}", json={"topic": first["topic"]})
    assert signed_in.delete(f"/v1/admin/examples/{wrong_id}").status_code == 204
    assert train(signed_in, admin_app)["candidate"]["report"]["mistakes"] == []


def test_gate_holds_back_a_worse_model_until_forced(signed_in, admin_app):
    published = signed_in.get("/v1/health").get_json()["model"]["version"]
    rows = [f"{topic} example number {n} about {topic.replace('_', ' ')}" for topic in TOPICS for n in range(6)]
    shuffled = "text,topic\n" + "\n".join(f"{text},{TOPICS[(i + 1) % 4]}" for i, text in enumerate(rows))
    shuffled += "\n" + "\n".join(f"Harmless post number {n} about our summer party,ok" for n in range(12)) + "\n"
    signed_in.post("/v1/admin/examples/import?mode=replace", data=shuffled.encode(), content_type="text/csv")

    gate = train(signed_in, admin_app)["candidate"]["gate"]
    assert "macro F1" in gate
    assert_error(signed_in.post("/v1/admin/publish", json={}), 409, "not published")
    assert signed_in.get("/v1/health").get_json()["model"]["version"] == published
    forced = signed_in.post("/v1/admin/publish", json={"force": True})
    assert forced.status_code == 200
    assert signed_in.get("/v1/health").get_json()["model"]["version"] != published


def test_one_training_at_a_time_and_failures_are_explained(signed_in, admin_app):
    assert signed_in.post("/v1/admin/training", json={"base_corpus": False}).status_code == 202
    assert_error(signed_in.post("/v1/admin/training", json={}), 409, "already running")
    admin_app.extensions["postguard_admin"].jobs.wait(timeout=300)
    assert_error(signed_in.post("/v1/admin/training", json={"base_corpus": "no"}), 400, "'base_corpus'")

    for example in signed_in.get("/v1/admin/examples?topic=strategy").get_json()["examples"][:3]:
        signed_in.delete(f"/v1/admin/examples/{example['id']}")
    assert signed_in.post("/v1/admin/training", json={}).status_code == 202
    job = admin_app.extensions["postguard_admin"].jobs.wait(timeout=300)
    assert job["state"] == "failed"
    assert job["error"].startswith("examples.csv: each topic needs at least 5 examples; 'strategy' has 3")


def test_try_validates_its_input(signed_in):
    assert_error(signed_in.post("/v1/admin/try", json={"text": ""}), 400, "'text'")
    assert_error(signed_in.post("/v1/admin/try", json={"text": "Hallo", "model": "newest"}), 400, "'model'")
    assert_error(signed_in.post("/v1/admin/try", json={"text": "Hallo", "model": "candidate"}), 409, "train one first")
    assert_error(signed_in.post("/v1/admin/try", json={"text": "x" * 100_001}), 413)
    result = signed_in.post("/v1/admin/try", json={"text": "financials example number 1 about financials"}).get_json()
    assert result["verdict"] == "warn" and result["findings"][0]["topic"] == "financials"


# ---- feedback --------------------------------------------------------------------------------

def test_feedback_is_counted_and_shown_only_from_the_minimum(signed_in, folder):
    for _ in range(4):
        assert signed_in.post("/v1/feedback", json={"kind": "false_alarm", "topic": "financials"}).status_code == 204
    assert signed_in.post("/v1/feedback", json={"kind": "missed_risk", "topic": None}).status_code == 204
    statistics = signed_in.get("/v1/admin/feedback").get_json()["statistics"]
    assert statistics["minimum"] == 5 and statistics["weeks"] == [] and statistics["totals"] == []

    signed_in.post("/v1/feedback", json={"kind": "false_alarm", "topic": "financials"})
    statistics = signed_in.get("/v1/admin/feedback").get_json()["statistics"]
    (row,) = statistics["weeks"]
    assert row["topic"] == "financials" and row["kind"] == "false_alarm" and row["count"] == 5
    assert row["week"][:4].isdigit() and row["week"][4:6] == "-W"
    stored = (folder / "feedback.json").read_text(encoding="utf-8")
    assert "127.0.0.1" not in stored and "Werkzeug" not in stored and ":" in stored  # only weeks and counts
    assert signed_in.get("/v1/admin/feedback").get_json()["shared"] == []


def test_shared_text_becomes_an_example_with_one_click(signed_in, folder):
    text = "Wir verhandeln gerade über den Kauf eines Wettbewerbers in Polen."
    assert signed_in.post("/v1/feedback", json={"kind": "missed_risk", "topic": "strategy", "text": text}).status_code == 204
    signed_in.post("/v1/feedback", json={"kind": "false_alarm", "topic": "financials", "text": "Wir feiern 100 Jahre!"})
    shared = signed_in.get("/v1/admin/feedback").get_json()["shared"]
    assert [entry["text"] for entry in shared] == ["Wir feiern 100 Jahre!", text]
    entry = shared[1]
    assert set(entry) == {"id", "week", "kind", "topic", "text"} and entry["topic"] == "strategy"

    added = signed_in.post(f"/v1/admin/feedback/{entry['id']}/example", json={"topic": "strategy"})
    assert added.status_code == 201 and added.get_json()["example"]["text"] == text
    assert signed_in.get(f"/v1/admin/examples?q={text[:20]}").get_json()["examples"][0]["topic"] == "strategy"
    assert_error(signed_in.post(f"/v1/admin/feedback/{entry['id']}/example", json={"topic": "strategy"}), 404)

    other = signed_in.get("/v1/admin/feedback").get_json()["shared"][0]
    assert_error(signed_in.post(f"/v1/admin/feedback/{other['id']}/example", json={"topic": "weather"}), 400, "unknown topic")
    assert signed_in.delete(f"/v1/admin/feedback/{other['id']}").status_code == 204
    assert signed_in.get("/v1/admin/feedback").get_json()["shared"] == []
    assert_error(signed_in.delete(f"/v1/admin/feedback/{other['id']}"), 404)


@pytest.mark.parametrize(
    "body, status, fragment",
    [
        ({}, 400, "'kind' must be one of"),
        ({"kind": "angry"}, 400, "'kind' must be one of"),
        ({"kind": "false_alarm", "topic": "weather"}, 400, "'topic' must be null or one of"),
        ({"kind": "false_alarm", "topic": 3}, 400, "'topic'"),
        ({"kind": "missed_risk", "text": "   "}, 400, "'text' must be a non-empty string"),
        ({"kind": "missed_risk", "text": "x" * 20_001}, 413, "at most 20,000 characters"),
        ({"kind": "missed_risk", "user": "anna"}, 400, "unknown field 'user'"),
        (["false_alarm"], 400, "JSON object"),
    ],
)
def test_feedback_is_validated_strictly(admin_app, folder, body, status, fragment):
    client = admin_app.test_client()
    assert_error(client.post("/v1/feedback", json=body), status, fragment)
    assert not (folder / "feedback.json").exists()


def test_feedback_from_the_extension_gets_cors_and_no_text_reaches_a_log(admin_app, caplog):
    caplog.set_level("DEBUG")
    client = admin_app.test_client()
    marker = "Zebrafisch-4711 wird nächste Woche vorgestellt."
    response = client.post("/v1/feedback", json={"kind": "missed_risk", "topic": None, "text": marker},
                           headers={"Origin": EXTENSION})
    assert response.status_code == 204 and response.headers["Access-Control-Allow-Origin"] == EXTENSION
    assert "Zebrafisch" not in caplog.text


# ---- the command ---------------------------------------------------------------------------------

def test_postguard_admin_sets_the_password(tmp_path, small_model, monkeypatch, capsys):
    copy = tmp_path / "model"
    shutil.copytree(small_model, copy)
    artifact = copy / "postguard.joblib"
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert run(["admin", "--password-stdin", "--model", str(artifact)]) == 2
    assert "at least 10 characters" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("a fine new password\n"))
    assert run(["admin", "--password-stdin", "--model", str(artifact)]) == 0
    stored = json.loads((copy / "admin.json").read_text())
    assert stored["scheme"] == "scrypt" and "a fine new password" not in json.dumps(stored)
    app = create_app({"MODEL_PATH": str(artifact), "MODEL_RELOAD_SECONDS": -1})
    assert app.test_client().post("/v1/admin/login", json={"password": "a fine new password"}).status_code == 200


def test_without_the_workspace_every_address_says_why(folder):
    """Several worker processes (WORKSPACE False): the page and every endpoint answer 404 in the
    one error shape, saying that the workspace needs one process; checking goes on."""
    app = create_app({"MODEL_PATH": str(folder / "postguard.joblib"), "TESTING": True,
                      "MODEL_RELOAD_SECONDS": -1, "WORKSPACE": False})
    client = app.test_client()
    calls = [*PROTECTED, ("post", "/v1/admin/login", {"password": PASSWORD}), ("get", "/admin", None),
             ("get", "/admin/static/admin.js", None)]
    for method, path, body in calls:
        response = getattr(client, method)(path, json=body)
        assert_error(response, 404, WORKSPACE_OFF)
    assert "workers = 1" in WORKSPACE_OFF
    assert "postguard_admin" not in app.extensions
    assert client.post("/v1/check", json={"text": "Hallo"}).status_code == 200
