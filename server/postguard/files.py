"""Writing the workspace's files safely: atomic replacement and dated copies of earlier versions."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path


def write_atomically(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so that a reader sees the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(name, path)
    finally:
        Path(name).unlink(missing_ok=True)


def keep_copy(path: Path, folder: Path, keep: int) -> Path | None:
    """Copy `path` into `folder` as `<stem>-<UTC stamp><suffix>`; keep only the `keep` newest."""
    if not path.is_file():
        return None
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d-%H%M%S")
    copy = folder / f"{path.stem}-{stamp}{path.suffix}"
    counter = 1
    while copy.exists():  # two saves within one second
        counter += 1
        copy = folder / f"{path.stem}-{stamp}-{counter}{path.suffix}"
    shutil.copyfile(path, copy)
    for old in copies_of(path, folder)[keep:]:
        old.unlink(missing_ok=True)
    return copy


def copies_of(path: Path, folder: Path) -> list[Path]:
    """The kept copies of `path` in `folder`, newest first."""
    if not folder.is_dir():
        return []
    found = [
        entry for entry in folder.iterdir()
        if entry.is_file() and entry.name.startswith(f"{path.stem}-") and entry.suffix == path.suffix
    ]
    return sorted(found, key=lambda entry: (entry.stat().st_mtime_ns, entry.name), reverse=True)
