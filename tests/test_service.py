"""`postguard service`: the per-user service definitions and their installation.

On Linux the real install and uninstall run with the real `systemctl --user` against a
temporary XDG_CONFIG_HOME, and `systemd-analyze verify` checks the unit the way systemd
would load it. The test isolates itself from any running user manager (a private
XDG_RUNTIME_DIR), so what it exercises is the path of a machine whose manager is not
reachable: unit written, enabled for the next login. The calls made when a manager answers,
and the launchd and Task Scheduler paths, are checked against a recording stand-in.
"""

from __future__ import annotations

import os
import plistlib
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from postguard import service
from postguard.cli import run

COMMAND = ["/opt/post guard/bin/postguard", "serve"]
TASK = "{http://schemas.microsoft.com/windows/2004/02/mit/task}"


class Recorder:
    """Stands in for systemctl, launchctl and schtasks: records each call, answers from a table."""

    def __init__(self, answers: dict[tuple[str, ...], tuple[int, str]] | None = None, on_call=None):
        self.calls: list[list[str]] = []
        self.answers = answers or {}
        self.on_call = on_call

    def __call__(self, args):
        self.calls.append(list(args))
        if self.on_call:
            self.on_call(args)
        for prefix, (code, out) in self.answers.items():
            if tuple(args[: len(prefix)]) == prefix:
                return subprocess.CompletedProcess(args, code, out, "")
        return subprocess.CompletedProcess(args, 0, "", "")


