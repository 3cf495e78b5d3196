"""The guide's other tips in a real Chromium: the guidelines page (from the popup and from a
note), two minutes of practice with a weekly set, "Ask before posting" to the topic's contact,
the inside feed and launch notices in the popup."""

from __future__ import annotations

import datetime as dt
import json
import urllib.parse
import urllib.request

import pytest

import browser_harness as harness
from browser_harness import APPEAR_MS, LAUNCHED_LONG_AGO, LAUNCHED_YESTERDAY, TABOO_TEXT, warn_on_linkedin

pytestmark = pytest.mark.e2e



def get_json(url: str):
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)




def extension_page(browser, path: str):
    page = browser.page
    page.goto(f"chrome-extension://{browser.extension_id}/{path}")
    return page


def in_language(examples, language):
    matching = [example for example in examples if example["lang"] == language]
    return matching or examples


def mail_parts(href: str):
    """The address and the decoded subject and body of a mailto: link."""
    assert href.startswith("mailto:"), href
    address, _, query = href.removeprefix("mailto:").partition("?")
    fields = urllib.parse.parse_qs(query)
    return address, fields["subject"][0], fields.get("body", [""])[0]


# ---- guidelines ------------------------------------------------------------------------------


def test_popup_opens_guidelines_with_topics_examples_and_contacts(browser, server_url):
    guidelines = get_json(f"{server_url}/v1/guidelines")
    popup = extension_page(browser, "popup.html")
    with browser.context.expect_page() as opened:
        popup.click("#open-guidelines")
    page = opened.value
    page.locator("#guidelines").wait_for(state="visible", timeout=APPEAR_MS)
    assert page.url.endswith("/guidelines.html")

    assert page.locator("#dos li").all_inner_texts() == guidelines["dos"]["en"]
    assert page.locator("#donts li").all_inner_texts() == guidelines["donts"]["en"]
    assert page.locator(".postguard-topic").count() == len(guidelines["topics"])
    for topic in guidelines["topics"]:
        card = page.locator(f"#topic-{topic['id']}")
        assert card.locator(".postguard-topic-title").inner_text() == topic["title"]["en"]
        assert card.locator(".postguard-guideline").inner_text() == topic["guideline"]["en"]
        own = [example for example in guidelines["examples"] if example["topic"] == topic["id"]]
        for verdict, selector in (("fine", ".postguard-fine li"), ("better_not", ".postguard-better-not li")):
            expected = [example["text"] for example in in_language([e for e in own if e["verdict"] == verdict], "en")]
            assert expected and card.locator(selector).all_inner_texts() == expected
        address, subject, _ = mail_parts(card.locator("a.postguard-mail").get_attribute("href"))
        assert address == topic["contact"]["email"] and topic["title"]["en"] in subject
        assert card.locator("a.postguard-chat").get_attribute("href") == topic["contact"]["url"]
    assert "nobody gets into trouble" in page.locator("#mistakes").inner_text()
    assert guidelines["contact"]["name"] in page.locator("#general-contact-line").inner_text()

    page.click("#show-de")  # the same guidelines in German
    page.locator("h1", has_text="Unsere Social-Media-Leitlinien").wait_for()
    assert page.locator("#dos li").all_inner_texts() == guidelines["dos"]["de"]
    financials = page.locator("#topic-financials")
    assert financials.locator(".postguard-guideline").inner_text() == guidelines["topics"][0]["guideline"]["de"]
    german = [e["text"] for e in guidelines["examples"] if e["topic"] == "financials" and e["verdict"] == "better_not" and e["lang"] == "de"]
    assert financials.locator(".postguard-better-not li").all_inner_texts() == german


def test_a_note_opens_the_guidelines_and_the_practice_for_its_topic(browser, site_url):
    page = browser.page
    section = warn_on_linkedin(page, site_url)

    with browser.context.expect_page() as opened:
        section.locator(".postguard-open-guidelines").click()
    guidelines = opened.value
    guidelines.locator("#topic-financials.postguard-focus").wait_for(timeout=APPEAR_MS)
    assert guidelines.url.endswith("/guidelines.html?topic=financials")

    with browser.context.expect_page() as opened:
        section.locator(".postguard-open-practice").click()
    practice = opened.value
    practice.locator("#practice").wait_for(state="visible", timeout=APPEAR_MS)
    assert practice.url.endswith("/practice.html?topic=financials")
    assert "Financial figures" in practice.locator("#practice-intro").inner_text()
    assert practice.locator(".postguard-practice-item").count() == 5


# ---- practice --------------------------------------------------------------------------------


