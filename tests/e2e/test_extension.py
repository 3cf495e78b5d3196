"""The extension in a real Chromium, on pages with the real Quill 2 and Lexical editors in
LinkedIn's and Facebook's markup, against the real checking server.

What the tests rely on is the extension's observable contract (architecture.md): hosts
with data-postguard="warning" (and data-postguard-topics), "offline" and "confirm".
"""

from __future__ import annotations

import json
import time
import urllib.request

import pytest

import browser_harness as harness
from browser_harness import APPEAR_MS, HARMLESS_TEXT, OFFLINE, TABOO_TEXT, WARNING
from support import wait_until

pytestmark = pytest.mark.e2e

CONFIRM = '[data-postguard="confirm"]'
POST_ANYWAY = f'{CONFIRM} [data-postguard-action="post-anyway"]'
EDIT = f'{CONFIRM} [data-postguard-action="edit"]'

# Long enough for the debounce, the round trip and drawing, with room for a slow CI machine.
SETTLED_MS = harness.DEBOUNCE_MS + 1200




def open_linkedin_composer(page, site_url):
    """LinkedIn's feed; "Start a post" inserts the share box with its Quill editor."""
    page.goto(f"{site_url}/fixtures/linkedin/feed.html")
    page.click("#start-post")
    editor = page.locator(".share-box .ql-editor")
    editor.click()
    return editor


def open_facebook_composer(page, site_url):
    """Facebook's feed; the composer dialog with its Lexical editor opens on click."""
    page.goto(f"{site_url}/fixtures/facebook/index.html")
    page.click("#open-composer")
    editor = page.locator("[role=dialog] [data-lexical-editor]")
    editor.click()
    return editor


def published(page):
    return page.evaluate("window.fixturePublished")


def topics(page):
    return page.locator(WARNING).first.get_attribute("data-postguard-topics").split(",")


def quotes(page):
    return [text.strip("“”„\"") for text in page.locator(f"{WARNING} .postguard-quote").all_inner_texts()]


def assert_left_alone(page):
    """Once the check has had time to answer, neither a warning nor an offline notice is shown."""
    page.wait_for_timeout(SETTLED_MS)
    assert page.locator(f"{WARNING}, {OFFLINE}").count() == 0


def assert_posts_without_asking(page, text):
    """The LinkedIn Post button publishes straight away, with no confirm dialog."""
    page.click(".share-actions__primary-action")
    assert page.locator(CONFIRM).count() == 0
    assert published(page) == [{"kind": "post", "text": text}]


def test_taboo_post_warns_with_topic_quote_guideline_and_contact(browser, site_url):
    page = browser.page
    editor = open_linkedin_composer(page, site_url)
    page.keyboard.type(TABOO_TEXT)

    page.wait_for_selector(WARNING, state="visible", timeout=APPEAR_MS)
    assert "financials" in topics(page)
    assert TABOO_TEXT in quotes(page)
    section = page.locator(f'{WARNING} .postguard-finding[data-postguard-topic="financials"]')
    assert section.locator(".postguard-title").inner_text().strip()
    assert section.locator(".postguard-guideline").inner_text().strip()
    assert section.locator(".postguard-alternative").inner_text().strip()
    assert section.locator("a.postguard-mail").get_attribute("href").startswith("mailto:")

    evidence = section.locator(".postguard-evidence")
    assert not evidence.is_visible()
    section.locator(".postguard-why").click()
    assert evidence.is_visible()
    assert evidence.inner_text().strip()

    wait_until(lambda: browser.badge_text() == "1")
    # The editor itself is never touched.
    assert "postguard" not in editor.evaluate("node => node.innerHTML")
    assert editor.inner_text().strip() == TABOO_TEXT


def test_lexical_composer_warns_although_it_fires_no_input_events(browser, site_url):
    page = browser.page
    open_facebook_composer(page, site_url)
    page.keyboard.type(TABOO_TEXT)

    page.wait_for_selector(WARNING, state="visible", timeout=APPEAR_MS)
    assert "financials" in topics(page)
    assert TABOO_TEXT in quotes(page)


