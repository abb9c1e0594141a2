"""Error pages in the site's style, and domain errors mapped to HTTP answers."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from intranet.services.errors import NotFound, PermissionDenied

_PAGES = {400, 403, 404, 405, 413, 429, 500}


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        code = error.code or 500
        if code not in _PAGES:
            return error
        return render_template(f"errors/{code}.html", error=error), code

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError):
        return render_template("errors/400.html", error=error, csrf=True), 400

    @app.errorhandler(PermissionDenied)
    def _denied(error: PermissionDenied):
        return render_template("errors/403.html", error=error), 403

    @app.errorhandler(NotFound)
    def _not_found(error: NotFound):
        return render_template("errors/404.html", error=error), 404

    @app.errorhandler(Exception)
    def _crash(error: Exception):
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        from intranet.extensions import db

        db.session.rollback()
        return render_template("errors/500.html"), 500
