"""Who may call: loopback Host names and port, pinned extension ids, the pairing token."""

import logging
import re

import pytest

from postguard.app import create_app
from postguard.clients import TOKEN_HEADER, is_loopback_address, split_host
from postguard.config import DEV_EXTENSION_ID
from support import POLICY, assert_error

CHROME = f"chrome-extension://{DEV_EXTENSION_ID}"
OTHER_CHROME = "chrome-extension://abcdefghijklmnopabcdefghijklmnop"
FIREFOX = "moz-extension://0f6c5a36-2b1d-4a8e-9d65-7f1e2a3b4c5d"
TOKEN = "s3cret-pairing-token-of-forty-three-chars-x"
SERVER = "http://127.0.0.1:7678"  # the test client listens "on" port 7678


@pytest.fixture(scope="module")
def paired(model_path):
    """A server that requires the pairing token."""
    app = create_app({"MODEL_PATH": str(model_path), "POLICY_PATH": str(POLICY), "TOKEN": TOKEN})
    return app.test_client()


@pytest.mark.parametrize("host", ["evil.example", "evil.example:7678", "192.168.1.20:7678"])
def test_foreign_host_is_refused(client, host):
    assert_error(client.get("/v1/health", headers={"Host": host}), 403, "host")


@pytest.mark.parametrize("host", ["127.0.0.1:7678", "localhost:7678", "[::1]:7678", "localhost"])
def test_loopback_hosts_on_this_port_are_served(client, host):
    assert client.get("/v1/health", headers={"Host": host}, base_url=SERVER).status_code == 200


def test_loopback_host_with_another_port_is_refused(client):
    response = client.get("/v1/health", headers={"Host": "127.0.0.1:8888"}, base_url=SERVER)
    assert_error(response, 403, "port 8888")


@pytest.mark.parametrize("origin", ["https://www.linkedin.com", "http://localhost:3000", "null",
                                    OTHER_CHROME, FIREFOX])
def test_web_pages_and_unknown_extensions_are_refused(client, origin):
    response = client.post("/v1/check", json={"text": "Hallo"}, headers={"Origin": origin})
    assert_error(response, 403, "origin")
    assert "Access-Control-Allow-Origin" not in response.headers


def test_the_pinned_extension_gets_cors(client):
    response = client.post("/v1/check", json={"text": "Hallo zusammen"}, headers={"Origin": CHROME})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == CHROME
    preflight = client.options(
        "/v1/check",
        headers={"Origin": CHROME, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type, x-postguard-token"},
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == CHROME
    assert "x-postguard-token" in preflight.headers["Access-Control-Allow-Headers"].lower()


def test_configured_extension_ids_replace_the_default(model_path):
    app = create_app({"MODEL_PATH": str(model_path), "POLICY_PATH": str(POLICY),
                      "EXTENSION_IDS": [OTHER_CHROME.rsplit("/", 1)[1]]})
    client = app.test_client()
    assert client.post("/v1/check", json={"text": "Hallo"}, headers={"Origin": OTHER_CHROME}).status_code == 200
    assert_error(client.post("/v1/check", json={"text": "Hallo"}, headers={"Origin": CHROME}), 403)


def test_without_a_token_the_command_line_needs_none(client):
    assert client.post("/v1/check", json={"text": "Hallo"}).status_code == 200


@pytest.mark.parametrize("headers", [{}, {TOKEN_HEADER: "wrong"}, {TOKEN_HEADER: TOKEN[:-1]},
                                     {TOKEN_HEADER: TOKEN + "x"}, {TOKEN_HEADER: "ä"}])
def test_a_paired_server_answers_401_without_the_right_token(paired, headers):
    for path in ("/v1/check", "/v1/policy"):
        method = paired.post if path == "/v1/check" else paired.get
        response = method(path, json={"text": "Hallo"}, headers=headers)
        assert_error(response, 401, TOKEN_HEADER)


def test_a_paired_server_serves_the_token_holder(paired):
    response = paired.post("/v1/check", json={"text": "Hallo"}, headers={TOKEN_HEADER: TOKEN})
    assert response.status_code == 200
    assert paired.get("/v1/policy", headers={TOKEN_HEADER: TOKEN}).status_code == 200


def test_health_and_api_description_stay_open_for_monitoring(paired):
    assert paired.get("/v1/health").status_code == 200
    assert paired.get("/v1/openapi.json").status_code == 200


def test_firefox_extensions_only_with_the_token(paired):
    headers = {"Origin": FIREFOX}
    preflight = paired.options("/v1/check", headers={**headers, "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 200 and preflight.headers["Access-Control-Allow-Origin"] == FIREFOX
    assert_error(paired.post("/v1/check", json={"text": "Hallo"}, headers=headers), 401)
    response = paired.post("/v1/check", json={"text": "Hallo"}, headers={**headers, TOKEN_HEADER: TOKEN})
    assert response.status_code == 200 and response.headers["Access-Control-Allow-Origin"] == FIREFOX


def test_a_central_server_serves_its_configured_name(model_path):
    app = create_app({"MODEL_PATH": str(model_path), "POLICY_PATH": str(POLICY), "TOKEN": TOKEN,
                      "EXTRA_HOSTS": ["postguard.corp.example"]})
    client = app.test_client()
    headers = {"Host": "postguard.corp.example", TOKEN_HEADER: TOKEN}
    assert client.post("/v1/check", json={"text": "Hallo"}, headers=headers).status_code == 200
    assert_error(client.get("/v1/health", headers={"Host": "other.corp.example"}), 403, "host")


def test_access_lines_carry_method_route_status_and_time_only(client, caplog):
    caplog.set_level(logging.INFO, logger="postguard.access")
    client.post("/v1/check", json={"text": "Zebrafisch Umsatz"})
    client.get("/v1/Zebrafisch?text=Zebrafisch")
    client.post("/v1/check", json={"text": "Zebrafisch"}, headers={"Origin": "https://evil.example"})
    lines = [r.getMessage() for r in caplog.records if r.name == "postguard.access"]
    assert len(lines) == 3
    pattern = re.compile(r"^(GET|POST) (/v1/[a-z.]+|\(no route\)) \d{3} \d+\.\d ms$")
    assert all(pattern.match(line) for line in lines), lines
    assert lines[0].startswith("POST /v1/check 200") and lines[1].startswith("GET (no route) 404")
    assert lines[2].startswith("POST /v1/check 403")
    assert "Zebrafisch" not in caplog.text


@pytest.mark.parametrize("host, expected", [("127.0.0.1:7678", ("127.0.0.1", "7678")),
                                            ("[::1]:80", ("[::1]", "80")), ("localhost", ("localhost", ""))])
def test_split_host(host, expected):
    assert split_host(host) == expected


@pytest.mark.parametrize("address, loopback", [("127.0.0.1", True), ("127.0.0.2", True), ("::1", True),
                                               ("localhost", True), ("0.0.0.0", False), ("::", False),
                                               ("192.168.1.20", False), ("example.org", False)])
def test_is_loopback_address(address, loopback):
    assert is_loopback_address(address) is loopback
