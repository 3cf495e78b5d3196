"""Shared machinery for the end-to-end tests and the latency benchmark.

Serves the fixture pages over http on 127.0.0.1, runs the real checking server, builds a
test copy of the extension that may run on the fixture origin and reach the server on
any loopback port, and launches Debian's Chromium with it.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from support import free_port  # noqa: F401 - tests call it as harness.free_port

E2E_DIR = Path(__file__).resolve().parent
REPO = E2E_DIR.parent.parent
EXTENSION_DIR = REPO / "extension"
BUILD_DIR = E2E_DIR / "build"
CHROMIUM = Path(os.environ.get("POSTGUARD_CHROMIUM", "/usr/bin/chromium"))

WARNING = '[data-postguard="warning"]'  # the extension's panel while a post looks risky
OFFLINE = '[data-postguard="offline"]'
APPEAR_MS = 8000  # how long a test waits for the panel to appear
TABOO_TEXT = "Wir haben im dritten Quartal 48 Millionen Euro Umsatz gemacht, 12 % mehr als geplant."
HARMLESS_TEXT = "Heute war unser Sommerfest, danke an alle fürs Mitfeiern! 🎉"
# Listed terms of the guidance server: one launched yesterday (the popup announces it), one a
# month ago (only the guidelines list it).
LAUNCHED_YESTERDAY = "Falke"
LAUNCHED_LONG_AGO = "FlowLine 4"



def _debounce_ms() -> int:
    """The pause after the last keystroke that the content script waits before checking."""
    match = re.search(r"const DEBOUNCE_MS = (\d+);", (EXTENSION_DIR / "content.js").read_text(encoding="utf-8"))
    if not match:
        raise RuntimeError("DEBOUNCE_MS not found in extension/content.js")
    return int(match.group(1))


DEBOUNCE_MS = _debounce_ms()

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # without these Chromium keeps trying to reach Google's services
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def setup_problem() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing; run `bash tests/e2e/setup.sh` first"
    if not (BUILD_DIR / "editors.js").exists():
        return "the fixture editors are not bundled; run `bash tests/e2e/setup.sh` first"
    return None


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@contextlib.contextmanager
def fixture_site():
    """Serve tests/e2e (fixture pages and the editor bundle); yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(E2E_DIR))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _get_status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as error:
        error.close()
        return error.code
    except (urllib.error.URLError, OSError):
        return None


@contextlib.contextmanager
def checking_server(model_path: Path, *, startup_timeout: float = 240.0):
    """Run `python -m postguard serve` on a free port; yields its URL once /v1/health is 200."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = dict(os.environ)
    # works whether or not the package is installed
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "server"), env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "postguard", "serve", "--host", "127.0.0.1", "--port", str(port), "--model", str(model_path)]
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=REPO)
        try:
            deadline = time.monotonic() + startup_timeout
            while _get_status(f"{url}/v1/health") != 200:
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"checking server did not become ready: {' '.join(command)}\n{log.read()[-4000:]}")
                time.sleep(0.2)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextlib.contextmanager
def app_server(app):
    """Serve a Flask app built in the test (its own policy, feeds) on a free loopback port."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()


def build_test_extension(target: Path) -> Path:
    """Copy the extension and widen its manifest to the fixture origin and any loopback port.

    The shipped manifest runs only on LinkedIn and Facebook and reaches only port 7678.
    Match patterns without a port match every port.
    """
    shutil.copytree(EXTENSION_DIR, target)
    manifest_path = target / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    for script in manifest["content_scripts"]:
        script["matches"] = [*script["matches"], "http://127.0.0.1/*"]
    manifest["host_permissions"] = [*manifest["host_permissions"], "http://127.0.0.1/*", "http://localhost/*"]
    manifest_path.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return target


def extension_id(extension_dir: Path) -> str:
    """The id Chromium gives the extension: from the manifest's public key, a-p for 0-f."""
    manifest = json.loads((extension_dir / "manifest.json").read_text(encoding="utf-8"))
    digest = hashlib.sha256(base64.b64decode(manifest["key"])).hexdigest()[:32]
    return "".join(chr(ord("a") + int(digit, 16)) for digit in digest)


