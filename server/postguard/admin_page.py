"""The comms workspace page at /admin: one server-rendered page and its small script and styles.

All data comes from the JSON API under /v1/admin/; the page itself holds nothing secret.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from . import __version__
from .admin import current_admin, only_this_computer
from .admin_auth import COOKIE_NAME, MIN_PASSWORD_CHARS, has_password

bp = Blueprint(
    "admin_page", __name__, url_prefix="/admin",
    template_folder="templates", static_folder="static", static_url_path="/static",
)

# Only the page's own script and styles run; no framing, no referrer to the links comms follows.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


@bp.before_request
def _local_only():
    only_this_computer()


@bp.after_request
def _security_headers(response: Response):
    response.headers.update(SECURITY_HEADERS)
    return response


@bp.get("")
def page():
    """The workspace page; it asks to sign in, or says how to set a password first."""
    admin = current_admin()
    return render_template(
        "admin.html",
        has_password=has_password(admin.folder),
        signed_in=admin.sessions.valid(request.cookies.get(COOKIE_NAME)),
        min_password_chars=MIN_PASSWORD_CHARS,
        version=__version__,
    )