def test_harmless_post_shows_nothing_and_goes_out_directly(browser, site_url):
    page = browser.page
    open_linkedin_composer(page, site_url)
    page.keyboard.type(HARMLESS_TEXT)
    assert_left_alone(page)

    assert_posts_without_asking(page, HARMLESS_TEXT)
    assert browser.badge_text() == ""


def test_warning_follows_the_text_as_it_changes(browser, site_url):
    page = browser.page
    open_linkedin_composer(page, site_url)
    page.keyboard.type(HARMLESS_TEXT)
    page.wait_for_timeout(SETTLED_MS)
    assert page.locator(WARNING).count() == 0

    page.keyboard.type(" " + TABOO_TEXT)
    page.wait_for_selector(WARNING, state="visible", timeout=APPEAR_MS)

    page.keyboard.press("Control+A")
    page.keyboard.press("Backspace")
    page.keyboard.type(HARMLESS_TEXT)
    page.wait_for_selector(WARNING, state="detached", timeout=APPEAR_MS)
    wait_until(lambda: browser.badge_text() == "")


def test_post_button_is_gated_until_post_anyway(browser, site_url):
    page = browser.page
    editor = open_linkedin_composer(page, site_url)
    page.keyboard.type(TABOO_TEXT)
    page.wait_for_selector(WARNING, state="visible", timeout=APPEAR_MS)

    page.click(".share-actions__primary-action")
    page.wait_for_selector(CONFIRM, state="visible")
    assert published(page) == []

    page.click(EDIT)
    assert page.locator(CONFIRM).count() == 0
    assert published(page) == []
    assert editor.inner_text().strip() == TABOO_TEXT
    assert editor.evaluate("node => node.contains(document.activeElement)")

    page.click(".share-actions__primary-action")
    page.click(POST_ANYWAY)
    wait_until(lambda: published(page))
    assert published(page) == [{"kind": "post", "text": TABOO_TEXT}]
    assert page.locator(CONFIRM).count() == 0


def test_facebook_post_control_div_is_gated_until_post_anyway(browser, site_url):
    page = browser.page
    open_facebook_composer(page, site_url)
    page.keyboard.type(TABOO_TEXT)
    page.wait_for_selector(WARNING, state="visible", timeout=APPEAR_MS)

    page.click("[role=dialog] [role=button][aria-label=Post]")
    page.wait_for_selector(CONFIRM, state="visible")
    assert published(page) == []

    page.click(POST_ANYWAY)
    wait_until(lambda: published(page))
    assert published(page) == [{"kind": "post", "text": TABOO_TEXT}]


@pytest.mark.parametrize(
    ("path", "editor_selector", "kind"),
    [
        ("/fixtures/facebook/index.html", "#comment-editor", "comment"),
        ("/fixtures/linkedin/feed.html", ".msg-form__contenteditable", "message"),
    ],
    ids=["facebook-comment", "linkedin-message"],
)
def test_enter_is_gated_where_the_site_posts_on_enter(browser, site_url, path, editor_selector, kind):
    page = browser.page
    page.goto(f"{site_url}{path}")
    editor = page.locator(editor_selector)
    editor.click()
    page.keyboard.type(TABOO_TEXT)
    page.wait_for_selector(WARNING, state="visible", timeout=APPEAR_MS)

    page.keyboard.press("Enter")
    page.wait_for_selector(CONFIRM, state="visible")
    assert published(page) == []
    assert editor.inner_text().strip() == TABOO_TEXT  # no line break slipped in

    page.keyboard.press("Escape")  # same as "Edit"
    assert page.locator(CONFIRM).count() == 0
    page.keyboard.press("Enter")
    page.click(POST_ANYWAY)
    wait_until(lambda: published(page))
    assert published(page) == [{"kind": kind, "text": TABOO_TEXT}]


def test_shift_enter_is_a_line_break_not_a_post(browser, site_url):
    page = browser.page
    page.goto(f"{site_url}/fixtures/facebook/index.html")
    page.click("#comment-editor")
    page.keyboard.type(TABOO_TEXT)
    page.wait_for_selector(WARNING, state="visible", timeout=APPEAR_MS)
    page.keyboard.press("Shift+Enter")
    assert page.locator(CONFIRM).count() == 0
    assert published(page) == []


