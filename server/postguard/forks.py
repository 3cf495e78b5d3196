"""What a forked worker process renews: the locks and background threads it did not inherit.

`postguard serve --workers` and gunicorn (`preload_app`) build the app once and fork it. A fork
copies only the thread that called it, and every lock in the state it was in at that moment: a
lock another thread held then would stay locked in the child for ever, and a background thread
(the feed refresh, a model reload) is simply not there.
"""

from __future__ import annotations

import os
import weakref

_renewals: list[weakref.WeakMethod] = []


def after_fork_in_child(method) -> None:
    """Call the bound `method` in every process forked from now on, while its object lives."""
    _renewals[:] = [renewal for renewal in _renewals if renewal() is not None]
    _renewals.append(weakref.WeakMethod(method))


def _renew() -> None:
    for renewal in list(_renewals):
        method = renewal()
        if method is not None:
            method()


if hasattr(os, "register_at_fork"):  # Windows does not fork
    os.register_at_fork(after_in_child=_renew)
