"""The comms workspace's parts, put together once per app: what the admin views work with."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, Flask, current_app, request

from .admin_auth import Sessions
from .errors import APIError
from .feedback import FeedbackStore
from .model_versions import ModelVersions
from .policy import Policy, PolicyError, load_policy
from .training_jobs import TrainingJobs
from .workspace import Conflict, ExamplesFile

LOOPBACK_ADDRESSES = ("127.0.0.1", "::1", "::ffff:127.0.0.1")
WORKSPACE_OFF = (
    "the comms workspace runs only on a server with one worker process (workers = 1): it keeps "
    "sign-ins and training in that process's memory"
)


@dataclass
class Admin:
    """The workspace: examples, policy file, model versions, training, sessions and feedback."""

    state: object  # app.State: the policy and model in service
    folder: Path  # the model folder: versions, admin password, feedback
    policy_path: Path
    examples: ExamplesFile
    versions: ModelVersions
    jobs: TrainingJobs
    sessions: Sessions
    feedback: FeedbackStore

    def policy(self) -> Policy:
        """The policy file as comms last saved it (maybe not yet in service)."""
        return saved_policy(self.policy_path)


def saved_policy(path: Path) -> Policy:
    """The policy file as it is now; a broken one is a conflict comms can resolve."""
    try:
        return load_policy(path)
    except PolicyError as exc:
        raise Conflict(str(exc)) from None


def init_app(app: Flask, state, examples_path: Path) -> None:
    """Build the workspace for the app's model and policy and register its page and API."""
    from . import admin_api, admin_page

    if not app.config["WORKSPACE"]:
        app.register_blueprint(_workspace_off())
        return

    folder = Path(state.artifact).parent
    policy_path = Path(state.policy_path)
    versions = ModelVersions(state.artifact)
    app.extensions["postguard_admin"] = Admin(
        state=state, folder=folder, policy_path=policy_path,
        examples=ExamplesFile(examples_path, lambda: saved_policy(policy_path).topic_ids, copies=versions.folder),
        versions=versions,
        jobs=TrainingJobs(versions, examples_path, policy_path),
        sessions=Sessions(folder),
        feedback=app.extensions["postguard_feedback"],
    )
    app.register_blueprint(admin_page.bp)
    app.register_blueprint(admin_api.bp)


def _workspace_off() -> Blueprint:
    """Every workspace address answers that this server has no workspace."""
    off = Blueprint("workspace_off", __name__)

    def workspace_off(rest: str = ""):
        # 404, not 503: this server has no workspace, and waiting will not bring one (a 503
        # invites retries and monitoring alarms); the central server's proxy answers 404 too.
        raise APIError(WORKSPACE_OFF, 404)

    for rule in ("/admin", "/admin/<path:rest>", "/v1/admin/<path:rest>"):
        off.add_url_rule(rule, "off", workspace_off, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    return off


def current_admin() -> Admin:
    return current_app.extensions["postguard_admin"]


def only_this_computer() -> None:
    """The workspace answers only on this computer unless ADMIN_REMOTE says otherwise."""
    if current_app.config["ADMIN_REMOTE"]:
        return
    if (request.remote_addr or "") not in LOOPBACK_ADDRESSES:
        raise APIError(
            "the comms workspace answers only on the computer the server runs on; "
            "set POSTGUARD_ADMIN_REMOTE=true to open it to others",
            403,
        )