def test_post_right_after_typing_waits_for_the_check(browser, site_url):
    page = browser.page
    open_linkedin_composer(page, site_url)
    page.keyboard.type(TABOO_TEXT)
    page.click(".share-actions__primary-action")  # before the pause in typing is over

    page.wait_for_selector(CONFIRM, state="visible", timeout=APPEAR_MS)
    assert published(page) == []


def test_post_right_after_rewriting_uses_the_new_text(browser, site_url):
    page = browser.page
    open_linkedin_composer(page, site_url)
    page.keyboard.type(TABOO_TEXT)
    page.wait_for_selector(WARNING, state="visible", timeout=APPEAR_MS)

    page.keyboard.press("Control+A")
    page.keyboard.type(HARMLESS_TEXT)
    page.click(".share-actions__primary-action")  # the old findings no longer apply

    wait_until(lambda: published(page))
    assert published(page) == [{"kind": "post", "text": HARMLESS_TEXT}]
    assert page.locator(CONFIRM).count() == 0


def test_server_down_shows_offline_notice_and_posting_works(browser, site_url):
    browser.configure(serverUrl=f"http://127.0.0.1:{harness.free_port()}")
    page = browser.page
    open_linkedin_composer(page, site_url)
    page.keyboard.type(TABOO_TEXT)

    page.wait_for_selector(OFFLINE, state="visible", timeout=APPEAR_MS)
    assert page.locator(WARNING).count() == 0

    assert_posts_without_asking(page, TABOO_TEXT)


def test_editor_inserted_after_single_page_navigation(browser, site_url):
    page = browser.page
    page.goto(f"{site_url}/fixtures/facebook/index.html")
    page.click("#nav-groups")
    editor = page.wait_for_selector("#group-comment-editor")
    assert page.url.endswith("/groups/feed/")
    editor.click()
    page.keyboard.type(TABOO_TEXT)

    page.wait_for_selector(WARNING, state="visible", timeout=APPEAR_MS)
    assert "financials" in topics(page)


def test_long_post_finds_the_sentence_in_the_middle(browser, site_url):
    harmless = [
        HARMLESS_TEXT,
        "Danke an das Orga-Team für die tolle Musik und das leckere Essen.",
        "Thanks to everyone who joined our charity run on Saturday! 🏃",
        "Wir freuen uns über drei neue Auszubildende in der Werkstatt.",
        "Das Wetter hat gehalten, und die Kinder hatten Spaß auf der Hüpfburg.",
    ]
    before = " ".join(harmless * 4)
    after = " ".join(reversed(harmless * 3))
    text = f"{before}\n\n{TABOO_TEXT}\n\n{after}"
    assert len(text) > 2000

    page = browser.page
    open_linkedin_composer(page, site_url)
    page.keyboard.insert_text(text[:-1])
    page.keyboard.type(text[-1])

    page.wait_for_selector(WARNING, state="visible", timeout=APPEAR_MS)
    assert "financials" in topics(page)
    assert TABOO_TEXT in quotes(page)  # offsets in UTF-16 units line up despite the emoji before it


def test_panel_never_covers_the_post_control(browser, site_url):
    page = browser.page
    open_linkedin_composer(page, site_url)
    page.keyboard.type(TABOO_TEXT)
    page.wait_for_selector(WARNING, state="visible", timeout=APPEAR_MS)

    panel = page.locator(WARNING).bounding_box()
    button = page.locator(".share-actions__primary-action").bounding_box()
    apart = (
        panel["x"] + panel["width"] <= button["x"]
        or button["x"] + button["width"] <= panel["x"]
        or panel["y"] + panel["height"] <= button["y"]
        or button["y"] + button["height"] <= panel["y"]
    )
    assert apart, (panel, button)
    hit = page.evaluate(
        """() => {
            const button = document.querySelector(".share-actions__primary-action");
            const box = button.getBoundingClientRect();
            return button.contains(document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2));
        }"""
    )
    assert hit


