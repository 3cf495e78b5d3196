"""The inside feed: RSS and Atom from a local web server, read into plain text, cached, and
skipped with a note when a feed is broken, slow, too large or away; /v1/feed answers from
the cache and never with an error."""

from __future__ import annotations

import json
import os
import time
import warnings

import pytest

from postguard.app import create_app
from postguard.feeds import FeedError, FeedReader, fetch, parse_feed, strip_html
from postguard.policy import Feed, PolicyError, load_policy
from support import FEEDS, POLICY, FeedSite, wait_until

PRESS_URL = "https://kessler-foerdertechnik.example/presse/feed.xml"


@pytest.fixture
def site():
    with FeedSite(slow_seconds=3.0) as running:
        yield running


def make_reader(tmp_path, *feeds: Feed, timeout: float = 5.0, max_bytes: int = 256 * 1024) -> FeedReader:
    return FeedReader(tuple(feeds), tmp_path / "cache" / "feeds.json", timeout=timeout, max_bytes=max_bytes)


def policy_with_feeds(tmp_path, *feeds: dict) -> str:
    """The shipped policy plus [[feeds]] tables; returns its path."""
    lines = [POLICY.read_text(encoding="utf-8")]
    for feed in feeds:
        lines.append("\n[[feeds]]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in feed.items()]
    path = tmp_path / "policy.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)




# ---- reading a feed ------------------------------------------------------------------------


def test_rss_items_become_plain_text_with_web_links():
    title, items = parse_feed((FEEDS / "press.rss").read_bytes(), Feed(PRESS_URL, official=True), base_url=PRESS_URL)
    assert title == "Kessler Pressemitteilungen"
    assert [item.title for item in items] == [
        "KS Lift 200 jetzt auch für Kühlhäuser",
        "Kessler feiert 75 Jahre mit einem Tag der offenen Tür",
    ]  # the entry with a javascript: link is left out
    first, second = items
    assert first.summary == "Der KS Lift 200 ist ab sofort auch für Kühlhäuser erhältlich. Mehr & alles Weitere im Web."
    assert first.published == "2026-11-24T08:00:00Z"
    assert second.link == "https://kessler-foerdertechnik.example/presse/75-jahre"  # relative link resolved
    assert all(item.official and item.feed == "Kessler Pressemitteilungen" for item in items)


def test_atom_entries_are_read_and_html_titles_stripped():
    feed = Feed("https://news.example/alerts/kessler.atom", title="Kessler in den Medien")
    title, items = parse_feed((FEEDS / "news.atom").read_bytes(), feed)
    assert title == "Kessler in den Medien"
    assert [(item.title, item.published) for item in items] == [
        ("Intralogistik: Kessler wächst in Ostwestfalen", "2026-11-27T08:00:00Z"),
        ("Fachmesse: Neue Ideen für Paketzentren", "2026-11-20T12:30:00Z"),
    ]
    assert items[0].summary == "Ein Besuch beim Familienunternehmen in Bielefeld."
    assert not any(item.official for item in items)


def test_strip_html_keeps_text_drops_markup_and_scripts():
    assert strip_html("<p>A &amp; B</p><p>C<br>D</p><style>p{}</style><script>x()</script>") == "A & B C D"
    assert strip_html("x" * 50, limit=10) == "xxxxxxxxx…"
    assert strip_html("") == ""


def test_a_page_that_is_no_feed_is_refused():
    with pytest.raises(FeedError, match="not an RSS or Atom feed"):
        parse_feed((FEEDS / "broken.xml").read_bytes(), Feed("https://example.org/feed"))


def test_fetch_refuses_other_schemes_and_redirects_to_files(site):
    with pytest.raises(FeedError, match="http"):
        fetch("file:///etc/hostname", timeout=2, max_bytes=1024)
    with pytest.raises(FeedError, match="redirects to an address that is not http"):
        fetch(site.url("redirect-to-file"), timeout=2, max_bytes=1024)


def test_fetch_sends_a_conditional_request_and_understands_304(site):
    first = fetch(site.url("press.rss"), timeout=5, max_bytes=1 << 20)
    assert first.body and first.etag
    again = fetch(site.url("press.rss"), timeout=5, max_bytes=1 << 20, etag=first.etag)
    assert again.body is None and again.etag == first.etag
    assert site.requests[-1][1].get("If-None-Match") == first.etag


# ---- the reader: refresh, notes, cache -------------------------------------------------------


def test_reader_serves_items_of_all_feeds_newest_first_and_caches_them(site, tmp_path):
    feeds = (Feed(site.url("press.rss"), title="Pressemitteilungen", official=True),
             Feed(site.url("news.atom"), title="Kessler in den Medien"))
    reader = make_reader(tmp_path, *feeds)
    assert reader.snapshot().items == ()  # nothing fetched yet: empty, not an error
    reader.refresh()
    snapshot = reader.snapshot()
    assert snapshot.notes == () and snapshot.updated_at
    assert [item.published for item in snapshot.items] == sorted((item.published for item in snapshot.items), reverse=True)
    assert {item.feed for item in snapshot.items} == {"Pressemitteilungen", "Kessler in den Medien"}
    official = [item.title for item in snapshot.items if item.official]
    assert official == ["KS Lift 200 jetzt auch für Kühlhäuser", "Kessler feiert 75 Jahre mit einem Tag der offenen Tür"]

    cached = json.loads((tmp_path / "cache" / "feeds.json").read_text(encoding="utf-8"))
    assert set(cached["feeds"]) == {feed.url for feed in feeds}
    assert make_reader(tmp_path, *feeds).snapshot().items == snapshot.items  # a restart starts from the cache


def test_unchanged_feed_is_not_downloaded_again(site, tmp_path):
    reader = make_reader(tmp_path, Feed(site.url("press.rss")))
    reader.refresh()
    reader.refresh()
    assert site.requests[-1][1].get("If-None-Match")
    snapshot = reader.snapshot()
    assert len(snapshot.items) == 2 and snapshot.notes == ()


@pytest.mark.parametrize(
    "path, reader_options, reason",
    [
        ("broken.xml", {}, "is not an RSS or Atom feed"),
        ("missing.rss", {}, "answered HTTP 404"),
        ("slow/press.rss", {"timeout": 0.5}, "did not answer within 0.5 s"),
        ("huge.rss", {"max_bytes": 64 * 1024}, "larger than the limit of 65,536 bytes"),
        ("huge-unsized.rss", {"max_bytes": 64 * 1024}, "larger than the limit of 65,536 bytes"),
    ],
    ids=["not-a-feed", "http-404", "timeout", "too-large", "too-large-without-length"],
)
def test_a_bad_feed_is_skipped_with_a_note_and_the_others_still_show(site, tmp_path, path, reader_options, reason):
    reader = make_reader(
        tmp_path, Feed(site.url(path), title="Sorgenkind"), Feed(site.url("news.atom")), **reader_options
    )
    reader.refresh()
    snapshot = reader.snapshot()
    assert [item.feed for item in snapshot.items] == ["Kessler in den Medien"] * 2
    (note,) = snapshot.notes
    assert note["feed"] == "Sorgenkind"
    assert reason in note["message"] and "nothing to show yet" in note["message"]


def test_offline_the_feed_is_served_from_the_cache(tmp_path):
    with FeedSite() as site:
        feeds = (Feed(site.url("press.rss"), official=True), Feed(site.url("news.atom")))
        make_reader(tmp_path, *feeds).refresh()
    # The web server is gone: a restarted reader shows the cached items and says why they are old.
    reader = make_reader(tmp_path, *feeds, timeout=2)
    before = reader.snapshot().items
    assert len(before) == 4
    reader.refresh()
    snapshot = reader.snapshot()
    assert snapshot.items == before
    assert len(snapshot.notes) == 2
    assert all("not reachable" in note["message"] and "showing the copy from" in note["message"] for note in snapshot.notes)


def test_an_unreadable_cache_is_ignored(tmp_path):
    cache = tmp_path / "cache" / "feeds.json"
    cache.parent.mkdir()
    cache.write_text("{not json", encoding="utf-8")
    reader = make_reader(tmp_path, Feed("https://example.org/feed"))
    assert reader.snapshot().items == ()


# ---- policy and server ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "feed, fragment",
    [
        ({"url": "file:///etc/passwd"}, "'url' must start with http"),
        ({"title": "no url"}, "'url' must start with http"),
        ({"url": "https://example.org/a", "official": "yes"}, "'official' must be true or false"),
    ],
)
def test_policy_refuses_bad_feeds(tmp_path, feed, fragment):
    with pytest.raises(PolicyError, match=fragment):
        load_policy(policy_with_feeds(tmp_path, feed))


