"""Several server processes on one listening socket: `postguard serve --workers N` (POSIX only).

A check holds the GIL, so one process uses about one core. The parent has built the app (the
model is loaded once, and the workers share its memory copy-on-write); here it binds the socket
and forks the workers. Each runs waitress on the inherited socket; the kernel gives every new
connection to one of them (the others' accept gets EAGAIN, which waitress ignores). The parent
only supervises: it replaces a worker that dies, gives up when they keep dying, and stops them
all on SIGTERM or SIGINT. Nothing a request carried reaches its messages.
"""

from __future__ import annotations

import collections
import logging
import os
import select
import signal
import socket
import sys
import threading
import time

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
SUPERVISED_SIGNALS = (*STOP_SIGNALS, signal.SIGCHLD)
# Workers that die this often are not going to run; restarting them would only spin.
CRASH_LIMIT, CRASH_WINDOW_SECONDS = 5, 10.0
STOP_SECONDS = 10.0  # for the workers to end after SIGTERM, before SIGKILL


def listening_sockets(host: str, port: int) -> list[socket.socket]:
    """Bound, listening sockets for `host` and `port`, one per address as waitress finds them."""
    from waitress.adjustments import Adjustments

    adjustments = Adjustments(host=host, port=port)  # ValueError for a host it cannot resolve
    sockets = []
    try:
        for family, kind, protocol, address in adjustments.listen:
            listener = socket.socket(family, kind, protocol)
            sockets.append(listener)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:  # as waitress: IPv4 gets a socket of its own
                listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            listener.bind(address)
            listener.listen(adjustments.backlog)
    except OSError:
        for listener in sockets:
            listener.close()
        raise
    return sockets


def serve_in_workers(app, sockets: list[socket.socket], *, workers: int, threads: int, say) -> int:
    """Serve `app` from `workers` forked processes until SIGTERM or SIGINT.

    Returns the exit code: 0 after such a stop, 1 when the workers keep dying.
    """
    def serve():
        import waitress

        waitress.serve(app, sockets=sockets, threads=threads, ident="postguard")

    return Supervisor(serve, workers, say).run()


class Supervisor:
    """The parent process: forks the workers, replaces one that dies, stops them all on a signal."""

    def __init__(self, serve, count: int, say):
        self.serve = serve  # what a worker runs; returns only when its server ends
        self.count = count
        self.say = say
        self.workers: set[int] = set()
        self.deaths: collections.deque[float] = collections.deque()
        self._wakeup: tuple[int, int] = (-1, -1)

    def run(self) -> int:
        wakeup_read, wakeup_write = self._wakeup = os.pipe()
        for end in self._wakeup:
            os.set_blocking(end, False)
        # A signal only writes its number into the pipe; the loop below reads it, so no signal
        # is handled in the middle of a fork or a restart.
        handlers = {signum: signal.signal(signum, _wake) for signum in SUPERVISED_SIGNALS}
        previous_wakeup = signal.set_wakeup_fd(wakeup_write)
        try:
            for _ in range(self.count):
                self._start_worker()
            self.say(f"Serving with {self.count} worker processes (ids "
                     f"{', '.join(map(str, sorted(self.workers)))}); Ctrl-C or SIGTERM stops them all")
            while True:
                if set(self._wait(wakeup_read)) & set(STOP_SIGNALS):
                    self._stop_all()
                    return 0
                for pid, status in self._reaped():
                    if self._keeps_dying():
                        log.warning("worker process %d stopped (%s)", pid, _how(status))
                        self._stop_all()
                        self.say(f"error: the worker processes keep stopping ({CRASH_LIMIT} within "
                                 f"{CRASH_WINDOW_SECONDS:g} s); the server stopped, see the messages above")
                        return 1
                    log.warning("worker process %d stopped (%s); starting another", pid, _how(status))
                    self._start_worker()
        except OSError as exc:  # fork failed: out of processes or memory
            self._stop_all()
            self.say(f"error: cannot start a worker process: {exc}")
            return 1
        finally:
            signal.set_wakeup_fd(previous_wakeup)
            for signum, handler in handlers.items():
                signal.signal(signum, handler)
            for end in self._wakeup:
                os.close(end)

    def _start_worker(self) -> None:
        sys.stdout.flush()
        sys.stderr.flush()  # else what is buffered would be written by both processes
        # Blocked until the worker has put back the default handlers, so that a signal never
        # runs the supervisor's handler in a worker.
        signal.pthread_sigmask(signal.SIG_BLOCK, SUPERVISED_SIGNALS)
        try:
            pid = os.fork()
            if pid == 0:
                self._be_worker()
            self.workers.add(pid)
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, SUPERVISED_SIGNALS)

    def _be_worker(self) -> None:
        """In the forked process: serve until the server ends or a signal ends the process."""
        code = 1
        try:
            parent = os.getppid()
            signal.set_wakeup_fd(-1)
            for end in self._wakeup:
                os.close(end)
            for signum in SUPERVISED_SIGNALS:
                signal.signal(signum, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, SUPERVISED_SIGNALS)
            _stop_when_orphaned(parent)
            self.serve()
            code = 0
        except BaseException as exc:
            # Its type only: an exception's text could quote what a request carried.
            log.error("worker process %d failed: %s", os.getpid(), type(exc).__name__)
        finally:
            os._exit(code)  # never back into the parent's code, nor its exit handlers

    def _wait(self, wakeup_read: int) -> bytes:
        """The numbers of the signals received; a signal wakes it at once, else after a second."""
        select.select([wakeup_read], [], [], 1.0)
        received = b""
        while True:
            try:
                chunk = os.read(wakeup_read, 64)
            except BlockingIOError:
                return received
            if not chunk:
                return received
            received += chunk

    def _reaped(self):
        """(pid, wait status) of each worker that has ended, no longer counted as running."""
        for pid in sorted(self.workers):
            try:
                ended, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:  # reaped already
                ended, status = pid, 0
            if ended:
                self.workers.discard(pid)
                yield pid, status

    def _keeps_dying(self) -> bool:
        now = time.monotonic()
        self.deaths.append(now)
        while self.deaths[0] < now - CRASH_WINDOW_SECONDS:
            self.deaths.popleft()
        return len(self.deaths) >= CRASH_LIMIT

    def _stop_all(self) -> None:
        """SIGTERM to every worker; SIGKILL to those still running after STOP_SECONDS."""
        for pid in self.workers:
            _send(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        while self.workers and time.monotonic() < deadline:
            time.sleep(0.05)
            for _ in self._reaped():
                pass
        for pid in self.workers:
            log.warning("worker process %d did not stop within %g s; killing it", pid, STOP_SECONDS)
            _send(pid, signal.SIGKILL)
        for pid in self.workers:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        self.workers.clear()


def _wake(signum, frame) -> None:
    """The signal's number is in the wakeup pipe already; the supervisor's loop acts on it."""


def _send(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


def _how(status: int) -> str:
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        return f"killed by {signal.Signals(-code).name}"
    return f"exit code {code}"


def _stop_when_orphaned(parent: int) -> None:
    """End this worker when its parent is gone (killed outright) rather than serve on alone."""
    def watch():
        while os.getppid() == parent:
            time.sleep(1.0)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="postguard-parent-watch", daemon=True).start()
