"""Pages where the company publishes, as comms lists them in `policy.toml` (`published_pages`).

The guidelines ask employees to link the official press release when they mention products or
figures. A post that links such a page is most likely about what was published there, so the
check raises its bar for that post (`classifier.PUBLISHED_LINK_ODDS`); it does not go quiet,
because a post can link one release and still say what no release says.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# What a pasted address looks like: with a scheme, or starting with www. LinkedIn and Facebook
# keep the address as typed in the compose box.
_ADDRESS = re.compile(r"(?:https?://|www\.)[^\s<>\"'“”‚‘’»«]+", re.IGNORECASE)
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
    match exactly, so each subdomain is listed on its own; an address counts when it is written
    with its scheme or starts with "www."."""

    def __init__(self, prefixes: tuple[str, ...] = ()):
        self._prefixes = [key for key in map(page_key, prefixes) if key]

    def __bool__(self) -> bool:
        return bool(self._prefixes)

    def linked_in(self, text: str) -> bool:
        if not self._prefixes:
            return False
        for match in _ADDRESS.finditer(text):
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