def test_policy_reads_feeds(tmp_path):
    policy = load_policy(policy_with_feeds(
        tmp_path, {"url": "https://example.org/press.rss", "title": "Presse", "official": True},
        {"url": "https://example.org/news.atom"},
    ))
    assert policy.feeds == (Feed("https://example.org/press.rss", "Presse", True), Feed("https://example.org/news.atom"))
    with pytest.raises(PolicyError, match="unique"):
        load_policy(policy_with_feeds(tmp_path, {"url": "https://example.org/a"}, {"url": "https://example.org/a"}))


def test_without_feeds_the_endpoint_answers_an_empty_feed(client):
    response = client.get("/v1/feed")
    assert response.status_code == 200
    assert response.get_json() == {"items": [], "notes": [], "updated_at": None}


def test_feed_endpoint_answers_from_the_cache_with_notes(site, tmp_path, model_path):
    app = create_app({
        "MODEL_PATH": str(model_path), "TESTING": True, "FEED_REFRESH_SECONDS": 0,
        "FEED_CACHE_PATH": str(tmp_path / "feeds.json"),
        "POLICY_PATH": policy_with_feeds(
            tmp_path, {"url": site.url("press.rss"), "title": "Pressemitteilungen", "official": True},
            {"url": site.url("broken.xml"), "title": "Kaputt"},
        ),
    })
    reader = app.extensions["postguard"].feeds
    assert reader._thread is None  # no schedule: the test refreshes by hand
    client = app.test_client()
    assert client.get("/v1/feed").get_json()["items"] == []
    reader.refresh()
    body = client.get("/v1/feed").get_json()
    assert [item["title"] for item in body["items"]] == [
        "KS Lift 200 jetzt auch für Kühlhäuser", "Kessler feiert 75 Jahre mit einem Tag der offenen Tür"]
    assert all(item["official"] and item["link"].startswith("http") for item in body["items"])
    assert [note["feed"] for note in body["notes"]] == ["Kaputt"]
    assert body["updated_at"]


