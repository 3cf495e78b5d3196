"""The server's configuration: defaults, then the system-wide file, the per-user file, the environment.

Each layer overrides the one before it, key by key. The files are flat TOML (`port = 7678`);
environment variables are the keys in capitals with a `POSTGUARD_` prefix (`POSTGUARD_PORT`), and
lists there are comma-separated. `postguard config` prints the result and where each value came from.
"""

from __future__ import annotations

import os
import re
import secrets
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

ENV_PREFIX = "POSTGUARD_"
# The development build's id, fixed by the manifest's `key`; IT adds its store ids.
DEV_EXTENSION_ID = "lapjanakalhjchacimdofhjdejjjljkl"
LOG_LEVELS = ("debug", "info", "warning", "error")
BOOLEAN_WORDS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
CHROME_ID = re.compile(r"^[a-p]{32}$")


@dataclass(frozen=True)
class Setting:
    default: object
    kind: type  # str, int, float, bool, list (of str) or Path
    help: str
    minimum: int | None = None  # the smallest whole number allowed (int settings only)


SETTINGS: dict[str, Setting] = {
    "host": Setting("127.0.0.1", str, "address the server listens on"),
    "port": Setting(7678, int, "port the server listens on"),
    "model_dir": Setting(None, Path, "folder with policy.toml, examples.csv and the trained model"),
    "token": Setting("", str, "pairing token clients send as X-Postguard-Token; empty: none"),
    "extension_ids": Setting([DEV_EXTENSION_ID], list, "Chrome/Edge extension ids allowed to call"),
    "allowed_hosts": Setting([], list, "Host names accepted besides 127.0.0.1, localhost and [::1]"),
    # warning by default: access lines carry times, and on a personal computer a list of times
    # is already a record of when someone wrote. IT turns them on with "info" when needed.
    "log_level": Setting("warning", str, "debug, info (adds access lines), warning or error"),
    "threads": Setting(2, int, "worker threads per server process (default with workers > 1: 1)", minimum=1),
    # Checking holds the GIL: more processes use more cores. More than one turns off the comms
    # workspace, which keeps sign-ins and training jobs in one process's memory.
    "workers": Setting(1, int, "server processes sharing the port (POSIX); more than 1: no /admin", minimum=1),
    "max_text_chars": Setting(100_000, int, "longest post the server checks", minimum=1),
    "max_body_bytes": Setting(1024 * 1024, int, "largest request body", minimum=1),
    "model_reload_seconds": Setting(1.0, float, "how often to look for a new model; -1: never"),
    # A draft is resent after every pause in typing; most of its sentences were scored already.
    "check_cache_sentences": Setting(2048, int, "recently scored sentences kept in memory; 0: none", minimum=0),
    "feed_refresh_seconds": Setting(1800.0, float, "how often to fetch the policy's feeds; 0: never"),
    "feed_timeout_seconds": Setting(10.0, float, "time limit of one feed fetch"),
    "feed_max_bytes": Setting(2 * 1024 * 1024, int, "largest feed fetched", minimum=1),
    "admin_remote": Setting(False, bool, "true: the comms workspace (/admin) answers other computers"),
}


class ConfigError(ValueError):
    """A configuration file or variable cannot be used; the message names it and the key."""


@dataclass(frozen=True)
class Config:
    values: dict
    sources: dict  # key -> "default", a file's path, or the environment variable's name

    def __getitem__(self, key: str):
        return self.values[key]

    def app_settings(self) -> dict:
        """The settings `create_app` takes, under its names."""
        return {
            "TOKEN": self["token"],
            "EXTENSION_IDS": list(self["extension_ids"]),
            "EXTRA_HOSTS": list(self["allowed_hosts"]),
            "MAX_TEXT_CHARS": self["max_text_chars"],
            "MAX_CONTENT_LENGTH": self["max_body_bytes"],
            "MODEL_RELOAD_SECONDS": self["model_reload_seconds"],
            "CHECK_CACHE_SENTENCES": self["check_cache_sentences"],
            "FEED_REFRESH_SECONDS": self["feed_refresh_seconds"],
            "FEED_TIMEOUT_SECONDS": self["feed_timeout_seconds"],
            "FEED_MAX_BYTES": self["feed_max_bytes"],
            "ADMIN_REMOTE": self["admin_remote"],
        }  # the model folder is read by paths.default_model_dir

    def threads_for(self, workers: int) -> int:
        """Threads per server process: as configured, else the default for this many workers."""
        if self.sources["threads"] == "default":
            return default_threads(workers)
        return self["threads"]


def system_config_file() -> Path:
    """Where IT puts the machine-wide file."""
    if sys.platform == "win32":
        return Path(os.environ.get("PROGRAMDATA", r"C:\ProgramData")) / "Postguard" / "config.toml"
    if sys.platform == "darwin":
        return Path("/Library/Application Support/Postguard/config.toml")
    return Path("/etc/postguard/config.toml")


