"""The comms workspace at /admin in a real headless Chromium, against the real server:
sign in, add examples, train, publish, and see /v1/check change; edit a guideline; turn a
shared text into an example."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

import pytest

import browser_harness as harness
from postguard.admin_auth import set_password
from postguard.trainer import Material, train_and_publish
from support import NEW_RISK, NEW_RISK_EXAMPLES, write_small_material

pytestmark = pytest.mark.e2e

PASSWORD = "comms team password"
TRAINING_MS = 240_000  # a slow shared CI machine; the test waits for the report, not a time


@pytest.fixture(scope="module")
def workspace_folder(tmp_path_factory) -> Path:
    """A model folder with small material, a model trained from it and an admin password."""
    folder = tmp_path_factory.mktemp("workspace")
    artifact = write_small_material(folder)
    train_and_publish(Material(folder / "examples.csv", folder / "policy.toml", base=False), artifact,
                      force=True, log=lambda _: None)
    set_password(folder, PASSWORD)
    return folder


@pytest.fixture(scope="module")
def workspace_url(workspace_folder):
    with harness.checking_server(workspace_folder / "postguard.joblib") as url:
        yield url


@pytest.fixture
def page(playwright_api, workspace_url):
    """A plain Chromium page (no extension needed) that fails the test on any console error."""
    browser = playwright_api.chromium.launch(executable_path=str(harness.CHROMIUM), headless=True,
                                             args=harness.CHROMIUM_ARGS)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = []
    # Refused sign-ins (401) and refused policies (400) are answers the page shows, not faults.
    expected = re.compile(r"status of (400|401)")
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" and not expected.search(message.text) else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("dialog", lambda dialog: dialog.accept())  # "Delete this example?" and the like
    yield page
    context.close()
    browser.close()
    assert errors == [], errors  # a script error or a blocked resource (CSP) shows up here


def post_json(url, body):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


def sign_in(page, workspace_url):
    page.goto(f"{workspace_url}/admin")
    page.locator("#password").wait_for(state="visible")
    page.fill("#password", PASSWORD)
    page.keyboard.press("Enter")  # the form works from the keyboard
    page.locator('#workspace[data-loaded="true"]').wait_for(state="visible")


def test_sign_in_is_required_and_wrong_passwords_are_told(page, workspace_url):
    page.goto(f"{workspace_url}/admin")
    assert page.locator("#workspace").is_hidden()
    page.fill("#password", "not the password")
    page.click("#sign-in-form button[type=submit]")
    page.locator("#sign-in-error", has_text="wrong password").wait_for()
    assert page.locator("#workspace").is_hidden()


def test_add_examples_train_publish_and_the_check_changes(page, workspace_url):
    assert post_json(f"{workspace_url}/v1/check", {"text": NEW_RISK})["verdict"] == "ok"
    sign_in(page, workspace_url)
    published_before = page.locator("#model-line").inner_text()

    page.select_option("#new-topic", "strategy")
    for text in NEW_RISK_EXAMPLES:
        page.fill("#new-text", text)
        page.click("#add-example button[type=submit]")
        page.locator("#examples-table tbody tr", has_text=text).wait_for()
    page.fill("#search", "Tarifverhandlungen")
    page.locator("#result-count", has_text="6 examples").wait_for()

    page.click("#tab-training")
    assert not page.is_checked("#with-base")  # like the model in service, trained without it
    page.click("#train")
    page.locator("#job-progress").wait_for(state="visible")
    page.locator("#report").wait_for(state="visible", timeout=TRAINING_MS)
    page.locator("#job").wait_for(state="hidden", timeout=TRAINING_MS)

    topics = page.locator("#report-topics tbody th").all_inner_texts()
    assert any("strategy" in topic for topic in topics) and len(topics) == 4
    assert page.locator("#report-confusion tbody tr").count() == 5
    assert page.locator("#report-curve polyline.curve-f1").count() == 1
    assert page.locator("#report-curve-table tbody tr").count() == 4
    assert page.locator("#report-mistakes li").count() >= 1
    assert "passes the quality gate" in page.locator("#gate-status").inner_text()
    # Not yet published: employees still get the old answer.
    assert post_json(f"{workspace_url}/v1/check", {"text": NEW_RISK})["verdict"] == "ok"

    page.click("#publish")
    page.locator("#publish-status", has_text="Published model").wait_for()
    result = post_json(f"{workspace_url}/v1/check", {"text": NEW_RISK})
    assert result["verdict"] == "warn" and result["findings"][0]["topic"] == "strategy"
    assert page.locator("#model-line").inner_text() != published_before
    assert page.locator("#versions tbody tr").count() == 2
    assert page.locator("#versions tbody tr", has_text="in service").count() == 1

    page.click("#tab-try")
    page.fill("#try-text", NEW_RISK)
    page.click("#try-form button[type=submit]")
    preview = page.locator('#try-result .preview-finding[data-topic="strategy"]')
    preview.wait_for()
    assert "Tarifverhandlungen" in preview.locator("blockquote").inner_text()
    assert "Unsere Leitlinie:" in preview.inner_text()  # the post is German, so is the panel

    page.click("#tab-training")
    page.locator("#versions tbody tr", has_text="Restore").get_by_role("button", name="Restore").click()
    page.locator("#toast", has_text="back in service").wait_for()
    assert post_json(f"{workspace_url}/v1/check", {"text": NEW_RISK})["verdict"] == "ok"


def test_edit_a_guideline_and_employees_see_it(page, workspace_url):
    sign_in(page, workspace_url)
    page.click("#tab-policy")
    topic = page.locator("#policy-fields details.topic").first
    topic.locator("summary").click()
    guideline = topic.locator("fieldset.pair", has_text="Guideline").get_by_label("English")
    guideline.fill("Only the board talks about figures, in the annual report.")
    page.click("#policy-form button[type=submit]")
    page.locator("#toast", has_text="employees see them now").wait_for()
    with urllib.request.urlopen(f"{workspace_url}/v1/policy", timeout=10) as response:
        policy = json.load(response)
    assert policy["topics"][0]["guideline"]["en"] == "Only the board talks about figures, in the annual report."
    page.locator("#panel-policy summary", has_text="Earlier versions").click()
    page.locator("#policy-versions li", has_text="Saved before").first.wait_for()

    topic = page.locator("#policy-fields details.topic").first
    topic.locator("summary").click()
    topic.locator("fieldset.pair", has_text="Title").get_by_label("German").fill("")
    page.click("#policy-form button[type=submit]")
    page.locator("#policy-error", has_text="'title' needs a text").wait_for()


def test_list_the_pages_where_the_company_publishes(page, workspace_url):
    def published_pages():
        page.click("#tab-policy")
        return page.get_by_label("Pages where the company publishes", exact=False)

    sign_in(page, workspace_url)
    assert published_pages().input_value() == "https://kessler-foerdertechnik.example/"
    listed = "https://kessler-foerdertechnik.example/\nhttps://jobs.example.org/kessler/"
    published_pages().fill(listed)
    page.click("#policy-form button[type=submit]")
    page.locator("#toast", has_text="employees see them now").wait_for()
    page.reload()
    assert published_pages().input_value() == listed  # saved on the server, read back

    published_pages().fill("kessler-foerdertechnik.example")
    page.click("#policy-form button[type=submit]")
    page.locator("#policy-error", has_text="must be an address").wait_for()


def test_shared_feedback_becomes_an_example(page, workspace_url):
    text = "Wir eröffnen bald ein zweites Werk in Tschechien, sagt man im Betriebsrat."
    post_json(f"{workspace_url}/v1/feedback", {"kind": "missed_risk", "topic": "strategy", "text": text})
    sign_in(page, workspace_url)
    page.click("#tab-feedback")
    entry = page.locator("#shared-list li", has_text="zweites Werk")
    entry.wait_for()
    assert entry.locator("select").input_value() == "strategy"
    entry.get_by_role("button", name="Add as example").click()
    entry.wait_for(state="detached")
    page.click("#tab-examples")
    page.fill("#search", "zweites Werk")
    row = page.locator("#examples-table tbody tr", has_text="zweites Werk")
    row.wait_for()
    assert row.locator("select").input_value() == "strategy"


def test_tabs_follow_the_arrow_keys(page, workspace_url):
    sign_in(page, workspace_url)
    page.focus("#tab-examples")
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.id") == "tab-policy"
    assert page.locator("#panel-policy").is_visible() and page.locator("#panel-examples").is_hidden()
    page.keyboard.press("End")
    assert page.locator("#panel-feedback").is_visible()
