"""Shared fixtures: the shipped material, one trained model per session, the app and its client."""

from __future__ import annotations

from pathlib import Path

import pytest

from postguard.app import create_app
from postguard.trainer import Material, train_and_publish
from support import EXAMPLES, POLICY


@pytest.fixture(scope="session")
def model_path(tmp_path_factory) -> Path:
    """A model trained once from the shipped examples, policy and base corpus."""
    folder = tmp_path_factory.mktemp("model")
    artifact = folder / "postguard.joblib"
    train_and_publish(Material(EXAMPLES, POLICY, base=True), artifact, force=True, log=lambda _: None)
    return artifact


@pytest.fixture(scope="session")
def app(model_path):
    return create_app({"MODEL_PATH": str(model_path), "POLICY_PATH": str(POLICY), "TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def checker(app):
    return app.extensions["postguard"].checker
