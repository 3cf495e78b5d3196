"""Remembered sentences: bounded, least recently used first out, and never a different answer."""

from postguard.app import create_app
from postguard.check import Checker
from postguard.sentence_cache import SentenceCache
from support import POLICY
from test_check import TABOO

DRAFT = (
    "Was für eine Woche! Am Montag haben wir unsere neuen Azubis begrüßt. "
    "Intern schon durch: Unser Auftragseingang lag im Oktober bei 27 Mio. Euro, gut 15 % über Plan. "
    "Danke an alle, die mitgeholfen haben! 🎉 Was für eine Woche! "
)


def test_least_recently_used_sentence_is_forgotten_first():
    cache = SentenceCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # now "b" is the least recently used
    cache.put("c", 3)
    assert len(cache) == 2
    assert cache.get("b") is None
    assert (cache.get("a"), cache.get("c")) == (1, 3)


def test_size_zero_remembers_nothing():
    cache = SentenceCache(0)
    cache.put("a", 1)
    assert len(cache) == 0 and cache.get("a") is None


def test_a_draft_typed_word_by_word_gets_the_answers_of_an_uncached_check(checker):
    cached = Checker(checker.model, checker.policy, cache_sentences=64)
    uncached = Checker(checker.model, checker.policy, cache_sentences=0)
    words = DRAFT.split(" ")
    for end in range(1, len(words) + 1, 3):
        draft = " ".join(words[:end])
        assert cached.check(draft).to_dict() == uncached.check(draft).to_dict(), draft
    assert 0 < len(cached._cache) <= 64
    assert len(uncached._cache) == 0


def test_a_small_cache_still_answers_like_an_uncached_check(checker):
    cached = Checker(checker.model, checker.policy, cache_sentences=2)
    uncached = Checker(checker.model, checker.policy)
    post = " ".join(text for _, _, text in TABOO)
    for _ in range(3):
        assert cached.check(post).to_dict() == uncached.check(post).to_dict()
    assert len(cached._cache) == 2


def test_cache_size_comes_from_the_app_config(model_path, monkeypatch):
    config = {"MODEL_PATH": str(model_path), "POLICY_PATH": str(POLICY), "TESTING": True}
    default = create_app(config)
    assert default.extensions["postguard"].checker._cache.size == 2048
    assert create_app({**config, "CHECK_CACHE_SENTENCES": 0}).extensions["postguard"].checker._cache.size == 0
    monkeypatch.setenv("POSTGUARD_CHECK_CACHE_SENTENCES", "16")
    app = create_app(config)
    assert app.extensions["postguard"].checker._cache.size == 16
    app.test_client().post("/v1/check", json={"text": DRAFT})
    assert 0 < len(app.extensions["postguard"].checker._cache) <= 16
