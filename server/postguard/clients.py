"""Who may call the server: the loopback names, the company's extensions, the pairing token.

Jupyter's and LanguageTool's local servers taught the pattern: a foreign Host header means a
rebinding web page, a web page's Origin means a site trying to read what the employee writes,
and a token proves a client was set up by the employee or IT.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass

from flask import request

from .errors import APIError

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
TOKEN_HEADER = "X-Postguard-Token"
# Nothing of a post or of the company's policy: monitoring and the API description stay open.
OPEN_PATHS = frozenset({"/v1/health", "/v1/openapi.json"})
ADMIN_API = "/v1/admin/"
# Firefox gives each installation a random origin, so it cannot be pinned; the token vouches for it.
FIREFOX_ORIGIN = re.compile(r"^moz-extension://[0-9a-f-]{36}$")
CHROME_ID = re.compile(r"^[a-p]{32}$")


@dataclass(frozen=True)
class ClientGuard:
    token: str
    extension_ids: list[str]
    hosts: list[str]  # lower-case Host names, without port

    def __post_init__(self):
        bad = [i for i in self.extension_ids if not CHROME_ID.match(i)]
        if bad:
            raise ValueError(f"not a Chrome/Edge extension id (32 letters a-p): {', '.join(bad)}")
        # looked up on every request that carries an Origin: built once
        object.__setattr__(self, "_chrome_origins", frozenset(f"chrome-extension://{i}" for i in self.extension_ids))

    def check_request(self) -> None:
        """Before every request: 403 for a foreign Host or Origin, 401 without the token."""
        name, port = split_host(request.host or "")
        if name.lower() not in self.hosts:
            raise APIError(f"host {name!r} is not allowed; use http://127.0.0.1", 403)
        if name in LOOPBACK_HOSTS and port and port != str(request.environ.get("SERVER_PORT")):
            raise APIError(f"port {port} in the Host header is not this server's", 403)
        origin = request.headers.get("Origin")
        same_origin = origin == request.host_url.rstrip("/")  # the comms workspace's own page
        if origin and not same_origin and not self.allows_origin(origin):
            raise APIError(f"origin {origin!r} is not allowed; only the Postguard extension may call", 403)
        if self.token and self.needs_token(request.method, request.path):
            sent = request.headers.get(TOKEN_HEADER, "")
            # Constant time, so the token cannot be guessed byte by byte from response times.
            if not hmac.compare_digest(sent.encode("utf-8", "replace"), self.token.encode("utf-8")):
                what = "a wrong" if sent else "no"
                raise APIError(
                    f"this server needs its pairing token and got {what} {TOKEN_HEADER} header; "
                    "`postguard token` shows it, the extension's options take it",
                    401,
                )

    def allows_origin(self, origin: str) -> bool:
        if origin in self._chrome_origins:
            return True
        return bool(self.token) and bool(FIREFOX_ORIGIN.match(origin))

    def cors_origins(self) -> list:
        """The origins flask-cors answers for: exactly the ones `check_request` lets through."""
        origins: list = sorted(self._chrome_origins)
        if self.token:
            origins.append(FIREFOX_ORIGIN)
        return origins

    @staticmethod
    def needs_token(method: str, path: str) -> bool:
        # A CORS preflight cannot carry custom headers; the request that follows it must.
        # The comms workspace has its own password (admin_auth.py) and is not for extensions.
        return (
            method != "OPTIONS"
            and path.startswith("/v1/")
            and not path.startswith(ADMIN_API)
            and path not in OPEN_PATHS
        )


def split_host(host: str) -> tuple[str, str]:
    """A Host header's name and port: "127.0.0.1:7678" → ("127.0.0.1", "7678"), "[::1]" → ("[::1]", "")."""
    if host.startswith("["):
        name, _, rest = host.partition("]")
        return name + "]", rest.removeprefix(":")
    name, _, port = host.partition(":")
    return name, port


def is_loopback_address(address: str) -> bool:
    """Whether binding to `address` keeps the server on this machine."""
    import ipaddress

    if address.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False
