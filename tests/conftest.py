"""Shared fixtures: the shipped material, one trained model per session, the app and its client."""

from __future__ import annotations

from pathlib import Path

import pytest

from postguard.app import create_app
from postguard.trainer import Material, train_and_publish

ROOT = Path(__file__).resolve().parents[1]
POLICY = ROOT / "model" / "policy.toml"
EXAMPLES = ROOT / "model" / "examples.csv"


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


def assert_finding(finding: dict, topic: str, text: str, contains: str | None = None) -> None:
    """A finding names the topic, points at a passage of the text and explains it fully."""
    assert finding["topic"] == topic, finding
    passage = utf16_slice(text, finding["offset"], finding["length"])
    if contains is not None:
        assert contains in passage, (passage, contains)
    assert finding["evidence"], finding
    for key in ("title", "message", "guideline", "alternative", "speakers"):
        assert finding[key].strip(), key
    assert finding["contact"]["name"] and "@" in finding["contact"]["email"]


def utf16_slice(text: str, offset: int, length: int) -> str:
    """Cut `text` as JavaScript would with UTF-16 offset and length."""
    units = text.encode("utf-16-le")
    return units[2 * offset : 2 * (offset + length)].decode("utf-16-le")
