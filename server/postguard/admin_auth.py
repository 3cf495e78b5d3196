"""The admin password of the comms workspace and the sessions it opens.

The password is stored only as a salted scrypt hash in `admin.json` in the model folder
(`postguard admin` sets it). Signing in opens a session: a random token, kept in memory as its
sha256, sent back as an HttpOnly SameSite=Strict cookie or used as a bearer token. A new
password ends every open session.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from pathlib import Path

from .files import write_atomically

CREDENTIAL_NAME = "admin.json"
COOKIE_NAME = "postguard_admin"
MIN_PASSWORD_CHARS = 10
SESSION_SECONDS = 12 * 3600
# scrypt with n=2**14, r=8 needs 16 MiB and tens of milliseconds: slow for guessing, fine for signing in.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
MAX_FAILURES, FAILURE_WINDOW_SECONDS = 10, 300


class PasswordError(ValueError):
    """The new password is not acceptable; the message says why."""


def credential_path(folder: Path) -> Path:
    return Path(folder) / CREDENTIAL_NAME


def set_password(folder: Path, password: str) -> None:
    """Store a salted hash of `password` (readable by the owner only)."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise PasswordError(f"the password needs at least {MIN_PASSWORD_CHARS} characters")
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, maxmem=64 * 1024 * 1024, **_SCRYPT)
    record = {"scheme": "scrypt", **_SCRYPT, "salt": salt.hex(), "hash": digest.hex()}
    path = credential_path(folder)
    write_atomically(path, json.dumps(record).encode("utf-8"))
    os.chmod(path, 0o600)


def _credential(folder: Path) -> dict | None:
    try:
        record = json.loads(credential_path(folder).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("scheme") != "scrypt":
        return None
    return record


def has_password(folder: Path) -> bool:
    return _credential(folder) is not None


def verify_password(folder: Path, password: str) -> bool:
    """True when `password` matches the stored hash (compared in constant time)."""
    record = _credential(folder)
    if record is None or not isinstance(password, str):
        return False
    try:
        digest = hashlib.scrypt(
            password.encode("utf-8"), salt=bytes.fromhex(record["salt"]),
            n=int(record["n"]), r=int(record["r"]), p=int(record["p"]), maxmem=64 * 1024 * 1024,
        )
        return hmac.compare_digest(digest, bytes.fromhex(record["hash"]))
    except (KeyError, ValueError, TypeError):
        return False


class Sessions:
    """Open sessions in memory (a restart signs everyone out), and a brake on guessing."""

    def __init__(self, folder: Path, lifetime: float = SESSION_SECONDS):
        self.folder = Path(folder)
        self.lifetime = lifetime
        self._sessions: dict[str, tuple[float, str]] = {}  # sha256(token) → (expiry, credential salt)
        self._failures: list[float] = []
        self._lock = threading.Lock()

    def sign_in(self, password: str) -> str | None:
        """A new session token when the password is right, else None."""
        if not verify_password(self.folder, password):
            with self._lock:
                self._failures.append(time.monotonic())
            return None
        token = secrets.token_urlsafe(32)
        salt = (_credential(self.folder) or {}).get("salt", "")
        with self._lock:
            now = time.monotonic()
            self._sessions = {k: v for k, v in self._sessions.items() if v[0] > now}
            self._sessions[_digest(token)] = (now + self.lifetime, salt)
        return token

    def too_many_failures(self) -> bool:
        """True after MAX_FAILURES wrong passwords within FAILURE_WINDOW_SECONDS."""
        with self._lock:
            cutoff = time.monotonic() - FAILURE_WINDOW_SECONDS
            self._failures = [moment for moment in self._failures if moment > cutoff]
            return len(self._failures) >= MAX_FAILURES

    def valid(self, token: str | None) -> bool:
        """True for the token of an open session made with the current password."""
        if not token:
            return False
        with self._lock:
            entry = self._sessions.get(_digest(token))
        if entry is None or entry[0] <= time.monotonic():
            return False
        credential = _credential(self.folder)
        return credential is not None and hmac.compare_digest(entry[1], credential.get("salt", ""))

    def sign_out(self, token: str | None) -> None:
        if token:
            with self._lock:
                self._sessions.pop(_digest(token), None)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
