"""Access lines: method, route, status and duration. Never a query, a body or an address.

The route is the matched URL rule ("/v1/check"), not the requested path, so that nothing a
client puts into a URL reaches the log.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request

log = logging.getLogger("postguard.access")


def init_app(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_record)


def _start() -> None:
    g.access_started = time.perf_counter()


def _record(response: Response) -> Response:
    started = g.get("access_started")
    took = (time.perf_counter() - started) * 1000 if started else 0.0
    route = request.url_rule.rule if request.url_rule else "(no route)"
    log.info("%s %s %d %.1f ms", request.method, route, response.status_code, took)
    return response
