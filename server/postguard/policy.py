"""The company's policy: taboo topics, their guidelines and contacts, from `policy.toml`."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .published import page_key
from .text import normalise

LANGUAGES = ("de", "en")
FEED_SCHEMES = ("http://", "https://")
HARMLESS = "ok"  # the label of harmless examples; never a topic id
_TOPIC_ID = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


class PolicyError(ValueError):
    """The policy file is missing, unreadable or incomplete; the message says where."""


@dataclass(frozen=True)
class Contact:
    """A person employees can ask before they post."""

    name: str
    email: str = ""
    url: str = ""
    role: dict[str, str] = field(default_factory=dict)

    def to_dict(self, lang: str | None = None) -> dict:
        data = {"name": self.name, "email": self.email, "url": self.url}
        if self.role:
            data["role"] = self.role.get(lang, "") if lang else dict(self.role)
        return data


@dataclass(frozen=True)
class ListedTerm:
    """A word comms wants flagged always (a codename, a customer), until an optional date."""

    term: str
    until: dt.date | None = None

    def active(self, today: dt.date) -> bool:
        return self.until is None or today <= self.until

    @property
    def launched_on(self) -> dt.date | None:
        """The first day the term may be posted: the day after `until` (the check flags it until then)."""
        return self.until + dt.timedelta(days=1) if self.until else None


def listed_term_pattern(term: str) -> re.Pattern:
    """A pattern over normalised text: any case, evasions undone, inflected endings allowed."""
    parts = [re.escape(part) for part in normalise(term).split()]
    body = r"[\s\-]*".join(parts)
    return re.compile(rf"(?<!\w){body}\w{{0,3}}(?!\w)")


@dataclass(frozen=True)
class Feed:
    """A news feed comms lists (RSS or Atom): press releases, news alerts, official posts."""

    url: str
    title: str = ""  # shown to employees; the feed's own title when empty
    official: bool = False  # the company's own posts and releases: worth sharing


@dataclass(frozen=True)
class Topic:
    """A taboo topic with the texts an employee sees, in each language."""

    id: str
    title: dict[str, str]
    message: dict[str, str]
    guideline: dict[str, str]
    speakers: dict[str, str]
    alternative: dict[str, str]
    contact: Contact
    sensitivity: float = 1.0
    terms: tuple[ListedTerm, ...] = ()

    def to_dict(self) -> dict:
        """What clients see of the topic; listed terms stay on the server (they are codenames)."""
        return {
            "id": self.id,
            "title": dict(self.title),
            "message": dict(self.message),
            "guideline": dict(self.guideline),
            "speakers": dict(self.speakers),
            "alternative": dict(self.alternative),
            "contact": self.contact.to_dict(),
        }


@dataclass(frozen=True)
class Policy:
    """Everything comms decides: the company, its topics, its general contact, do's and don'ts."""

    company: str
    default_language: str
    contact: Contact
    dos: dict[str, tuple[str, ...]]
    donts: dict[str, tuple[str, ...]]
    topics: tuple[Topic, ...]
    sha256: str = ""
    feeds: tuple[Feed, ...] = ()
    published_pages: tuple[str, ...] = ()  # address prefixes; see `published`

    @property
    def topic_ids(self) -> tuple[str, ...]:
        return tuple(topic.id for topic in self.topics)

    def topic(self, topic_id: str) -> Topic:
        for topic in self.topics:
            if topic.id == topic_id:
                return topic
        raise KeyError(topic_id)

    def launches(self, today: dt.date) -> list[tuple[Topic, ListedTerm]]:
        """Listed terms whose `until` date has passed, newest launch first."""
        launched = [
            (topic, term) for topic in self.topics for term in topic.terms
            if term.until is not None and not term.active(today)
        ]
        return sorted(launched, key=lambda pair: pair[1].until, reverse=True)

    def to_dict(self, today: dt.date | None = None) -> dict:
        """What clients see; a listed term only once its date has passed (a launch, no secret)."""
        today = today or dt.date.today()
        return {
            "company": self.company,
            "default_language": self.default_language,
            "contact": self.contact.to_dict(),
            "dos": {lang: list(items) for lang, items in self.dos.items()},
            "donts": {lang: list(items) for lang, items in self.donts.items()},
            "topics": [topic.to_dict() for topic in self.topics],
            "launches": [
                {"term": term.term, "topic": topic.id, "title": dict(topic.title),
                 "since": term.launched_on.isoformat()}
                for topic, term in self.launches(today)
            ],
        }


def load_policy(path: str | Path) -> Policy:
    """Read and validate a policy file; raise PolicyError naming the file and the field."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PolicyError(f"cannot read policy {path}: {exc.strerror or exc}") from None
    return parse_policy(raw, name=str(path))


