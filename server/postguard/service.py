"""Autostart: the checking server as a per-user service, with each system's own tool.

Linux gets a systemd user unit, macOS a launchd agent, Windows a Task Scheduler task that
starts at logon. The definitions are rendered by pure functions; the classes below write
them where the system looks and ask `systemctl --user`, `launchctl` or `schtasks` to load
them. Everything is per user and needs no administrator rights.
"""

from __future__ import annotations

import os
import plistlib
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from .paths import user_data_dir

DESCRIPTION = "Postguard checking server: checks posts for the browser extension, on this computer"
SYSTEMD_UNIT = "postguard.service"
LAUNCHD_LABEL = "postguard.server"
TASK_NAME = "Postguard"
TASK_NAMESPACE = "http://schemas.microsoft.com/windows/2004/02/mit/task"
# `postguard serve` exits 2 for a problem only a person can fix (a broken policy or examples):
# restarting would not help.
EXIT_NEEDS_A_PERSON = 2


class ServiceError(RuntimeError):
    """The service could not be installed or removed; the message says why and what to do."""


@dataclass(frozen=True)
class Status:
    """What the system's service manager says about Postguard's service."""

    installed: bool
    enabled: bool | None  # None: the manager could not be asked
    running: bool | None
    definition: str  # where the definition lives
    detail: str = ""

    @property
    def exit_code(self) -> int:
        """0 running, 3 not running or not installed, 4 unknown (as LSB init scripts answer)."""
        if self.running is None and self.installed:
            return 4
        return 0 if self.running else 3


def serve_command() -> list[str]:
    """The command a service runs: the installed `postguard` executable with `serve`."""
    if sys.platform == "win32":
        # pythonw has no console window, which would otherwise pop up at every logon
        pythonw = Path(sys.executable).with_name("pythonw.exe")
        if pythonw.is_file():
            return [str(pythonw), "-m", "postguard", "serve"]
    name = "postguard.exe" if sys.platform == "win32" else "postguard"
    folders = [sysconfig.get_path("scripts"), sysconfig.get_path("scripts", f"{os.name}_user")]
    for folder in folders:
        if folder and (Path(folder) / name).is_file():
            return [str(Path(folder) / name), "serve"]
    found = shutil.which("postguard")
    if found:
        return [str(Path(found).absolute()), "serve"]
    return [sys.executable, "-m", "postguard", "serve"]


# ---- the definitions ------------------------------------------------------------------


def render_systemd_unit(command: list[str], working_dir: Path) -> str:
    """A systemd user unit that starts `command` at login and restarts it after a crash."""
    return "\n".join([
        "# Written by `postguard service install`; remove it with `postguard service uninstall`.",
        "[Unit]",
        f"Description={_systemd_escape(DESCRIPTION)}",
        "",
        "[Service]",
        "Type=simple",
        f"ExecStart={' '.join(_systemd_quote(arg) for arg in command)}",
        f"WorkingDirectory={_systemd_escape(str(working_dir))}",
        "Restart=on-failure",
        "RestartSec=10",
        f"RestartPreventExitStatus={EXIT_NEEDS_A_PERSON}",
        "NoNewPrivileges=yes",
        "",
        "[Install]",
        "WantedBy=default.target",
        "",
    ])


def render_launchd_plist(command: list[str], working_dir: Path, log_file: Path) -> bytes:
    """A launchd agent that starts `command` at login and again if it crashes."""
    return plistlib.dumps({
        "Label": LAUNCHD_LABEL,
        "ProgramArguments": list(command),
        "WorkingDirectory": str(working_dir),
        "RunAtLoad": True,
        "KeepAlive": {"SuccessfulExit": False},
        "ProcessType": "Background",
        # only start-up messages and errors: no post text is ever logged
        "StandardOutPath": str(log_file),
        "StandardErrorPath": str(log_file),
    })


