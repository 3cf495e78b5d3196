"""The pairing token end to end: a server that requires it, the extension's options that take it."""

from __future__ import annotations

import pytest

import browser_harness as harness
from browser_harness import APPEAR_MS, OFFLINE, TABOO_TEXT, WARNING
from support import POLICY

pytestmark = pytest.mark.e2e

TOKEN = "pairing-token-for-the-browser-test-0123456789"


@pytest.fixture(scope="module")
def paired_server_url(model_path):
    """A checking server that answers only requests carrying its pairing token."""
    from postguard.app import create_app

    app = create_app({"MODEL_PATH": str(model_path), "POLICY_PATH": str(POLICY), "TOKEN": TOKEN,
                      "MODEL_RELOAD_SECONDS": -1})
    with harness.app_server(app) as url:
        yield url


def type_into_linkedin(page, site_url, text):
    page.goto(f"{site_url}/fixtures/linkedin/feed.html")
    page.click("#start-post")
    page.locator(".share-box .ql-editor").click()
    page.keyboard.type(text)


def test_without_the_token_the_panel_says_what_is_missing(browser, site_url, paired_server_url):
    browser.configure(serverUrl=paired_server_url)
    page = browser.page
    type_into_linkedin(page, site_url, TABOO_TEXT)
    notice = page.locator(f'{OFFLINE} .postguard-offline[data-postguard-reason="unpaired"]')
    notice.wait_for(state="visible", timeout=APPEAR_MS)
    assert page.locator(WARNING).count() == 0
    assert "pairing token" in notice.inner_text()

    page.goto(f"chrome-extension://{browser.extension_id}/popup.html")
    page.locator('#server-status[data-postguard-status="unpaired"]').wait_for(timeout=APPEAR_MS)


def test_the_token_entered_in_the_options_pairs_the_extension(browser, site_url, paired_server_url):
    browser.configure(serverUrl=paired_server_url)
    page = browser.page
    page.goto(f"chrome-extension://{browser.extension_id}/options.html")
    page.fill("#token", TOKEN)
    page.click("button[type=submit]")
    page.wait_for_function(
        "() => document.querySelector('#status')?.textContent.trim().length > 0"
    )
    assert browser.worker.evaluate("chrome.storage.local.get('token')")["token"] == TOKEN

    type_into_linkedin(page, site_url, TABOO_TEXT)
    page.wait_for_selector(WARNING, state="visible", timeout=APPEAR_MS)
    assert "financials" in page.locator(WARNING).first.get_attribute("data-postguard-topics")
