"""The HTTP API: validate the request, call the checker, serialise the answer. Nothing else."""

from __future__ import annotations

import datetime as dt
import json

from flask import Blueprint, Response, current_app, jsonify, request

from .errors import APIError
from .examples import MAX_EXAMPLE_CHARS
from .feedback import KINDS as FEEDBACK_KINDS
from .feeds import FeedSnapshot
from .guidelines import build_guidelines
from .openapi import openapi_document

bp = Blueprint("api", __name__, url_prefix="/v1")

SITE_MAX_CHARS = 40


def _state():
    return current_app.extensions["postguard"]


@bp.get("/health")
def health():
    state = _state()
    checker = state.checker  # read once: a new model may be swapped in meanwhile
    if checker is None:
        raise APIError(f"no model is loaded: {state.reason}", 503)
    return jsonify(status="ok", model=checker.model.info)


@bp.get("/policy")
def policy():
    return jsonify(_state().policy.to_dict(dt.date.today()))


@bp.get("/guidelines")
def guidelines():
    state = _state()
    return jsonify(build_guidelines(state.policy, state.examples, dt.date.today()).to_dict())


@bp.get("/feed")
def feed():
    feeds = _state().feeds
    snapshot = feeds.snapshot() if feeds else FeedSnapshot(items=(), notes=(), updated_at=None)
    return jsonify(snapshot.to_dict())


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())


@bp.post("/check")
def check():
    state = _state()
    body = _json_object()
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        raise APIError("'text' must be a non-empty string")
    limit = current_app.config["MAX_TEXT_CHARS"]
    if len(text) > limit:
        raise APIError(f"text exceeds this server's limit of {limit:,} characters", 413)
    if _has_lone_surrogate(text):
        raise APIError("'text' contains invalid Unicode (an unpaired surrogate)")
    site = body.get("site")
    if site is not None and (not isinstance(site, str) or len(site) > SITE_MAX_CHARS):
        raise APIError(f"'site' must be a string of at most {SITE_MAX_CHARS} characters, like \"linkedin\"")
    checker = state.checker  # read once: a new model may be swapped in meanwhile
    if checker is None:
        raise APIError(f"no model is loaded: {state.reason}", 503)
    return jsonify(checker.check(text).to_dict())


@bp.post("/feedback")
def feedback():
    """An employee's anonymous report: a warning that was fine, or a risk Postguard missed.

    Only the kind and topic are counted; the text only arrives when the employee ticked "share".
    """
    body = _json_object()
    unknown = set(body) - {"kind", "topic", "text"}
    if unknown:
        raise APIError(f"unknown field {sorted(unknown)[0]!r}; send only 'kind', 'topic' and 'text'")
    kind = body.get("kind")
    if kind not in FEEDBACK_KINDS:
        raise APIError(f"'kind' must be one of {', '.join(repr(k) for k in FEEDBACK_KINDS)}")
    topic = body.get("topic")
    if topic is not None and (not isinstance(topic, str) or topic not in _state().policy.topic_ids):
        raise APIError(f"'topic' must be null or one of {', '.join(_state().policy.topic_ids)}")
    text = body.get("text")
    if text is not None:
        if not isinstance(text, str) or not text.strip():
            raise APIError("'text' must be a non-empty string when it is sent")
        if len(text) > MAX_EXAMPLE_CHARS:
            raise APIError(f"a shared text may have at most {MAX_EXAMPLE_CHARS:,} characters", 413)
        if _has_lone_surrogate(text):
            raise APIError("'text' contains invalid Unicode (an unpaired surrogate)")
    current_app.extensions["postguard_feedback"].record(kind, topic, text.strip() if text else None)
    return Response(status=204)


def _json_object() -> dict:
    """The request body as a JSON object, or the matching 415/400 error."""
    if request.mimetype != "application/json":
        raise APIError("send the body as JSON with 'Content-Type: application/json'", 415)
    raw = request.get_data(cache=False)
    try:
        body = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise APIError("the body is not valid UTF-8") from None
    except json.JSONDecodeError as exc:
        raise APIError(f"the body is not valid JSON ({exc.msg} at position {exc.pos})") from None
    except (ValueError, RecursionError):  # numbers of thousands of digits, nesting too deep
        raise APIError("the body is not JSON this server can read (too deeply nested or a huge number)") from None
    if not isinstance(body, dict):
        raise APIError("the body must be a JSON object like {\"text\": \"...\"}")
    return body


def _has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
