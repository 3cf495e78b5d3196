"""The inside feed: what is said about the company, from the feeds comms lists in policy.toml.

Each feed (RSS or Atom) is fetched with a timeout and a size cap, read with feedparser, and its
items are cached as JSON, so the popup has something to show when the network is away. A feed
that cannot be fetched or read is skipped with a note; it is never an error for the employee.
Only the configured feed addresses are requested; nothing about employees is sent.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import os
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import feedparser

from . import __version__, forks
from .policy import Feed

USER_AGENT = f"Postguard/{__version__} (feed reader)"
MAX_ITEMS_PER_FEED = 20
TITLE_MAX_CHARS = 200
SUMMARY_MAX_CHARS = 280
CACHE_VERSION = 1
log = logging.getLogger(__name__)


class FeedError(Exception):
    """A feed could not be fetched or read; the message says why, for the note."""


@dataclass(frozen=True)
class FeedItem:
    """One entry of a feed, as plain text with a web link."""

    title: str
    link: str
    summary: str
    published: str  # ISO 8601 in UTC, or "" when the feed gives no date
    feed: str  # the feed's title
    official: bool  # from the company's own feeds: worth sharing

    def to_dict(self) -> dict:
        return {"title": self.title, "link": self.link, "summary": self.summary,
                "published": self.published, "feed": self.feed, "official": self.official}

    @classmethod
    def from_dict(cls, data: dict) -> FeedItem:
        return cls(**{name: data[name] for name in ("title", "link", "summary", "published", "feed", "official")})


@dataclass(frozen=True)
class FeedSnapshot:
    """What /v1/feed answers: the newest items of all feeds and a note per feed left out."""

    items: tuple[FeedItem, ...]
    notes: tuple[dict, ...]
    updated_at: str | None

    def to_dict(self) -> dict:
        return {"items": [item.to_dict() for item in self.items], "notes": [dict(note) for note in self.notes],
                "updated_at": self.updated_at}


@dataclass
class Fetched:
    """A fetch's outcome: the body, or None when the server said "not modified"."""

    body: bytes | None
    etag: str = ""
    modified: str = ""


# ---- fetching ----------------------------------------------------------------------------


class _WebOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects only to http(s): a feed must not lead the server to files or FTP."""

    max_redirections = 5

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urllib.parse.urlsplit(newurl).scheme not in ("http", "https"):
            raise FeedError("redirects to an address that is not http(s)")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch(url: str, *, timeout: float, max_bytes: int, etag: str = "", modified: str = "") -> Fetched:
    """GET a feed with a conditional request; raise FeedError on any failure, naming it."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise FeedError("is not an http(s) address")
    headers = {"User-Agent": USER_AGENT, "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5"}
    if etag:
        headers["If-None-Match"] = etag
    if modified:
        headers["If-Modified-Since"] = modified
    opener = urllib.request.build_opener(_WebOnlyRedirects)
    deadline = time.monotonic() + timeout
    try:
        with opener.open(urllib.request.Request(url, headers=headers), timeout=timeout) as response:
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise FeedError(f"is larger than the limit of {max_bytes:,} bytes")
            body = _read_capped(response, max_bytes, deadline, timeout)
            return Fetched(body, response.headers.get("ETag", ""), response.headers.get("Last-Modified", ""))
    except urllib.error.HTTPError as error:
        error.close()
        if error.code == 304:
            return Fetched(None, etag, modified)
        if 300 <= error.code < 400:  # urllib refuses redirects to file:// itself, and endless loops
            raise FeedError("redirects to an address that is not http(s), or in circles") from None
        raise FeedError(f"answered HTTP {error.code}") from None
    except urllib.error.URLError as error:
        if isinstance(error.reason, TimeoutError):
            raise FeedError(f"did not answer within {timeout:g} s") from None
        raise FeedError(f"is not reachable ({_reason(error.reason)})") from None
    except TimeoutError:
        raise FeedError(f"did not answer within {timeout:g} s") from None
    except OSError as error:  # connection reset, bad status line, ...
        raise FeedError(f"is not reachable ({type(error).__name__})") from None


def _read_capped(response, max_bytes: int, deadline: float, timeout: float) -> bytes:
    """Read at most `max_bytes`, and stop when the whole download takes longer than `timeout`."""
    chunks, size = [], 0
    while chunk := response.read1(64 * 1024):
        size += len(chunk)
        if size > max_bytes:
            raise FeedError(f"is larger than the limit of {max_bytes:,} bytes")
        if time.monotonic() > deadline:  # a server trickling bytes would dodge the socket timeout
            raise FeedError(f"did not arrive within {timeout:g} s")
        chunks.append(chunk)
    return b"".join(chunks)