def test_the_server_refreshes_its_feeds_on_a_schedule(site, tmp_path, model_path):
    app = create_app({
        "MODEL_PATH": str(model_path), "TESTING": True, "FEED_REFRESH_SECONDS": 3600,
        "FEED_CACHE_PATH": str(tmp_path / "feeds.json"),
        "POLICY_PATH": policy_with_feeds(tmp_path, {"url": site.url("news.atom")}),
    })
    reader = app.extensions["postguard"].feeds
    try:
        client = app.test_client()
        items = wait_until(lambda: client.get("/v1/feed").get_json()["items"], timeout=15.0)
        assert [item["feed"] for item in items] == ["Kessler in den Medien"] * 2  # the feed's own title
        # Items are served as each feed arrives; the cache is written once all feeds are fetched.
        assert wait_until(lambda: (tmp_path / "feeds.json").is_file(), timeout=15.0)
    finally:
        reader.stop()


def test_a_preloaded_app_starts_refreshing_with_its_first_request(site, tmp_path, model_path):
    """Built to be forked (serve --workers, gunicorn's preload_app): the process that builds the
    app fetches nothing and runs no thread; the one that serves starts with its first request."""
    app = create_app({
        "MODEL_PATH": str(model_path), "TESTING": True, "FEED_REFRESH_SECONDS": 3600, "PRELOADED": True,
        "FEED_CACHE_PATH": str(tmp_path / "feeds.json"),
        "POLICY_PATH": policy_with_feeds(tmp_path, {"url": site.url("news.atom")}),
    })
    reader = app.extensions["postguard"].feeds
    try:
        time.sleep(0.2)
        assert reader._thread is None and site.requests == []
        client = app.test_client()
        assert client.get("/v1/health").status_code == 200
        assert wait_until(lambda: client.get("/v1/feed").get_json()["items"], timeout=15.0)
        assert site.paths() == ["/news.atom"]
    finally:
        reader.stop()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="Windows does not fork")
def test_a_forked_worker_refreshes_the_feeds_itself(site, tmp_path):
    """A fork leaves the refresh thread behind, and the lock as that thread held it: the worker
    gets a lock of its own and starts its own refresh with its first request."""
    reader = make_reader(tmp_path, Feed(site.url("press.rss")))
    reader.start(3600)
    wait_until(lambda: reader.cache_path.is_file(), timeout=15.0)  # the parent's first round is done
    assert site.paths() == ["/press.rss"]
    with reader._lock, warnings.catch_warnings():
        # The point of the test: a fork while another thread runs (Python 3.12 warns about it).
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                reader.cache_path.unlink()
                reader.keep_refreshing()  # the worker's first request
                deadline = time.monotonic() + 10
                while not reader.cache_path.is_file() and time.monotonic() < deadline:
                    time.sleep(0.05)  # written at the end of the worker's own round
                code = 0 if reader.cache_path.is_file() and reader.snapshot().items else 3
            finally:
                os._exit(code)
    deadline = time.monotonic() + 20
    while (ended := os.waitpid(pid, os.WNOHANG))[0] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    if ended[0] == 0:  # stuck on the inherited lock
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    assert ended[0] == pid and os.waitstatus_to_exitcode(ended[1]) == 0
    assert site.paths() == ["/press.rss", "/press.rss"]  # the parent's thread sleeps: the worker fetched
    reader.stop()