def parse_policy(raw: bytes, name: str = "policy") -> Policy:
    """Validate policy TOML bytes; errors start with `name` (a path, or what comms edits)."""
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise PolicyError(f"{name} is not valid TOML: {exc}") from None
    try:
        return _parse(data, sha256=hashlib.sha256(raw).hexdigest())
    except PolicyError as exc:
        raise PolicyError(f"{name}: {exc}") from None


def _parse(data: dict, sha256: str) -> Policy:
    default_language = data.get("default_language", "de")
    if default_language not in LANGUAGES:
        raise PolicyError(f"'default_language' must be one of {', '.join(LANGUAGES)}")
    topics = tuple(_parse_topic(entry, n) for n, entry in enumerate(_list(data, "topics"), 1))
    if not topics:
        raise PolicyError("at least one [[topics]] entry is needed")
    ids = [topic.id for topic in topics]
    duplicates = sorted({topic_id for topic_id in ids if ids.count(topic_id) > 1})
    if duplicates:
        raise PolicyError(f"topic ids must be unique, repeated: {', '.join(duplicates)}")
    return Policy(
        company=_text(data, "company"),
        default_language=default_language,
        contact=_parse_contact(data.get("contact"), "contact"),
        dos=_string_lists(data.get("dos", {}), "dos"),
        donts=_string_lists(data.get("donts", {}), "donts"),
        topics=topics,
        sha256=sha256,
        feeds=_parse_feeds(_list(data, "feeds")),
        published_pages=_parse_published_pages(data.get("published_pages", [])),
    )


def _parse_published_pages(value) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise PolicyError("'published_pages' must be a list of addresses")
    pages = tuple(item.strip() for item in value if item.strip())
    for page in pages:
        # A whole scheme and host: "https://" alone, or a bare word, would match far too much.
        if not page.lower().startswith(FEED_SCHEMES) or page_key(page) is None:
            raise PolicyError(f"published page {page!r} must be an address like https://example.com/press/")
    return pages


def _parse_feeds(entries: list) -> tuple[Feed, ...]:
    feeds = []
    for n, entry in enumerate(entries, 1):
        where = f"feed {n}"
        if not isinstance(entry, dict):
            raise PolicyError(f"{where} must be a table with a 'url'")
        url = entry.get("url")
        # Only the web: a file or other scheme in a shared policy would read this machine's files.
        if not isinstance(url, str) or not url.strip().lower().startswith(FEED_SCHEMES):
            raise PolicyError(f"{where}: 'url' must start with http:// or https://")
        title = entry.get("title", "")
        if not isinstance(title, str):
            raise PolicyError(f"{where}: 'title' must be a text")
        official = entry.get("official", False)
        if not isinstance(official, bool):
            raise PolicyError(f"{where}: 'official' must be true or false")
        feeds.append(Feed(url=url.strip(), title=title.strip(), official=official))
    urls = [feed.url for feed in feeds]
    repeated = sorted({url for url in urls if urls.count(url) > 1})
    if repeated:
        raise PolicyError(f"feed urls must be unique, repeated: {', '.join(repeated)}")
    return tuple(feeds)


