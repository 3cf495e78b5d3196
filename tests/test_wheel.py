"""The wheel stands alone: built from a clean copy of the repository, installed into a fresh
virtual environment, `postguard serve` works from an empty folder and keeps its data in the
per-user data folder.

Slow (a wheel build, an install from the package index or pip's cache, and the first start's
training), so it runs once per suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

from support import EXAMPLES, POLICY, ROOT, free_port

pytestmark = pytest.mark.slow

TABOO_TEXT = "Wir haben im dritten Quartal 48 Millionen Euro Umsatz gemacht, 12 % mehr als geplant."


def clean_copy(target: Path) -> Path:
    """The files git tracks, as a fresh clone would have them (no model, no venv, no build)."""
    listing = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True, check=True)
    for name in listing.stdout.decode().split("\0"):
        source = ROOT / name
        if name and source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            (target / name).write_bytes(source.read_bytes())
    return target


def call(*args: str, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(args, capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{' '.join(args)}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def http(url: str, body: dict | None = None) -> tuple[int, dict | None]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        error.close()
        return error.code, None
    except (urllib.error.URLError, OSError):
        return 0, None


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """`pip wheel .` from a clean copy of the repository."""
    source = clean_copy(tmp_path_factory.mktemp("clone"))
    dist = tmp_path_factory.mktemp("dist")
    call(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist), str(source))
    (built,) = dist.glob("postguard-*.whl")
    return built


def test_the_wheel_carries_policy_examples_and_base_corpus_but_no_model(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "postguard/defaults/policy.toml" in names and "postguard/defaults/examples.csv" in names
    assert any(name.startswith("postguard/corpus/") and name.endswith(".csv") for name in names)
    assert not any(name.endswith(".joblib") for name in names)
    with zipfile.ZipFile(wheel) as archive:
        assert archive.read("postguard/defaults/policy.toml") == POLICY.read_bytes()


def test_installed_wheel_serves_from_an_empty_folder(wheel, tmp_path):
    venv = tmp_path / "venv"
    call(sys.executable, "-m", "venv", str(venv))
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    call(str(bin_dir / "python"), "-m", "pip", "install", "--quiet", str(wheel))

    home, empty = tmp_path / "home", tmp_path / "empty"
    home.mkdir()
    empty.mkdir()
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("POSTGUARD_", "XDG_", "PYTHON", "VIRTUAL_ENV"))}
    env.update(HOME=str(home), USERPROFILE=str(home), LOCALAPPDATA=str(home / "AppData" / "Local"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    with open(log, "w", encoding="utf-8") as output:
        server = subprocess.Popen([str(bin_dir / "postguard"), "serve", "--port", str(port)],
                                  cwd=empty, env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 400  # the first start trains the model
            while http(f"{url}/v1/health")[0] != 200:
                assert server.poll() is None, log.read_text(encoding="utf-8")
                assert time.monotonic() < deadline, log.read_text(encoding="utf-8")
                time.sleep(0.5)
            status, reply = http(f"{url}/v1/check", {"text": TABOO_TEXT, "site": "linkedin"})
            assert status == 200 and reply["verdict"] == "warn", reply
            assert "financials" in [finding["topic"] for finding in reply["findings"]]
        finally:
            server.terminate()
            server.wait(timeout=30)

    data = home / ".local" / "share" / "postguard"
    if sys.platform == "darwin":
        data = home / "Library" / "Application Support" / "Postguard"
    assert (data / "policy.toml").read_bytes() == POLICY.read_bytes()
    assert (data / "examples.csv").read_bytes() == EXAMPLES.read_bytes()
    assert (data / "postguard.joblib").is_file() and (data / "postguard.card.json").is_file()
    assert f"Installed the shipped policy.toml as {data / 'policy.toml'}" in log.read_text(encoding="utf-8")
    assert list(empty.iterdir()) == []  # nothing written where it was started

    # the terminal check finds the same model from anywhere
    check = subprocess.run([str(bin_dir / "postguard"), "check", TABOO_TEXT], cwd=empty, env=env,
                           capture_output=True, text=True)
    assert check.returncode == 1, check.stderr
