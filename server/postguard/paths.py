"""Where the company's material and the trained model are found."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from importlib import resources
from pathlib import Path

ARTIFACT_NAME = "postguard.joblib"
POLICY_NAME = "policy.toml"
EXAMPLES_NAME = "examples.csv"
# The checkout the package runs from (in a wheel, folders beside it are absent).
CHECKOUT = Path(__file__).resolve().parents[2]
SOURCE_MODEL_DIR = CHECKOUT / "model"
EVALUATION_SETS = CHECKOUT / "eval"  # the sample company's evaluation sets
# What was last copied from the package into a model folder: sha256 per file name.
SHIPPED_STAMP = ".shipped.json"


def user_data_dir() -> Path:
    """The per-user data folder, the model folder of an installed package.

    Linux: $XDG_DATA_HOME/postguard (~/.local/share/postguard); macOS:
    ~/Library/Application Support/Postguard; Windows: %LOCALAPPDATA%\\Postguard.
    """
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local"
        return Path(base) / "Postguard"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "Postguard"
    base = os.environ.get("XDG_DATA_HOME", "")
    # the XDG spec says to ignore a relative path
    return (Path(base) if os.path.isabs(base) else Path.home() / ".local" / "share") / "postguard"


def default_model_dir() -> Path:
    """The configured `model_dir` (see config.py), else `./model` or the source tree's `model/`
    when it holds a policy, else the per-user data folder.

    Raises ConfigError when the configuration cannot be read.
    """
    from .config import load_config  # config names the artifact file from here

    configured = load_config()["model_dir"]
    if configured:
        return Path(configured)
    for candidate in (Path.cwd() / "model", SOURCE_MODEL_DIR):
        if (candidate / POLICY_NAME).is_file():
            return candidate
    return user_data_dir()


def default_artifact() -> Path:
    return default_model_dir() / ARTIFACT_NAME


def material_for(artifact: Path) -> tuple[Path, Path]:
    """The examples and policy a model is trained from: those beside it, else the defaults."""
    folder = artifact.parent if (artifact.parent / POLICY_NAME).is_file() else default_model_dir()
    return folder / EXAMPLES_NAME, folder / POLICY_NAME


def shipped_material():
    """The folder with the policy and examples the package was built with.

    A wheel carries the repository's `model/` material as `postguard/defaults`; a source
    checkout (or editable install) reads `model/` itself.
    """
    folder = resources.files("postguard") / "defaults"
    return folder if folder.is_dir() else SOURCE_MODEL_DIR


def install_shipped_material(folder: Path, shipped=None) -> list[Path]:
    """Copy the shipped policy and examples into a model folder; return the files written.

    Handled like a package manager's configuration files: a file is copied when it is
    missing, or when the package brings a new version and the copy here is still the one
    copied last time. A file someone edited here is never overwritten.
    """
    shipped = shipped if shipped is not None else shipped_material()
    if Path(str(shipped)).resolve() == folder.resolve():
        return []
    stamp_path = folder / SHIPPED_STAMP
    try:
        stamp = json.loads(stamp_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        stamp = {}
    written = []
    for name in (POLICY_NAME, EXAMPLES_NAME):
        content = (shipped / name).read_bytes()
        digest = hashlib.sha256(content).hexdigest()
        target = folder / name
        if target.exists():
            current = hashlib.sha256(target.read_bytes()).hexdigest()
            if current == digest or current != stamp.get(name):
                continue  # up to date, or edited here (or not ours): keep it
        folder.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        stamp[name] = digest
        written.append(target)
    if written:
        stamp_path.write_text(json.dumps(stamp, indent=2) + "\n", encoding="utf-8")
    return written
