"""Pages where the company publishes, as comms lists them in `policy.toml` (`published_pages`).

The guidelines ask employees to link the official press release when they mention products or
figures. A post that links such a page is most likely about what was published there, so the
check raises its bar for that post (`classifier.PUBLISHED_LINK_ODDS`); it does not go quiet,
because a post can link one release and still say what no release says.
"""

from __future__ import annotations

import itertools
import re
from urllib.parse import urlsplit

# What a pasted address looks like: with a scheme, or starting with www. (listed hosts also
# count written bare, see `PublishedPages`). LinkedIn and Facebook keep the address as typed in
# the compose box.
_ADDRESS_TAIL = r"[^\s<>\"'“”‚‘’»«]"
_ADDRESS = re.compile(rf"(?:https?://|www\.){_ADDRESS_TAIL}+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}…"


def page_key(address: str) -> tuple[str, str] | None:
    """An address as (host, path) for comparison: scheme and "www." ignored, host in lower case.
    None when it has no host."""
    if "://" not in address:
        address = "https://" + address
    try:
        parts = urlsplit(address.strip())
        host = (parts.hostname or "").lower()
    except ValueError:  # a malformed port or bracketed host
        return None
    if host.startswith("www."):
        host = host[4:]
    return (host, parts.path or "/") if host else None


class PublishedPages:
    """Tells whether a text links one of the listed pages (an address prefix each). Hosts must
    match exactly, so each subdomain is listed on its own. An address counts when it is written
    with its scheme, starts with "www.", or is a listed host written bare
    ("kessler-foerdertechnik.example/presse/…"), as people type addresses into a post."""

    def __init__(self, prefixes: tuple[str, ...] = ()):
        self._prefixes = [key for key in map(page_key, prefixes) if key]
        hosts = "|".join(map(re.escape, sorted({host for host, _ in self._prefixes}, key=len, reverse=True)))
        # A bare host must start a word (after a space, an opening bracket or quote, not inside
        # a longer name, an e-mail address or another address) and end its name (not
        # "….example.evil.test"); "www." forms are already addresses.
        self._bare = re.compile(
            rf"(?<![^\s(\[<\"'„“‚‘«»])(?:{hosts})(?![\w-]|\.\w)(?:[/?#]{_ADDRESS_TAIL}*)?",
            re.IGNORECASE,
        )

    def __bool__(self) -> bool:
        return bool(self._prefixes)

    def linked_in(self, text: str) -> bool:
        if not self._prefixes:
            return False
        addresses = itertools.chain(_ADDRESS.finditer(text), self._bare.finditer(text))
        for match in addresses:
            key = page_key(match.group().rstrip(_TRAILING))
            if key and any(key[0] == host and _under(key[1], path) for host, path in self._prefixes):
                return True
        return False


def _under(path: str, prefix: str) -> bool:
    """Whether `path` is the page `prefix` or below it: "/press" covers "/press/2025" but not
    "/pressure"."""
    if prefix.endswith("/"):
        return path.startswith(prefix)
    return path == prefix or path.startswith(prefix + "/")
