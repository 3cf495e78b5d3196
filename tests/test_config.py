"""The configuration layers (defaults, system file, user file, environment) and its commands."""

import os
import stat

import pytest

from postguard.cli import run
from postguard.config import DEV_EXTENSION_ID, ConfigError, load_config, save_token

OTHER_ID = "abcdefghijklmnopabcdefghijklmnop"


@pytest.fixture
def layers(tmp_path):
    system, user = tmp_path / "system.toml", tmp_path / "user.toml"
    return system, user


def test_defaults_without_any_file(layers):
    config = load_config(env={}, system_file=layers[0], user_file=layers[1])
    assert config["host"] == "127.0.0.1" and config["port"] == 7678
    assert config["extension_ids"] == [DEV_EXTENSION_ID] and config["token"] == ""
    assert set(config.sources.values()) == {"default"}


@pytest.mark.parametrize("file_text, workers, threads", [
    ("", 1, 2),  # one process: the default
    ("", 2, 1),  # several: one thread each, unless configured
    ("threads = 4\n", 2, 4),
    ("threads = 3\n", 1, 3),
])
def test_threads_per_process(layers, file_text, workers, threads):
    layers[1].write_text(file_text)
    config = load_config(env={}, system_file=layers[0], user_file=layers[1])
    assert config.threads_for(workers) == threads


def test_user_file_beats_system_file_and_environment_beats_both(layers):
    system, user = layers
    system.write_text('port = 8000\nlog_level = "warning"\ntoken = "from-it"\n'
                      f'extension_ids = ["{OTHER_ID}"]\n')
    user.write_text('port = 8001\nallowed_hosts = ["postguard.corp.example"]\n')
    env = {"POSTGUARD_LOG_LEVEL": "DEBUG", "POSTGUARD_EXTENSION_IDS": f"{OTHER_ID},{DEV_EXTENSION_ID}"}
    config = load_config(env=env, system_file=system, user_file=user)
    assert config["port"] == 8001 and config.sources["port"] == str(user)
    assert config["token"] == "from-it" and config.sources["token"] == str(system)
    assert config["log_level"] == "debug" and config.sources["log_level"] == "POSTGUARD_LOG_LEVEL"
    assert config["extension_ids"] == [OTHER_ID, DEV_EXTENSION_ID]
    assert config.app_settings()["EXTRA_HOSTS"] == ["postguard.corp.example"]


def test_an_empty_environment_variable_does_not_override(layers):
    layers[1].write_text("port = 8001\n")
    config = load_config(env={"POSTGUARD_PORT": ""}, system_file=layers[0], user_file=layers[1])
    assert config["port"] == 8001


@pytest.mark.parametrize("content, fragment", [
    ("prot = 1\n", "unknown key 'prot'"),
    ('port = "x"\n', "'port' must be a whole number"),
    ("port = 80.5\n", "'port' must be a whole number"),
    ('log_level = "loud"\n', "'log_level' must be debug or info"),
    ('extension_ids = "abc"\n', "'extension_ids' must be a list"),
    ('extension_ids = ["not-an-id"]\n', "32 letters a-p"),
    ("workers = 0\n", "'workers' must be a whole number of at least 1, not 0"),
    ("threads = 0\n", "'threads' must be a whole number of at least 1, not 0"),
    ("check_cache_sentences = -1\n", "'check_cache_sentences' must be a whole number of at least 0, not -1"),
    ("workers = 2.5\n", "'workers' must be a whole number"),
    ("port = \n", "not valid TOML"),
])
def test_bad_files_name_the_file_and_key(layers, content, fragment):
    layers[1].write_text(content)
    with pytest.raises(ConfigError, match=fragment) as caught:
        load_config(env={}, system_file=layers[0], user_file=layers[1])
    assert str(layers[1]) in str(caught.value)


def test_bad_environment_variable_is_named(layers):
    with pytest.raises(ConfigError, match="POSTGUARD_THREADS: 'threads' must be a whole number"):
        load_config(env={"POSTGUARD_THREADS": "many"}, system_file=layers[0], user_file=layers[1])