def test_practice_round_of_five_answers_at_once_and_stays_in_the_browser(browser, server_url):
    guidelines = get_json(f"{server_url}/v1/guidelines")
    examples = {example["id"]: example for example in guidelines["examples"]}
    topics = {topic["id"]: topic for topic in guidelines["topics"]}
    page = extension_page(browser, "practice.html")
    page.locator("#practice").wait_for(state="visible", timeout=APPEAR_MS)

    items = page.locator(".postguard-practice-item")
    assert items.count() == 5
    ids = [items.nth(n).get_attribute("data-postguard-item") for n in range(5)]
    chosen = [examples[item_id] for item_id in ids]
    assert {example["verdict"] for example in chosen} == {"fine", "better_not"}  # both kinds every week
    assert all(example["lang"] == "en" for example in chosen)  # the browser's language

    for n, example in enumerate(chosen):
        item = items.nth(n)
        assert item.locator(".postguard-practice-text").inner_text() == example["text"]
        # The first answer differs from the guidelines, the others agree.
        right = example["verdict"]
        answer = ("fine" if right == "better_not" else "better_not") if n == 0 else right
        item.locator(f'[data-postguard-answer="{answer}"]').click()
        feedback = item.locator(".postguard-feedback")
        assert feedback.get_attribute("data-postguard-result") == ("differ" if n == 0 else "agree")
        text = feedback.inner_text()
        topic = topics.get(example["topic"])
        if right == "better_not":
            assert topic["message"]["en"] in text and topic["guideline"]["en"] in text
        elif topic:
            assert topic["title"]["en"] in text and topic["guideline"]["en"] in text
        else:
            assert "shares nothing that we keep internal" in text
        assert item.locator("[data-postguard-answer]:disabled").count() == 2
        assert page.locator("#practice-progress").inner_text() == f"{n + 1} of 5 done"
    page.locator("#practice-done").wait_for(state="visible")

    stored = browser.worker.evaluate("chrome.storage.local.get('practice').then(s => s.practice)")
    assert stored["set"] == ids and set(stored["answers"]) == set(ids)
    assert stored["week"] == page.evaluate("PostguardPractice.isoWeek(new Date())")

    page.reload()  # answers stay in this browser
    page.locator("#practice-done").wait_for(state="visible", timeout=APPEAR_MS)
    assert page.locator(".postguard-feedback").count() == 5

    popup = extension_page(browser, "popup.html")
    popup.locator("#practice-progress", has_text="Done for this week").wait_for(timeout=APPEAR_MS)

    page = extension_page(browser, "practice.html")
    page.click("#practice-again")
    assert page.locator(".postguard-feedback").count() == 0
    assert page.locator("#practice-progress").inner_text() == "0 of 5 done"


def practice_set(browser, day: dt.datetime) -> list[str]:
    """The ids of the practice set a person sees on `day` (the browser's clock set to it)."""
    if getattr(browser, "clock_installed", False):
        browser.context.clock.set_system_time(day)
    else:
        browser.context.clock.install(time=day)
        browser.clock_installed = True
    page = extension_page(browser, "practice.html")
    page.locator("#practice").wait_for(state="visible", timeout=APPEAR_MS)
    items = page.locator(".postguard-practice-item")
    return [items.nth(n).get_attribute("data-postguard-item") for n in range(items.count())]


def test_practice_offers_a_new_set_each_week(browser):
    monday = dt.datetime(2027, 2, 1, 9, 0, tzinfo=dt.timezone.utc)
    first = practice_set(browser, monday)
    browser.page.locator('.postguard-practice-item [data-postguard-answer="fine"]').first.click()
    assert practice_set(browser, monday + dt.timedelta(days=4)) == first  # the same all week, answers kept
    assert browser.page.locator(".postguard-feedback").count() == 1

    next_week = practice_set(browser, monday + dt.timedelta(days=7))
    assert len(next_week) == 5 and next_week != first
    assert browser.page.locator(".postguard-feedback").count() == 0  # last week's answers are dropped
    stored = browser.worker.evaluate("chrome.storage.local.get('practice').then(s => s.practice)")
    assert stored["week"] == "2027-W06" and stored["answers"] == {}


# ---- ask before posting ----------------------------------------------------------------------


