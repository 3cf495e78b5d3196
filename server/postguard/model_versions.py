"""Model versions of the comms workspace: the trained candidate, publishing it through the
quality gate, the last five published models, and restoring one of them.

Everything lives in `<model folder>/versions/`: `candidate/` holds a model trained but not yet
published, with the examples and policy it was trained from and its report; `<version>/` holds
a published one. Publishing copies the model over the served artifact (atomically, see
`artifact.copy_model`); the running server notices the new card and swaps the model in.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from .artifact import ModelError, card_path, copy_model, load_model, read_card, save_model
from .files import write_atomically
from .paths import EXAMPLES_NAME, POLICY_NAME
from .trainer import GateRefused, Trained, check_gate
from .workspace import Conflict, NotFound

KEEP_VERSIONS = 5
CANDIDATE = "candidate"
REPORT_NAME = "report.json"
_VERSION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,80}$")


class ModelVersions:
    """The candidate and the kept versions of the model published at `artifact`."""

    def __init__(self, artifact: Path):
        self.artifact = Path(artifact)
        self.folder = self.artifact.parent / "versions"

    @property
    def candidate(self) -> Path:
        """The candidate's artifact path (it may not exist)."""
        return self.folder / CANDIDATE / self.artifact.name

    def staging(self) -> Path:
        """An empty folder to build the next candidate in; `promote_staging` makes it the candidate."""
        staging = self.folder / f".{CANDIDATE}-new"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        return staging

    def save_staged(self, staging: Path, trained: Trained, report: dict) -> None:
        """Write a trained model and its report into the staging folder, then make it the candidate."""
        save_model(trained.result.classifier, trained.card, staging / self.artifact.name)
        write_atomically(staging / REPORT_NAME, json.dumps(report, ensure_ascii=False).encode("utf-8"))
        target = self.folder / CANDIDATE
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)

    def candidate_card(self) -> dict | None:
        return read_card(self.candidate) if self.candidate.is_file() else None

    def candidate_report(self) -> dict | None:
        try:
            return json.loads((self.folder / CANDIDATE / REPORT_NAME).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def gate(self) -> str | None:
        """Why the quality gate refuses the candidate, or None when it may be published."""
        card = self.candidate_card()
        if card is None:
            return None
        try:
            check_gate(read_card(self.artifact), card.get("quality", {}))
        except GateRefused as exc:
            return str(exc)
        return None

    def publish(self, topic_ids: tuple[str, ...], force: bool = False) -> dict:
        """Publish the candidate through the quality gate (unless `force`); returns its card."""
        card = self.candidate_card()
        if card is None:
            raise Conflict("there is no trained model to publish; train one first")
        self._check_usable(self.candidate, topic_ids)
        refused = None if force else self.gate()
        if refused:
            raise Conflict(f"not published: {refused} Publish anyway to replace the model regardless.")
        self._archive_published()
        published = copy_model(self.candidate, self.artifact)
        target = self._version_dir(card["version"])
        shutil.rmtree(target, ignore_errors=True)
        (self.folder / CANDIDATE).rename(target)
        self._prune()
        return published

    def versions(self) -> list[dict]:
        """The kept published versions, newest first, the one in service marked (and listed
        even before it is kept, e.g. when it was trained from the command line)."""
        published = read_card(self.artifact) or {}
        cards = [read_card(folder / self.artifact.name) or {} for folder in self._version_folders()]
        if published.get("version") and published["version"] not in [card.get("version") for card in cards]:
            cards.append(published)
            cards.sort(key=lambda card: card.get("trained_at", ""), reverse=True)
        return [_summary(card, current=card.get("version") == published.get("version")) for card in cards]

    def restore(self, version: str, topic_ids: tuple[str, ...]) -> dict:
        """Publish a kept version again (no gate: comms goes back on purpose)."""
        folder = self._version_dir(version)
        source = folder / self.artifact.name
        if not source.is_file():
            raise NotFound(f"no kept model version {version!r}")
        self._check_usable(source, topic_ids)
        self._archive_published()
        return copy_model(source, self.artifact)

    # ---- helpers ---------------------------------------------------------------------------

    def _check_usable(self, source: Path, topic_ids: tuple[str, ...]) -> None:
        try:
            model = load_model(source)
        except ModelError as exc:
            raise Conflict(f"this model cannot be used: {exc}") from None
        missing = sorted(set(topic_ids) - set(model.classifier.topics))
        if missing:
            raise Conflict(
                f"this model knows nothing of the topic {', '.join(repr(t) for t in missing)} "
                "that the policy has now; train again"
            )

    def _archive_published(self) -> None:
        """Keep the model in service among the versions before it is replaced."""
        card = read_card(self.artifact)
        if not isinstance(card, dict) or not isinstance(card.get("version"), str):
            return
        try:
            target = self._version_dir(card["version"])
        except NotFound:
            return
        if (target / self.artifact.name).is_file():
            return
        try:
            copy_model(self.artifact, target / self.artifact.name)
        except ModelError:
            return  # a damaged model is not worth keeping

    def _version_dir(self, version: str) -> Path:
        if not _VERSION.match(version or "") or version == CANDIDATE:
            raise NotFound(f"no kept model version {version!r}")
        return self.folder / version

    def _version_folders(self) -> list[Path]:
        if not self.folder.is_dir():
            return []
        folders = [
            entry for entry in self.folder.iterdir()
            if entry.is_dir() and entry.name != CANDIDATE and not entry.name.startswith(".")
            and card_path(entry / self.artifact.name).is_file()
        ]
        trained = {entry: (read_card(entry / self.artifact.name) or {}).get("trained_at", "") for entry in folders}
        return sorted(folders, key=lambda entry: (trained[entry], entry.name), reverse=True)

    def _prune(self) -> None:
        current = (read_card(self.artifact) or {}).get("version")
        for folder in self._version_folders()[KEEP_VERSIONS:]:
            if folder.name != current:
                shutil.rmtree(folder, ignore_errors=True)


def _summary(card: dict, current: bool) -> dict:
    quality = card.get("quality", {})
    measured = quality.get("company") or quality.get("all") or {}
    return {
        "version": card.get("version", ""),
        "trained_at": card.get("trained_at", ""),
        "base_corpus": card.get("base_corpus", True),
        "macro_f1": measured.get("macro_f1"),
        "false_alarm_rate": measured.get("false_alarm_rate"),
        "current": current,
    }


def snapshot_material(staging: Path, examples: Path, policy: Path) -> tuple[Path, Path]:
    """Copy the examples and policy into `staging`: training reads one consistent state."""
    copied = staging / EXAMPLES_NAME, staging / POLICY_NAME
    shutil.copyfile(examples, copied[0])
    shutil.copyfile(policy, copied[1])
    return copied
