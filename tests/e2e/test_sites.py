"""The site table (extension/sites.js) against saved LinkedIn and Facebook markup.

Runs sites.js in a plain Chromium page (no extension): each row names a saved snippet,
the editor in it, and what the table must say about that editor.
"""

from __future__ import annotations

import pytest

import browser_harness as harness

pytestmark = pytest.mark.e2e

SAVED = harness.E2E_DIR / "fixtures" / "saved"


@pytest.fixture(scope="module")
def blank_page(playwright_api):
    """A plain Chromium page without the extension."""
    browser = playwright_api.chromium.launch(headless=True, executable_path=str(harness.CHROMIUM), args=harness.CHROMIUM_ARGS)
    page = browser.new_page()
    yield page
    browser.close()


def load(page, snippet: str) -> None:
    page.set_content((SAVED / snippet).read_text(encoding="utf-8"))
    page.add_script_tag(path=str(harness.EXTENSION_DIR / "sites.js"))


def describe(page, editor_selector: str, hostname: str) -> dict:
    """What the table says about the editor: site, kind, its post controls' texts or labels."""
    return page.evaluate(
        """([selector, hostname]) => {
            const editor = document.querySelector(selector);
            const label = PostguardSites.labelEditor(editor, hostname);
            const controls = PostguardSites.findPostControls(label);
            return {
                site: label.site,
                kind: label.kind,
                controls: controls.map((c) => c.getAttribute("aria-label") || c.textContent.trim()),
                submitKeys: label.rule.submitKeys,
            };
        }""",
        [editor_selector, hostname],
    )


@pytest.mark.parametrize(
    ("snippet", "editor", "hostname", "site", "kind", "controls", "submit_keys"),
    [
        ("linkedin_share_box.html", ".ql-editor[role=textbox]", "www.linkedin.com", "linkedin", "post", ["Post"], []),
        ("linkedin_comment_quill.html", ".ql-editor", "www.linkedin.com", "linkedin", "comment", ["Comment"], []),
        ("linkedin_comment_2026.html", ".ProseMirror", "www.linkedin.com", "linkedin", "comment", ["Comment"], []),
        ("linkedin_messaging.html", ".msg-form__contenteditable", "www.linkedin.com", "linkedin", "message", ["Send"], ["Enter"]),
        ("facebook_composer.html", "[data-lexical-editor]", "www.facebook.com", "facebook", "post", ["Post"], []),
        ("facebook_composer_de.html", "[data-lexical-editor]", "www.facebook.com", "facebook", "post", ["Posten"], []),
        ("facebook_comment.html", "[data-lexical-editor]", "www.facebook.com", "facebook", "comment", ["Comment"], ["Enter"]),
        ("facebook_messenger.html", "[data-lexical-editor]", "www.facebook.com", "facebook", "message", ["Press Enter to send"], ["Enter"]),
    ],
)
def test_site_table_labels_saved_markup(blank_page, snippet, editor, hostname, site, kind, controls, submit_keys):
    load(blank_page, snippet)
    assert describe(blank_page, editor, hostname) == {
        "site": site,
        "kind": kind,
        "controls": controls,
        "submitKeys": submit_keys,
    }


@pytest.mark.parametrize(
    ("snippet", "editor", "site", "kind"),
    [
        ("linkedin_share_box.html", ".ql-editor[role=textbox]", "linkedin", "post"),
        ("linkedin_messaging.html", ".msg-form__contenteditable", "linkedin", "message"),
        ("facebook_composer.html", "[data-lexical-editor]", "facebook", "post"),
        ("facebook_comment.html", "[data-lexical-editor]", "facebook", "comment"),
    ],
)
def test_unknown_host_is_recognised_by_markup(blank_page, snippet, editor, site, kind):
    load(blank_page, snippet)
    described = describe(blank_page, editor, "127.0.0.1")
    assert (described["site"], described["kind"]) == (site, kind)


@pytest.mark.parametrize(
    ("hostname", "site"),
    [
        ("www.linkedin.com", "linkedin"),
        ("linkedin.com", "linkedin"),
        ("de.linkedin.com", "linkedin"),
        ("www.facebook.com", "facebook"),
        ("notlinkedin.com", None),
        ("linkedin.com.example", None),
    ],
)
def test_site_for_host(blank_page, hostname, site):
    blank_page.set_content("<p>empty</p>")
    blank_page.add_script_tag(path=str(harness.EXTENSION_DIR / "sites.js"))
    assert blank_page.evaluate("h => PostguardSites.siteForHost(h)?.id ?? null", hostname) == site


def test_click_inside_post_control_resolves_to_the_control(blank_page):
    load(blank_page, "facebook_composer.html")
    result = blank_page.evaluate(
        """() => {
            const label = PostguardSites.labelEditor(document.querySelector("[data-lexical-editor]"), "www.facebook.com");
            const inner = document.querySelector("[aria-label=Post] span");
            const other = document.querySelector("[aria-label='Tag people'] img");
            return {
                inner: PostguardSites.postControlFor(label, inner)?.getAttribute("aria-label") ?? null,
                other: PostguardSites.postControlFor(label, other),
            };
        }"""
    )
    assert result == {"inner": "Post", "other": None}


def test_post_control_outside_the_editors_container_is_not_its_own(blank_page):
    blank_page.set_content(
        (SAVED / "linkedin_share_box.html").read_text(encoding="utf-8")
        + (SAVED / "linkedin_comment_quill.html").read_text(encoding="utf-8")
    )
    blank_page.add_script_tag(path=str(harness.EXTENSION_DIR / "sites.js"))
    result = blank_page.evaluate(
        """() => {
            const share = PostguardSites.labelEditor(document.querySelector(".share-box .ql-editor"), "www.linkedin.com");
            const comment = document.querySelector(".comments-comment-box__submit-button");
            return PostguardSites.postControlFor(share, comment);
        }"""
    )
    assert result is None


@pytest.mark.parametrize(
    ("keys", "posts"),
    [
        ({"key": "Enter"}, True),
        ({"key": "Enter", "shiftKey": True}, False),
        ({"key": "Enter", "ctrlKey": True}, False),
        ({"key": "a"}, False),
    ],
)
def test_enter_posts_only_plain_enter_on_facebook_comments(blank_page, keys, posts):
    load(blank_page, "facebook_comment.html")
    result = blank_page.evaluate(
        """(init) => {
            const label = PostguardSites.labelEditor(document.querySelector("[data-lexical-editor]"), "www.facebook.com");
            return PostguardSites.isSubmitKey(label, new KeyboardEvent("keydown", init));
        }""",
        keys,
    )
    assert result is posts
