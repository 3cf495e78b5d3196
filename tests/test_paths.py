"""Where the model folder is, and how the shipped policy and examples get there."""

from pathlib import Path

import pytest

from postguard import paths
from support import EXAMPLES, POLICY


@pytest.mark.parametrize(
    ("platform", "environment", "expected"),
    [
        ("linux", {}, "{home}/.local/share/postguard"),
        ("linux", {"XDG_DATA_HOME": "/srv/data"}, "/srv/data/postguard"),
        ("linux", {"XDG_DATA_HOME": "relative/data"}, "{home}/.local/share/postguard"),
        ("darwin", {}, "{home}/Library/Application Support/Postguard"),
        ("win32", {"LOCALAPPDATA": "/users/anna/AppData/Local"}, "/users/anna/AppData/Local/Postguard"),
        ("win32", {}, "{home}/AppData/Local/Postguard"),
    ],
)
def test_user_data_dir_follows_each_systems_convention(monkeypatch, tmp_path, platform, environment, expected):
    monkeypatch.setattr(paths.sys, "platform", platform)
    monkeypatch.setenv("HOME", str(tmp_path))
    for name in ("XDG_DATA_HOME", "LOCALAPPDATA"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert paths.user_data_dir() == Path(expected.format(home=tmp_path))


@pytest.fixture
def installed(monkeypatch, tmp_path):
    """As if installed from a wheel: no source tree, an empty working folder, a private home."""
    monkeypatch.setattr(paths, "SOURCE_MODEL_DIR", tmp_path / "no-source-tree" / "model")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(paths.sys, "platform", "linux")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("POSTGUARD_MODEL_DIR", raising=False)
    return tmp_path / "data" / "postguard"


def test_model_folder_precedence(installed, tmp_path, monkeypatch):
    assert paths.default_model_dir() == installed
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "policy.toml").write_text("", encoding="utf-8")
    assert paths.default_model_dir() == tmp_path / "model"
    monkeypatch.setenv("POSTGUARD_MODEL_DIR", str(tmp_path / "configured"))
    assert paths.default_model_dir() == tmp_path / "configured"


def test_the_source_tree_is_used_in_a_checkout(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("POSTGUARD_MODEL_DIR", raising=False)
    assert paths.default_model_dir() == POLICY.parent


def shipped(folder: Path, policy: str = "policy v1", examples: str = "examples v1") -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "policy.toml").write_text(policy, encoding="utf-8")
    (folder / "examples.csv").write_text(examples, encoding="utf-8")
    return folder


def test_first_start_copies_the_shipped_material(tmp_path):
    target = tmp_path / "data"
    written = paths.install_shipped_material(target, shipped(tmp_path / "v1"))
    assert sorted(p.name for p in written) == ["examples.csv", "policy.toml"]
    assert (target / "policy.toml").read_text(encoding="utf-8") == "policy v1"
    assert paths.install_shipped_material(target, tmp_path / "v1") == []


def test_a_new_package_updates_copies_nobody_edited(tmp_path):
    target = tmp_path / "data"
    paths.install_shipped_material(target, shipped(tmp_path / "v1"))
    (target / "examples.csv").write_text("examples edited by comms", encoding="utf-8")

    written = paths.install_shipped_material(target, shipped(tmp_path / "v2", "policy v2", "examples v2"))
    assert [p.name for p in written] == ["policy.toml"]
    assert (target / "policy.toml").read_text(encoding="utf-8") == "policy v2"
    assert (target / "examples.csv").read_text(encoding="utf-8") == "examples edited by comms"


def test_material_put_there_by_someone_else_is_left_alone(tmp_path):
    target = shipped(tmp_path / "deployed-by-it", "their policy", "their examples")
    assert paths.install_shipped_material(target, shipped(tmp_path / "v1")) == []
    assert (target / "policy.toml").read_text(encoding="utf-8") == "their policy"


def test_the_package_carries_the_repositorys_material():
    folder = paths.shipped_material()
    assert (folder / "policy.toml").read_bytes() == POLICY.read_bytes()
    assert (folder / "examples.csv").read_bytes() == EXAMPLES.read_bytes()
    # the source tree is its own shipped material: nothing to copy
    assert paths.install_shipped_material(POLICY.parent) == []