def _reason(reason) -> str:
    return reason if isinstance(reason, str) else type(reason).__name__


# ---- reading -----------------------------------------------------------------------------


class _TextOnly(HTMLParser):
    """Collects the text of an HTML fragment, leaving out scripts and styles."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skipping += 1
        elif tag in ("br", "p", "div", "li"):
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skipping:
            self._skipping -= 1

    def handle_data(self, data):
        if not self._skipping:
            self.parts.append(data)


def strip_html(fragment: str, limit: int | None = None) -> str:
    """Plain text of an HTML fragment, whitespace collapsed, cut to `limit` characters with "…"."""
    parser = _TextOnly()
    parser.feed(fragment or "")
    parser.close()
    text = " ".join("".join(parser.parts).split())
    if limit and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def parse_feed(raw: bytes, feed: Feed, base_url: str = "") -> tuple[str, list[FeedItem]]:
    """The feed's own title and its items with http(s) links; FeedError if it is no feed."""
    # Bytes go in as a stream: feedparser would open a string or bytes as a file name or URL.
    parsed = feedparser.parse(io.BytesIO(raw), response_headers={"content-location": base_url} if base_url else None)
    if not parsed.entries and (parsed.bozo or not parsed.get("version")):
        raise FeedError("is not an RSS or Atom feed")
    own_title = strip_html(parsed.feed.get("title", ""), TITLE_MAX_CHARS)
    shown_title = feed.title or own_title or urllib.parse.urlsplit(feed.url).hostname or feed.url
    items = []
    for entry in parsed.entries:
        link = str(entry.get("link", "")).strip()
        if urllib.parse.urlsplit(link).scheme not in ("http", "https"):
            continue  # the popup shows links to open; javascript: or relative leftovers are dropped
        title = strip_html(entry.get("title", ""), TITLE_MAX_CHARS) or link
        items.append(FeedItem(
            title=title,
            link=link,
            summary=strip_html(entry.get("summary", ""), SUMMARY_MAX_CHARS),
            published=_iso(entry.get("published_parsed") or entry.get("updated_parsed")),
            feed=shown_title,
            official=feed.official,
        ))
        if len(items) == MAX_ITEMS_PER_FEED:
            break
    return shown_title, items


def _iso(moment) -> str:
    if not moment:
        return ""
    try:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", moment)
    except (TypeError, ValueError):
        return ""


# ---- the reader: refresh, cache, snapshot ---------------------------------------------------


@dataclass
class _FeedState:
    """What is known about one feed: its cached items and why the last refresh failed, if it did."""

    items: list[FeedItem] = field(default_factory=list)
    etag: str = ""
    modified: str = ""
    fetched_at: str = ""  # when its items were last fetched successfully
    note: str = ""


