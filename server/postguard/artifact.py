"""Saving and loading a trained model together with its model card.

joblib files are pickles, and unpickling runs code: a model is loaded only when the sha256 on
its card matches the file and it was made with this scikit-learn version.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import joblib
import sklearn

from .classifier import Classifier

CARD_SUFFIX = ".card.json"


class ModelError(RuntimeError):
    """No usable model at a path; the message names the path and the command that makes one."""


@dataclass(frozen=True)
class Model:
    """A loaded classifier and the card it was published with."""

    classifier: Classifier
    card: dict

    @property
    def info(self) -> dict:
        """What clients are told about the model."""
        return {"version": self.card["version"], "trained_at": self.card["trained_at"]}


def card_path(artifact: str | Path) -> Path:
    """The model card lives next to the artifact: `postguard.joblib` → `postguard.card.json`."""
    artifact = Path(artifact)
    return artifact.with_name(artifact.stem + CARD_SUFFIX)


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_card(artifact: str | Path) -> dict | None:
    """The model card of an artifact, or None when there is none or it is unreadable."""
    try:
        return json.loads(card_path(artifact).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def save_model(classifier: Classifier, card: dict, artifact: str | Path) -> dict:
    """Publish a model atomically (see `_publish`); returns its card with the artifact's sha256."""
    artifact = Path(artifact)
    return _publish(
        artifact,
        lambda aside: joblib.dump(classifier, aside, compress=3),
        lambda aside: {**card, "sha256": file_sha256(aside), "artifact": artifact.name},
    )


def copy_model(source: str | Path, target: str | Path) -> dict:
    """Publish a copy of a saved model (artifact and card) at `target`, atomically as `save_model`.

    The copy is checked against the sha256 on the source's card first; returns the new card.
    """
    source, target = Path(source), Path(target)
    card = read_card(source)
    if not isinstance(card, dict) or card.get("sha256") != file_sha256(source):
        raise ModelError(f"model {source} does not match the sha256 on its card")

    def checked_card(aside: Path) -> dict:
        if file_sha256(aside) != card["sha256"]:
            raise ModelError(f"model {source} changed while it was copied; try again")
        return {**card, "artifact": target.name}

    return _publish(target, lambda aside: shutil.copyfile(source, aside), checked_card)


def _publish(artifact: Path, write_model, card_for) -> dict:
    """Write the model and its card aside, then rename them into place.

    The artifact is renamed before the card: a reader that comes between the two sees a
    sha256 mismatch and keeps its current model instead of loading a half-published one.
    """
    artifact.parent.mkdir(parents=True, exist_ok=True)
    model_tmp, card_tmp = _temp_path(artifact), _temp_path(card_path(artifact))
    try:
        write_model(model_tmp)
        card = card_for(model_tmp)
        card_tmp.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(model_tmp, artifact)
        os.replace(card_tmp, card_path(artifact))
    finally:
        for leftover in (model_tmp, card_tmp):
            leftover.unlink(missing_ok=True)
    return card


def load_model(artifact: str | Path) -> Model:
    """Load a model after checking its card; raise ModelError saying what is wrong and the fix."""
    artifact = Path(artifact)
    fix = "run `python train_classifier.py` (or start `postguard serve`, which trains one)"
    if not artifact.is_file():
        raise ModelError(f"no model at {artifact}; {fix}")
    card = read_card(artifact)
    if not isinstance(card, dict) or not all(
        isinstance(card.get(key), str) for key in ("version", "trained_at", "sha256")
    ):
        raise ModelError(f"no readable model card at {card_path(artifact)}; {fix}")
    if card.get("sklearn_version") != sklearn.__version__:
        raise ModelError(
            f"model {artifact} was made with scikit-learn {card.get('sklearn_version')}, "
            f"this is {sklearn.__version__}; {fix}"
        )
    if card.get("sha256") != file_sha256(artifact):
        raise ModelError(f"model {artifact} does not match the sha256 on its card; {fix}")
    classifier = joblib.load(artifact)
    if not isinstance(classifier, Classifier):
        raise ModelError(f"{artifact} does not hold a Postguard classifier; {fix}")
    return Model(classifier=classifier, card=card)


def _temp_path(target: Path) -> Path:
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(handle)
    return Path(name)
