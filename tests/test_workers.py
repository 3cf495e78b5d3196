"""`postguard serve --workers 2`: two processes answer checks on one port, a worker that dies is
replaced, SIGTERM stops them all; workers that keep dying stop the server.

The worker processes are found and measured in /proc (Linux).
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from support import copy_model_folder, free_port, wait_until

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

MARKER = "Zebrafisch"  # in every post; must never reach the log


def taboo_post(n: int) -> str:
    """A post with a finding; its number makes every sentence new, so no sentence cache helps."""
    return (f"{MARKER} {n}: heute waren {n} Kolleginnen beim Firmenlauf dabei. Übrigens lag unser "
            f"Auftragseingang im dritten Quartal bei {n} Mio. Euro, deutlich über Plan.")


def harmless_post(n: int) -> str:
    return f"{MARKER} {n}: thanks team, what a great summer party with {n} guests!"


def check(port: int, text: str) -> tuple[int, dict]:
    """POST /v1/check over a connection of its own, so that any worker may accept it."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("POST", "/v1/check", body=json.dumps({"text": text}),
                           headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def check_many(port: int, count: int, start: int = 0) -> None:
    """`count` checks from six clients at once: taboo posts warn about financials, harmless ones not."""
    numbers = range(start, start + count)
    with ThreadPoolExecutor(max_workers=6) as pool:
        replies = list(pool.map(lambda n: check(port, (taboo_post if n % 2 else harmless_post)(n)), numbers))
    for n, (status, reply) in zip(numbers, replies):
        assert status == 200, reply
        topics = [finding["topic"] for finding in reply["findings"]]
        assert ("financials" in topics) if n % 2 else topics == [], (n, reply)


def workers_of(pid: int) -> set[int]:
    return {int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}


def cpu_ticks(pid: int) -> int:
    """User and system CPU time a process has used, in clock ticks."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])




def two_workers(pid: int, without: int | None = None) -> set[int]:
    """The server's two workers, once it has two (and `without` is not one of them)."""
    def found():
        workers = workers_of(pid)
        return workers if len(workers) == 2 and without not in workers else None

    return wait_until(found, timeout=20.0)


@pytest.fixture(scope="module")
def server(tmp_path_factory, model_path):
    """`python -m postguard serve --workers 2` on a free port; yields (process, port, log path)."""
    folder = tmp_path_factory.mktemp("workers")
    artifact = copy_model_folder(model_path, folder / "model")
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("POSTGUARD_")}
    env.update(POSTGUARD_CONFIG=str(folder / "none.toml"),
               POSTGUARD_LOG_LEVEL="info")  # access lines on, to show that they hold no post
    log = folder / "serve.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "postguard", "serve", "--workers", "2", "--port", str(port),
             "--model", str(artifact)],
            env=env, cwd=folder, stdout=output, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/v1/health")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                pass
            finally:
                connection.close()
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"serve --workers 2 did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield process, port, log
    finally:
        if process.poll() is None:  # a test failed before the SIGTERM test
            leftovers = workers_of(process.pid)
            process.kill()
            process.wait()
            for pid in leftovers:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass


def test_two_worker_processes_share_the_checks(server):
    process, port, log = server
    workers = two_workers(process.pid)
    before = {pid: cpu_ticks(pid) for pid in workers}
    sent = 0
    # The kernel gives each connection to whichever worker accepts first: keep checking until
    # both have done some of the work (50 checks are normally plenty).
    while sent < 50 or (sent < 400 and not all(cpu_ticks(pid) > before[pid] for pid in workers)):
        check_many(port, 50, start=sent)
        sent += 50
    assert all(cpu_ticks(pid) > before[pid] for pid in workers), (sent, before)
    assert workers_of(process.pid) == workers
    text = log.read_text()
    assert "Serving with 2 worker processes" in text and "the comms workspace is off" in text
    assert "POST /v1/check 200" in text and MARKER not in text


def test_a_killed_worker_is_replaced(server):
    process, port, log = server
    workers = two_workers(process.pid)
    victim = min(workers)
    os.kill(victim, signal.SIGKILL)
    replaced = two_workers(process.pid, without=victim)
    assert replaced & workers == workers - {victim}
    check_many(port, 20, start=1000)
    text = log.read_text()
    assert f"worker process {victim} stopped (killed by SIGKILL); starting another" in text
    assert MARKER not in text


def test_sigterm_stops_every_worker_and_exits_0(server):
    process, _, log = server
    workers = two_workers(process.pid)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=15) == 0
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]
    assert MARKER not in log.read_text()


def test_workers_that_keep_dying_stop_the_server():
    """A worker that cannot serve is restarted, but not for ever: the supervisor gives up with 1."""
    from postguard.workers import CRASH_LIMIT, Supervisor  # POSIX signals only

    said = []

    def serve():
        raise RuntimeError("cannot serve")

    supervisor = Supervisor(serve, 2, said.append)
    started = time.monotonic()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Python 3.12 warns of forks beside threads
        assert supervisor.run() == 1
    assert time.monotonic() - started < 10
    assert said[0].startswith("Serving with 2 worker processes")
    assert said[-1].startswith(f"error: the worker processes keep stopping ({CRASH_LIMIT} within 10 s)")
    assert supervisor.workers == set()