def render_task_xml(command: list[str], working_dir: Path, user: str) -> str:
    """A Task Scheduler task that starts `command` when `user` logs on, as that user."""
    ET.register_namespace("", TASK_NAMESPACE)

    def element(parent, tag, text=None, **attributes):
        child = ET.SubElement(parent, f"{{{TASK_NAMESPACE}}}{tag}", attributes)
        if text is not None:
            child.text = text
        return child

    task = ET.Element(f"{{{TASK_NAMESPACE}}}Task", {"version": "1.2"})
    element(element(task, "RegistrationInfo"), "Description", DESCRIPTION)
    logon = element(element(task, "Triggers"), "LogonTrigger")
    element(logon, "Enabled", "true")
    element(logon, "UserId", user)
    principal = element(element(task, "Principals"), "Principal", id="Author")
    element(principal, "UserId", user)
    element(principal, "LogonType", "InteractiveToken")  # runs in the user's session, no password stored
    element(principal, "RunLevel", "LeastPrivilege")
    settings = element(task, "Settings")
    for tag, value in [
        ("MultipleInstancesPolicy", "IgnoreNew"),
        ("DisallowStartIfOnBatteries", "false"),
        ("StopIfGoingOnBatteries", "false"),
        ("AllowHardTerminate", "true"),
        ("StartWhenAvailable", "false"),
        ("RunOnlyIfNetworkAvailable", "false"),
        ("AllowStartOnDemand", "true"),
        ("Enabled", "true"),
        ("Hidden", "false"),
        ("RunOnlyIfIdle", "false"),
        ("ExecutionTimeLimit", "PT0S"),  # no limit: it serves until logoff
        ("Priority", "7"),
    ]:
        element(settings, tag, value)
    idle = element(settings, "IdleSettings")
    element(idle, "StopOnIdleEnd", "false")
    element(idle, "RestartOnIdle", "false")
    restart = element(settings, "RestartOnFailure")
    element(restart, "Interval", "PT1M")
    element(restart, "Count", "3")
    action = element(element(task, "Actions", Context="Author"), "Exec")
    element(action, "Command", command[0])
    if command[1:]:
        element(action, "Arguments", subprocess.list2cmdline(command[1:]))
    element(action, "WorkingDirectory", str(working_dir))
    ET.indent(task)
    return '<?xml version="1.0" encoding="UTF-16"?>\n' + ET.tostring(task, encoding="unicode") + "\n"


def _systemd_escape(value: str) -> str:
    """Escape systemd's specifiers (%h, ...) so that a value is taken literally."""
    return value.replace("%", "%%")


def _systemd_quote(arg: str) -> str:
    """One ExecStart word; quoted when it has spaces, quotes or backslashes."""
    escaped = _systemd_escape(arg).replace("$", "$$")
    if arg and not any(c.isspace() or c in "\"'\\;" for c in arg):
        return escaped
    return '"' + escaped.replace("\\", "\\\\").replace('"', '\\"') + '"'


# ---- installing with each system's tool ---------------------------------------------


def _run(args: list[str]) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        return subprocess.CompletedProcess(args, 127, "", f"{args[0]}: command not found")


def _reason(result: subprocess.CompletedProcess) -> str:
    lines = (result.stderr or result.stdout or "").strip().splitlines()
    return lines[-1] if lines else f"exit status {result.returncode}"


class SystemdUserService:
    """A systemd user unit in $XDG_CONFIG_HOME/systemd/user, enabled for default.target.

    Enabling is a file operation that `systemctl --user enable` also does when the user's
    service manager is not running (an SSH session, a container); the service then starts
    at the next login. Starting and asking whether it runs need the manager.
    """

    system = "systemd user unit"

    def __init__(self, command: list[str] | None = None, run=None):
        self.command = command or serve_command()
        self.run = run or _run

    @property
    def path(self) -> Path:
        base = os.environ.get("XDG_CONFIG_HOME", "")
        config = Path(base) if os.path.isabs(base) else Path.home() / ".config"
        return config / "systemd" / "user" / SYSTEMD_UNIT

    def definition(self) -> str:
        return render_systemd_unit(self.command, user_data_dir())

    def install(self) -> list[str]:
        if self.run(["systemctl", "--version"]).returncode == 127:
            raise ServiceError(
                "systemctl not found: this system does not run systemd; start `postguard serve` "
                "from your desktop's autostart instead"
            )
        user_data_dir().mkdir(parents=True, exist_ok=True)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(self.definition(), encoding="utf-8")
        messages = [f"Wrote {self.path}"]
        manager = self._manager()
        if manager:
            self._systemctl("daemon-reload")
        self._systemctl("enable", SYSTEMD_UNIT)
        messages.append(f"Enabled {SYSTEMD_UNIT}: it starts at every login.")
        if manager:
            self._systemctl("restart", SYSTEMD_UNIT)  # picks up a changed definition too
            messages.append("Started it; the first start trains the model (about a minute).")
        else:
            messages.append("Your service manager is not reachable now, so it was not started; "
                            "it starts at the next login.")
        return messages

    def uninstall(self) -> list[str]:
        if not self.path.exists():
            return [f"Not installed ({self.path} does not exist)."]
        manager = self._manager()
        self._systemctl("disable", *(["--now"] if manager else []), SYSTEMD_UNIT)
        self.path.unlink()
        if manager:
            self._systemctl("daemon-reload")
        return [f"Stopped and removed {self.path}." if manager else f"Removed {self.path}."]

    def status(self) -> Status:
        installed = self.path.is_file()
        enabled = self.run(["systemctl", "--user", "is-enabled", SYSTEMD_UNIT]).returncode == 0
        if not self._manager():
            return Status(installed, enabled, None, str(self.path), "the service manager is not reachable")
        active = self.run(["systemctl", "--user", "is-active", SYSTEMD_UNIT])
        return Status(installed, enabled, active.returncode == 0, str(self.path), active.stdout.strip())

    def _manager(self) -> bool:
        """Whether this user's systemd instance answers."""
        return self.run(["systemctl", "--user", "show-environment"]).returncode == 0

    def _systemctl(self, *args: str) -> None:
        result = self.run(["systemctl", "--user", *args])
        if result.returncode != 0:
            raise ServiceError(f"systemctl --user {' '.join(args)} failed: {_reason(result)}")


