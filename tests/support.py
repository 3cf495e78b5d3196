"""Constants and helpers the tests share (conftest.py holds the fixtures)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
POLICY = ROOT / "model" / "policy.toml"
EXAMPLES = ROOT / "model" / "examples.csv"


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


TOPICS = ("financials", "strategy", "unreleased_products", "customer_projects")


def write_small_material(folder: Path) -> Path:
    """The shipped policy and a tiny examples file (six per topic, a dozen harmless) in `folder`.

    Returns the path of the model to train there. Small enough to train in seconds without the
    base corpus; the comms workspace tests change it and train again.
    """
    import csv
    import shutil

    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(POLICY, folder / "policy.toml")
    rows = []
    for topic in TOPICS:
        rows += [(f"{topic} example number {n} about {topic.replace('_', ' ')}", topic) for n in range(6)]
    rows += [(f"Harmless post number {n} about our summer party", "ok") for n in range(12)]
    with open(folder / "examples.csv", "w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(["text", "topic"])
        writer.writerows(rows)
    return folder / "postguard.joblib"