def test_pause_for_one_hour_lets_everything_through(browser, site_url):
    browser.configure(pausedUntil=int(time.time() * 1000) + 3_600_000)
    page = browser.page
    open_linkedin_composer(page, site_url)
    page.keyboard.type(TABOO_TEXT)
    assert_left_alone(page)

    assert_posts_without_asking(page, TABOO_TEXT)


def test_site_switched_off_is_left_alone(browser, site_url):
    browser.configure(sites={"linkedin": True, "facebook": False})
    page = browser.page
    open_facebook_composer(page, site_url)
    page.keyboard.type(TABOO_TEXT)
    assert_left_alone(page)


def test_german_browser_gets_german_notes(playwright_api, extension_dir, tmp_path, server_url, site_url):
    browser = harness.Browser(playwright_api, extension_dir, tmp_path / "profile", locale="de-DE")
    try:
        browser.configure(serverUrl=server_url)
        page = browser.page
        open_linkedin_composer(page, site_url)
        page.keyboard.type(TABOO_TEXT)
        page.wait_for_selector(WARNING, state="visible", timeout=APPEAR_MS)
        assert "Kurzer Hinweis" in page.locator(f"{WARNING} .postguard-heading").inner_text()

        page.click(".share-actions__primary-action")
        assert page.locator(POST_ANYWAY).inner_text().strip() == "Trotzdem posten"
    finally:
        browser.close()


def test_language_setting_overrides_the_browser(browser, site_url):
    browser.configure(language="de")
    page = browser.page
    open_linkedin_composer(page, site_url)
    page.keyboard.type(TABOO_TEXT)
    page.wait_for_selector(WARNING, state="visible", timeout=APPEAR_MS)
    assert "Kurzer Hinweis" in page.locator(f"{WARNING} .postguard-heading").inner_text()


def _get_json(url):
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


def test_popup_shows_status_policy_and_pauses(browser, server_url):
    health = _get_json(f"{server_url}/v1/health")
    policy = _get_json(f"{server_url}/v1/policy")
    page = browser.page
    page.goto(f"chrome-extension://{browser.extension_id}/popup.html")

    status = page.locator('#server-status[data-postguard-status="online"]')
    status.wait_for(timeout=APPEAR_MS)
    assert str(health["model"]["version"]) in status.inner_text()
    page.locator("#policy-lists").wait_for(state="visible")
    assert page.locator("#dos li").all_inner_texts() == policy["dos"]["en"]
    assert page.locator("#donts li").all_inner_texts() == policy["donts"]["en"]
    if policy["contact"].get("email"):
        assert page.locator("#contact a[href^='mailto:']").inner_text() == policy["contact"]["email"]

    page.click("#pause")
    paused_until = wait_until(lambda: browser.worker.evaluate("chrome.storage.local.get('pausedUntil').then(s => s.pausedUntil)"))
    assert paused_until > time.time() * 1000 + 3_500_000
    page.locator("#resume").wait_for(state="visible")


def test_popup_says_when_the_server_is_down(browser):
    browser.configure(serverUrl=f"http://127.0.0.1:{harness.free_port()}")
    page = browser.page
    page.goto(f"chrome-extension://{browser.extension_id}/popup.html")
    page.locator('#server-status[data-postguard-status="offline"]').wait_for(timeout=APPEAR_MS)
    assert page.locator("#policy-unavailable").is_visible()


def test_options_page_saves_sites_and_language(browser, server_url):
    page = browser.page
    page.goto(f"chrome-extension://{browser.extension_id}/options.html")
    assert page.input_value("#server-url") == server_url
    page.uncheck("#site-facebook")
    page.select_option("#language", "de")
    page.click("button[type=submit]")
    page.locator("#status", has_text="Gespeichert").wait_for()
    stored = browser.worker.evaluate("chrome.storage.local.get(null)")
    assert stored["sites"] == {"linkedin": True, "facebook": False}
    assert stored["language"] == "de"
    assert stored["serverUrl"] == server_url