@pytest.fixture
def home(monkeypatch, tmp_path):
    """A private home, config, data and runtime folder; no user bus."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    return tmp_path


# ---- the definitions ------------------------------------------------------------------


def test_systemd_unit_runs_serve_and_restarts_only_what_a_restart_can_fix():
    unit = service.render_systemd_unit(["/home/anna/.venv/bin/postguard", "serve"], Path("/home/anna/data"))
    lines = unit.splitlines()
    assert "ExecStart=/home/anna/.venv/bin/postguard serve" in lines
    assert "WorkingDirectory=/home/anna/data" in lines
    assert {"Restart=on-failure", "RestartPreventExitStatus=2", "WantedBy=default.target"} <= set(lines)


def test_systemd_unit_quotes_spaces_and_escapes_specifiers():
    unit = service.render_systemd_unit(["/opt/post guard/100%/postguard", "serve"], Path("/data/50%"))
    assert 'ExecStart="/opt/post guard/100%%/postguard" serve' in unit.splitlines()
    assert "WorkingDirectory=/data/50%%" in unit.splitlines()


def test_launchd_plist_starts_at_login_and_after_a_crash():
    agent = plistlib.loads(service.render_launchd_plist(COMMAND, Path("/Users/anna/data"), Path("/Users/anna/p.log")))
    assert agent["Label"] == service.LAUNCHD_LABEL
    assert agent["ProgramArguments"] == COMMAND
    assert agent["RunAtLoad"] is True and agent["KeepAlive"] == {"SuccessfulExit": False}
    assert agent["WorkingDirectory"] == "/Users/anna/data"


def test_task_xml_starts_at_this_users_logon_without_privileges():
    xml = service.render_task_xml([r"C:\Program Files\Py\pythonw.exe", "-m", "postguard", "serve"],
                                  Path(r"C:\Users\anna\AppData\Local\Postguard"), r"ACME\anna")
    assert xml.startswith('<?xml version="1.0" encoding="UTF-16"?>')
    task = ET.fromstring(xml.split("\n", 1)[1])
    assert task.find(f"{TASK}Triggers/{TASK}LogonTrigger/{TASK}UserId").text == r"ACME\anna"
    principal = task.find(f"{TASK}Principals/{TASK}Principal")
    assert principal.find(f"{TASK}LogonType").text == "InteractiveToken"
    assert principal.find(f"{TASK}RunLevel").text == "LeastPrivilege"
    action = task.find(f"{TASK}Actions/{TASK}Exec")
    assert action.find(f"{TASK}Command").text == r"C:\Program Files\Py\pythonw.exe"
    assert action.find(f"{TASK}Arguments").text == "-m postguard serve"
    assert task.find(f"{TASK}Settings/{TASK}ExecutionTimeLimit").text == "PT0S"


def test_the_service_runs_the_installed_postguard():
    command = service.serve_command()
    assert command[-1] == "serve"
    if sys.platform != "win32":
        assert Path(command[0]).name in {"postguard", Path(sys.executable).name}
        assert Path(command[0]).is_absolute() and os.access(command[0], os.X_OK)


@pytest.mark.parametrize(("platform", "marker"), [
    ("linux", "[Service]"), ("darwin", "<key>ProgramArguments</key>"), ("win32", "<LogonTrigger>"),
])
def test_print_shows_this_systems_definition_without_installing(home, monkeypatch, capsys, platform, marker):
    monkeypatch.setattr(service.sys, "platform", platform)
    monkeypatch.setenv("USERNAME", "anna")
    assert run(["service", "install", "--print"]) == 0
    assert marker in capsys.readouterr().out
    assert not any(path.is_file() for path in home.rglob("*"))


# ---- Linux, for real ------------------------------------------------------------------


def _systemd_tools():
    if not sys.platform.startswith("linux"):
        pytest.skip("systemd user units are installed on Linux only")
    missing = [tool for tool in ("systemctl", "systemd-analyze") if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"{' and '.join(missing)} missing; run `bash tests/e2e/setup.sh` (installs systemd)", pytrace=False)


def test_linux_install_enable_verify_status_uninstall(home, capsys):
    _systemd_tools()
    unit = home / "config" / "systemd" / "user" / "postguard.service"
    link = home / "config" / "systemd" / "user" / "default.target.wants" / "postguard.service"

    assert run(["service", "install"]) == 0
    out = capsys.readouterr().out
    assert "Enabled postguard.service" in out and "starts at the next login" in out
    assert unit.read_text(encoding="utf-8") == service.SystemdUserService().definition()
    assert link.is_symlink() and link.resolve() == unit.resolve()
    assert (home / "data" / "postguard").is_dir()  # its working folder

    verify = subprocess.run(["systemd-analyze", "verify", "--user", str(unit)],
                            capture_output=True, text=True, env=os.environ)
    assert verify.returncode == 0, verify.stderr

    assert run(["service", "status"]) == 4  # installed; whether it runs cannot be told here
    assert "starts at login: yes" in capsys.readouterr().out

    assert run(["service", "install"]) == 0  # again: replaces its own definition
    assert run(["service", "uninstall"]) == 0
    assert not unit.exists() and not link.exists()
    assert run(["service", "status"]) == 3
    assert "installed: no" in capsys.readouterr().out
    assert run(["service", "uninstall"]) == 0
    assert "Not installed" in capsys.readouterr().out


def test_linux_with_a_running_manager_reloads_enables_and_restarts(home):
    systemctl = Recorder()
    unit = service.SystemdUserService(COMMAND, run=systemctl)
    unit.install()
    assert [call[2:] for call in systemctl.calls if call[:2] == ["systemctl", "--user"]] == [
        ["show-environment"], ["daemon-reload"], ["enable", "postguard.service"], ["restart", "postguard.service"],
    ]
    systemctl.calls.clear()
    unit.uninstall()
    assert [call[2:] for call in systemctl.calls] == [
        ["show-environment"], ["disable", "--now", "postguard.service"], ["daemon-reload"],
    ]


def test_linux_status_asks_the_manager(home):
    running = service.SystemdUserService(COMMAND, run=Recorder({("systemctl", "--user", "is-active"): (0, "active")}))
    running.path.parent.mkdir(parents=True)
    running.path.write_text("", encoding="utf-8")
    assert running.status().exit_code == 0
    stopped = service.SystemdUserService(COMMAND, run=Recorder({("systemctl", "--user", "is-active"): (3, "inactive")}))
    assert stopped.status().exit_code == 3


def test_linux_failure_is_one_line_not_a_traceback(home, monkeypatch, capsys):
    monkeypatch.setattr(service.sys, "platform", "linux")
    monkeypatch.setattr(service, "_run", Recorder({("systemctl", "--user", "enable"): (1, "")}))
    assert run(["service", "install"]) == 1
    assert capsys.readouterr().err.startswith("error: systemctl --user enable postguard.service failed")


def test_without_systemd_install_says_what_to_do_instead(home):
    with pytest.raises(service.ServiceError, match="autostart"):
        service.SystemdUserService(COMMAND, run=Recorder({("systemctl",): (127, "")})).install()


# ---- macOS and Windows, against a recording stand-in ----------------------------------


def test_macos_agent_is_written_bootstrapped_and_booted_out(home):
    launchctl = Recorder({("launchctl", "print"): (0, "state = running\n")})
    agent = service.LaunchdAgent(COMMAND, run=launchctl, uid=501)
    agent.install()
    plist = home / "home" / "Library" / "LaunchAgents" / "postguard.server.plist"
    assert plistlib.loads(plist.read_bytes())["ProgramArguments"] == COMMAND
    assert ["launchctl", "bootstrap", "gui/501", str(plist)] in launchctl.calls
    assert (home / "home" / "Library" / "Logs" / "Postguard").is_dir()
    assert agent.status().exit_code == 0

    agent.uninstall()
    assert launchctl.calls[-1] == ["launchctl", "bootout", "gui/501/postguard.server"]
    assert not plist.exists()


def test_macos_refused_bootstrap_is_reported(home):
    agent = service.LaunchdAgent(COMMAND, run=Recorder({("launchctl", "bootstrap"): (5, "")}), uid=501)
    with pytest.raises(service.ServiceError, match="bootstrap"):
        agent.install()


def test_windows_task_is_created_from_utf16_xml_run_and_deleted(home):
    seen = {}

    def read_xml(args):
        if args[:2] == ["schtasks", "/Create"]:
            raw = Path(args[args.index("/XML") + 1]).read_bytes()
            seen["bom"], seen["xml"] = raw[:2], raw.decode("utf-16")

    schtasks = Recorder({("powershell",): (0, "Running\r\n")}, on_call=read_xml)
    task = service.ScheduledTask(COMMAND, run=schtasks, user=r"ACME\anna")
    task.install()
    assert seen["bom"] == b"\xff\xfe"
    assert r"<UserId>ACME\anna</UserId>" in seen["xml"]
    assert ["schtasks", "/Run", "/TN", "Postguard"] in schtasks.calls
    assert task.status().exit_code == 0

    task.uninstall()
    assert schtasks.calls[-2:] == [["schtasks", "/End", "/TN", "Postguard"],
                                   ["schtasks", "/Delete", "/TN", "Postguard", "/F"]]


def test_windows_status_of_a_missing_task(home):
    task = service.ScheduledTask(COMMAND, run=Recorder({("powershell",): (1, "")}), user="anna")
    assert task.status().installed is False and task.status().exit_code == 3
