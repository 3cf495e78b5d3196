"""The Flask application factory."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app, request
from flask_cors import CORS

from .artifact import ModelError, load_model
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


@dataclass
class State:
    """What the views need: the policy, and the checker once a model is loaded."""

    policy: Policy
    checker: Checker | None
    reason: str = ""


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
        ALLOWED_HOSTS=list(LOOPBACK_HOSTS),
    )
    app.config.from_prefixed_env("POSTGUARD")
    app.config.from_mapping(config or {})
    app.json.sort_keys = False
    app.json.ensure_ascii = False

    artifact = Path(app.config["MODEL_PATH"] or default_artifact())
    policy_path = Path(app.config["POLICY_PATH"] or material_for(artifact)[1])
    policy = load_policy(policy_path)
    try:
        model = load_model(artifact)
        missing = set(policy.topic_ids) - set(model.classifier.topics)
        if missing:
            raise ModelError(
                f"model {artifact} knows nothing of the policy's topics {', '.join(sorted(missing))}; "
                "run `python train_classifier.py`"
            )
        state = State(policy=policy, checker=Checker(model, policy))
    except ModelError as exc:
        if app.config["REQUIRE_MODEL"]:
            raise
        state = State(policy=policy, checker=None, reason=str(exc))
    app.extensions["postguard"] = state

    register_error_handlers(app)
    app.before_request(_only_local_clients)
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
