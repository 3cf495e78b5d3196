#!/usr/bin/env python3
"""Set one version everywhere and build what IT deploys.

    python scripts/release.py 0.2.0             # set the version, build all three into dist/
    python scripts/release.py 0.2.0 --no-wheel  # only the extension packages
    python scripts/release.py --check           # exit 1 when the versions disagree

The version goes into pyproject.toml, server/postguard/__init__.py and
extension/manifest.json. The builds:

    dist/postguard-<v>-py3-none-any.whl   the checking server (pip install it)
    dist/postguard-<v>-chrome.zip         for the Chrome Web Store and Edge Add-ons
    dist/postguard-<v>.xpi                for Mozilla's signing (AMO, listed or unlisted)

The extension packages are built with web-ext from tests/e2e (`bash tests/e2e/setup.sh`
installs it). The store zip leaves out the manifest's "key": the stores give the extension
its own id and refuse uploads that carry a key.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Where the version is written, and the line that holds it.
VERSION_LINES = {
    "pyproject.toml": re.compile(r'^(version = ")([^"]*)(")', re.MULTILINE),
    "server/postguard/__init__.py": re.compile(r'^(__version__ = ")([^"]*)(")', re.MULTILINE),
    "extension/manifest.json": re.compile(r'^(  "version": ")([^"]*)(")', re.MULTILINE),
}
# Chrome accepts one to four dot-separated integers and nothing else; Python agrees with that.
VERSION = re.compile(r"^(0|[1-9]\d{0,4})(\.(0|[1-9]\d{0,4})){0,3}$")


class ReleaseError(RuntimeError):
    """Something is missing or wrong; the message says what to do."""


def read_versions(root: Path = ROOT) -> dict[str, str]:
    """The version each file names."""
    versions = {}
    for name, line in VERSION_LINES.items():
        match = line.search((root / name).read_text(encoding="utf-8"))
        if not match:
            raise ReleaseError(f"{name}: no version line found")
        versions[name] = match.group(2)
    return versions


def set_version(version: str, root: Path = ROOT) -> None:
    """Write `version` into every file that names one."""
    if not VERSION.match(version):
        raise ReleaseError(f"{version!r} is not a version the browsers accept: use 1 to 4 numbers like 1.2.3")
    for name, line in VERSION_LINES.items():
        path = root / name
        text = path.read_text(encoding="utf-8")
        path.write_text(line.sub(lambda m: m.group(1) + version + m.group(3), text, count=1), encoding="utf-8")


def build_extension(version: str, dist: Path, web_ext: Path, root: Path = ROOT) -> list[Path]:
    """Build the store zip and the Firefox .xpi of the extension with web-ext."""
    if not web_ext.exists():
        raise ReleaseError(f"{web_ext} not found; run `bash tests/e2e/setup.sh` first (installs web-ext)")
    source = root / "extension"
    chrome = dist / f"postguard-{version}-chrome.zip"
    firefox = dist / f"postguard-{version}.xpi"
    with tempfile.TemporaryDirectory() as folder:
        store_copy = Path(folder) / "extension"
        shutil.copytree(source, store_copy)
        manifest = json.loads((store_copy / "manifest.json").read_text(encoding="utf-8"))
        manifest.pop("key", None)
        (store_copy / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
                                                  encoding="utf-8")
        _web_ext_build(web_ext, store_copy, dist, chrome.name)
    _web_ext_build(web_ext, source, dist, firefox.name)
    return [chrome, firefox]


def build_wheel(dist: Path, root: Path = ROOT) -> Path:
    """Build the server's wheel (policy and examples included, see pyproject.toml)."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist), str(root)],
                   check=True)
    version = read_versions(root)["pyproject.toml"]
    return dist / f"postguard-{version}-py3-none-any.whl"


def _web_ext_build(web_ext: Path, source: Path, dist: Path, filename: str) -> None:
    result = subprocess.run(
        [str(web_ext), "build", "--source-dir", str(source), "--artifacts-dir", str(dist),
         "--filename", filename, "--overwrite-dest"],
        capture_output=True, text=True,
    )
    if result.returncode != 0:
        raise ReleaseError(f"web-ext build failed:\n{result.stdout}{result.stderr}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="release.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("version", nargs="?", help="the new version, e.g. 0.2.0")
    parser.add_argument("--check", action="store_true", help="only check that the versions agree")
    parser.add_argument("--no-wheel", action="store_true", help="build only the extension packages")
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    parser.add_argument("--web-ext", type=Path, default=None,
                        help="web-ext to build with (default: tests/e2e/node_modules/.bin/web-ext)")
    args = parser.parse_args(argv)
    root = args.root
    try:
        if args.check:
            versions = read_versions(root)
            if len(set(versions.values())) != 1:
                listing = ", ".join(f"{name} {version}" for name, version in versions.items())
                print(f"versions disagree: {listing}", file=sys.stderr)
                return 1
            print(next(iter(versions.values())))
            return 0
        if args.version is None:
            parser.error("give the new version, or --check")
        set_version(args.version, root)
        dist = root / "dist"
        dist.mkdir(exist_ok=True)
        web_ext = args.web_ext or root / "tests" / "e2e" / "node_modules" / ".bin" / "web-ext"
        built = build_extension(args.version, dist, web_ext, root)
        if not args.no_wheel:
            built.append(build_wheel(dist, root))
    except (ReleaseError, OSError, subprocess.CalledProcessError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for path in built:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
