"""Security headers on every answer: CSP without inline script, nosniff, framing, caching."""

from __future__ import annotations

from flask import Flask, Response, request
from flask_babel import gettext as _
from werkzeug.exceptions import SecurityError

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
PUBLIC_CACHEABLE = ("/static/", "/bootstrap/")


def init_app(app: Flask) -> None:
    @app.errorhandler(SecurityError)
    def _untrusted_host(_error: SecurityError) -> Response:
        # A Host header outside TRUSTED_HOSTS fails before routing, so no URL can be built
        # and the site's error pages cannot render: answer in plain text.
        return Response(_("Unknown site address.") + "\n", status=400, mimetype="text/plain")

    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        policy = headers.setdefault("Content-Security-Policy", CSP)
        if "frame-ancestors" not in policy:
            # A view with a policy of its own (e.g. a sandboxed download) is still unframeable.
            headers["Content-Security-Policy"] = policy.rstrip("; ") + "; frame-ancestors 'none'"
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config.get("SESSION_COOKIE_SECURE"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if not request.path.startswith(PUBLIC_CACHEABLE) and "Cache-Control" not in headers:
            # Pages carry personal data: never kept by a shared or back-button cache.
            headers["Cache-Control"] = "no-store"
        return response
