"""One version for the server and the extension, and the store packages built with it."""

from __future__ import annotations

import importlib.util
import json
import shutil
import zipfile

import pytest

import postguard
from support import ROOT

spec = importlib.util.spec_from_file_location("release", ROOT / "scripts" / "release.py")
release = importlib.util.module_from_spec(spec)
spec.loader.exec_module(release)

WEB_EXT = ROOT / "tests" / "e2e" / "node_modules" / ".bin" / "web-ext"


def test_server_and_extension_versions_agree():
    versions = release.read_versions()
    assert set(versions.values()) == {postguard.__version__}, versions
    assert release.main(["--check"]) == 0


@pytest.fixture
def copy_of_repo(tmp_path):
    """The files release.py writes or packs, in a scratch folder."""
    for name in ("pyproject.toml", "server/postguard/__init__.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "extension", tmp_path / "extension")
    return tmp_path


def manifest_in(package) -> dict:
    with zipfile.ZipFile(package) as archive:
        return json.loads(archive.read("manifest.json"))


def test_release_sets_one_version_and_builds_the_store_packages(copy_of_repo, capsys):
    if not WEB_EXT.exists():
        pytest.fail("web-ext is missing; run `bash tests/e2e/setup.sh` first", pytrace=False)
    assert release.main(["9.8.7", "--no-wheel", "--root", str(copy_of_repo), "--web-ext", str(WEB_EXT)]) == 0
    assert set(release.read_versions(copy_of_repo).values()) == {"9.8.7"}
    # only the version line changed
    before = json.loads((ROOT / "extension" / "manifest.json").read_text(encoding="utf-8"))
    after = json.loads((copy_of_repo / "extension" / "manifest.json").read_text(encoding="utf-8"))
    assert {**before, "version": "9.8.7"} == after

    chrome = manifest_in(copy_of_repo / "dist" / "postguard-9.8.7-chrome.zip")
    assert chrome["version"] == "9.8.7" and "key" not in chrome  # the stores refuse a key
    assert chrome["storage"]["managed_schema"] == "managed_schema.json"
    firefox = manifest_in(copy_of_repo / "dist" / "postguard-9.8.7.xpi")
    assert firefox["version"] == "9.8.7" and firefox["browser_specific_settings"]["gecko"]["id"]
    with zipfile.ZipFile(copy_of_repo / "dist" / "postguard-9.8.7.xpi") as archive:
        assert "managed_schema.json" in archive.namelist() and "_locales/de/messages.json" in archive.namelist()
    assert capsys.readouterr().out.split() == [
        str(copy_of_repo / "dist" / "postguard-9.8.7-chrome.zip"), str(copy_of_repo / "dist" / "postguard-9.8.7.xpi"),
    ]


@pytest.mark.parametrize("version", ["1.2.3-beta", "v1.2", "1.2.3.4.5", "01.2", ""])
def test_versions_browsers_refuse_are_refused(copy_of_repo, version, capsys):
    assert release.main([version, "--root", str(copy_of_repo)]) == 2
    assert "error:" in capsys.readouterr().err
    assert set(release.read_versions(copy_of_repo).values()) == {postguard.__version__}


def test_disagreeing_versions_are_reported(copy_of_repo, capsys):
    init = copy_of_repo / "server" / "postguard" / "__init__.py"
    init.write_text(init.read_text(encoding="utf-8").replace(postguard.__version__, "0.0.1"), encoding="utf-8")
    assert release.main(["--check", "--root", str(copy_of_repo)]) == 1
    assert "versions disagree" in capsys.readouterr().err
