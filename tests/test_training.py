"""The comms team's training command, through main([...]) as they run it."""

import json

import numpy as np
import pytest
import sklearn
from sklearn.linear_model import LogisticRegression

from support import EXAMPLES, POLICY
from postguard.artifact import ModelError, card_path, load_model
from postguard.examples import parse_examples
from postguard.trainer import GateRefused, check_gate, main
from postguard.features import DEFAULT_DESIGN
from postguard.training import FALSE_ALARM_TARGET_PER_TOPIC, pipeline_for

TOPICS = ("financials", "strategy", "unreleased_products", "customer_projects")


def write_examples(path, rows, header="text,topic"):
    import csv

    with open(path, "w", encoding="utf-8", newline="") as stream:
        stream.write(header + "\n")
        csv.writer(stream).writerows(rows)
    return path


def small_examples(path):
    """Six examples per topic and a dozen harmless ones: the smallest useful company file."""
    rows = []
    for topic in TOPICS:
        rows += [(f"{topic} example number {n} about {topic.replace('_', ' ')}", topic) for n in range(6)]
    rows += [(f"Harmless post number {n} about our summer party", "ok") for n in range(12)]
    return write_examples(path, rows)


def test_training_writes_artifact_and_card_and_prints_quality(tmp_path, capsys):
    out = tmp_path / "model.joblib"
    assert main(["--examples", str(EXAMPLES), "--policy", str(POLICY), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    for topic in TOPICS:
        assert topic in printed
    assert "false alarms on harmless posts" in printed and "confusion" in printed
    card = json.loads(card_path(out).read_text())
    assert card["sklearn_version"] == sklearn.__version__
    assert len(card["sha256"]) == 64 and card["examples_sha256"] and card["policy_sha256"]
    assert card["base_corpus"] is True and card["base_corpus_sha256"]
    quality = card["quality"]
    assert set(quality["all"]["topics"]) == set(TOPICS)
    # each topic's threshold allows its share of false alarms on the (mostly hard) harmless posts
    assert quality["all"]["false_alarm_rate"] <= len(TOPICS) * FALSE_ALARM_TARGET_PER_TOPIC + 0.005
    assert quality["company"]["macro_f1"] > 0.5
    assert load_model(out).card["version"] == card["version"]


def test_training_without_base_corpus(tmp_path):
    out = tmp_path / "model.joblib"
    examples = small_examples(tmp_path / "examples.csv")
    assert main(["--examples", str(examples), "--policy", str(POLICY), "--out", str(out), "--no-base"]) == 0
    card = json.loads(card_path(out).read_text())
    assert card["base_corpus"] is False and "base_corpus_sha256" not in card
    assert card["quality"]["examples"] == {**{t: 6 for t in TOPICS}, "ok": 12}


@pytest.mark.parametrize(
    "content, fragment",
    [
        (None, "cannot read examples"),
        ("text,label\nHallo,ok\n", "missing column 'topic'"),
        ("text,topic\nHallo,weather\n", "line 2: unknown topic 'weather'"),
        ("text,topic\nHallo,ok\n\"\",financials\n", "line 3: empty text"),
        ("text,topic\nHallo,ok\n", "at least 5 examples"),
        (b"text,topic\n\xff\xfe,ok\n", "not UTF-8"),
        ("text,topic,shareable\nHallo,ok,maybe\n", "line 2: shareable must be 'yes', 'no' or empty"),
    ],
)
def test_bad_examples_are_one_line_and_exit_2(tmp_path, capsys, content, fragment):
    examples = tmp_path / "examples.csv"
    if isinstance(content, bytes):
        examples.write_bytes(content)
    elif content is not None:
        examples.write_text(content, encoding="utf-8")
    code = main(["--examples", str(examples), "--policy", str(POLICY), "--out", str(tmp_path / "m.joblib")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("error: ") and fragment in err, err
    assert not (tmp_path / "m.joblib").exists()


def test_shareable_column_is_optional_and_read():
    rows = parse_examples(
        "text,topic,shareable\nTolles Sommerfest!,ok,yes\nUmsatz 5 Mio.,financials,\n".encode(),
        ("financials",),
    )
    assert [(r.topic, r.shareable) for r in rows] == [("ok", True), ("financials", False)]
    assert not any(r.shareable for r in parse_examples(b"text,topic\nHallo,ok\n", ("financials",)))


def test_bad_policy_is_one_line_and_exit_2(tmp_path, capsys):
    policy = tmp_path / "policy.toml"
    policy.write_text('company = "X"\n[[topics]]\nid = "Not An Id"\n', encoding="utf-8")
    code = main(["--examples", str(EXAMPLES), "--policy", str(policy), "--out", str(tmp_path / "m.joblib")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "'id'" in err


def test_quality_gate_refuses_a_clearly_worse_model():
    before = {"quality": {"company": {"macro_f1": 0.90, "false_alarm_rate": 0.01}}}
    with pytest.raises(GateRefused, match="macro F1"):
        check_gate(before, {"company": {"macro_f1": 0.70, "false_alarm_rate": 0.01}})
    with pytest.raises(GateRefused, match="false-alarm rate"):
        check_gate(before, {"company": {"macro_f1": 0.90, "false_alarm_rate": 0.08, "harmless": 60}})
    check_gate(before, {"company": {"macro_f1": 0.88, "false_alarm_rate": 0.02, "harmless": 60}})
    # two more of 60 harmless posts flagged is fold noise, not a clearly worse model
    check_gate(before, {"company": {"macro_f1": 0.90, "false_alarm_rate": 0.0433, "harmless": 60}})
    check_gate(None, {"company": {"macro_f1": 0.1, "false_alarm_rate": 0.5}})


def shuffled_examples(path):
    """The shipped examples with their topics shuffled: a model of noise."""
    import csv
    import random

    with open(EXAMPLES, encoding="utf-8", newline="") as stream:
        rows = [(row["text"], row["topic"]) for row in csv.DictReader(stream)]
    topics = [topic for _, topic in rows]
    random.Random(7).shuffle(topics)
    return write_examples(path, [(text, topic) for (text, _), topic in zip(rows, topics)])


def test_gate_keeps_the_published_model_unless_forced(tmp_path, capsys):
    out = tmp_path / "model.joblib"
    good = ["--examples", str(EXAMPLES), "--policy", str(POLICY), "--out", str(out), "--no-base"]
    assert main(good) == 0
    published = json.loads(card_path(out).read_text())["version"]
    worse = shuffled_examples(tmp_path / "worse.csv")
    args = ["--examples", str(worse), "--policy", str(POLICY), "--out", str(out), "--no-base"]
    assert main(args) == 1
    assert "not published" in capsys.readouterr().err
    assert json.loads(card_path(out).read_text())["version"] == published
    assert main(args + ["--force"]) == 0
    assert json.loads(card_path(out).read_text())["version"] != published


def test_tampered_artifact_is_refused(tmp_path, model_path):
    import shutil

    copy = tmp_path / "postguard.joblib"
    shutil.copy(model_path, copy)
    shutil.copy(card_path(model_path), card_path(copy))
    load_model(copy)
    with open(copy, "ab") as stream:
        stream.write(b"tampered")
    with pytest.raises(ModelError, match="sha256"):
        load_model(copy)


def test_model_from_another_sklearn_version_is_refused(tmp_path, model_path):
    import shutil

    copy = tmp_path / "postguard.joblib"
    shutil.copy(model_path, copy)
    card = json.loads(card_path(model_path).read_text())
    card["sklearn_version"] = "0.1"
    card_path(copy).write_text(json.dumps(card))
    with pytest.raises(ModelError, match="scikit-learn 0.1"):
        load_model(copy)


def test_labels_too_few_to_calibrate_get_fewer_folds_or_the_logistic_regression():
    """A calibrated model needs every label in each calibration fold; a learning-curve point
    may keep only one or two of a topic's examples."""
    default = DEFAULT_DESIGN().named_steps["model"]

    def model_for(count):
        return pipeline_for(DEFAULT_DESIGN, np.array(["ok"] * 10 + ["strategy"] * count)).named_steps["model"]

    assert type(model_for(default.cv)) is type(default) and model_for(default.cv).cv == default.cv
    assert type(model_for(2)) is type(default) and model_for(2).cv == 2
    assert type(model_for(1)) is LogisticRegression


def test_small_material_keeps_every_ngram_and_trains():
    """With a handful of examples the usual minimum count and the maximum share would leave no
    n-gram at all ("After pruning, no terms remain"); small material keeps them all."""
    from postguard.features import MIN_DF
    from postguard.training import SMALL_MATERIAL, fit

    def min_dfs(count):
        features = pipeline_for(DEFAULT_DESIGN, np.array(["ok", "strategy"] * (count // 2))).named_steps["features"]
        return {transformer.min_df for _, transformer in features.transformer_list}

    assert min_dfs(SMALL_MATERIAL) == {MIN_DF} and min_dfs(40) == {1}
    texts = [f"Harmless post number {n} about our summer party" for n in range(8)]
    texts += ["Die Tarifverhandlungen stocken.", "Tarifverhandlungen: Angebot 4 %.", "Die Gewerkschaft droht."]
    labels = np.array(["ok"] * 8 + ["strategy"] * 3)
    pipeline = fit(texts, labels)
    assert list(pipeline.classes_) == ["ok", "strategy"]
    assert pipeline.predict(["Tarifverhandlungen mit der Gewerkschaft"])[0] == "strategy"


def test_posts_are_scored_for_thresholds_as_the_check_sees_them(monkeypatch):
    """Cross-validation scores a long post with the same allowance for length as the check."""
    import postguard.classifier as classifier_module
    from postguard.classifier import discounted_for_length, taboo_scores
    from postguard.text import normalise
    from postguard.training import fit, post_scores

    texts = [f"Harmless post number {n} about our summer party" for n in range(8)]
    texts += ["Die Tarifverhandlungen stocken.", "Tarifverhandlungen: Angebot 4 %.", "Die Gewerkschaft droht."]
    pipeline = fit(texts, np.array(["ok"] * 8 + ["strategy"] * 3))
    classes = list(pipeline.classes_)
    monkeypatch.setattr(classifier_module, "PAIR_FLOOR", 1.1)  # sentences only, no pairs
    risky = "Die Tarifverhandlungen mit der Gewerkschaft stocken."
    calm = ["Harmless post about our summer party.", "We had cake.", "The weather held.", "See you soon."]
    alone = taboo_scores(pipeline.predict_proba([normalise(risky)]), classes)[0]
    short, long = post_scores(pipeline, classes, [risky, " ".join([risky, *calm])])
    column = classes.index("strategy")
    assert short[column] == pytest.approx(alone[column])
    assert long[column] == pytest.approx(max(
        discounted_for_length(taboo_scores(pipeline.predict_proba([normalise(t)]), classes), 5)[0, column]
        for t in [risky, *calm]
    ))
    assert long[column] < short[column]


def test_the_same_material_trains_the_same_model():
    """Training is repeatable to the last digit: liblinear's shuffle does not take its seed from
    NumPy's global random state, which differs from process to process."""
    from postguard.training import fit

    texts = [f"Harmless post number {n} about our summer party and the {n % 7} cakes we had" for n in range(30)]
    texts += [f"Die Tarifverhandlungen stocken, Angebot {n} %, die Gewerkschaft droht in Werk {n % 3}" for n in range(15)]
    labels = np.array(["ok"] * 30 + ["strategy"] * 15)
    probes = ["Die Gewerkschaft droht mit Streik", "Summer party with cakes"]

    def trained_after(global_seed):
        np.random.seed(global_seed)
        return fit(texts, labels).predict_proba(probes)

    assert np.array_equal(trained_after(1), trained_after(2))
