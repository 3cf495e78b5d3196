"""Pages where the company publishes: which links count, and what a link does to the check."""

import numpy as np
import pytest

from support import POLICY
from postguard.classifier import PUBLISHED_LINK_ODDS, discounted_for_length
from postguard.policy import PolicyError, load_policy
from postguard.published import PublishedPages
from postguard.text import normalise

PAGES = PublishedPages((
    "https://kessler-foerdertechnik.example/", "https://jobs.example.org/kessler/", "https://news.example.net/press",
))


@pytest.mark.parametrize("text", [
    "Alle Zahlen hier: https://kessler-foerdertechnik.example/presse/geschaeftsbericht-2025",
    "More in the release (https://kessler-foerdertechnik.example/press).",
    "Details: http://www.Kessler-Foerdertechnik.example/produkte, viel Spaß!",
    "www.kessler-foerdertechnik.example",
    "Apply here 👉 https://jobs.example.org/kessler/plc-engineer",
    "https://news.example.net/press/2025-annual-report",
    "https://news.example.net/press",
    "Besucht kessler-foerdertechnik.example/presse",  # a listed host written bare
    "Alle Infos in der Pressemitteilung: Kessler-Foerdertechnik.example/presse/liftpro-500.",
    "(jobs.example.org/kessler/plc-engineer)",
])
def test_a_link_to_a_listed_page_counts_whatever_its_scheme_www_or_case(text):
    assert PAGES.linked_in(text)


@pytest.mark.parametrize("text", [
    "Intern: https://chat.kessler-foerdertechnik.example/channel/vertrieb",  # another host: internal chat
    "https://jobs.example.org/other-company/plc-engineer",  # the host, but not the listed path
    "https://kessler-foerdertechnik.example.evil.test/presse",
    "https://careers.kessler-foerdertechnik.example/jobs",  # a subdomain is listed on its own
    "https://news.example.net/pressure-washers",  # a prefix without "/" still ends at a path segment
    "social@kessler-foerdertechnik.example",  # an e-mail address, not a page
    "kessler-foerdertechnik.example.evil.test/presse",  # written bare, but a longer host
    "https://evil.test/kessler-foerdertechnik.example/presse",  # the host only in another site's path
    "chat.kessler-foerdertechnik.example/channel/vertrieb",  # a subdomain written bare
    "jobs.example.org/other-company/plc-engineer",  # bare: the host, but not the listed path
    "https://evil.test/go?to=kessler-foerdertechnik.example/presse",  # inside another address
    "https://evil.test/x=jobs.example.org/kessler/plc-engineer",
    "https://evil.test/~kessler-foerdertechnik.example/presse",
    "Umsatz 2025: 212 Mio. Euro",
])
def test_other_addresses_and_plain_text_do_not_count(text):
    assert not PAGES.linked_in(text)


def test_no_listed_pages_means_no_link_ever_counts():
    assert not PublishedPages(())
    assert not PublishedPages(()).linked_in("https://kessler-foerdertechnik.example/presse")


def test_the_sample_policy_lists_the_company_site():
    assert load_policy(POLICY).published_pages == ("https://kessler-foerdertechnik.example/",)


@pytest.mark.parametrize("value, fragment", [
    ('"https://kessler-foerdertechnik.example/"', "'published_pages'"),
    ('["kessler-foerdertechnik.example"]', "published page"),
    ('["https://"]', "published page"),
    ('["file:///etc/"]', "published page"),
    ("[5]", "'published_pages'"),
])
def test_bad_published_pages_are_refused(tmp_path, value, fragment):
    text = POLICY.read_text(encoding="utf-8")
    start = text.index("published_pages = ")
    end = text.index("\n", start)
    path = tmp_path / "policy.toml"
    path.write_text(text[:start] + f"published_pages = {value}" + text[end:], encoding="utf-8")
    with pytest.raises(PolicyError, match=fragment):
        load_policy(path)


def test_a_published_link_multiplies_the_odds_a_sentence_needs():
    odds = lambda p: p / (1 - p)
    assert np.allclose(odds(discounted_for_length(0.8, 1, PUBLISHED_LINK_ODDS)), odds(0.8) / PUBLISHED_LINK_ODDS)
    assert np.allclose(odds(discounted_for_length(0.8, 8, 2.0)), odds(0.8) / (4 * 2.0))  # with the length's


RISKY = "Unser Auftragseingang lag im dritten Quartal bei 48 Millionen Euro."
RELEASE = "Mehr dazu in der Pressemitteilung: https://kessler-foerdertechnik.example/presse"
ELSEWHERE = "Mehr dazu in der Pressemitteilung: https://news.example.com/presse"


def _limit_for_financials(checker, monkeypatch, limit):
    import postguard.classifier as classifier_module

    limits = np.full_like(checker._limits, np.inf)
    limits[checker.model.classifier.labels.index("financials")] = limit
    monkeypatch.setattr(checker, "_limits", limits)
    monkeypatch.setattr(classifier_module, "PAIR_FLOOR", 1.1)  # no pairs: the sentence alone counts


def _score(checker, sentence):
    classifier = checker.model.classifier
    return classifier.scores([normalise(sentence)])[0, classifier.labels.index("financials")]


def test_a_borderline_sentence_does_not_warn_in_a_post_that_links_a_published_page(checker, monkeypatch):
    score = _score(checker, RISKY)
    # A bar between the sentence's score as a two-sentence post sees it with and without the link.
    _limit_for_financials(checker, monkeypatch, (score + discounted_for_length(score, 2, PUBLISHED_LINK_ODDS)) / 2)
    assert [f.topic for f in checker.check(f"{RISKY} {ELSEWHERE}").findings] == ["financials"]
    assert checker.check(f"{RISKY} {RELEASE}").findings == ()


def test_a_clear_sentence_still_warns_in_a_post_that_links_a_published_page(checker, monkeypatch):
    score = _score(checker, RISKY)
    _limit_for_financials(checker, monkeypatch, np.nextafter(discounted_for_length(score, 2, PUBLISHED_LINK_ODDS), 0))
    findings = checker.check(f"{RISKY} {RELEASE}").findings
    assert [f.topic for f in findings] == ["financials"]
    assert findings[0].score == pytest.approx(score, abs=1e-4)  # the finding shows the sentence's own score


def test_listed_terms_warn_in_a_post_that_links_a_published_page(checker):
    findings = checker.check(f"Der Falke kommt bald. {RELEASE}").findings
    assert [f.source for f in findings] == ["listed"]
