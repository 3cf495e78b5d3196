"""The extension under enterprise policy: IT's managed settings, locked settings and the token.

The policy test gives Chromium a real machine policy (/etc/chromium/policies/managed, in a
private mount namespace) with a "3rdparty" section for the extension, exactly as IT deploys
it; the merge table runs the extension's own settings code in the browser.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import threading

import pytest

import browser_harness as harness
from browser_harness import TABOO_TEXT
from support import wait_until

pytestmark = pytest.mark.e2e

MODEL = {"version": "stand-in", "trained_at": "2026-01-01T00:00:00Z"}


class RecordingServer:
    """A stand-in checking server that records each request's path and token, never its text."""

    def __init__(self):
        self.requests: list[tuple[str, str, str | None]] = []
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.answer({"status": "ok", "model": MODEL})

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.answer({"verdict": "ok", "findings": [], "lang": "en", "model": MODEL})

            def answer(self, body):
                recorder.requests.append((self.command, self.path, self.headers.get("X-Postguard-Token")))
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format, *args):  # noqa: A002 - the base class's name
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def tokens(self, path: str) -> list[str | None]:
        return [token for _, request_path, token in self.requests if request_path == path]


@pytest.fixture
def recorder():
    server = RecordingServer()
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()
    thread.join()


@contextlib.contextmanager
def launched(playwright_api, extension_dir, profile, **options):
    browser = harness.Browser(playwright_api, extension_dir, profile, **options)
    try:
        yield browser
    finally:
        browser.close()




DEFAULT_URL = "http://127.0.0.1:7678"
IT_URL = "http://127.0.0.1:7700"
OWN_URL = "http://localhost:7678"

MERGE_CASES = [
    # (IT's managed values, the person's own, expected effective values)
    ({}, {}, {"serverUrl": DEFAULT_URL, "token": "", "locked": [], "feedbackUrl": DEFAULT_URL}),
    ({"feedbackUrl": "https://comms.example/", "feedbackToken": "t"}, {"token": "own"},
     {"feedbackUrl": "https://comms.example", "feedbackToken": "t", "token": "own"}),
    ({"feedbackUrl": "not a url"}, {"serverUrl": OWN_URL, "token": "own"},
     {"feedbackUrl": OWN_URL, "feedbackToken": "own"}),
    ({"feedbackUrl": "http://comms.example"}, {}, {"feedbackUrl": DEFAULT_URL}),
    ({"serverUrl": IT_URL}, {}, {"serverUrl": IT_URL, "locked": []}),
    ({"serverUrl": IT_URL}, {"serverUrl": OWN_URL}, {"serverUrl": OWN_URL}),
    ({"serverUrl": IT_URL, "lockedSettings": ["serverUrl"]}, {"serverUrl": OWN_URL},
     {"serverUrl": IT_URL, "locked": ["serverUrl"]}),
    ({"lockedSettings": ["sites"]}, {"sites": {"linkedin": True, "facebook": False}},
     {"sites": {"linkedin": True, "facebook": True}, "locked": ["sites"]}),
    ({"sites": {"facebook": False}}, {}, {"sites": {"linkedin": True, "facebook": False}}),
    ({"sites": {"facebook": False}}, {"sites": {"linkedin": True, "facebook": True}},
     {"sites": {"linkedin": True, "facebook": True}}),
    ({"token": "from-it"}, {"token": "own"}, {"token": "from-it", "locked": ["token"]}),
    ({}, {"token": " own "}, {"token": "own", "locked": []}),
    ({"language": "de", "lockedSettings": ["language", "pausedUntil"]}, {"language": "en"},
     {"language": "de", "locked": ["language"]}),
    ({"serverUrl": "ftp://example", "lockedSettings": "serverUrl", "pausedUntil": 9e12}, {},
     {"serverUrl": DEFAULT_URL, "locked": [], "pausedUntil": 0}),
]


