"""The JSON API of the comms workspace under /v1/admin/: validate, call the workspace, serialise.

Every endpoint but /login answers 401 without a session (cookie) or bearer token. Errors have
the one shape of errors.py.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from .admin import current_admin, only_this_computer
from .admin_auth import COOKIE_NAME as COOKIE, SESSION_SECONDS, has_password
from .api import _has_lone_surrogate, _json_object as json_object
from .artifact import ModelError, load_model
from .check import Checker
from .errors import APIError, error_response
from .examples import ExamplesError, MIN_EXAMPLES_PER_TOPIC
from .feedback import FeedbackNotFound
from .policy import HARMLESS, PolicyError
from .policy_editor import policy_document, policy_versions, restore_policy, save_policy
from .training_jobs import TrainingBusy
from .workspace import WorkspaceError

bp = Blueprint("admin_api", __name__, url_prefix="/v1/admin")

OPEN_ENDPOINTS = ("admin_api.login",)


@bp.before_request
def _signed_in():
    only_this_computer()
    if request.endpoint in OPEN_ENDPOINTS:
        return
    if not current_admin().sessions.valid(_token()):
        raise APIError("sign in to the comms workspace first", 401)


@bp.after_request
def _headers(response: Response):
    response.headers["Cache-Control"] = "no-store"
    if response.status_code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="postguard-admin"'
    return response


@bp.errorhandler(WorkspaceError)
def _workspace_error(error: WorkspaceError):
    return error_response(error.status, str(error))


@bp.errorhandler(PolicyError)
@bp.errorhandler(ExamplesError)
def _material_error(error: ValueError):
    return error_response(400, str(error))


def _token() -> str | None:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[len("Bearer "):].strip()
    return request.cookies.get(COOKIE)


# ---- signing in ------------------------------------------------------------------------------

@bp.post("/login")
def login():
    admin = current_admin()
    if not has_password(admin.folder):
        raise APIError("no admin password is set on this server; run `postguard admin` there", 403)
    if admin.sessions.too_many_failures():
        raise APIError("too many wrong passwords; wait five minutes and try again", 429)
    password = json_object().get("password")
    if not isinstance(password, str) or not password:
        raise APIError("'password' must be a non-empty string")
    token = admin.sessions.sign_in(password)
    if token is None:
        raise APIError("wrong password", 401)
    response = jsonify(token=token, expires_in=SESSION_SECONDS)
    response.set_cookie(COOKIE, token, max_age=SESSION_SECONDS, path="/", httponly=True,
                        samesite="Strict", secure=request.is_secure)
    return response


@bp.post("/logout")
def logout():
    current_admin().sessions.sign_out(_token())
    response = Response(status=204)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="Strict")
    return response


@bp.get("/overview")
def overview():
    """What the page needs first: the model in service, the topics and the example counts."""
    admin = current_admin()
    policy = admin.policy()
    checker = admin.state.checker
    try:
        counts, problem = admin.examples.counts(), ""
    except WorkspaceError as exc:  # a broken file must not lock comms out of the page that fixes it
        counts, problem = {}, str(exc)
    return jsonify(
        model=checker.model.info if checker else None,
        base_corpus=checker.model.card.get("base_corpus", True) if checker else True,
        topics=[{"id": topic.id, "title": topic.title} for topic in policy.topics],
        harmless=HARMLESS,
        counts=counts,
        examples_problem=problem,
        minimum_per_topic=MIN_EXAMPLES_PER_TOPIC,
        policy_in_service=admin.state.policy.sha256 == policy.sha256,
    )


# ---- examples --------------------------------------------------------------------------------

@bp.get("/examples")
def list_examples():
    admin = current_admin()
    topic = request.args.get("topic") or None
    records = admin.examples.search(request.args.get("q", ""), topic)
    return jsonify(examples=[record.to_dict() for record in records], counts=admin.examples.counts())


@bp.post("/examples")
def add_example():
    body = json_object()
    record = current_admin().examples.add(
        _text(body, "text"), _text(body, "topic"), _flag(body, "shareable", False)
    )
    return jsonify(example=record.to_dict()), 201


@bp.patch("/examples/<example_id>")
def update_example(example_id: str):
    body = json_object()
    unknown = set(body) - {"text", "topic", "shareable"}
    if unknown or not body:
        raise APIError("send one or more of 'text', 'topic' and 'shareable'")
    record = current_admin().examples.update(
        example_id,
        text=_text(body, "text") if "text" in body else None,
        topic=_text(body, "topic") if "topic" in body else None,
        shareable=_flag(body, "shareable", None),
    )
    return jsonify(example=record.to_dict())


@bp.delete("/examples/<example_id>")
def delete_example(example_id: str):
    current_admin().examples.delete(example_id)
    return Response(status=204)


@bp.post("/examples/import")
def import_examples():
    mode = request.args.get("mode", "add")
    if mode not in ("add", "replace"):
        raise APIError("'mode' must be 'add' or 'replace'")
    if request.mimetype not in ("text/csv", "text/plain", "application/octet-stream"):
        raise APIError("send the CSV file itself with 'Content-Type: text/csv'", 415)
    result = current_admin().examples.import_csv(request.get_data(cache=False), replace=mode == "replace")
    return jsonify(result)


@bp.get("/examples/export")
def export_examples():
    data = current_admin().examples.export_csv()
    return Response(data, mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="examples.csv"'})


# ---- policy ----------------------------------------------------------------------------------

@bp.get("/policy")
def get_policy():
    admin = current_admin()
    return jsonify(
        policy=policy_document(admin.policy_path),
        versions=policy_versions(admin.policy_path, admin.versions.folder),
        in_service=admin.state.policy.sha256 == admin.policy().sha256,
    )


@bp.put("/policy")
def put_policy():
    admin = current_admin()
    document = json_object().get("policy")
    if not isinstance(document, dict):
        raise APIError("'policy' must be an object, as GET /v1/admin/policy returns it")
    _no_lone_surrogates(document)
    save_policy(admin.policy_path, document, admin.versions.folder, _used_topics())
    return _policy_saved()


@bp.post("/policy/versions/<name>/restore")
def restore_policy_version(name: str):
    admin = current_admin()
    restore_policy(admin.policy_path, admin.versions.folder, name, _used_topics())
    return _policy_saved()


def _used_topics() -> set[str]:
    return {label for label, count in current_admin().examples.counts().items() if count}


def _policy_saved():
    """Put the saved policy into service when the model knows all its topics; say which happened."""
    admin = current_admin()
    applied = admin.state.refresh_policy()
    note = "" if applied else (
        "Saved. The policy has topics the published model does not know yet: add at least "
        f"{MIN_EXAMPLES_PER_TOPIC} examples for each, then train and publish; until then "
        "employees see the previous policy."
    )
    return jsonify(
        policy=policy_document(admin.policy_path),
        versions=policy_versions(admin.policy_path, admin.versions.folder),
        in_service=applied, note=note,
    )


# ---- training, publishing, versions ----------------------------------------------------------

@bp.post("/training")
def start_training():
    admin = current_admin()
    body = json_object() if request.get_data(cache=True) else {}
    card = admin.state.checker.model.card if admin.state.checker else {}
    base = _flag(body, "base_corpus", card.get("base_corpus", True))
    try:
        job = admin.jobs.start(base=bool(base))
    except TrainingBusy as exc:
        raise APIError(str(exc), 409) from None
    return jsonify(job=job), 202


@bp.get("/training")
def training_status():
    admin = current_admin()
    card = admin.versions.candidate_card()
    candidate = None
    if card is not None:
        candidate = {
            "version": card.get("version"),
            "trained_at": card.get("trained_at"),
            "base_corpus": card.get("base_corpus", True),
            "quality": card.get("quality"),
            "report": admin.versions.candidate_report(),
            "gate": admin.versions.gate(),
        }
    return jsonify(job=admin.jobs.status(), candidate=candidate)


@bp.post("/publish")
def publish():
    admin = current_admin()
    body = json_object() if request.get_data(cache=True) else {}
    card = admin.versions.publish(admin.policy().topic_ids, force=bool(_flag(body, "force", False)))
    _reload(admin)
    return jsonify(model={"version": card["version"], "trained_at": card["trained_at"]})


@bp.get("/models")
def list_models():
    admin = current_admin()
    checker = admin.state.checker
    return jsonify(versions=admin.versions.versions(), model=checker.model.info if checker else None)


@bp.post("/models/<version>/restore")
def restore_model(version: str):
    admin = current_admin()
    card = admin.versions.restore(version, admin.policy().topic_ids)
    _reload(admin)
    return jsonify(model={"version": card["version"], "trained_at": card["trained_at"]})


def _reload(admin) -> None:
    try:
        admin.state.reload_now()
    except ModelError as exc:
        raise APIError(f"published, but the server cannot load it and keeps the previous model: {exc}", 503) from None


# ---- try it ----------------------------------------------------------------------------------

@bp.post("/try")
def try_text():
    """The check as an employee gets it, from the published model or the trained candidate."""
    admin = current_admin()
    body = json_object()
    text = _text(body, "text")
    limit = current_app.config["MAX_TEXT_CHARS"]
    if len(text) > limit:
        raise APIError(f"text exceeds this server's limit of {limit:,} characters", 413)
    which = body.get("model", "published")
    if which == "published":
        checker = admin.state.checker
        if checker is None:
            raise APIError(f"no model is loaded: {admin.state.reason}", 503)
    elif which == "candidate":
        if not admin.versions.candidate.is_file():
            raise APIError("there is no trained model to try; train one first", 409)
        try:
            checker = Checker(load_model(admin.versions.candidate), admin.policy())
        except ModelError as exc:
            raise APIError(f"the trained model cannot be used: {exc}", 409) from None
    else:
        raise APIError("'model' must be 'published' or 'candidate'")
    return jsonify(checker.check(text).to_dict())


# ---- feedback --------------------------------------------------------------------------------

@bp.get("/feedback")
def feedback():
    store = current_admin().feedback
    return jsonify(statistics=store.statistics(), shared=store.shared())


@bp.post("/feedback/<shared_id>/example")
def feedback_to_example(shared_id: str):
    """Turn a shared text into an example of the topic comms chose, and take it off the list."""
    admin = current_admin()
    topic = _text(json_object(), "topic")
    try:
        entry = admin.feedback.peek(shared_id)
        record = admin.examples.add(entry["text"], topic)
        admin.feedback.take(shared_id)
    except FeedbackNotFound as exc:
        raise APIError(str(exc), 404) from None
    return jsonify(example=record.to_dict()), 201


@bp.delete("/feedback/<shared_id>")
def discard_feedback(shared_id: str):
    try:
        current_admin().feedback.take(shared_id)
    except FeedbackNotFound as exc:
        raise APIError(str(exc), 404) from None
    return Response(status=204)


# ---- validation ------------------------------------------------------------------------------

def _text(body: dict, key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value.strip():
        raise APIError(f"'{key}' must be a non-empty string")
    if _has_lone_surrogate(value):
        raise APIError(f"'{key}' contains invalid Unicode (an unpaired surrogate)")
    return value


def _flag(body: dict, key: str, default):
    value = body.get(key, default)
    if value is not None and not isinstance(value, bool):
        raise APIError(f"'{key}' must be true or false")
    return value


def _no_lone_surrogates(value) -> None:
    if isinstance(value, str) and _has_lone_surrogate(value):
        raise APIError("the policy contains invalid Unicode (an unpaired surrogate)")
    if isinstance(value, dict):
        for key, inner in value.items():
            _no_lone_surrogates(key)
            _no_lone_surrogates(inner)
    elif isinstance(value, list):
        for inner in value:
            _no_lone_surrogates(inner)
