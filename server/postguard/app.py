"""The Flask application factory."""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, current_app, request
from flask_cors import CORS

from .artifact import ModelError, card_path, load_model
from .check import Checker
from .errors import APIError, register_error_handlers
from .paths import default_artifact, material_for
from .policy import Policy, load_policy

# Browser extensions are the only web clients; pages (and rebinding domains) are refused.
EXTENSION_ORIGINS = [
    re.compile(r"^chrome-extension://[a-p]{32}$"),
    re.compile(r"^moz-extension://[0-9a-f-]{36}$"),
]
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
log = logging.getLogger(__name__)


@dataclass
class State:
    """What the views need: the policy, and the checker once a model is loaded.

    A newly published model (its card replaced, see `artifact.save_model`) is loaded in a
    background thread and swapped in between requests; until then, and if it cannot be loaded,
    the current one keeps answering.
    """

    policy: Policy
    artifact: Path
    checker: Checker | None
    reason: str = ""
    reload_seconds: float = 1.0
    cache_sentences: int = 0
    _card_stamp: tuple | None = None
    _failed_stamp: tuple | None = None  # a publication that could not be loaded: not retried
    _next_look: float = 0.0
    _loading: threading.Lock = field(default_factory=threading.Lock)

    def load(self) -> None:
        """Load the published model; raise ModelError if it is unusable with this policy."""
        stamp = _stamp(card_path(self.artifact))
        model = load_model(self.artifact)
        missing = set(self.policy.topic_ids) - set(model.classifier.topics)
        if missing:
            raise ModelError(
                f"model {self.artifact} knows nothing of the policy's topics "
                f"{', '.join(sorted(missing))}; run `python train_classifier.py`"
            )
        checker = Checker(model, self.policy, cache_sentences=self.cache_sentences)
        self.checker, self.reason, self._card_stamp = checker, "", stamp

    def look_for_new_model(self) -> None:
        """Before a request: at most once per `reload_seconds`, see whether the card changed."""
        now = time.monotonic()
        if self.reload_seconds < 0 or now < self._next_look:
            return
        self._next_look = now + self.reload_seconds
        stamp = _stamp(card_path(self.artifact))
        if stamp not in (self._card_stamp, self._failed_stamp) and self._loading.acquire(blocking=False):
            threading.Thread(target=self._reload, args=(stamp,), name="postguard-reload", daemon=True).start()

    def _reload(self, stamp: tuple | None) -> None:
        try:
            self.load()
            log.info("swapped in model %s", self.checker.model.info["version"])
        except Exception as exc:  # half-published or broken: keep serving the current model
            self._failed_stamp = stamp
            log.warning("kept the current model; the new one cannot be loaded (%s)", type(exc).__name__)
            if self.checker is None:
                self.reason = str(exc) if isinstance(exc, ModelError) else type(exc).__name__
        finally:
            self._loading.release()


def _stamp(path: Path) -> tuple | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size


def create_app(config: dict | None = None) -> Flask:
    """Create the app and load the policy and model once; views read them from extensions.

    Settings come from the defaults below, then POSTGUARD_* environment variables, then `config`.
    """
    app = Flask(__name__)
    app.config.from_mapping(
        MODEL_PATH=None,  # the trained artifact; default: model/postguard.joblib
        POLICY_PATH=None,  # default: the policy.toml beside the model
        REQUIRE_MODEL=True,  # False: start without a model and answer 503 until there is one
        MAX_TEXT_CHARS=100_000,
        MAX_CONTENT_LENGTH=1024 * 1024,
        MODEL_RELOAD_SECONDS=1.0,  # how often to look for a newly published model; -1: never
        CHECK_CACHE_SENTENCES=2048,  # recently scored sentences kept in memory; 0: none
        ALLOWED_HOSTS=list(LOOPBACK_HOSTS),
    )
    app.config.from_prefixed_env("POSTGUARD")
    app.config.from_mapping(config or {})
    app.json.sort_keys = False
    app.json.ensure_ascii = False

    artifact = Path(app.config["MODEL_PATH"] or default_artifact())
    policy_path = Path(app.config["POLICY_PATH"] or material_for(artifact)[1])
    policy = load_policy(policy_path)
    state = State(
        policy, artifact, checker=None, reload_seconds=app.config["MODEL_RELOAD_SECONDS"],
        cache_sentences=app.config["CHECK_CACHE_SENTENCES"],
    )
    try:
        state.load()
    except ModelError as exc:
        if app.config["REQUIRE_MODEL"]:
            raise
        state.reason = str(exc)
    app.extensions["postguard"] = state

    register_error_handlers(app)
    app.before_request(_only_local_clients)
    app.before_request(state.look_for_new_model)
    CORS(app, resources={r"/v1/*": {"origins": EXTENSION_ORIGINS}}, max_age=600)

    from . import api

    app.register_blueprint(api.bp)
    return app


def _only_local_clients():
    """Refuse foreign Host headers (DNS rebinding) and web pages' origins."""
    host = _host_name(request.host or "")
    if host.lower() not in current_app.config["ALLOWED_HOSTS"]:
        raise APIError(f"host {host!r} is not allowed; use http://127.0.0.1", 403)
    origin = request.headers.get("Origin")
    if origin and not any(pattern.match(origin) for pattern in EXTENSION_ORIGINS):
        raise APIError(f"origin {origin!r} is not allowed; only the Postguard extension may call", 403)


def _host_name(host: str) -> str:
    """The Host header without its port: "127.0.0.1:7678" → "127.0.0.1", "[::1]:7678" → "[::1]"."""
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0]