class FeedReader:
    """Keeps the configured feeds fresh in a JSON cache and answers snapshots of them."""

    def __init__(self, feeds: tuple[Feed, ...], cache_path: Path, *, timeout: float = 10.0,
                 max_bytes: int = 2 * 1024 * 1024, max_items: int = 30):
        self.feeds = feeds
        self.cache_path = Path(cache_path)
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_items = max_items
        self._lock = threading.Lock()
        self._states = {feed.url: _FeedState() for feed in feeds}
        self._updated_at: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._interval: float | None = None  # set by start()
        self._load_cache()
        forks.after_fork_in_child(self._after_fork)

    def refresh(self) -> None:
        """Fetch every feed once; failures become notes, and the cached items stay."""
        for feed in self.feeds:
            self._refresh_one(feed)
        with self._lock:
            self._updated_at = _now()
        self._save_cache()

    def snapshot(self) -> FeedSnapshot:
        """The newest items over all feeds (dated ones first, newest first) and the notes."""
        with self._lock:
            seen, items, notes = set(), [], []
            for feed in self.feeds:
                state = self._states[feed.url]
                for item in state.items:
                    if item.link not in seen:
                        seen.add(item.link)
                        items.append(item)
                if state.note:
                    notes.append({"feed": _title_of(feed, state), "message": state.note})
            updated_at = self._updated_at
        items.sort(key=lambda item: item.published, reverse=True)  # ISO strings sort by time; "" last
        return FeedSnapshot(tuple(items[: self.max_items]), tuple(notes), updated_at)

    def start(self, interval: float, *, now: bool = True) -> None:
        """Refresh every `interval` seconds, in a daemon thread of each process that serves.

        With `now` the thread starts here; otherwise with the first request (`keep_refreshing`),
        so that a process that only forks the workers (`serve --workers`, gunicorn's
        preload_app) fetches nothing itself and forks without a thread running.
        """
        self._interval = interval
        if now:
            self.keep_refreshing()

    def keep_refreshing(self) -> None:
        """Before each request: start this process's refresh thread unless it runs or was stopped.

        A forked worker has no thread of its own (see `_after_fork`); it starts one here.
        """
        if self._thread is not None or self._interval is None:
            return
        with self._lock:
            if self._thread is not None or self._stop.is_set():
                return
            interval = self._interval

            def run():
                while not self._stop.is_set():
                    self.refresh()
                    if self._stop.wait(interval):
                        break

            self._thread = threading.Thread(target=run, name="postguard-feeds", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """End the refresh thread after its current round."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout * max(1, len(self.feeds)) + 1)

    def _after_fork(self) -> None:
        # The refresh thread stayed behind in the parent, perhaps holding the lock at the fork.
        stopped = self._stop.is_set()
        self._lock, self._stop, self._thread = threading.Lock(), threading.Event(), None
        if stopped:
            self._stop.set()

    def _refresh_one(self, feed: Feed) -> None:
        with self._lock:
            state = self._states[feed.url]
            etag, modified = state.etag, state.modified
        try:
            fetched = fetch(feed.url, timeout=self.timeout, max_bytes=self.max_bytes, etag=etag, modified=modified)
            update = None
            if fetched.body is not None:
                _, items = parse_feed(fetched.body, feed, base_url=feed.url)
                update = items
        except FeedError as error:
            self._note(feed, str(error))
            return
        except Exception as error:  # a parser surprise must not stop the other feeds
            self._note(feed, f"could not be read ({type(error).__name__})")
            return
        with self._lock:
            if update is not None:
                state.items = update
                state.etag, state.modified = fetched.etag, fetched.modified
            state.fetched_at = _now()
            state.note = ""

    def _note(self, feed: Feed, reason: str) -> None:
        with self._lock:
            state = self._states[feed.url]
            kept = f"showing the copy from {state.fetched_at}" if state.fetched_at else "nothing to show yet"
            state.note = f"skipped: the feed {reason}; {kept}"
            title = _title_of(feed, state)
        log.warning("feed %r skipped: %s", title, reason)

    def _load_cache(self) -> None:
        try:
            data = json.loads(self.cache_path.read_text(encoding="utf-8"))
            cached = data["feeds"] if data.get("version") == CACHE_VERSION else {}
            for url, entry in cached.items():
                if url in self._states:
                    self._states[url] = _FeedState(
                        items=[FeedItem.from_dict(item) for item in entry["items"]],
                        etag=str(entry.get("etag", "")), modified=str(entry.get("modified", "")),
                        fetched_at=str(entry.get("fetched_at", "")),
                    )
            self._updated_at = data.get("updated_at")
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
            log.warning("feed cache %s is unreadable (%s); starting empty", self.cache_path, type(error).__name__)
            self._states = {feed.url: _FeedState() for feed in self.feeds}

    def _save_cache(self) -> None:
        with self._lock:
            data = {
                "version": CACHE_VERSION,
                "updated_at": self._updated_at,
                "feeds": {
                    url: {"etag": state.etag, "modified": state.modified, "fetched_at": state.fetched_at,
                          "items": [item.to_dict() for item in state.items]}
                    for url, state in self._states.items() if state.fetched_at
                },
            }
        temporary = None
        try:
            self.cache_path.parent.mkdir(parents=True, exist_ok=True)
            # Written beside and renamed: a reader never sees half a file.
            handle, temporary = tempfile.mkstemp(dir=self.cache_path.parent, prefix=".feeds-", suffix=".json")
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(data, stream, ensure_ascii=False)
            os.replace(temporary, self.cache_path)
            temporary = None
        except OSError as error:
            log.warning("cannot write the feed cache %s (%s)", self.cache_path, error.strerror or type(error).__name__)
        finally:
            if temporary:
                Path(temporary).unlink(missing_ok=True)


def _title_of(feed: Feed, state: _FeedState) -> str:
    if feed.title:
        return feed.title
    if state.items:
        return state.items[0].feed
    return urllib.parse.urlsplit(feed.url).hostname or feed.url


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
