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


def assert_error(response, status: int, fragment: str = "") -> None:
    """The one error shape, with the status and a message that says `fragment`."""
    assert response.status_code == status
    body = response.get_json()
    assert set(body) == {"error", "message"}, body
    assert fragment in body["message"], body
