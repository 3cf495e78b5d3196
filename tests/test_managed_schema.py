"""The extension's managed-storage schema, the settings code and the documented policy examples agree."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest

from support import ROOT

EXTENSION = ROOT / "extension"
POLICIES = ROOT / "docs" / "policies"
SCHEMA = json.loads((EXTENSION / "managed_schema.json").read_text(encoding="utf-8"))


def test_manifest_declares_the_schema():
    manifest = json.loads((EXTENSION / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["storage"]["managed_schema"] == "managed_schema.json"
    jsonschema.Draft4Validator.check_schema(SCHEMA)  # Chrome's schema format is a Draft 4 subset


def test_schema_offers_what_settings_js_lets_it_manage():
    source = (EXTENSION / "settings.js").read_text(encoding="utf-8")
    manageable = json.loads(re.search(r"const MANAGEABLE = (\[.*?\]);", source).group(1).replace("'", '"'))
    # the feedback target is IT's alone: in the schema, never in the person's options
    assert set(SCHEMA["properties"]) == {*manageable, "lockedSettings", "feedbackUrl", "feedbackToken"}
    assert "feedbackUrl" not in manageable and "function feedbackTarget(managed" in source
    assert SCHEMA["properties"]["lockedSettings"]["items"]["enum"] == manageable
    assert "pausedUntil" not in manageable  # the pause is the author's


def chrome_linux():
    policy = json.loads((POLICIES / "chrome-edge-linux.json").read_text(encoding="utf-8"))
    (settings,) = policy["3rdparty"]["extensions"].values()
    return settings


def firefox():
    policy = json.loads((POLICIES / "firefox-policies.json").read_text(encoding="utf-8"))["policies"]
    manifest = json.loads((EXTENSION / "manifest.json").read_text(encoding="utf-8"))
    gecko_id = manifest["browser_specific_settings"]["gecko"]["id"]
    assert gecko_id in policy["ExtensionSettings"]
    return policy["3rdparty"]["Extensions"][gecko_id]


def windows_registry():
    """The extension's settings from the .reg example: values, subkeys as objects or lists."""
    settings, section = {}, ""
    for line in (POLICIES / "chrome-edge-windows.reg").read_text(encoding="utf-8").splitlines():
        if line.startswith("["):
            section = line.strip("[]")
            continue
        if "\\3rdparty\\extensions\\" not in section or not line.startswith('"'):
            continue
        subkey = section.split("\\policy", 1)[1].strip("\\")
        name, raw = line.split("=", 1)
        name = name.strip('"')
        value = bool(int(raw.removeprefix("dword:"), 16)) if raw.startswith("dword:") else raw.strip('"')
        if not subkey:
            settings[name] = value
        elif name.isdigit():  # a list: values named 1, 2, ...
            settings.setdefault(subkey, []).append(value)
        else:
            settings.setdefault(subkey, {})[name] = value
    return settings


@pytest.mark.parametrize("example", [chrome_linux, firefox, windows_registry])
def test_documented_policy_examples_fit_the_schema(example):
    settings = example()
    assert set(settings) <= set(SCHEMA["properties"]), settings
    jsonschema.validate(settings, SCHEMA)
    assert settings["serverUrl"] == "http://127.0.0.1:7678"
    assert settings["lockedSettings"] == ["serverUrl", "token"]
