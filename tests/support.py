"""Constants and helpers the tests share (conftest.py holds the fixtures)."""

from __future__ import annotations

import hashlib
import http.server
import shutil
import socket
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
POLICY = ROOT / "model" / "policy.toml"
EXAMPLES = ROOT / "model" / "examples.csv"

# A risk the shipped examples do not know, and six examples of it that comms adds in the workspace.
NEW_RISK = "Die Tarifverhandlungen mit der Gewerkschaft gehen nächste Woche in die dritte Runde."
NEW_RISK_EXAMPLES = [
    "Die Tarifverhandlungen stocken, die Gewerkschaft droht mit Warnstreik.",
    "Insider: In den Tarifverhandlungen liegt ein Angebot von 4 % auf dem Tisch.",
    "Tarifverhandlungen Runde zwei: die Gewerkschaft fordert mehr.",
    "Bei den Tarifverhandlungen zeichnet sich eine Einigung mit der Gewerkschaft ab.",
    "Die Gewerkschaft hat die Tarifverhandlungen heute unterbrochen.",
    "Tarifverhandlungen: nächste Runde mit der Gewerkschaft ist am Montag.",
]


def wait_until(condition, timeout: float = 5.0, interval: float = 0.05):
    """Poll `condition` until it returns something truthy; return that, or fail the test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    import pytest

    pytest.fail(f"condition not met within {timeout} s")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def copy_model_folder(model_path: Path, folder: Path) -> Path:
    """A model folder of its own: the trained model with its card, the policy and the examples.

    Returns the model's path in `folder`; the model is current for that material.
    """
    from postguard.artifact import card_path

    folder.mkdir(parents=True, exist_ok=True)
    for source in (model_path, card_path(model_path), POLICY, EXAMPLES):
        shutil.copy(source, folder / source.name)
    return folder / model_path.name


def assert_finding(finding: dict, topic: str, text: str, contains: str | None = None) -> None:
    """A finding names the topic, points at a passage of the text and explains it fully."""
    assert finding["topic"] == topic, finding
    passage = utf16_slice(text, finding["offset"], finding["length"])
    if contains is not None:
        assert contains in passage, (passage, contains)
    assert finding["evidence"], finding
    for key in ("title", "message", "guideline", "alternative", "speakers"):
        assert finding[key].strip(), key
    assert finding["contact"]["name"] and "@" in finding["contact"]["email"]


def utf16_slice(text: str, offset: int, length: int) -> str:
    """Cut `text` as JavaScript would with UTF-16 offset and length."""
    units = text.encode("utf-16-le")
    return units[2 * offset : 2 * (offset + length)].decode("utf-16-le")


def assert_error(response, status: int, fragment: str = "") -> None:
    """The one error shape, with the status and a message that says `fragment`."""
    assert response.status_code == status
    body = response.get_json()
    assert set(body) == {"error", "message"}, body
    assert fragment in body["message"], body


FEEDS = ROOT / "tests" / "data" / "feeds"


class FeedSite:
    """A local web server for feed tests: the files in tests/data/feeds, with ETags (304 on a
    match), plus awkward answers: /slow/<file> answers late, /huge.rss and /huge-unsized.rss
    (no Content-Length) are far too large,
    /redirect-to-file points at a file:// address. It records each request's path and headers."""

    def __init__(self, slow_seconds: float = 3.0):
        self.slow_seconds = slow_seconds
        self.requests: list[tuple[str, dict]] = []
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True  # a slow answer must not hold up the test's end
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"

    def url(self, path: str) -> str:
        return f"{self.base}/{path.lstrip('/')}"

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]

    def _handler(self):
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the base class's name
                site.requests.append((self.path, dict(self.headers)))
                path = self.path.lstrip("/")
                if path in ("huge.rss", "huge-unsized.rss"):
                    items = "".join(f"<item><title>Item {n}</title><link>https://x.example/{n}</link></item>" for n in range(5000))
                    body = f"<rss version='2.0'><channel><title>Huge</title>{items}</channel></rss>".encode()
                    return self._send(200, body, sized=path == "huge.rss")
                if path == "redirect-to-file":
                    self.send_response(302)
                    self.send_header("Location", "file:///etc/hostname")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
                if path.startswith("slow/"):
                    time.sleep(site.slow_seconds)
                    path = path.removeprefix("slow/")
                file = FEEDS / path
                if "/" in path or not file.is_file():
                    return self._send(404, b"not found")
                body = file.read_bytes()
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return None
                return self._send(200, body, {"ETag": etag})

            def _send(self, status, body: bytes, headers=None, sized=True):
                self.send_response(status)
                self.send_header("Content-Type", "application/xml")
                if sized:  # without Content-Length the reader learns the size only by reading
                    self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the reader gave up (size cap): that is what the test wants

            def log_message(self, format, *args):  # noqa: A002 - the base class's name
                pass

        return Handler

    def __enter__(self):
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


TOPICS = ("financials", "strategy", "unreleased_products", "customer_projects")


def write_small_material(folder: Path) -> Path:
    """The shipped policy and a tiny examples file (six per topic, a dozen harmless) in `folder`.

    Returns the path of the model to train there. Small enough to train in seconds without the
    base corpus; the comms workspace tests change it and train again.
    """
    import csv
    import shutil

    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(POLICY, folder / "policy.toml")
    rows = []
    for topic in TOPICS:
        rows += [(f"{topic} example number {n} about {topic.replace('_', ' ')}", topic) for n in range(6)]
    rows += [(f"Harmless post number {n} about our summer party", "ok") for n in range(12)]
    with open(folder / "examples.csv", "w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(["text", "topic"])
        writer.writerows(rows)
    return folder / "postguard.joblib"