def policy_problem() -> str | None:
    """Why Chromium cannot be given a private policy folder here, or None when it can."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "needs root to mount a private /etc/chromium"
    if shutil.which("unshare") is None or not Path("/etc/chromium").is_dir():
        return "needs unshare and /etc/chromium"
    if subprocess.run(["unshare", "--mount", "true"], capture_output=True).returncode != 0:
        return "mount namespaces are not allowed here"
    return None


def chromium_with_policy(folder: Path, policy: dict) -> Path:
    """A Chromium launcher that sees `policy` as machine policy, as IT would deploy it.

    Chromium reads policy only from /etc/chromium/policies/managed. The launcher mounts a
    copy of /etc/chromium holding the policy over it in a private mount namespace, so the
    machine's own folder and every other browser stay untouched.
    """
    etc = folder / "etc-chromium"
    shutil.copytree("/etc/chromium", etc, dirs_exist_ok=True)
    managed = etc / "policies" / "managed"
    managed.mkdir(parents=True, exist_ok=True)
    (managed / "postguard.json").write_text(json.dumps(policy, indent=2), encoding="utf-8")
    launcher = folder / "chromium-with-policy"
    script = 'mount --bind "$0" /etc/chromium || exit 1; browser="$1"; shift; exec "$browser" "$@"'
    launcher.write_text(f"#!/bin/sh\nexec unshare --mount sh -c '{script}' '{etc}' '{CHROMIUM}' \"$@\"\n",
                        encoding="utf-8")
    launcher.chmod(0o755)
    return launcher


class Browser:
    """A persistent Chromium context with the extension loaded, its worker and id."""

    def __init__(self, playwright, extension_dir: Path, user_data_dir: Path, *, locale: str = "en-US",
                 executable: Path = CHROMIUM):
        self.context = playwright.chromium.launch_persistent_context(
            str(user_data_dir),
            headless=True,
            executable_path=str(executable),
            locale=locale,
            # On Linux Chromium takes its UI language (and so chrome.i18n's) from the environment.
            env={**os.environ, "LANGUAGE": locale.replace("-", "_")},
            viewport={"width": 1280, "height": 900},
            args=[
                f"--disable-extensions-except={extension_dir}",
                f"--load-extension={extension_dir}",
                f"--lang={locale}",
                *CHROMIUM_ARGS,
            ],
        )
        workers = self.context.service_workers
        self.worker = workers[0] if workers else self.context.wait_for_event("serviceworker")
        self.extension_id = self.worker.url.split("/")[2]
        self.page = self.context.pages[0] if self.context.pages else self.context.new_page()
        # Chromium answers storage.managed (and so every settings read) only once its policy
        # service is up, about 3 s after start. Nobody posts that soon after starting a
        # browser; the tests would, and the first check would then miss the post gate.
        self.worker.evaluate("chrome.storage.managed.get(null).catch(() => null)")

    def configure(self, **settings) -> None:
        """Store extension settings (serverUrl, sites, language, pausedUntil) before a page loads."""
        self.worker.evaluate("settings => chrome.storage.local.set(settings)", settings)

    def badge_text(self) -> str:
        """The toolbar badge of the active tab."""
        return self.worker.evaluate(
            "async () => { const [tab] = await chrome.tabs.query({active: true});"
            " return chrome.action.getBadgeText({tabId: tab.id}); }"
        )

    def close(self) -> None:
        self.context.close()


def warn_on_linkedin(page, site_url):
    """Type TABOO_TEXT into LinkedIn's composer until the warning shows; its financials section."""
    page.goto(f"{site_url}/fixtures/linkedin/feed.html")
    page.click("#start-post")
    page.locator(".share-box .ql-editor").click()
    page.keyboard.type(TABOO_TEXT)
    page.wait_for_selector(WARNING, state="visible", timeout=APPEAR_MS)
    return page.locator(f'{WARNING} .postguard-finding[data-postguard-topic="financials"]')
