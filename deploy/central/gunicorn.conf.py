"""gunicorn settings for one central Postguard server behind a reverse proxy (see docs/central-server.md).

    POSTGUARD_TOKEN=... POSTGUARD_ALLOWED_HOSTS=postguard.corp.example \
        gunicorn -c deploy/central/gunicorn.conf.py

Postguard's own settings (token, allowed Host names, model folder) come from its configuration
file or POSTGUARD_* variables; `postguard config` shows them. The app refuses to start for other
Host names without a token.
"""

import multiprocessing
import os

# Several worker processes: no comms workspace (it keeps sign-ins and training in one process's
# memory; comms runs `postguard serve` on this machine instead), and the feed refresh starts in
# each worker, not in the master that forks them (see preload_app below).
wsgi_app = "postguard.app:create_app({'WORKSPACE': False, 'PRELOADED': True})"
# Only the reverse proxy on this machine talks to gunicorn.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Checking is CPU-bound and holds the GIL: one worker per core, a few threads each for waiting I/O.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count()))
threads = 2
# Load the model once before forking; the workers share its memory until they swap in a new one.
preload_app = True
timeout = 30
# No gunicorn access log: its default format carries the client's address. The app writes its
# own access lines (method, route, status, time) at level info.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("POSTGUARD_LOG_LEVEL", "warning")  # "info" adds the app's access lines


def on_starting(server):
    import logging
    import sys

    logging.basicConfig(level=loglevel.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