def test_settings_merge_defaults_policy_and_the_persons_own(playwright_api, extension_dir, tmp_path):
    with launched(playwright_api, extension_dir, tmp_path / "profile") as browser:
        page = browser.page
        page.goto(f"chrome-extension://{browser.extension_id}/options.html")
        for managed, local, expected in MERGE_CASES:
            merged = page.evaluate("([managed, local]) => PostguardSettings.merge(managed, local)", [managed, local])
            assert {key: merged[key] for key in expected} == expected, (managed, local)


def test_the_persons_own_token_is_sent_and_none_without_one(playwright_api, extension_dir, tmp_path, recorder):
    with launched(playwright_api, extension_dir, tmp_path / "profile") as browser:
        browser.configure(serverUrl=recorder.url)
        page = browser.page
        page.goto(f"chrome-extension://{browser.extension_id}/options.html")
        health = "() => chrome.runtime.sendMessage({type: 'health'})"
        assert page.evaluate(health)["ok"]
        page.fill("#token", "own-token")
        page.click("button[type=submit]")
        wait_until(lambda: browser.worker.evaluate("chrome.storage.local.get('token')").get("token") == "own-token", timeout=8.0)
        assert page.evaluate(health)["ok"]
        assert recorder.tokens("/v1/health") == [None, "own-token"]


def test_it_policy_presets_locks_and_pairs(playwright_api, extension_dir, tmp_path, recorder, site_url):
    problem = harness.policy_problem()
    if problem:
        pytest.skip(f"cannot give Chromium a machine policy here: {problem}")
    comms = RecordingServer()  # the comms team's server, where feedback goes
    threading.Thread(target=comms.server.serve_forever, daemon=True).start()
    policy = {"3rdparty": {"extensions": {harness.extension_id(extension_dir): {
        "serverUrl": recorder.url,
        "token": "from-it",
        "feedbackUrl": comms.url,
        "feedbackToken": "comms-token",
        "sites": {"facebook": False},
        "lockedSettings": ["serverUrl"],
    }}}}
    launcher = harness.chromium_with_policy(tmp_path, policy)
    with launched(playwright_api, extension_dir, tmp_path / "profile", executable=launcher) as browser:
        # what the person set earlier is overruled where IT locked it
        browser.configure(serverUrl=f"http://127.0.0.1:{harness.free_port()}", token="own")
        settings = browser.worker.evaluate("PostguardSettings.load()")
        assert settings["serverUrl"] == recorder.url and settings["token"] == "from-it"
        assert settings["sites"] == {"linkedin": True, "facebook": False}
        assert sorted(settings["locked"]) == ["serverUrl", "token"]

        page = browser.page
        page.goto(f"chrome-extension://{browser.extension_id}/options.html")
        page.locator("#managed-note").wait_for(state="visible")
        assert page.locator("#server-url").is_disabled() and page.locator("#token").is_disabled()
        assert page.locator("#server-url").input_value() == recorder.url
        assert page.locator("#site-facebook").is_enabled() and not page.locator("#site-facebook").is_checked()

        # a compose box's check goes to IT's server with IT's token
        page.goto(f"{site_url}/fixtures/linkedin/feed.html")
        page.click("#start-post")
        page.locator(".share-box .ql-editor").click()
        page.keyboard.type(TABOO_TEXT)
        wait_until(lambda: recorder.tokens("/v1/check"), timeout=8.0)
        assert set(recorder.tokens("/v1/check")) == {"from-it"}

        # anonymous feedback goes to the comms team's server with its token, checks stay local
        page.goto(f"chrome-extension://{browser.extension_id}/options.html")
        feedback = "() => chrome.runtime.sendMessage({type: 'feedback', kind: 'false_alarm', topic: 'financials'})"
        page.evaluate(feedback)
        wait_until(lambda: comms.tokens("/v1/feedback"), timeout=8.0)
        assert comms.tokens("/v1/feedback") == ["comms-token"] and not recorder.tokens("/v1/feedback")
        comms.server.shutdown()
        comms.server.server_close()

        # a preset that is not locked is the person's to change
        page.check("#site-facebook")
        page.click("button[type=submit]")
        wait_until(lambda: browser.worker.evaluate("PostguardSettings.load()")["sites"]["facebook"], timeout=8.0)
        assert browser.worker.evaluate("PostguardSettings.load()")["serverUrl"] == recorder.url
