"""Anonymous feedback from the extension in a real Chromium: "This is fine" on a warning and
"Report a missed risk" in the popup. By default only the topic and kind are counted; a text
arrives only when the box "share ... with the comms team" is ticked."""

from __future__ import annotations

import json

import pytest

from browser_harness import APPEAR_MS, TABOO_TEXT, WARNING, warn_on_linkedin

pytestmark = pytest.mark.e2e

CONFIRM = '[data-postguard="confirm"]'
THIS_IS_FINE = f'{WARNING} [data-postguard-action="this-is-fine"]'


def feedback_files(model_path):
    """The server's counts and shared texts (it keeps them beside the model)."""
    folder = model_path.parent

    def read(name, empty):
        path = folder / name
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else empty

    return read("feedback.json", {}), read("feedback-shared.json", [])


def count(counts, topic, kind):
    return sum(weeks.get(topic, {}).get(kind, 0) for weeks in counts.values())


def wait_for_count(page, model_path, topic, kind, expected):
    for _ in range(100):
        if count(feedback_files(model_path)[0], topic, kind) == expected:
            return
        page.wait_for_timeout(50)
    pytest.fail(f"the server did not count {kind} on {topic!r} to {expected}")


def test_this_is_fine_counts_the_topic_only_and_lets_the_post_go(browser, site_url, model_path):
    counts, shared = feedback_files(model_path)
    before = count(counts, "financials", "false_alarm")
    page = browser.page
    warn_on_linkedin(page, site_url)
    assert not page.is_checked(f"{WARNING} .postguard-share")

    page.click(THIS_IS_FINE)
    page.wait_for_selector(WARNING, state="detached", timeout=APPEAR_MS)
    wait_for_count(page, model_path, "financials", "false_alarm", before + 1)
    assert feedback_files(model_path)[1] == shared  # no text went anywhere

    page.click(".share-actions__primary-action")  # the person decided: no second question
    assert page.locator(CONFIRM).count() == 0
    assert page.evaluate("window.fixturePublished") == [{"kind": "post", "text": TABOO_TEXT}]


def test_this_is_fine_shares_the_sentence_only_when_ticked(browser, site_url, model_path):
    before = count(feedback_files(model_path)[0], "financials", "false_alarm")
    page = browser.page
    warn_on_linkedin(page, site_url)
    page.check(f"{WARNING} .postguard-share")
    page.click(THIS_IS_FINE)
    wait_for_count(page, model_path, "financials", "false_alarm", before + 1)
    entry = feedback_files(model_path)[1][-1]
    assert entry["text"] == TABOO_TEXT and entry["kind"] == "false_alarm" and entry["topic"] == "financials"
    assert set(entry) == {"id", "week", "kind", "topic", "text"}


def test_popup_reports_a_missed_risk_with_the_text_only_when_shared(browser, model_path):
    text = "Wir ziehen nächstes Jahr mit der Verwaltung nach Hamburg um."
    page = browser.page
    page.goto(f"chrome-extension://{browser.extension_id}/popup.html")
    page.click("#report-missed summary")
    page.locator("#report-missed-topic option[value=strategy]").wait_for(state="attached", timeout=APPEAR_MS)
    assert not page.is_checked("#report-missed-share")

    before = count(feedback_files(model_path)[0], "strategy", "missed_risk")
    page.select_option("#report-missed-topic", "strategy")
    page.fill("#report-missed-text", text)
    page.click("#report-missed-send")
    page.locator('#report-missed-status[data-postguard-status="sent"]').wait_for(timeout=APPEAR_MS)
    wait_for_count(page, model_path, "strategy", "missed_risk", before + 1)
    assert text not in json.dumps(feedback_files(model_path), ensure_ascii=False)

    page.select_option("#report-missed-topic", "strategy")
    page.fill("#report-missed-text", text)
    page.check("#report-missed-share")
    page.click("#report-missed-send")
    wait_for_count(page, model_path, "strategy", "missed_risk", before + 2)
    entry = feedback_files(model_path)[1][-1]
    assert entry["text"] == text and entry["kind"] == "missed_risk" and entry["topic"] == "strategy"
    # The form starts over, unticked and empty, once the popup has the server's answer (which
    # comes after the count is written, so wait for it rather than look at once).
    page.wait_for_function(
        "() => !document.querySelector('#report-missed-share').checked"
        " && !document.querySelector('#report-missed-text').value",
        timeout=APPEAR_MS,
    )