def test_ask_before_posting_writes_to_the_topics_contact_with_the_draft_only_when_ticked(browser, site_url, server_url):
    policy = get_json(f"{server_url}/v1/policy")
    contact = next(topic["contact"] for topic in policy["topics"] if topic["id"] == "financials")
    assert contact["email"] != policy["contact"]["email"]  # the topic's own contact, not the general one
    page = browser.page
    section = warn_on_linkedin(page, site_url)
    ask = section.locator("a.postguard-ask")
    assert ask.inner_text() == "Ask before posting"

    title = section.locator(".postguard-title").inner_text()  # in the post's language
    address, subject, body = mail_parts(ask.get_attribute("href"))
    assert address == contact["email"]
    assert subject == f"Question before posting: {title}"
    assert contact["name"] in body and title in body
    assert TABOO_TEXT not in body and "48 Millionen" not in body

    include = section.locator("input.postguard-include-draft")
    assert not include.is_checked()
    include.check()
    _, _, body = mail_parts(ask.get_attribute("href"))
    assert body.endswith(f"My draft:\n\n{TABOO_TEXT}")

    include.uncheck()
    _, _, body = mail_parts(ask.get_attribute("href"))
    assert TABOO_TEXT not in body
    assert section.locator("a.postguard-chat").get_attribute("href") == contact["url"]


# ---- popup: the inside feed and launches -----------------------------------------------------


def test_popup_shows_what_is_said_about_us(browser, guidance_server_url):
    feed = get_json(f"{guidance_server_url}/v1/feed")
    assert feed["items"] and [note["feed"] for note in feed["notes"]] == ["Kaputt"]
    browser.configure(serverUrl=guidance_server_url)
    popup = extension_page(browser, "popup.html")
    popup.locator("#inside-feed").wait_for(state="visible", timeout=APPEAR_MS)

    entries = popup.locator(".postguard-feed-item")
    shown = feed["items"][:6]
    assert entries.count() == len(shown)
    for n, item in enumerate(shown):
        link = entries.nth(n).locator("a")
        assert link.inner_text() == item["title"] and link.get_attribute("href") == item["link"]
        assert entries.nth(n).get_attribute("data-postguard-official") == str(item["official"]).lower()
    official = popup.locator('.postguard-feed-item[data-postguard-official="true"]')
    assert official.count() == 2 and "Worth sharing" in official.first.inner_text()
    assert "Pressemitteilungen" in official.first.inner_text()
    assert popup.locator("#feed-note").is_visible()  # the broken feed: a quiet note, no error


def test_popup_without_feeds_shows_no_feed_section(browser):
    popup = extension_page(browser, "popup.html")
    popup.locator('#server-status[data-postguard-status="online"]').wait_for(timeout=APPEAR_MS)
    popup.locator("#policy-lists").wait_for(state="visible")
    assert not popup.locator("#inside-feed").is_visible()
    assert not popup.locator("#launches").is_visible()


def test_popup_announces_a_launch_for_two_weeks(browser, guidance_server_url):
    browser.configure(serverUrl=guidance_server_url)
    popup = extension_page(browser, "popup.html")
    popup.locator("#launches").wait_for(state="visible", timeout=APPEAR_MS)
    assert popup.locator("#launch-list li").all_inner_texts() == [
        f"{LAUNCHED_YESTERDAY} has launched: you can post about it now."
    ]  # the one launched a month ago is no news any more

    browser.configure(language="de")
    popup.reload()
    popup.locator("#launches").wait_for(state="visible", timeout=APPEAR_MS)
    assert popup.locator("#launch-list li").all_inner_texts() == [
        f"{LAUNCHED_YESTERDAY} ist gestartet: Du kannst jetzt darüber posten."
    ]


def test_guidelines_list_every_launch_and_the_check_lets_it_through(browser, guidance_server_url, site_url):
    browser.configure(serverUrl=guidance_server_url)
    page = extension_page(browser, "guidelines.html")
    page.locator("#launches").wait_for(state="visible", timeout=APPEAR_MS)
    launches = page.locator("#launch-list li").all_inner_texts()
    assert [line.split(" — ")[0] for line in launches] == [LAUNCHED_YESTERDAY, LAUNCHED_LONG_AGO]

    check = urllib.request.Request(
        f"{guidance_server_url}/v1/check", data=json.dumps({"text": f"Unser {LAUNCHED_YESTERDAY} ist endlich da!"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(check, timeout=5) as response:
        findings = json.load(response)["findings"]
    assert not [finding for finding in findings if finding["source"] == "listed"]


def test_guidelines_and_practice_say_when_the_service_is_away(browser):
    browser.configure(serverUrl=f"http://127.0.0.1:{harness.free_port()}")
    for path, note in (("guidelines.html", "#guidelines-unavailable"), ("practice.html", "#practice-unavailable")):
        page = extension_page(browser, path)
        page.locator(note).wait_for(state="visible", timeout=APPEAR_MS)
        assert "once the checking service is reachable" in page.locator(note).inner_text()
