"""The Flask application factory."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask
from flask_cors import CORS

from . import access, forks
from .artifact import ModelError, card_path, load_model
from .check import Checker
from .clients import LOOPBACK_HOSTS, ClientGuard
from .config import DEV_EXTENSION_ID, load_config
from .errors import register_error_handlers
from .examples import ExamplesError, load_examples
from .feedback import FeedbackStore
from .feeds import FeedReader
from .guidelines import SharedExample, shared_examples
from .paths import EXAMPLES_NAME, default_artifact, material_for
from .policy import Policy, PolicyError, load_policy

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
    policy_path: Path | None = None  # read again with each model, so both change together
    cache_sentences: int = 0
    _card_stamp: tuple | None = None
    _failed_stamp: tuple | None = None  # a publication that could not be loaded: not retried
    _next_look: float = 0.0
    _loading: threading.Lock = field(default_factory=threading.Lock)
    examples: tuple[SharedExample, ...] = ()  # what employees may see of the examples
    feeds: FeedReader | None = None  # the inside feed, when the policy lists feeds

    def __post_init__(self):
        forks.after_fork_in_child(self._after_fork)

    def _after_fork(self) -> None:
        # A reload thread does not come along into a forked worker; the lock it held would.
        self._loading = threading.Lock()

    def load(self) -> None:
        """Load the published model; raise ModelError if it is unusable with this policy."""
        stamp = _stamp(card_path(self.artifact))
        model = load_model(self.artifact)
        policy = self._current_policy()
        missing = set(policy.topic_ids) - set(model.classifier.topics)
        if missing:
            raise ModelError(
                f"model {self.artifact} knows nothing of the policy's topics "
                f"{', '.join(sorted(missing))}; run `python train_classifier.py`"
            )
        self.policy = policy
        self.checker, self.reason, self._card_stamp = Checker(model, policy, cache_sentences=self.cache_sentences), "", stamp

    def reload_now(self) -> None:
        """Load the published model at once (after publishing it); raise ModelError if unusable."""
        with self._loading:
            self.load()

    def refresh_policy(self) -> bool:
        """Serve the policy file as it is now, if the model knows all its topics; else keep it for
        the next model and return False."""
        policy = self._current_policy()
        checker = self.checker
        if checker is None:  # no model yet: the policy alone is served (/v1/policy)
            self.policy = policy
            return True
        if set(policy.topic_ids) - set(checker.model.classifier.topics):
            return False
        self.policy, self.checker = policy, Checker(checker.model, policy, cache_sentences=self.cache_sentences)
        return True

    def _current_policy(self) -> Policy:
        if self.policy_path is None:
            return self.policy
        try:
            return load_policy(self.policy_path)
        except PolicyError:  # edited by hand and broken: keep serving the one that worked
            log.warning("kept the current policy; %s cannot be read", self.policy_path.name)
            return self.policy

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

    Settings come from the defaults below, then the configuration files and POSTGUARD_*
    environment variables (see `config.py`), then `config`.
    """
    app = Flask(__name__)
    app.config.from_mapping(
        MODEL_PATH=None,  # the trained artifact; default: postguard.joblib in the model folder
        POLICY_PATH=None,  # default: the policy.toml beside the model
        REQUIRE_MODEL=True,  # False: start without a model and answer 503 until there is one
        MAX_TEXT_CHARS=100_000,
        MAX_CONTENT_LENGTH=1024 * 1024,
        MODEL_RELOAD_SECONDS=1.0,  # how often to look for a newly published model; -1: never
        TOKEN="",  # pairing token; when set, every client must send it
        EXTENSION_IDS=[DEV_EXTENSION_ID],  # Chrome/Edge extensions allowed as Origin
        EXTRA_HOSTS=[],  # Host names served besides the loopback ones (a central server's name)
        EXAMPLES_PATH=None,  # default: the examples.csv beside the policy
        FEED_CACHE_PATH=None,  # default: cache/feeds.json beside the model
        FEED_REFRESH_SECONDS=1800,  # how often to fetch the policy's feeds; 0 or less: never
        FEED_TIMEOUT_SECONDS=10,
        FEED_MAX_BYTES=2 * 1024 * 1024,
        FEED_MAX_ITEMS=30,
        ADMIN_REMOTE=False,  # True: the comms workspace answers other computers too, not only this one
        CHECK_CACHE_SENTENCES=2048,  # recently scored sentences kept in memory; 0: none
        # False: /admin and /v1/admin/ answer an error. For several worker processes: the
        # workspace keeps sign-ins and training jobs in the memory of one process.
        WORKSPACE=True,
        # True: this app is built once and then forked into worker processes (`serve --workers`,
        # gunicorn's preload_app); background work starts in each worker with its first request.
        PRELOADED=False,
    )
    app.config.from_mapping(load_config().app_settings())
    app.config.from_mapping(config or {})
    if app.config["EXTRA_HOSTS"] and not app.config["TOKEN"]:
        raise ValueError(
            "a server reachable under other names than the loopback ones needs a pairing token; "
            "set `token` in the configuration (`postguard token --new`)"
        )
    app.json.sort_keys = False
    app.json.ensure_ascii = False

    artifact = Path(app.config["MODEL_PATH"] or default_artifact())
    policy_path = Path(app.config["POLICY_PATH"] or material_for(artifact)[1])
    policy = load_policy(policy_path)
    state = State(
        policy, artifact, checker=None, reload_seconds=app.config["MODEL_RELOAD_SECONDS"],
        policy_path=policy_path, cache_sentences=app.config["CHECK_CACHE_SENTENCES"],
    )
    try:
        state.load()
    except ModelError as exc:
        if app.config["REQUIRE_MODEL"]:
            raise
        state.reason = str(exc)
    state.examples = _shareable_examples(Path(app.config["EXAMPLES_PATH"] or policy_path.parent / EXAMPLES_NAME), policy)
    state.feeds = _feed_reader(app.config, policy, artifact)
    app.extensions["postguard"] = state

    register_error_handlers(app)
    access.init_app(app)
    guard = ClientGuard(
        token=app.config["TOKEN"],
        extension_ids=app.config["EXTENSION_IDS"],
        hosts=[*LOOPBACK_HOSTS, *(h.lower() for h in app.config["EXTRA_HOSTS"])],
    )
    app.before_request(guard.check_request)
    app.before_request(state.look_for_new_model)
    if state.feeds is not None:
        app.before_request(state.feeds.keep_refreshing)
    # The extension may call the public API; the comms workspace (/v1/admin/) is same-origin only.
    CORS(app, resources={r"^/v1/(?!admin/).*": {"origins": guard.cors_origins()}}, max_age=600)
    app.extensions["postguard_feedback"] = FeedbackStore(artifact.parent)

    from . import admin, api

    app.register_blueprint(api.bp)
    admin.init_app(app, state, examples_path=Path(app.config["EXAMPLES_PATH"] or policy_path.parent / EXAMPLES_NAME))
    return app


def _shareable_examples(path: Path, policy: Policy) -> tuple[SharedExample, ...]:
    """The examples comms marked as shareable; none when the file cannot be read (checks go on)."""
    try:
        return shared_examples(load_examples(path, policy.topic_ids), policy)
    except ExamplesError as exc:
        log.warning("the guidelines show no examples: %s", exc)
        return ()


def _feed_reader(config, policy: Policy, artifact: Path) -> FeedReader | None:
    """The inside feed's reader, refreshing in the background when the policy lists feeds."""
    if not policy.feeds:
        return None
    reader = FeedReader(
        policy.feeds,
        Path(config["FEED_CACHE_PATH"] or artifact.parent / "cache" / "feeds.json"),
        timeout=float(config["FEED_TIMEOUT_SECONDS"]),
        max_bytes=int(config["FEED_MAX_BYTES"]),
        max_items=int(config["FEED_MAX_ITEMS"]),
    )
    if config["FEED_REFRESH_SECONDS"] > 0:
        reader.start(float(config["FEED_REFRESH_SECONDS"]), now=not config["PRELOADED"])
    return reader

