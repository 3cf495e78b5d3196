"""The `postguard` command: check from a terminal, and serve's model preparation."""

import json

from support import EXAMPLES, POLICY, copy_model_folder
from postguard.artifact import card_path
from postguard.cli import run
from postguard.trainer import Material, ensure_model, stale_reason


def test_check_prints_a_readable_warning(tmp_path, model_path, capsys):
    artifact = copy_model_folder(model_path, tmp_path)
    text = "Unser Umsatz lag im dritten Quartal bei 48 Millionen Euro."
    assert run(["check", "--model", str(artifact), text]) == 1
    out = capsys.readouterr().out
    assert "Finanzkennzahlen" in out and text in out and "Thomas Reuter" in out and "Warum" in out


def test_check_json_is_the_api_reply(tmp_path, model_path, capsys):
    artifact = copy_model_folder(model_path, tmp_path)
    assert run(["check", "--json", "--model", str(artifact), "Thanks team, what a great summer party!"]) == 0
    reply = json.loads(capsys.readouterr().out)
    assert reply["verdict"] == "ok" and reply["findings"] == [] and reply["lang"] == "en"


def test_check_without_model_says_how_to_make_one(tmp_path, capsys):
    assert run(["check", "--model", str(tmp_path / "none.joblib"), "Hallo"]) == 2
    assert "train_classifier.py" in capsys.readouterr().err


def test_serve_retrains_when_the_material_changed(tmp_path, model_path):
    artifact = copy_model_folder(model_path, tmp_path)
    material = Material(tmp_path / "examples.csv", tmp_path / "policy.toml", base=True)
    assert stale_reason(artifact, material) is None
    with open(tmp_path / "examples.csv", "a", encoding="utf-8") as stream:
        stream.write("Unser Team hat heute gemeinsam gekocht und gelacht.,ok\n")
    assert stale_reason(artifact, material) == "the model was made from other examples"
    messages = []
    ensure_model(artifact, material, log=messages.append)
    assert messages[0].startswith("Training the model first: the model was made from other examples")
    assert stale_reason(artifact, material) is None


def test_serve_trains_when_there_is_no_model(tmp_path):
    material = Material(EXAMPLES, POLICY, base=False)
    assert stale_reason(tmp_path / "postguard.joblib", material).startswith("no model at")


def test_a_model_of_an_older_design_is_retrained(tmp_path, model_path):
    """Cards of releases before the design was recorded belong to the logistic regression."""
    artifact = copy_model_folder(model_path, tmp_path)
    material = Material(tmp_path / "examples.csv", tmp_path / "policy.toml", base=True)
    card = json.loads(card_path(artifact).read_text(encoding="utf-8"))
    del card["design"]
    card_path(artifact).write_text(json.dumps(card), encoding="utf-8")
    assert stale_reason(artifact, material) == "the model was made with another design (chars_words_logistic)"


def test_a_model_made_with_other_settings_is_retrained(tmp_path, model_path, monkeypatch):
    """A setting inside the design (here the n-gram minimum) changes the model as much as its
    examples do, though the design keeps its name."""
    artifact = copy_model_folder(model_path, tmp_path)
    material = Material(tmp_path / "examples.csv", tmp_path / "policy.toml", base=True)
    assert stale_reason(artifact, material) is None
    monkeypatch.setattr("postguard.features.MIN_DF", 2)
    assert stale_reason(artifact, material) == "the model was made with other classifier settings"
    monkeypatch.undo()
    monkeypatch.setattr("postguard.training.FALSE_ALARM_TARGET_PER_TOPIC", 0.02)
    assert stale_reason(artifact, material) == "the model was made with other classifier settings"
    monkeypatch.undo()
    card = json.loads(card_path(artifact).read_text(encoding="utf-8"))
    del card["settings_sha256"]  # cards of releases before the settings were recorded
    card_path(artifact).write_text(json.dumps(card), encoding="utf-8")
    assert stale_reason(artifact, material) == "the model was made with other classifier settings"
