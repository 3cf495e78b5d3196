"""Fixtures for the browser tests: fixture pages, the real checking server, Chromium with the extension."""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import browser_harness as harness  # noqa: E402 - needs the path above
from browser_harness import LAUNCHED_LONG_AGO  # noqa: E402
from support import EXAMPLES, POLICY, FeedSite  # noqa: E402


def _require_setup() -> None:
    problem = harness.setup_problem()
    if problem:
        pytest.fail(problem, pytrace=False)


@pytest.fixture(scope="session")
def playwright_api():
    """Playwright's sync API, started once."""
    _require_setup()
    from playwright.sync_api import sync_playwright

    manager = sync_playwright()
    instance = manager.start()
    yield instance
    manager.__exit__(None, None, None)


@pytest.fixture(scope="session")
def site_url():
    """Base URL of the fixture pages on 127.0.0.1."""
    with harness.fixture_site() as url:
        yield url


@pytest.fixture(scope="session")
def server_url(model_path):
    """URL of the real checking server, serving the trained test model."""
    with harness.checking_server(Path(model_path)) as url:
        yield url


@pytest.fixture(scope="session")
def extension_dir(tmp_path_factory):
    """The test copy of the extension (fixture origin and any loopback port allowed)."""
    return harness.build_test_extension(tmp_path_factory.mktemp("extension") / "postguard")


@pytest.fixture
def browser(playwright_api, extension_dir, tmp_path, server_url):
    """A fresh Chromium profile with the extension, pointed at the checking server."""
    instance = harness.Browser(playwright_api, extension_dir, tmp_path / "profile")
    instance.configure(serverUrl=server_url)
    yield instance
    instance.close()


@pytest.fixture(scope="session")
def feed_site():
    """Local feeds: press releases (official), news (Atom) and one that is no feed at all."""
    with FeedSite() as site:
        yield site


@pytest.fixture(scope="session")
def guidance_server_url(model_path, feed_site, tmp_path_factory):
    """A checking server whose policy lists feeds and has launched terms; its feeds are read."""
    from postguard.app import create_app

    folder = tmp_path_factory.mktemp("guidance")
    today = dt.date.today()
    policy = POLICY.read_text(encoding="utf-8").replace(
        "until = 2027-03-23", f"until = {today - dt.timedelta(days=2)}"
    ).replace(f'term = "{LAUNCHED_LONG_AGO}"', f'term = "{LAUNCHED_LONG_AGO}"\nuntil = {today - dt.timedelta(days=30)}')
    policy += (
        f'\n[[feeds]]\ntitle = "Pressemitteilungen"\nurl = "{feed_site.url("press.rss")}"\nofficial = true\n'
        f'\n[[feeds]]\nurl = "{feed_site.url("news.atom")}"\n'
        f'\n[[feeds]]\ntitle = "Kaputt"\nurl = "{feed_site.url("broken.xml")}"\n'
    )
    (folder / "policy.toml").write_text(policy, encoding="utf-8")
    app = create_app({
        "MODEL_PATH": str(model_path), "POLICY_PATH": str(folder / "policy.toml"),
        "EXAMPLES_PATH": str(EXAMPLES), "FEED_CACHE_PATH": str(folder / "feeds.json"),
        "FEED_REFRESH_SECONDS": 3600, "MODEL_RELOAD_SECONDS": -1,
    })
    reader = app.extensions["postguard"].feeds
    deadline = time.monotonic() + 30
    while not reader.snapshot().updated_at and time.monotonic() < deadline:
        time.sleep(0.05)  # the first refresh runs in the background as the server starts
    with harness.app_server(app) as url:
        yield url
    reader.stop()