def user_config_file(env: dict | None = None) -> Path:
    """The per-user file; POSTGUARD_CONFIG names another one."""
    env = os.environ if env is None else env
    if env.get("POSTGUARD_CONFIG"):
        return Path(env["POSTGUARD_CONFIG"])
    home = Path(env.get("HOME") or Path.home())
    if sys.platform == "win32":
        base = Path(env.get("APPDATA") or home / "AppData" / "Roaming")
        return base / "Postguard" / "config.toml"
    if sys.platform == "darwin":
        return home / "Library" / "Application Support" / "Postguard" / "config.toml"
    return Path(env.get("XDG_CONFIG_HOME") or home / ".config") / "postguard" / "config.toml"


def default_threads(workers: int) -> int:
    """Threads per server process when `threads` is not configured: 1 each when there are
    several processes.

    A check holds the GIL for its whole run, so threads in one process only take turns, and
    every extra thread adds switching: on 2 cores, 2 processes with 1 thread each served about
    15 % more checks per second than with 2 threads each, and 2 threads beat 4 in one process
    (docs/performance.md).
    """
    return 1 if workers > 1 else SETTINGS["threads"].default


def load_config(env: dict | None = None, system_file: Path | None = None,
                user_file: Path | None = None) -> Config:
    """The effective configuration; raise ConfigError naming the file or variable at fault."""
    env = os.environ if env is None else env
    values = {key: setting.default for key, setting in SETTINGS.items()}
    sources = dict.fromkeys(SETTINGS, "default")
    for path in (system_file or system_config_file(), user_file or user_config_file(env)):
        for key, value in _read_file(path).items():
            values[key], sources[key] = _coerce(key, value, str(path)), str(path)
    for key in SETTINGS:
        name = ENV_PREFIX + key.upper()
        if env.get(name, "") != "":
            values[key], sources[key] = _coerce(key, env[name], name, from_env=True), name
    return Config(values, sources)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def save_token(path: Path, token: str) -> None:
    """Write `token = "..."` into a per-user file, replacing an earlier token line; owner-only."""
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    lines = [line for line in lines if not line.replace(" ", "").startswith("token=")]
    # Top-level keys must come before any [table]; the files are flat, but be safe.
    lines.insert(0, f'token = "{token}"')
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.touch(mode=0o600)
    temporary.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)


def describe(config: Config) -> str:
    """The effective configuration as `postguard config` prints it (the token masked)."""
    width = max(map(len, SETTINGS))
    lines = []
    for key, setting in SETTINGS.items():
        value = config[key]
        if key == "token":
            value = f"set ({len(value)} characters; `postguard token` shows it)" if value else "(none)"
        elif isinstance(value, list):
            value = ", ".join(value) or "(none)"
        elif value is None:
            value = "(automatic)"
        lines.append(f"{key:<{width}}  {value}  [{config.sources[key]}]")
    return "\n".join(lines)


def _read_file(path: Path) -> dict:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    unknown = sorted(set(data) - set(SETTINGS))
    if unknown:
        raise ConfigError(
            f"{path}: unknown key {', '.join(map(repr, unknown))}; known keys: {', '.join(SETTINGS)}"
        )
    return data


def _coerce(key: str, value, where: str, from_env: bool = False):
    """The value as its setting's kind, or ConfigError saying what was expected."""
    kind = SETTINGS[key].kind
    if from_env:  # environment variables are strings: read them as the kind asks
        value = [part.strip() for part in value.split(",") if part.strip()] if kind is list else value
    if kind is list and isinstance(value, list) and all(isinstance(v, str) for v in value):
        if key == "extension_ids" and not all(CHROME_ID.match(v) for v in value):
            raise ConfigError(f"{where}: '{key}' must list Chrome/Edge extension ids (32 letters a-p)")
        return value
    if kind is bool:
        if isinstance(value, bool):
            return value
        if from_env and value.strip().lower() in BOOLEAN_WORDS:
            return BOOLEAN_WORDS[value.strip().lower()]
    numeric = (int,) if kind is int else (int, float)
    if kind in (int, float) and (from_env or isinstance(value, numeric)) and not isinstance(value, bool):
        try:
            number = kind(value)
        except ValueError:
            pass
        else:
            minimum = SETTINGS[key].minimum
            if minimum is None or number >= minimum:
                return number
            raise ConfigError(f"{where}: '{key}' must be a whole number of at least {minimum}, not {value!r}")
    if kind in (str, Path) and isinstance(value, str):
        if key == "log_level":
            if value.lower() in LOG_LEVELS:
                return value.lower()
        else:
            return Path(value).expanduser() if kind is Path else value
    expected = {
        list: "a list of strings", bool: "true or false", int: "a whole number", float: "a number", Path: "a folder path",
    }.get(kind, " or ".join(LOG_LEVELS) if key == "log_level" else "a string")
    raise ConfigError(f"{where}: '{key}' must be {expected}, not {value!r}")
