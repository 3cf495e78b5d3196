"""Where the company's material and the trained model are found."""

from __future__ import annotations

from pathlib import Path

ARTIFACT_NAME = "postguard.joblib"
POLICY_NAME = "policy.toml"
EXAMPLES_NAME = "examples.csv"


def default_model_dir() -> Path:
    """The configured `model_dir` (see config.py), else `./model`, else the source tree's `model/`.

    Raises ConfigError when the configuration cannot be read.
    """
    from .config import load_config  # config names the artifact file from here

    configured = load_config()["model_dir"]
    if configured:
        return Path(configured)
    for candidate in (Path.cwd() / "model", Path(__file__).resolve().parents[2] / "model"):
        if (candidate / POLICY_NAME).is_file():
            return candidate
    return Path.cwd() / "model"


def default_artifact() -> Path:
    return default_model_dir() / ARTIFACT_NAME


def material_for(artifact: Path) -> tuple[Path, Path]:
    """The examples and policy a model is trained from: those beside it, else the defaults."""
    folder = artifact.parent if (artifact.parent / POLICY_NAME).is_file() else default_model_dir()
    return folder / EXAMPLES_NAME, folder / POLICY_NAME