def _parse_topic(entry: dict, n: int) -> Topic:
    where = f"topic {n}"
    if not isinstance(entry, dict):
        raise PolicyError(f"{where} must be a table")
    topic_id = entry.get("id")
    if not isinstance(topic_id, str) or not _TOPIC_ID.match(topic_id) or topic_id == HARMLESS:
        raise PolicyError(
            f"{where}: 'id' must be lower-case letters, digits and '_' (not '{HARMLESS}')"
        )
    where = f"topic '{topic_id}'"
    sensitivity = entry.get("sensitivity", 1.0)
    if not isinstance(sensitivity, (int, float)) or not 0.25 <= sensitivity <= 4:
        raise PolicyError(f"{where}: 'sensitivity' must be a number between 0.25 and 4")
    return Topic(
        id=topic_id,
        title=_translations(entry, "title", where),
        message=_translations(entry, "message", where),
        guideline=_translations(entry, "guideline", where),
        speakers=_translations(entry, "speakers", where),
        alternative=_translations(entry, "alternative", where),
        contact=_parse_contact(entry.get("contact"), f"{where}: contact"),
        sensitivity=float(sensitivity),
        terms=tuple(_parse_term(term, where) for term in _list(entry, "terms", where)),
    )


def _parse_term(entry, where: str) -> ListedTerm:
    if isinstance(entry, str):
        entry = {"term": entry}
    if not isinstance(entry, dict) or not isinstance(entry.get("term"), str):
        raise PolicyError(f"{where}: each of 'terms' needs a 'term' string")
    term = entry["term"].strip()
    # Normalised as the check sees it: a term of symbols only would match every sentence.
    if sum(ch.isalnum() for ch in normalise(term)) < 2:
        raise PolicyError(f"{where}: listed term {entry['term']!r} needs at least two letters or digits")
    until = entry.get("until")
    if isinstance(until, dt.datetime):  # a TOML date-time: the day is what counts
        until = until.date()
    if until is not None and not isinstance(until, dt.date):
        raise PolicyError(f"{where}: 'until' of {term!r} must be a date like 2027-03-31")
    return ListedTerm(term=term, until=until)


def _parse_contact(entry, where: str) -> Contact:
    if not isinstance(entry, dict):
        raise PolicyError(f"{where} is missing (name, email, url)")
    role = entry.get("role", {})
    if isinstance(role, str):
        role = {lang: role for lang in LANGUAGES}
    if not isinstance(role, dict):
        raise PolicyError(f"{where}: 'role' must be a text or a table with de and en")
    return Contact(
        name=_text(entry, "name", where),
        email=str(entry.get("email", "")),
        url=str(entry.get("url", "")),
        role={lang: str(role.get(lang, "")) for lang in LANGUAGES} if role else {},
    )


def _translations(entry: dict, key: str, where: str) -> dict[str, str]:
    value = entry.get(key)
    if not isinstance(value, dict) or not all(
        isinstance(value.get(lang), str) and value[lang].strip() for lang in LANGUAGES
    ):
        raise PolicyError(f"{where}: '{key}' needs a text for each of {', '.join(LANGUAGES)}")
    return {lang: value[lang].strip() for lang in LANGUAGES}


def _string_lists(value, key: str) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict) or not all(
        isinstance(value.get(lang, []), list) for lang in LANGUAGES
    ):
        raise PolicyError(f"'{key}' must be a table with a list of texts per language")
    return {lang: tuple(str(item) for item in value.get(lang, [])) for lang in LANGUAGES}


def _text(entry: dict, key: str, where: str = "policy") -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise PolicyError(f"{where}: '{key}' must be a non-empty string")
    return value.strip()


def _list(data: dict, key: str, where: str = "policy") -> list:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise PolicyError(f"{where}: '{key}' must be an array of tables ([[{key}]])")
    return value
