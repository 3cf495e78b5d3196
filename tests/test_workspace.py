"""The comms workspace's library parts, without HTTP: examples file, model versions, feedback
counts, training progress."""

import datetime as dt
import json
import shutil

import pytest

from postguard.artifact import card_path, copy_model, read_card
from postguard.examples import load_examples
from postguard.feedback import MAX_SHARED, FeedbackStore, iso_week
from postguard.files import copies_of, keep_copy
from postguard.model_versions import KEEP_VERSIONS, ModelVersions
from postguard.policy import load_policy
from postguard.trainer import Material, train_and_publish
from postguard.training import train
from postguard.workspace import Conflict, ExamplesFile, NotFound, example_ids
from support import TOPICS, write_small_material


@pytest.fixture(scope="module")
def small_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("small")
    artifact = write_small_material(folder)
    train_and_publish(Material(folder / "examples.csv", folder / "policy.toml", base=False), artifact,
                      force=True, log=lambda _: None)
    return folder


@pytest.fixture
def folder(tmp_path, small_model):
    copy = tmp_path / "model"
    shutil.copytree(small_model, copy)
    return copy


def examples_file(folder):
    return ExamplesFile(folder / "examples.csv", lambda: TOPICS, copies=folder / "versions")


def test_example_ids_are_stable_and_repeated_texts_get_a_suffix():
    assert example_ids(["a", "b", "a"])[2] == example_ids(["a"])[0] + "-2"
    assert example_ids(["x", "b"])[1] == example_ids(["b"])[0]


def test_examples_file_keeps_its_simple_form_until_shareable_is_used(folder):
    examples = examples_file(folder)
    examples.add("Wir feiern unser Sommerfest am Freitag.", "ok")
    assert (folder / "examples.csv").read_text(encoding="utf-8").startswith("text,topic\n")
    other = examples.records()[0]
    added = examples.add('Ein Text mit "Anführungszeichen",\nKomma und Zeilenumbruch.', "strategy", shareable=True)
    assert (folder / "examples.csv").read_text(encoding="utf-8").startswith("text,topic,shareable\n")
    assert examples.records()[0].id == other.id  # ids do not move when others change
    loaded = load_examples(folder / "examples.csv", TOPICS)
    assert loaded[-1].text == added.text and loaded[-1].shareable is True
    with pytest.raises(Conflict):
        examples.add(added.text, "ok")
    with pytest.raises(NotFound):
        examples.delete("000000000000")


def test_publishing_keeps_the_last_five_versions(folder):
    artifact = folder / "postguard.joblib"
    versions = ModelVersions(artifact)
    published = read_card(artifact)
    for n in range(7):  # older versions, as if published in earlier years
        target = versions.folder / f"2020010{n}-000000-old{n}" / artifact.name
        copy_model(artifact, target)
        card = json.loads(card_path(target).read_text())
        card.update(version=target.parent.name, trained_at=f"2020-01-0{n + 1}T00:00:00+00:00")
        card_path(target).write_text(json.dumps(card))
    candidate = versions.candidate
    copy_model(artifact, candidate)
    card = json.loads(card_path(candidate).read_text())
    card.update(version="20990101-000000-newest", trained_at="2099-01-01T00:00:00+00:00")
    card_path(candidate).write_text(json.dumps(card))

    versions.publish(TOPICS, force=True)
    kept = versions.versions()
    assert len(kept) == KEEP_VERSIONS
    assert [v["version"] for v in kept[:2]] == ["20990101-000000-newest", published["version"]]
    assert kept[0]["current"] and not any(v["current"] for v in kept[1:])
    assert not candidate.exists()

    versions.restore(published["version"], TOPICS)
    assert read_card(artifact)["version"] == published["version"]
    assert [v["version"] for v in versions.versions() if v["current"]] == [published["version"]]
    with pytest.raises(Conflict, match="knows nothing of the topic 'wages'"):
        versions.restore("20990101-000000-newest", (*TOPICS, "wages"))


def test_kept_copies_are_the_newest(tmp_path):
    policy = tmp_path / "policy.toml"
    for n in range(4):
        policy.write_text(f"# version {n}\n")
        keep_copy(policy, tmp_path / "versions", keep=2)
    kept = copies_of(policy, tmp_path / "versions")
    assert [copy.read_text() for copy in kept] == ["# version 3\n", "# version 2\n"]


def test_feedback_keeps_weeks_counts_and_shared_texts_only(tmp_path):
    assert iso_week(dt.date(2027, 1, 1)) == "2026-W53" and iso_week(dt.date(2026, 3, 2)) == "2026-W10"
    store = FeedbackStore(tmp_path)
    day = dt.date(2026, 3, 2)
    for _ in range(5):
        store.record("false_alarm", "financials", today=day)
    store.record("false_alarm", "financials", today=day + dt.timedelta(days=7))
    store.record("missed_risk", None, "Ein geteilter Text", today=day)
    statistics = store.statistics()
    assert statistics["weeks"] == [{"week": "2026-W10", "topic": "financials", "kind": "false_alarm", "count": 5}]
    # the hidden week's single report is left out of the total too, or 6 - 5 would reveal it
    assert statistics["totals"] == [{"topic": "financials", "kind": "false_alarm", "count": 5}]
    assert store.statistics(minimum=1)["weeks"][0]["week"] == "2026-W11"
    (entry,) = store.shared()
    assert entry["text"] == "Ein geteilter Text" and entry["week"] == "2026-W10" and set(entry) == {"id", "week", "kind", "topic", "text"}
    with pytest.raises(ValueError):
        store.record("angry", None)
    for n in range(MAX_SHARED + 3):
        store.record("missed_risk", None, f"text {n}", today=day)
    assert len(store.shared()) == MAX_SHARED and store.shared()[0]["text"] == f"text {MAX_SHARED + 2}"


def test_training_reports_progress_up_to_the_end(small_model):
    policy = load_policy(small_model / "policy.toml")
    examples = load_examples(small_model / "examples.csv", policy.topic_ids)
    steps = []
    result = train(examples, policy, progress=lambda done, total: steps.append(done / total))
    assert steps == sorted(steps) and steps[-1] == 1.0 and len(steps) >= 3
    assert len(result.decided) == len(examples)
