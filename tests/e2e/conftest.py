"""Fixtures for the browser tests: fixture pages, the real checking server, Chromium with the extension."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import browser_harness as harness  # noqa: E402 - needs the path above


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