def test_workers_from_file_and_environment(layers):
    assert load_config(env={}, system_file=layers[0], user_file=layers[1])["workers"] == 1
    layers[0].write_text("workers = 2\n")
    config = load_config(env={}, system_file=layers[0], user_file=layers[1])
    assert config["workers"] == 2 and config.sources["workers"] == str(layers[0])
    config = load_config(env={"POSTGUARD_WORKERS": "3"}, system_file=layers[0], user_file=layers[1])
    assert config["workers"] == 3 and config.sources["workers"] == "POSTGUARD_WORKERS"
    with pytest.raises(ConfigError, match="POSTGUARD_WORKERS: 'workers' must be a whole number of at least 1"):
        load_config(env={"POSTGUARD_WORKERS": "-1"}, system_file=layers[0], user_file=layers[1])


def test_save_token_replaces_and_keeps_the_rest_private(tmp_path):
    path = tmp_path / "postguard" / "config.toml"
    save_token(path, "first")
    path.write_text(path.read_text() + "port = 8001\n")
    save_token(path, "second")
    config = load_config(env={}, system_file=tmp_path / "none.toml", user_file=path)
    assert config["token"] == "second" and config["port"] == 8001
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


@pytest.fixture
def user_config(tmp_path, monkeypatch):
    """Point the commands at a per-user file in tmp_path (and no environment overrides)."""
    path = tmp_path / "config.toml"
    monkeypatch.setenv("POSTGUARD_CONFIG", str(path))
    for key in ("TOKEN", "PORT", "HOST", "LOG_LEVEL", "WORKERS"):
        monkeypatch.delenv(f"POSTGUARD_{key}", raising=False)
    return path


def test_token_command_makes_shows_and_renews(user_config, capsys):
    assert run(["token"]) == 1
    assert "postguard token --new" in capsys.readouterr().err
    assert run(["token", "--new"]) == 0
    first = capsys.readouterr().out.strip()
    assert len(first) >= 40 and f'token = "{first}"' in user_config.read_text()
    assert run(["token"]) == 0 and capsys.readouterr().out.strip() == first
    assert run(["token", "--new"]) == 0 and capsys.readouterr().out.strip() != first


def test_token_from_the_environment_is_not_overwritten(user_config, monkeypatch, capsys):
    monkeypatch.setenv("POSTGUARD_TOKEN", "from-environment")
    assert run(["token", "--new"]) == 2
    assert "POSTGUARD_TOKEN" in capsys.readouterr().err
    assert not user_config.exists()


def test_config_command_prints_values_and_their_sources(user_config, monkeypatch, capsys):
    user_config.write_text('port = 8001\ntoken = "secret-token-value"\n')
    monkeypatch.setenv("POSTGUARD_LOG_LEVEL", "warning")
    assert run(["config"]) == 0
    out = capsys.readouterr().out
    assert f"8001  [{user_config}]" in out
    assert "warning  [POSTGUARD_LOG_LEVEL]" in out
    assert "127.0.0.1  [default]" in out
    assert any(line.split() == ["workers", "1", "[default]"] for line in out.splitlines())
    assert "secret-token-value" not in out and "set (18 characters" in out


def test_config_command_reports_a_broken_file(user_config, capsys):
    user_config.write_text("prot = 1\n")
    assert run(["config"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "unknown key 'prot'" in err


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::"])
def test_serve_refuses_other_addresses_without_a_token(user_config, host, capsys):
    assert run(["serve", "--host", host]) == 2
    err = capsys.readouterr().err
    assert f"refusing to listen on {host} without a pairing token" in err


@pytest.mark.parametrize("option", ["--workers", "--threads"])
@pytest.mark.parametrize("value", ["0", "-2", "two"])
def test_serve_wants_at_least_one_worker_and_thread(user_config, option, value, capsys):
    with pytest.raises(SystemExit) as stopped:
        run(["serve", option, value])
    assert stopped.value.code == 2
    assert f"{option}: must be a whole number of at least 1, not '{value}'" in capsys.readouterr().err


def test_serve_with_workers_needs_a_system_that_forks(user_config, monkeypatch, capsys):
    monkeypatch.delattr(os, "fork", raising=False)
    monkeypatch.setenv("POSTGUARD_WORKERS", "2")
    assert run(["serve"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: 2 worker processes need a system that forks") and err.count("\n") == 1
