"""One central server: gunicorn workers behind nginx with TLS, token required, its name allowed.

Runs the shipped deploy/central/ files as they are, with only the port, certificate paths and
upstream address filled in for the test machine.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest

from postguard.admin import WORKSPACE_OFF
from postguard.app import create_app
from support import POLICY, ROOT, copy_model_folder, free_port

DEPLOY = ROOT / "deploy" / "central"
NAME = "postguard.corp.example"
TOKEN = "central-test-token-0123456789abcdefghijklmnop"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def _request(port, method, path, body=None, headers=None):
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # the test's own certificate
    connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=30)
    payload = json.dumps(body).encode() if body is not None else None
    all_headers = {"Host": NAME, **({"Content-Type": "application/json"} if body else {}), **(headers or {})}
    connection.request(method, path, body=payload, headers=all_headers)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, json.loads(data) if data.startswith(b"{") else data


def _wait(port, deadline, processes):
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                return f"{process.args[0]} exited with {process.returncode}"
        try:
            if _request(port, "GET", "/v1/health")[0] == 200:
                return None
        except OSError:
            pass
        time.sleep(0.3)
    return "not ready in time"


@pytest.fixture(scope="module")
def central(tmp_path_factory, model_path):
    """gunicorn (2 workers) on a loopback port, nginx with TLS in front; yields nginx's port."""
    if not Path(NGINX).exists():
        pytest.fail("nginx is missing: run `bash tests/e2e/setup.sh` (it installs Debian's nginx)")
    folder = tmp_path_factory.mktemp("central")
    models = folder / "model"
    copy_model_folder(model_path, models)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={NAME}",
         "-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem")],
        check=True, capture_output=True,
    )
    upstream, port = free_port(), free_port()
    site = (DEPLOY / "postguard.nginx.conf").read_text()
    for shipped, local in [("listen 443 ssl", f"listen 127.0.0.1:{port} ssl"),
                           ("/etc/ssl/certs/postguard.corp.example.pem", str(folder / "cert.pem")),
                           ("/etc/ssl/private/postguard.corp.example.key", str(folder / "key.pem")),
                           ("127.0.0.1:8000", f"127.0.0.1:{upstream}")]:
        assert shipped in site, shipped
        site = site.replace(shipped, local)
    (folder / "site.conf").write_text(site)
    (folder / "nginx.conf").write_text(
        f"pid {folder}/nginx.pid;\nerror_log stderr warn;\nevents {{}}\n"
        f"http {{\n  client_body_temp_path {folder}/body;\n  proxy_temp_path {folder}/proxy;\n"
        f"  include {folder}/site.conf;\n}}\n"
    )
    env = {**os.environ, "GUNICORN_BIND": f"127.0.0.1:{upstream}", "GUNICORN_WORKERS": "2",
           "POSTGUARD_MODEL_DIR": str(models), "POSTGUARD_TOKEN": TOKEN,
           "POSTGUARD_ALLOWED_HOSTS": NAME, "POSTGUARD_CONFIG": str(folder / "none.toml"),
           "POSTGUARD_LOG_LEVEL": "info"}  # access lines on, to show what they hold
    logs = (folder / "gunicorn.log").open("w"), (folder / "nginx.log").open("w")
    gunicorn = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(DEPLOY / "gunicorn.conf.py")],
                                env=env, cwd=folder, stdout=logs[0], stderr=subprocess.STDOUT)
    nginx = subprocess.Popen([NGINX, "-e", "stderr", "-p", str(folder), "-c", str(folder / "nginx.conf"),
                              "-g", "daemon off;"], stdout=logs[1], stderr=subprocess.STDOUT)
    try:
        problem = _wait(port, time.monotonic() + 120, [gunicorn, nginx])
        if problem:
            pytest.fail(f"central deployment did not start: {problem}\n"
                        + (folder / "gunicorn.log").read_text()[-3000:] + (folder / "nginx.log").read_text()[-2000:])
        yield port, folder, upstream
    finally:
        for process in (nginx, gunicorn):
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in logs:
            log.close()


def test_checks_through_the_proxy_with_the_token(central):
    port, _, _ = central
    status, body = _request(port, "POST", "/v1/check", {"text": "Unser Umsatz lag im dritten Quartal bei 84 Mio. Euro."},
                            {"X-Postguard-Token": TOKEN})
    assert status == 200 and body["findings"][0]["topic"] == "financials"


def test_without_the_token_nothing_but_health(central):
    port, _, _ = central
    status, body = _request(port, "POST", "/v1/check", {"text": "Hallo"})
    assert status == 401 and body["error"] == "Unauthorized"
    assert _request(port, "GET", "/v1/policy")[0] == 401
    assert _request(port, "GET", "/v1/health")[0] == 200


def test_the_comms_workspace_is_not_reachable_through_the_proxy(central):
    port, _, _ = central
    assert _request(port, "POST", "/v1/admin/login", {"password": "x"}, {"X-Postguard-Token": TOKEN})[0] == 404
    assert _request(port, "GET", "/admin", headers={"X-Postguard-Token": TOKEN})[0] == 404


def test_the_workers_have_no_comms_workspace(central):
    """Several gunicorn workers: the workspace is off in the app itself, not only at the proxy."""
    _, _, upstream = central
    connection = http.client.HTTPConnection("127.0.0.1", upstream, timeout=30)
    for path in ("/admin", "/v1/admin/overview"):
        connection.request("GET", path, headers={"Host": NAME, "X-Postguard-Token": TOKEN})
        response = connection.getresponse()
        assert response.status == 404
        assert json.loads(response.read()) == {"error": "Not Found", "message": WORKSPACE_OFF}
    connection.close()


def test_other_host_names_are_refused(central):
    port, _, _ = central
    status, body = _request(port, "GET", "/v1/health", headers={"Host": "evil.example"})
    assert status == 403 and "host" in body["message"]


def test_access_lines_without_text_or_address(central):
    port, folder, _ = central
    marker = "Zebrafisch-0815 Umsatz 3 Mio."
    for _ in range(20):
        assert _request(port, "POST", "/v1/check", {"text": marker}, {"X-Postguard-Token": TOKEN})[0] == 200
    time.sleep(0.5)  # let the workers flush their log lines
    log = (folder / "gunicorn.log").read_text() + (folder / "nginx.log").read_text()
    assert "POST /v1/check 200" in log
    assert "Zebrafisch" not in log and "127.0.0.1 -" not in log


def test_the_app_refuses_other_names_without_a_token(model_path):
    with pytest.raises(ValueError, match="needs a pairing token"):
        create_app({"MODEL_PATH": str(model_path), "POLICY_PATH": str(POLICY), "EXTRA_HOSTS": [NAME]})
