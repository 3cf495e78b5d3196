"""Training in the background for the comms workspace: one job at a time, with its progress.

The job snapshots the examples and policy, trains from the snapshot (the same training as
`train_classifier.py`), measures a learning curve, lists the company examples the model gets
wrong, and leaves the result as the candidate (see `model_versions`) for comms to publish.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from .examples import ExamplesError
from .model_versions import ModelVersions, snapshot_material
from .policy import PolicyError
from .trainer import Material, train_material
from .training import learning_curve
from .workspace import example_ids

MAX_MISTAKES = 200  # listed in the report; more would not be read
log = logging.getLogger(__name__)

# Shares of the progress bar: training with its cross-validation, then the learning curve.
_TRAINING_SHARE, _CURVE_SHARE = 0.65, 0.3


class TrainingBusy(RuntimeError):
    """A training is already running."""


@dataclass
class _Job:
    state: str = "idle"  # idle, running, done, failed
    step: str = ""
    progress: float = 0.0
    error: str = ""
    base: bool = True
    started_at: str = ""
    finished_at: str = ""
    thread: threading.Thread | None = field(default=None, repr=False)

    def to_dict(self) -> dict:
        return {
            "state": self.state, "step": self.step, "progress": round(self.progress, 3),
            "error": self.error, "base_corpus": self.base,
            "started_at": self.started_at, "finished_at": self.finished_at,
        }


class TrainingJobs:
    """Runs at most one training at a time and tells how far it is."""

    def __init__(self, versions: ModelVersions, examples: Path, policy: Path):
        self.versions = versions
        self.examples = Path(examples)
        self.policy = Path(policy)
        self._job = _Job()
        self._lock = threading.Lock()

    def status(self) -> dict:
        with self._lock:
            return self._job.to_dict()

    def start(self, base: bool) -> dict:
        """Start a training in a background thread; raise TrainingBusy while one runs."""
        with self._lock:
            if self._job.state == "running":
                raise TrainingBusy("a training is already running; wait until it has finished")
            self._job = _Job(state="running", step="Reading the examples and the policy",
                             base=base, started_at=_now())
            self._job.thread = threading.Thread(target=self._run, args=(base,), name="postguard-training", daemon=True)
            self._job.thread.start()
            return self._job.to_dict()

    def wait(self, timeout: float | None = None) -> dict:
        """Wait for the running job to end (for the command line and tests); returns its status."""
        thread = self._job.thread
        if thread is not None:
            thread.join(timeout)
        return self.status()

    def _run(self, base: bool) -> None:
        staging = None
        try:
            staging = self.versions.staging()
            examples, policy = snapshot_material(staging, self.examples, self.policy)
            trained = train_material(
                Material(examples, policy, base), log=lambda _: None,
                progress=lambda done, total: self._advance("Training and cross-validating", 0.05 + _TRAINING_SHARE * done / total),
            )
            curve = learning_curve(
                trained.examples, trained.policy, trained.result.classifier.thresholds,
                final=trained.result.quality,
                progress=lambda done, total: self._advance("Measuring the learning curve", 0.7 + _CURVE_SHARE * done / total),
            )
            self._advance("Saving the new model", 0.98)
            self.versions.save_staged(staging, trained, _report(trained, curve))
            self._finish("done")
        except (PolicyError, ExamplesError, ValueError) as exc:
            # The snapshot's folder means nothing to comms: name the file only.
            self._finish("failed", str(exc).replace(f"{staging}{os.sep}", "") if staging else str(exc))
        except Exception as exc:  # a bug must not leave the job "running" forever
            log.error("training failed: %s", type(exc).__name__)
            self._finish("failed", f"training failed unexpectedly ({type(exc).__name__})")

    def _advance(self, step: str, progress: float) -> None:
        with self._lock:
            self._job.step, self._job.progress = step, max(self._job.progress, min(progress, 1.0))

    def _finish(self, state: str, error: str = "") -> None:
        with self._lock:
            self._job.state, self._job.error, self._job.finished_at = state, error, _now()
            if state == "done":
                self._job.step, self._job.progress = "Finished", 1.0


def _report(trained, curve: list[dict]) -> dict:
    """What the workspace shows about a candidate besides its card."""
    company = [(e, d) for e, d in zip(trained.examples, trained.result.decided) if e.source == "company"]
    ids = example_ids([example.text for example, _ in company])
    mistakes = [
        {"id": example_id, "text": example.text, "topic": example.topic, "decided": decided}
        for example_id, (example, decided) in zip(ids, company)
        if decided != example.topic
    ]
    return {
        "version": trained.card["version"],
        "learning_curve": curve,
        "mistakes": mistakes[:MAX_MISTAKES],
        "mistakes_total": len(mistakes),
    }


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
