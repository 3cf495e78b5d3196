"""A newly published model is swapped in under load, without a failed request."""

import os
import shutil
import threading
import time
import warnings

import pytest

from postguard.app import State, create_app
from postguard.artifact import card_path, load_model, save_model
from postguard.policy import load_policy
from support import POLICY


def test_new_model_is_swapped_in_without_a_failed_request(tmp_path, model_path):
    artifact = tmp_path / "postguard.joblib"
    shutil.copy(model_path, artifact)
    shutil.copy(card_path(model_path), card_path(artifact))
    app = create_app({"MODEL_PATH": str(artifact), "POLICY_PATH": str(POLICY), "MODEL_RELOAD_SECONDS": 0})
    old = app.extensions["postguard"].checker.model
    statuses, versions, stop = [], set(), threading.Event()

    def client_loop():
        client = app.test_client()
        while not stop.is_set():
            reply = client.post("/v1/check", json={"text": "Unser Umsatz lag bei 48 Millionen Euro."})
            statuses.append(reply.status_code)
            versions.add(reply.get_json()["model"]["version"])

    clients = [threading.Thread(target=client_loop) for _ in range(4)]
    for thread in clients:
        thread.start()
    time.sleep(0.5)
    save_model(old.classifier, {**old.card, "version": "swapped-in"}, artifact)
    deadline = time.monotonic() + 60
    while "swapped-in" not in versions and time.monotonic() < deadline:
        time.sleep(0.1)
    stop.set()
    for thread in clients:
        thread.join()
    assert "swapped-in" in versions
    assert versions == {old.card["version"], "swapped-in"}
    assert len(statuses) > 20 and set(statuses) == {200}
    assert load_model(artifact).card["version"] == "swapped-in"


def test_a_broken_publication_keeps_the_current_model(tmp_path, model_path):
    artifact = tmp_path / "postguard.joblib"
    shutil.copy(model_path, artifact)
    shutil.copy(card_path(model_path), card_path(artifact))
    app = create_app({"MODEL_PATH": str(artifact), "POLICY_PATH": str(POLICY), "MODEL_RELOAD_SECONDS": 0})
    version = app.extensions["postguard"].checker.model.card["version"]
    card_path(artifact).write_text('{"version": "broken"}', encoding="utf-8")
    client = app.test_client()
    for _ in range(20):
        reply = client.post("/v1/check", json={"text": "Hallo zusammen, schönes Wochenende!"})
        assert reply.status_code == 200 and reply.get_json()["model"]["version"] == version
        time.sleep(0.05)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="Windows does not fork")
def test_a_forked_worker_does_not_inherit_a_reload_in_progress(tmp_path):
    """A reload thread holds the lock while it loads; a worker forked meanwhile gets its own lock
    (the thread stays behind in the parent), so that it can still swap in new models."""
    state = State(load_policy(POLICY), tmp_path / "postguard.joblib", checker=None)
    with state._loading, warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Python 3.12 warns of forks beside threads
        pid = os.fork()
        if pid == 0:
            os._exit(0 if state._loading.acquire(blocking=False) else 1)
    assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