class LaunchdAgent:
    """A launchd agent in ~/Library/LaunchAgents, loaded into the user's GUI session."""

    system = "launchd agent"

    def __init__(self, command: list[str] | None = None, run=None, uid: int | None = None):
        self.command = command or serve_command()
        self.run = run or _run
        self.domain = f"gui/{os.getuid() if uid is None else uid}"

    @property
    def path(self) -> Path:
        return Path.home() / "Library" / "LaunchAgents" / f"{LAUNCHD_LABEL}.plist"

    @property
    def log_file(self) -> Path:
        return Path.home() / "Library" / "Logs" / "Postguard" / "postguard.log"

    def definition(self) -> str:
        return render_launchd_plist(self.command, user_data_dir(), self.log_file).decode("utf-8")

    def install(self) -> list[str]:
        for folder in (self.path.parent, self.log_file.parent, user_data_dir()):
            folder.mkdir(parents=True, exist_ok=True)
        self.path.write_text(self.definition(), encoding="utf-8")
        self.run(["launchctl", "bootout", f"{self.domain}/{LAUNCHD_LABEL}"])  # an older definition
        self.run(["launchctl", "enable", f"{self.domain}/{LAUNCHD_LABEL}"])
        result = self.run(["launchctl", "bootstrap", self.domain, str(self.path)])
        if result.returncode != 0:
            raise ServiceError(f"launchctl bootstrap failed: {_reason(result)}")
        return [f"Wrote {self.path}", "Loaded it: it runs now and at every login; "
                "the first start trains the model (about a minute)."]

    def uninstall(self) -> list[str]:
        if not self.path.exists():
            return [f"Not installed ({self.path} does not exist)."]
        self.run(["launchctl", "bootout", f"{self.domain}/{LAUNCHD_LABEL}"])
        self.path.unlink()
        return [f"Stopped and removed {self.path}."]

    def status(self) -> Status:
        result = self.run(["launchctl", "print", f"{self.domain}/{LAUNCHD_LABEL}"])
        loaded = result.returncode == 0
        running = loaded and "state = running" in result.stdout
        return Status(self.path.is_file(), loaded, running, str(self.path),
                      "running" if running else ("loaded" if loaded else "not loaded"))


class ScheduledTask:
    """A Task Scheduler task, started at the user's logon in the user's own session."""

    system = "Task Scheduler task"

    def __init__(self, command: list[str] | None = None, run=None, user: str | None = None):
        self.command = command or serve_command()
        self.run = run or _run
        domain, name = os.environ.get("USERDOMAIN"), os.environ.get("USERNAME")
        self.user = user or (f"{domain}\\{name}" if domain and name else name or "")

    @property
    def path(self) -> str:
        return f"Task Scheduler: \\{TASK_NAME}"

    def definition(self) -> str:
        return render_task_xml(self.command, user_data_dir(), self.user)

    def install(self) -> list[str]:
        if not self.user:
            raise ServiceError("cannot tell the user name (USERNAME is not set)")
        user_data_dir().mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as folder:
            xml = Path(folder) / "postguard-task.xml"
            xml.write_text(self.definition(), encoding="utf-16")  # schtasks reads UTF-16 with BOM
            result = self.run(["schtasks", "/Create", "/TN", TASK_NAME, "/XML", str(xml), "/F"])
        if result.returncode != 0:
            raise ServiceError(f"schtasks /Create failed: {_reason(result)}")
        started = self.run(["schtasks", "/Run", "/TN", TASK_NAME]).returncode == 0
        return [f"Created the task {TASK_NAME}: it starts at every logon.",
                "Started it; the first start trains the model (about a minute)." if started
                else "It starts at the next logon."]

    def uninstall(self) -> list[str]:
        if self.run(["schtasks", "/Query", "/TN", TASK_NAME]).returncode != 0:
            return [f"Not installed (no task {TASK_NAME})."]
        self.run(["schtasks", "/End", "/TN", TASK_NAME])
        result = self.run(["schtasks", "/Delete", "/TN", TASK_NAME, "/F"])
        if result.returncode != 0:
            raise ServiceError(f"schtasks /Delete failed: {_reason(result)}")
        return [f"Stopped and removed the task {TASK_NAME}."]

    def status(self) -> Status:
        # the task's state by name (Ready, Running, Disabled): schtasks prints it translated
        result = self.run(["powershell", "-NoProfile", "-NonInteractive", "-Command",
                           f"(Get-ScheduledTask -TaskName '{TASK_NAME}').State"])
        if result.returncode != 0 or not result.stdout.strip():
            return Status(False, False, False, self.path, "no such task")
        state = result.stdout.strip()
        return Status(True, state != "Disabled", state == "Running", self.path, state)


def for_this_system(command: list[str] | None = None):
    """The service kind of the running system."""
    if sys.platform == "win32":
        return ScheduledTask(command)
    if sys.platform == "darwin":
        return LaunchdAgent(command)
    return SystemdUserService(command)
