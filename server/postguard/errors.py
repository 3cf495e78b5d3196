"""One JSON shape for every error: {"error": "<HTTP reason>", "message": "<what to fix>"}."""

from __future__ import annotations

import logging

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.http import HTTP_STATUS_CODES

log = logging.getLogger(__name__)


class APIError(Exception):
    """A client or availability problem with a message that says what to do about it."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


def error_response(status: int, message: str):
    response = jsonify(error=HTTP_STATUS_CODES.get(status, "Error"), message=message)
    response.status_code = status
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(APIError)
    def api_error(error: APIError):
        return error_response(error.status, error.message)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        message = error.description or error.name
        if error.code == 413:
            message = f"the request body exceeds this server's limit of {app.config['MAX_CONTENT_LENGTH']:,} bytes"
        response = error_response(error.code or 500, message)
        if error.code == 405 and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        # Log the exception's type only: its text or traceback could quote the post.
        log.error("internal error: %s", type(error).__name__)
        return error_response(500, InternalServerError.description)
